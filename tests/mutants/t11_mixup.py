"""Deliberate mutants of solutions/t11_mixup.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "separate_lambda_for_image",
        "    image_mix = _mix(i, lam, perm)",
        "    image_mix = _mix(i, float(generator.beta(alpha, alpha)), perm)",
        caught_by=("numeric.one_lambda_one_permutation", "numeric.mixing_formula_other_batch"),
    ),
    Mutant(
        "separate_permutation_for_image",
        "    image_mix = _mix(i, lam, perm)",
        "    image_mix = _mix(i, lam, generator.permutation(b))",
        caught_by=("numeric.one_lambda_one_permutation", "numeric.mixing_formula_other_batch"),
    ),
    Mutant(
        "labels_not_mixed",
        "    labels_mix = _mix(y, lam, perm)",
        "    labels_mix = y",
        caught_by=("numeric.one_lambda_one_permutation", "numeric.mixing_formula_other_batch"),
    ),
    Mutant(
        "lambda_swapped_for_labels",
        "    labels_mix = _mix(y, lam, perm)",
        "    labels_mix = _mix(y, 1.0 - lam, perm)",
        caught_by=("numeric.one_lambda_one_permutation", "numeric.mixing_formula_other_batch"),
    ),
    Mutant(
        "lambda_uniform_not_beta",
        "    lam = float(generator.beta(alpha, alpha))",
        "    lam = float(generator.uniform())",
        caught_by=("numeric.lambda_follows_beta",),
    ),
    Mutant(
        "identity_permutation",
        "    perm = generator.permutation(b).astype(np.int64)",
        "    perm = np.arange(b, dtype=np.int64)",
        caught_by=("numeric.mixing_formula_other_batch", "numeric.lambda_follows_beta"),
    ),
    Mutant(
        "seed_ignored",
        "np.random.default_rng(seed)",
        "np.random.default_rng()",
        caught_by=("behavior.seeded_and_deterministic",),
    ),
    Mutant(
        "labels_not_checked",
        "    _check_one_hot(y)\n",
        "",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "bool_one_hot_labels_cast_to_float",
        "    if not (t.dtype.is_floating or t.dtype.is_integer):",
        "    if not (t.dtype.is_floating or t.dtype.is_integer or t.dtype.is_bool):",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
]
