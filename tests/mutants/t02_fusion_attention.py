"""Deliberate mutants of solutions/t02_fusion_attention.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "concat_axis0",
        "return tf.concat([t, i], axis=-1)",
        "return tf.concat([t, i], axis=0)",
        caught_by=("shape.concat_last_axis_shapes", "numeric.concat_hand_worked", "numeric.concat_matches_numpy"),
    ),
    Mutant(
        "no_scale",
        "logits = tf.matmul(t, i, transpose_b=True) / scale",
        "logits = tf.matmul(t, i, transpose_b=True)",
        caught_by=("numeric.attention_hand_worked", "numeric.attention_matches_formula",
                   "numeric.attention_many_regions"),
    ),
    Mutant(
        "softmax_over_text_tokens",
        "weights = tf.nn.softmax(logits, axis=-1)",
        "weights = tf.nn.softmax(logits, axis=1)",
        caught_by=("numeric.attention_hand_worked", "numeric.attention_matches_formula",
                   "numeric.attention_many_regions"),
    ),
    Mutant(
        "no_residual",
        "return t + tf.matmul(weights, i)",
        "return tf.matmul(weights, i)",
        caught_by=("numeric.attention_hand_worked", "numeric.attention_matches_formula"),
    ),
    Mutant(
        "attends_over_whole_batch",
        "    logits = tf.matmul(t, i, transpose_b=True) / scale  # (B, Lt, Li): one sample at a time\n"
        "    weights = tf.nn.softmax(logits, axis=-1)  # over the image regions Li\n"
        "    return t + tf.matmul(weights, i)",
        "    flat = tf.reshape(i, (-1, tf.shape(i)[-1]))  # every region of every sample\n"
        "    logits = tf.matmul(t, flat, transpose_b=True) / scale\n"
        "    weights = tf.nn.softmax(logits, axis=-1)\n"
        "    return t + tf.matmul(weights, flat)",
        caught_by=("numeric.attention_matches_formula", "behavior.samples_do_not_mix"),
    ),
    Mutant(
        "no_leading_shape_check",
        "    if t.shape[:-1] != i.shape[:-1]:",
        "    if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "mixed_floats_narrowed",
        "dtype = a.dtype if a.dtype.size >= b.dtype.size else b.dtype",
        "dtype = a.dtype if a.dtype.size <= b.dtype.size else b.dtype",
        caught_by=("shape.output_dtype_follows_the_inputs",),
    ),
    Mutant(
        "integers_become_float64",
        "        t = tf.cast(t, tf.float32)\n    return t",
        "        t = tf.cast(t, tf.float64)\n    return t",
        caught_by=("shape.output_dtype_follows_the_inputs",),
    ),
]
