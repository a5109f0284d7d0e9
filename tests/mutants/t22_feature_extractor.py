"""Deliberate mutants of solutions/t22_feature_extractor.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "halves_swapped",
        "([text_proj, image_proj])",
        "([image_proj, text_proj])",
        caught_by=("numeric.hand_set_weights", "numeric.matches_oracle", "behavior.halves_depend_on_own_modality"),
    ),
    Mutant(
        "concatenated_on_batch_axis",
        'keras.layers.Concatenate(axis=-1, name="fused")',
        'keras.layers.Concatenate(axis=0, name="fused")',
        caught_by=("shape.output_shape", "shape.other_dimensions", "numeric.matches_oracle"),
    ),
    Mutant(
        # A Python lambda cannot be deserialized by load_model in safe mode.
        "lambda_concatenation",
        'keras.layers.Concatenate(axis=-1, name="fused")',
        'keras.layers.Lambda(lambda xs: keras.ops.concatenate(xs, axis=-1), name="fused")',
        caught_by=("behavior.save_and_load_round_trip", "behavior.loaded_model_matches_oracle"),
    ),
    Mutant(
        "no_relu",
        'activation="relu", ',
        "",
        caught_by=("numeric.hand_set_weights", "numeric.matches_oracle", "behavior.loaded_model_matches_oracle"),
    ),
    Mutant(
        "image_input_uses_text_dim",
        'keras.Input(shape=(image_dim,), name="image")',
        'keras.Input(shape=(text_dim,), name="image")',
        caught_by=("shape.output_shape", "shape.other_dimensions", "numeric.hand_set_weights"),
    ),
    Mutant(
        "no_validation",
        "    if value < 1:",
        "    if False:",
        caught_by=("behavior.bad_dimensions_are_errors",),
    ),
]
