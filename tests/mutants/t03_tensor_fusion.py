"""Deliberate mutants of solutions/t03_tensor_fusion.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "no_ones",
        "    t1 = tf.concat([t, ones], axis=1)  # (B, Dt + 1)\n    i1 = tf.concat([i, ones], axis=1)  # (B, Di + 1)\n",
        "    t1, i1 = t, i\n",
        caught_by=("shape.output_shape", "numeric.hand_worked_example", "numeric.matches_einsum_oracle"),
    ),
    Mutant(
        "image_index_major",
        'tf.einsum("bi,bj->bij", t1, i1)',
        'tf.einsum("bi,bj->bji", t1, i1)',
        caught_by=("numeric.hand_worked_example", "numeric.matches_einsum_oracle",
                   "numeric.unimodal_and_constant_terms"),
    ),
    Mutant(
        "ones_prepended",
        "tf.concat([t, ones], axis=1)",
        "tf.concat([ones, t], axis=1)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_einsum_oracle",
                   "numeric.unimodal_and_constant_terms"),
    ),
    Mutant(
        "zeros_appended",
        "ones = tf.ones_like(t[:, :1])",
        "ones = tf.zeros_like(t[:, :1])",
        caught_by=("numeric.hand_worked_example", "numeric.unimodal_and_constant_terms"),
    ),
    Mutant(
        "outer_product_across_the_batch",
        'tf.einsum("bi,bj->bij", t1, i1)',
        'tf.einsum("bi,cj->bij", t1, i1)',
        caught_by=("numeric.matches_einsum_oracle", "behavior.rows_are_independent"),
    ),
    Mutant(
        "no_batch_check",
        "    if t.shape[0] != i.shape[0]:",
        "    if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "gradient_stopped",
        'outer = tf.einsum("bi,bj->bij", t1, i1)',
        'outer = tf.stop_gradient(tf.einsum("bi,bj->bij", t1, i1))',
        caught_by=("behavior.differentiable_in_both_inputs",),
    ),
    Mutant(
        "mixed_floats_narrowed",
        "dtype = t.dtype if t.dtype.size >= i.dtype.size else i.dtype",
        "dtype = t.dtype if t.dtype.size <= i.dtype.size else i.dtype",
        caught_by=("shape.output_dtype_follows_the_inputs",),
    ),
]
