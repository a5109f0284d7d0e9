"""Deliberate mutants of solutions/t10_projection_heads.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "not_normalized",
        "        return _l2_normalize(text_proj), _l2_normalize(image_proj)",
        "        return text_proj, image_proj",
        caught_by=("numeric.hand_worked_example", "numeric.matches_oracle", "behavior.unit_rows_and_zero_row"),
    ),
    Mutant(
        "normalized_over_the_batch",
        "keras.ops.sum(keras.ops.square(x), axis=-1, keepdims=True)",
        "keras.ops.sum(keras.ops.square(x), axis=0, keepdims=True)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_oracle", "behavior.unit_rows_and_zero_row"),
    ),
    Mutant(
        "relu_projection",
        'keras.layers.Dense(self.hidden_size, dtype=self.dtype_policy, name="text_projection")',
        'keras.layers.Dense(self.hidden_size, activation="relu", dtype=self.dtype_policy, name="text_projection")',
        caught_by=("numeric.hand_worked_example", "numeric.matches_oracle"),
    ),
    Mutant(
        "no_epsilon",
        "x * keras.ops.rsqrt(keras.ops.maximum(squared, epsilon))",
        "x * keras.ops.rsqrt(squared)",
        caught_by=("behavior.unit_rows_and_zero_row",),
    ),
    Mutant(
        # Same forward pass, wrong backward pass: only the gradient check can see it.
        "norm_not_differentiated",
        "x * keras.ops.rsqrt(keras.ops.maximum(squared, epsilon))",
        "x * keras.ops.stop_gradient(keras.ops.rsqrt(keras.ops.maximum(squared, epsilon)))",
        caught_by=("numeric.gradient_matches_closed_form",),
    ),
    Mutant(
        "image_uses_text_projection",
        "        image_proj = self.image_projection(image_feature)",
        "        image_proj = self.text_projection(image_feature)",
        caught_by=("shape.output_shapes", "numeric.matches_oracle", "behavior.separate_weights_per_modality"),
    ),
    Mutant(
        "config_without_hidden_size",
        '        config["hidden_size"] = self.hidden_size\n',
        "",
        caught_by=("behavior.config_round_trip",),
    ),
    Mutant(
        "no_batch_size_check",
        "        if None not in (text_shape[0], image_shape[0]) and text_shape[0] != image_shape[0]:",
        "        if False:",
        caught_by=("behavior.bad_arguments",),
    ),
    Mutant(
        "text_projection_ignores_the_dtype_policy",
        'keras.layers.Dense(self.hidden_size, dtype=self.dtype_policy, name="text_projection")',
        'keras.layers.Dense(self.hidden_size, name="text_projection")',
        caught_by=("shape.output_dtype_is_the_layers_compute_dtype",),
    ),
]
