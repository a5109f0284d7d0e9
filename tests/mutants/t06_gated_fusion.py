"""Deliberate mutants of solutions/t06_gated_fusion.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "no_scale",
        "tf.matmul(q, k, transpose_b=True) / scale",
        "tf.matmul(q, k, transpose_b=True)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_numpy_oracle"),
    ),
    Mutant(
        "softmax_over_text_tokens",
        "return tf.nn.softmax(logits, axis=-1)",
        "return tf.nn.softmax(logits, axis=-2)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_numpy_oracle"),
    ),
    Mutant(
        "mask_ignored",
        "mask = mask[:, tf.newaxis, :]",
        "mask = None",
        caught_by=("numeric.hand_worked_example", "numeric.masked_matches_numpy_oracle",
                   "behavior.masked_image_positions_do_not_matter"),
    ),
    Mutant(
        "gate_applied_to_the_wrong_branch",
        "return g * attended + (1.0 - g) * q",
        "return g * q + (1.0 - g) * attended",
        caught_by=("numeric.matches_numpy_oracle", "numeric.masked_matches_numpy_oracle"),
    ),
    Mutant(
        "gate_sees_text_only",
        "g = self.gate(tf.concat([q, attended], axis=-1))",
        "g = self.gate(q)",
        caught_by=("shape.sublayers_and_empty_batch", "numeric.matches_numpy_oracle"),
    ),
    Mutant(
        "dense_created_on_every_call",
        "q = self.text_proj(text)",
        "q = keras.layers.Dense(self.hidden_size)(text)",
        caught_by=("behavior.sublayers_created_once_and_trained",),
    ),
    Mutant(
        "additive_mask_uniform_when_all_masked",
        "    return tf.math.divide_no_nan(exp, tf.reduce_sum(exp, axis=-1, keepdims=True))",
        "    return tf.nn.softmax(tf.where(mask, logits, -1e9), axis=-1)",
        caught_by=("behavior.fully_masked_sample_is_finite", "behavior.masked_image_positions_do_not_matter"),
    ),
    Mutant(
        "get_config_forgets_hidden_size",
        'config["hidden_size"] = self.hidden_size',
        "pass",
        caught_by=("behavior.get_config_round_trip",),
    ),
    Mutant(
        "mask_dtype_not_checked",
        "if mask.dtype != tf.bool:",
        "if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "sublayers_ignore_the_dtype_policy",
        "        policy = self.dtype_policy\n",
        "        policy = None\n",
        caught_by=("shape.output_dtype_is_the_layers_compute_dtype",),
    ),
]
