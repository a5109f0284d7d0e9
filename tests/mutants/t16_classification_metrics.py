"""Deliberate mutants of solutions/t16_classification_metrics.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "strict_threshold",
        "predicted = p >= threshold",
        "predicted = p > threshold",
        caught_by=("numeric.hand_worked_example", "behavior.score_equal_to_threshold_is_positive"),
    ),
    Mutant(
        "threshold_ignored",
        "predicted = p >= threshold",
        "predicted = p >= 0.5",
        caught_by=("numeric.matches_counts_at_custom_threshold", "numeric.extreme_thresholds"),
    ),
    Mutant(
        "precision_over_actual_positives",
        "precision = _ratio(tp, tp + fp)",
        "precision = _ratio(tp, tp + fn)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_counts_at_custom_threshold"),
    ),
    Mutant(
        "f1_arithmetic_mean",
        '"f1": _ratio(2 * precision * recall, precision + recall)',
        '"f1": (precision + recall) / 2',
        caught_by=("numeric.hand_worked_example", "numeric.matches_counts_at_custom_threshold"),
    ),
    Mutant(
        "nan_for_zero_denominator",
        "    return 0.0 if den == 0 else float(num) / float(den)",
        "    return float(np.float64(num) / np.float64(den))",
        caught_by=("behavior.zero_denominators_give_zero", "shape.accepts_lists_tensors_columns_and_empty"),
    ),
    Mutant(
        "accuracy_counts_only_positives",
        '"accuracy": _ratio(tp + tn, y.size)',
        '"accuracy": _ratio(tp, y.size)',
        caught_by=("numeric.hand_worked_example", "behavior.zero_denominators_give_zero"),
    ),
    Mutant(
        "no_label_check",
        "    if np.any(bad):",
        "    if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "bool_labels_accepted",
        '    if y.dtype.kind == "b":\n        raise TypeError(',
        '    if False:\n        raise TypeError(',
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "probability_column_broadcast_against_labels",
        '    p = _as_samples(y_prob, "y_prob")\n    if y.shape != p.shape:',
        '    p = np.asarray(y_prob, dtype=np.float64) if np.ndim(y_prob) == 2 else _as_samples(y_prob, "y_prob")\n'
        '    if y.size != p.size:',
        caught_by=("shape.accepts_lists_tensors_columns_and_empty",),
    ),
]
