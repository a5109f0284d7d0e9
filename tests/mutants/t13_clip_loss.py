"""Deliberate mutants of solutions/t13_clip_loss.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "no_normalization",
        "tf.math.l2_normalize(tf.cast(t, dtype), axis=-1)",
        "tf.cast(t, dtype)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_formula", "behavior.invariant_to_row_scaling"),
    ),
    Mutant(
        "image_not_normalized",
        "tf.math.l2_normalize(tf.cast(i, dtype), axis=-1)",
        "tf.cast(i, dtype)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_formula", "behavior.invariant_to_row_scaling"),
    ),
    Mutant(
        "row_wise_only",
        "    return (text_to_image + image_to_text) / 2",
        "    return text_to_image",
        caught_by=("numeric.hand_worked_example", "numeric.matches_formula",
                   "behavior.symmetric_in_the_two_modalities"),
    ),
    Mutant(
        "columns_not_transposed",
        "_mean_cross_entropy_on_diagonal(tf.transpose(logits))",
        "_mean_cross_entropy_on_diagonal(logits)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_formula",
                   "numeric.gradient_matches_central_differences"),
    ),
    Mutant(
        "temperature_multiplied",
        "tf.matmul(t, i, transpose_b=True) / tf.cast(temp, dtype)",
        "tf.matmul(t, i, transpose_b=True) * tf.cast(temp, dtype)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_formula", "numeric.stable_for_huge_logits"),
    ),
    Mutant(
        "anti_diagonal_targets",
        "    per_row = log_sum_exp - tf.linalg.diag_part(logits)",
        "    per_row = log_sum_exp - tf.linalg.diag_part(tf.reverse(logits, axis=[1]))",
        caught_by=("numeric.hand_worked_example", "numeric.matches_formula",
                   "numeric.gradient_matches_central_differences"),
    ),
    Mutant(
        "softmax_without_max_shift",
        "top[:, 0] + tf.math.log(tf.reduce_sum(tf.exp(logits - top), axis=-1))",
        "tf.math.log(tf.reduce_sum(tf.exp(logits), axis=-1))",
        caught_by=("numeric.stable_for_huge_logits",),
    ),
    Mutant(
        "mean_without_empty_guard",
        "tf.math.divide_no_nan(tf.reduce_sum(per_row), count)",
        "tf.reduce_mean(per_row)",
        caught_by=("shape.single_pair_and_empty_batch",),
    ),
    Mutant(
        "no_shape_validation",
        "    if tuple(t.shape) != tuple(i.shape):",
        "    if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
]
