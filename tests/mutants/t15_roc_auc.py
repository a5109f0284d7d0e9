"""Deliberate mutants of solutions/t15_roc_auc.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "ordinal_ranks_ignore_ties",
        "ranks[order] = np.repeat(run_ranks, counts)",
        "ranks[order] = np.arange(1, values.size + 1)",
        caught_by=("numeric.hand_worked_examples_with_ties", "numeric.matches_pairwise_count"),
    ),
    Mutant(
        "ties_count_as_wins",
        "run_ranks = starts + (counts + 1) / 2.0",
        "run_ranks = starts + counts",
        caught_by=("numeric.hand_worked_examples_with_ties", "numeric.matches_pairwise_count",
                   "numeric.extreme_cases"),
    ),
    Mutant(
        "ranks_in_decreasing_order",
        "rank_sum = float(np.sum(_midranks(s)[positive]))",
        "rank_sum = float(np.sum(_midranks(-s)[positive]))",
        caught_by=("numeric.hand_worked_examples_with_ties", "numeric.matches_pairwise_count"),
    ),
    Mutant(
        "off_by_one_in_u",
        "u = rank_sum - n_pos * (n_pos + 1) / 2.0",
        "u = rank_sum - n_pos * (n_pos - 1) / 2.0",
        caught_by=("numeric.hand_worked_examples_with_ties", "numeric.large_input_with_ties"),
    ),
    Mutant(
        "scores_assumed_probabilities",
        's = _as_1d_numbers(y_score, "y_score").astype(np.float64)',
        's = np.clip(_as_1d_numbers(y_score, "y_score").astype(np.float64), 0.0, 1.0)',
        caught_by=("numeric.matches_pairwise_count", "behavior.invariant_to_order_and_monotone_transforms"),
    ),
    Mutant(
        "no_single_class_check",
        "    if n_pos == 0 or n_neg == 0:",
        "    if False:",
        caught_by=("behavior.single_class_is_an_error",),
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
]
