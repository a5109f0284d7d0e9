"""Deliberate mutants of solutions/t32_siglip_loss.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "mean_over_all_pairs",  # BCE-with-logits' default reduction: divides by B² instead of B
        "tf.math.divide_no_nan(-tf.reduce_sum(log_likelihood), tf.cast(batch, dtype))",
        "tf.math.divide_no_nan(-tf.reduce_sum(log_likelihood), tf.cast(batch * batch, dtype))",
        caught_by=("numeric.hand_worked_examples", "numeric.matches_formula",
                   "behavior.init_loss_barely_depends_on_batch_size"),
    ),
    Mutant(
        "no_normalization",
        "tf.math.l2_normalize(tf.cast(t, dtype), axis=-1)",
        "tf.cast(t, dtype)",
        caught_by=("numeric.hand_worked_examples", "numeric.matches_formula", "behavior.invariant_to_row_scaling"),
    ),
    Mutant(
        "scale_not_exponentiated",
        "scale = tf.exp(tf.cast(scale_log, dtype))",
        "scale = tf.cast(scale_log, dtype)",
        caught_by=("numeric.hand_worked_examples", "numeric.matches_formula",
                   "numeric.gradient_matches_closed_form"),
    ),
    Mutant(
        "scale_divides_like_a_clip_temperature",
        "logits = scale * tf.matmul(t, i, transpose_b=True) + tf.cast(offset, dtype)",
        "logits = tf.matmul(t, i, transpose_b=True) / scale + tf.cast(offset, dtype)",
        caught_by=("numeric.hand_worked_examples", "numeric.matches_formula", "numeric.stable_for_huge_logits"),
    ),
    Mutant(
        "bias_ignored",
        "logits = scale * tf.matmul(t, i, transpose_b=True) + tf.cast(offset, dtype)",
        "logits = scale * tf.matmul(t, i, transpose_b=True)",
        caught_by=("numeric.hand_worked_examples", "numeric.matches_formula",
                   "behavior.init_loss_barely_depends_on_batch_size"),
    ),
    Mutant(
        "negatives_labelled_zero",
        "labels = 2.0 * tf.eye(batch, dtype=dtype) - 1.0",
        "labels = tf.eye(batch, dtype=dtype)",
        caught_by=("numeric.hand_worked_examples", "numeric.matches_formula",
                   "numeric.gradient_matches_closed_form"),
    ),
    Mutant(
        "log_of_sigmoid",
        "log_likelihood = tf.math.log_sigmoid(labels * logits)",
        "log_likelihood = tf.math.log(tf.sigmoid(labels * logits))",
        caught_by=("numeric.stable_for_huge_logits",),
    ),
    Mutant(
        "softplus_without_shift",
        "log_likelihood = tf.math.log_sigmoid(labels * logits)",
        "log_likelihood = -tf.math.log1p(tf.exp(-(labels * logits)))",
        caught_by=("numeric.stable_for_huge_logits",),
    ),
    Mutant(
        "empty_batch_divides_by_zero",
        "tf.math.divide_no_nan(-tf.reduce_sum(log_likelihood), tf.cast(batch, dtype))",
        "-tf.reduce_sum(log_likelihood) / tf.cast(batch, dtype)",
        caught_by=("shape.single_pair_empty_batch_and_dtype",),
    ),
    Mutant(
        "parameters_turned_into_python_floats",
        "scale = tf.exp(tf.cast(scale_log, dtype))",
        "scale = tf.exp(tf.constant(float(scale_log.numpy()), dtype))",
        caught_by=("numeric.gradient_matches_closed_form", "behavior.learnable_parameters_get_gradients"),
    ),
    Mutant(
        "normalised_in_place",
        '    t = _as_pair_embeddings(text_emb, "text_emb")\n',
        "    if isinstance(text_emb, np.ndarray):\n"
        "        text_emb /= np.linalg.norm(text_emb, axis=-1, keepdims=True)\n"
        '    t = _as_pair_embeddings(text_emb, "text_emb")\n',
        caught_by=("behavior.inputs_not_mutated",),
    ),
    Mutant(
        "no_shape_validation",
        "    if tuple(t.shape) != tuple(i.shape):",
        "    if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "non_finite_parameters_accepted",
        "    if not math.isfinite(number):",
        "    if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
]
