"""Deliberate mutants of solutions/t01_class_balance.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "missing_num_classes_factor",
        "weights[present] = y.size / (num_classes * counts[present])",
        "weights[present] = y.size / counts[present]",
        caught_by=("numeric.hand_worked_inverse_frequency", "numeric.inverse_frequency_matches_formula",
                   "behavior.weights_rebalance_the_classes"),
    ),
    Mutant(
        "scaled_to_num_classes",
        "weights[present] = raw * present.sum() / raw.sum()",
        "weights[present] = raw * num_classes / raw.sum()",
        caught_by=("numeric.effective_number_matches_formula", "numeric.effective_number_limits",
                   "behavior.absent_classes_get_zero"),
    ),
    Mutant(
        "beta_power_off_by_one",
        "raw = -1.0 / np.expm1(counts[present] * np.log(float(beta)))",
        "raw = -1.0 / np.expm1((counts[present] + 1) * np.log(float(beta)))",
        caught_by=("numeric.hand_worked_effective_number", "numeric.effective_number_matches_formula"),
    ),
    Mutant(
        "no_minlength",
        "np.bincount(y, minlength=int(num_classes))",
        "np.bincount(y)",
        caught_by=("shape.trailing_absent_classes_and_one_class", "numeric.hand_worked_inverse_frequency"),
    ),
    Mutant(
        "fractional_labels_truncated",
        "        if bad.any():",
        "        if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "beta_one_allowed",
        "if not 0.0 <= beta < 1.0:",
        "if not 0.0 <= beta <= 1.0:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "two_d_labels_flattened",
        '    if y.ndim != 1:\n        raise ValueError(f"labels must be 1-D, shape (N,), got shape {y.shape}")',
        "    y = y.reshape(-1)",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "bool_labels_counted_as_integers",
        'if y.dtype.kind not in "iuf":',
        'if y.dtype.kind not in "biuf":',
        caught_by=("behavior.bad_input_is_an_error",),
    ),
]
