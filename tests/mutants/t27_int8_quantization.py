"""Deliberate mutants of solutions/t27_int8_quantization.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "per_tensor_scale",
        "    amax = np.max(np.abs(w), axis=reduce_axes, initial=0.0)\n",
        "    amax = np.full(w.shape[ax], np.max(np.abs(w), initial=0.0))\n",
        caught_by=("numeric.matches_per_channel_formula", "numeric.reconstruction_error_within_half_a_step",
                   "numeric.channels_along_axis_zero"),
    ),
    Mutant(
        "scale_max_over_128",
        "scale = (amax / 127.0).astype(np.float32)",
        "scale = (amax / 128.0).astype(np.float32)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_per_channel_formula",
                   "numeric.reconstruction_error_within_half_a_step"),
    ),
    Mutant(
        "truncate_instead_of_round",
        "np.clip(np.round(ratio), -127, 127)",
        "np.clip(np.trunc(ratio), -127, 127)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_per_channel_formula",
                   "numeric.reconstruction_error_within_half_a_step"),
    ),
    Mutant(
        "axis_ignored",
        "    ax = _channel_axis(w.ndim, axis, \"weights\")\n",
        "    ax = _channel_axis(w.ndim, -1, \"weights\")\n",
        caught_by=("shape.output_shapes_and_dtypes", "numeric.channels_along_axis_zero"),
    ),
    Mutant(
        "full_range_clip_minus_128",
        "    q = np.clip(np.round(ratio), -127, 127).astype(np.int8)",
        "    ratio = ratio * (127.5 / 127.0)\n    q = np.clip(np.round(ratio), -128, 127).astype(np.int8)",
        caught_by=("behavior.symmetric_range_never_uses_minus_128", "numeric.matches_per_channel_formula"),
    ),
    Mutant(
        "zero_channel_scale_zero",
        "scale = np.where(scale > 0, scale, np.float32(1.0)).astype(np.float32)",
        "scale = scale.astype(np.float32)",
        caught_by=("behavior.zero_channel_is_finite",),
    ),
    Mutant(
        "dequantize_wrong_axis",
        "    return qa.astype(np.float32) * s.reshape(_channel_shape(qa.ndim, ax))",
        "    return qa.astype(np.float32) * s.reshape(_channel_shape(qa.ndim, -1))",
        caught_by=("shape.output_shapes_and_dtypes", "numeric.channels_along_axis_zero"),
    ),
    Mutant(
        "scale_length_not_checked",
        "    if s.shape != (qa.shape[ax],):",
        "    if s.size not in (1, qa.shape[ax]):",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
]
