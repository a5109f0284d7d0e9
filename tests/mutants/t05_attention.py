"""Deliberate mutants of solutions/t05_attention.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "no_scale",
        "tf.matmul(q, k, transpose_b=True) / tf.sqrt(tf.cast(tf.shape(q)[-1], q.dtype))",
        "tf.matmul(q, k, transpose_b=True)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_formula"),
    ),
    Mutant(
        "scale_by_d",
        "tf.sqrt(tf.cast(tf.shape(q)[-1], q.dtype))",
        "tf.cast(tf.shape(q)[-1], q.dtype)",
        caught_by=("numeric.matches_formula",),
    ),
    Mutant(
        "softmax_over_queries",
        "weights = tf.nn.softmax(logits, axis=-1)",
        "weights = tf.nn.softmax(logits, axis=-2)",
        caught_by=("numeric.matches_formula", "numeric.keys_longer_than_queries"),
    ),
    Mutant(
        "mask_ignored",
        "    if mask is None:\n        weights",
        "    if True:\n        weights",
        caught_by=("behavior.mask_blocks_a_key", "behavior.broadcast_mask_matches_formula"),
    ),
    Mutant(
        "additive_mask_all_masked_uniform",
        "        weights = tf.math.divide_no_nan(exp, total)",
        "        weights = tf.nn.softmax(tf.where(m, logits, -1e9), axis=-1)",
        caught_by=("behavior.fully_masked_row_is_zero",),
    ),
    Mutant(
        "no_validation",
        "    if q.shape[-1] != k.shape[-1]:",
        "    if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
]
