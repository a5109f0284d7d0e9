"""Deliberate mutants of solutions/t25_prototype_classification.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "columns_in_first_appearance_order",
        "    classes, index = np.unique(labels, return_inverse=True)  # sorted label values\n",
        "    _, first, index = np.unique(labels, return_index=True, return_inverse=True)\n"
        "    rank = np.argsort(np.argsort(first))\n"
        "    classes, index = labels[np.sort(first)], rank[index]\n",
        caught_by=("numeric.hand_worked_example", "numeric.matches_numpy_oracle",
                   "behavior.predicts_original_label_values"),
    ),
    Mutant(
        "sum_not_mean_prototype",
        "tf.math.unsorted_segment_sum(support, index, len(classes)) / counts[:, None]",
        "tf.math.unsorted_segment_sum(support, index, len(classes))",
        caught_by=("numeric.hand_worked_example", "numeric.unequal_shots_use_the_mean"),
    ),
    Mutant(
        "plain_not_squared_distance",
        "    probs = tf.nn.softmax(-sq_dist, axis=-1)",
        "    probs = tf.nn.softmax(-tf.sqrt(sq_dist), axis=-1)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_numpy_oracle"),
    ),
    Mutant(
        "unstable_softmax",
        "    probs = tf.nn.softmax(-sq_dist, axis=-1)",
        "    probs = tf.exp(-sq_dist) / tf.reduce_sum(tf.exp(-sq_dist), axis=-1, keepdims=True)",
        caught_by=("numeric.stable_for_far_queries",),
    ),
    Mutant(
        "pred_is_column_index",
        "    pred = classes[tf.argmin(sq_dist, axis=-1).numpy()]",
        "    pred = tf.argmin(sq_dist, axis=-1).numpy()",
        caught_by=("numeric.hand_worked_example", "behavior.predicts_original_label_values"),
    ),
    Mutant(
        "softmax_over_classes_axis_0",
        "    probs = tf.nn.softmax(-sq_dist, axis=-1)",
        "    probs = tf.nn.softmax(-sq_dist, axis=0)",
        caught_by=("numeric.matches_numpy_oracle", "behavior.predicts_original_label_values"),
    ),
    Mutant(
        "no_dimension_check",
        "    if support.shape[1] != query.shape[1]:",
        "    if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "bool_labels_taken_as_classes",
        'if y.dtype.kind not in "iuf":',
        'if y.dtype.kind not in "biuf":',
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "fractional_labels_truncated",
        '            raise ValueError("support_labels must hold whole numbers',
        '            y = np.floor(y)\n            if False:\n'
        '                raise ValueError("support_labels must hold whole numbers',
        caught_by=("behavior.bad_input_is_an_error",),
    ),
]
