"""Deliberate mutants of solutions/t14_fusion_loss.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "concat_on_axis_1",
        "tf.concat([tf.cast(t, dtype), tf.cast(i, dtype)], axis=-1)",
        "tf.concat([tf.cast(t, dtype), tf.cast(i, dtype)], axis=1)",
        caught_by=("shape.three_d_features_and_empty_batch",),
    ),
    Mutant(
        "image_first",
        "tf.concat([tf.cast(t, dtype), tf.cast(i, dtype)], axis=-1)",
        "tf.concat([tf.cast(i, dtype), tf.cast(t, dtype)], axis=-1)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_numpy_log_sum_exp",
                   "behavior.head_sees_the_fused_features"),
    ),
    Mutant(
        "logits_read_as_probabilities",
        "    log_probs = tf.nn.log_softmax(logits, axis=-1)",
        "    probs = logits / tf.reduce_sum(logits, axis=-1, keepdims=True)\n"
        "    log_probs = tf.math.log(tf.clip_by_value(probs, 1e-7, 1.0 - 1e-7))",
        caught_by=("numeric.hand_worked_example", "numeric.matches_numpy_log_sum_exp",
                   "numeric.matches_keras_loss", "numeric.gradient_matches_closed_form"),
    ),
    Mutant(
        "log_of_softmax",
        "tf.nn.log_softmax(logits, axis=-1)",
        "tf.math.log(tf.nn.softmax(logits, axis=-1))",
        caught_by=("numeric.stable_for_huge_logits",),
    ),
    Mutant(
        "sum_instead_of_mean",
        "tf.math.divide_no_nan(tf.reduce_sum(per_example), count)",
        "tf.reduce_sum(per_example)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_numpy_log_sum_exp",
                   "numeric.matches_keras_loss", "numeric.gradient_matches_closed_form"),
    ),
    Mutant(
        "reduce_mean_nan_on_empty_batch",
        "tf.math.divide_no_nan(tf.reduce_sum(per_example), count)",
        "tf.reduce_mean(per_example)",
        caught_by=("shape.three_d_features_and_empty_batch",),
    ),
    Mutant(
        "no_label_range_check",
        "    if y.size and (y.min() < 0 or y.max() >= num_classes):",
        "    if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "bool_labels_taken_as_class_ids",
        'if y.dtype.kind not in "iuf":',
        'if y.dtype.kind not in "biuf":',
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "whole_number_float_labels_rejected",
        "        y = y.astype(np.int64)\n    if tuple(y.shape)",
        "        raise TypeError(f'labels must be integers, got dtype {y.dtype}')\n    if tuple(y.shape)",
        caught_by=("numeric.matches_numpy_log_sum_exp",),
    ),
]
