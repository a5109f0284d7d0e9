"""Deliberate mutants of solutions/t39_int4_group_quant.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        # PyTorch code does w.reshape(-1, group_size) on a (d_out, d_in) weight; on a Keras
        # (d_in, d_out) kernel the same row-major reshape groups consecutive outputs instead.
        "groups_along_d_out",
        "    groups = a.reshape(d_in // gs, gs, d_out)  # groups[g, i, j] = w[g * gs + i, j]\n",
        "    groups = a.reshape(d_in // gs, d_out, gs).transpose(0, 2, 1)\n",
        caught_by=("numeric.hand_worked_example", "numeric.matches_groupwise_formula",
                   "numeric.error_within_half_a_step"),
    ),
    Mutant(
        # AWQ's pseudo-quantizer: the range is [min, max] without 0, so the zero point is clipped
        # for one-signed groups and their values are clipped to the wrong end of the grid.
        "range_without_zero",
        "        lo = np.minimum(groups.min(axis=1), 0.0)\n        hi = np.maximum(groups.max(axis=1), 0.0)\n",
        "        lo = groups.min(axis=1)\n        hi = groups.max(axis=1)\n",
        caught_by=("numeric.hand_worked_example", "numeric.matches_groupwise_formula",
                   "numeric.error_within_half_a_step", "behavior.zero_and_constant_groups"),
    ),
    Mutant(
        "sixteen_levels_scale_over_16",
        "scales = _positive_float32_scales((hi - lo) / 15.0)",
        "scales = _positive_float32_scales((hi - lo) / 16.0)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_groupwise_formula",
                   "behavior.representable_values_round_trip_exactly"),
    ),
    Mutant(
        "truncate_instead_of_round",
        "np.clip(np.round(groups / s64[:, None, :]) + zero[:, None, :], 0, 15)",
        "np.clip(np.trunc(groups / s64[:, None, :]) + zero[:, None, :], 0, 15)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_groupwise_formula",
                   "numeric.error_within_half_a_step"),
    ),
    Mutant(
        "zero_point_truncated",
        "zero = np.clip(np.round(-lo / s64), 0, 15)",
        "zero = np.clip(np.trunc(-lo / s64), 0, 15)",
        caught_by=("numeric.matches_groupwise_formula", "numeric.error_within_half_a_step"),
    ),
    Mutant(
        "per_tensor_range",
        "        lo = np.minimum(groups.min(axis=1), 0.0)\n        hi = np.maximum(groups.max(axis=1), 0.0)\n",
        "        lo = np.minimum(np.full(groups.shape[::2], a.min()), 0.0)\n"
        "        hi = np.maximum(np.full(groups.shape[::2], a.max()), 0.0)\n",
        caught_by=("behavior.groupwise_beats_per_tensor_on_outliers", "numeric.matches_groupwise_formula"),
    ),
    Mutant(
        "symmetric_scale_over_8",
        "np.max(np.abs(groups), axis=1) / 7.0",
        "np.max(np.abs(groups), axis=1) / 8.0",
        caught_by=("numeric.symmetric_matches_formula", "numeric.error_within_half_a_step"),
    ),
    Mutant(
        # np.tile repeats the whole scale matrix: row i gets group i % G instead of i // group_size
        "dequantize_tile_not_repeat",
        "    return levels.astype(np.float32) * np.repeat(s, gs, axis=0)",
        "    return levels.astype(np.float32) * np.tile(s, (gs, 1))",
        caught_by=("numeric.hand_worked_example", "numeric.dequantize_matches_formula"),
    ),
    Mutant(
        "dequantize_ignores_zero_point",
        "        levels = codes - np.repeat(z, gs, axis=0)  # row i uses group i // gs",
        "        levels = codes",
        caught_by=("numeric.hand_worked_example", "numeric.dequantize_matches_formula",
                   "numeric.error_within_half_a_step"),
    ),
    Mutant(
        "zero_group_scale_zero",
        "return np.where(scales > 0, scales, np.float32(1.0)).astype(np.float32)",
        "return np.where(scales > 0, scales, np.float32(1e-8)).astype(np.float32)",
        caught_by=("numeric.hand_worked_example", "behavior.zero_and_constant_groups"),
    ),
    Mutant(
        "code_range_not_checked",
        "    if a.size and (a.min() < low or a.max() > high):",
        "    if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "symmetric_flag_not_checked",
        "    if not isinstance(symmetric, (bool, np.bool_)):",
        "    if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
]
