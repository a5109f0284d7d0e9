"""Deliberate mutants of solutions/t12_feature_augmentation.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "noise_at_inference",
        "    if not training:\n        return t, i\n",
        "",
        caught_by=("behavior.inference_returns_the_inputs",),
    ),
    Mutant(
        "same_noise_for_both_modalities",
        "    image_noise = generator.normal(0.0, noise_std, size=tuple(i.shape))",
        "    image_noise = np.random.default_rng(seed).normal(0.0, noise_std, size=tuple(i.shape))",
        caught_by=("numeric.noise_is_independent_with_the_requested_std",),
    ),
    Mutant(
        "noise_std_squared",
        "    text_noise = generator.normal(0.0, noise_std, size=tuple(t.shape))",
        "    text_noise = generator.normal(0.0, noise_std ** 2, size=tuple(t.shape))",
        caught_by=("numeric.noise_is_independent_with_the_requested_std",),
    ),
    Mutant(
        "one_noise_value_per_sample",
        "    text_noise = generator.normal(0.0, noise_std, size=tuple(t.shape))",
        "    text_noise = generator.normal(0.0, noise_std, size=(t.shape[0],) + (1,) * (t.shape.rank - 1))",
        caught_by=("numeric.noise_is_independent_with_the_requested_std",),
    ),
    Mutant(
        "modalities_dropped_independently",
        "    keep_text = ~(dropped & drop_text)\n    keep_image = ~(dropped & ~drop_text)",
        "    keep_text = ~dropped\n    keep_image = ~(generator.random(b) < modality_dropout)",
        caught_by=("behavior.modality_dropout_drops_one_never_both",),
    ),
    Mutant(
        "dropout_probability_halved",
        "    dropped = generator.random(b) < modality_dropout",
        "    dropped = generator.random(b) < modality_dropout / 2",
        caught_by=("behavior.modality_dropout_drops_one_never_both",),
    ),
    Mutant(
        "seed_ignored",
        "np.random.default_rng(seed)",
        "np.random.default_rng()",
        caught_by=("behavior.seeded_and_deterministic",),
    ),
    Mutant(
        "no_range_check",
        "    if not 0.0 <= modality_dropout <= 1.0:",
        "    if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
]
