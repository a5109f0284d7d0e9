"""Deliberate mutants of solutions/t34_rope.py and the checks that catch them.

Several of them keep RoPE's properties (relative position, norm, identity at 0): a rotation
with another pairing, sign or frequency split is still a rotation. Only the checks against the
stated convention catch them.
"""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        # Hugging Face's rotate_half (GPT-NeoX) pairs (i, i + D/2) where the contract says (2i, 2i+1).
        "rotate_half_pairing",
        "    cos = np.repeat(np.cos(angles), 2, axis=-1)  # c0 c0 c1 c1 ...\n"
        "    sin = np.stack([-np.sin(angles), np.sin(angles)], axis=-1).reshape(cos.shape)  # -s0 s0 -s1 s1 ...\n"
        "    pairs = tf.reshape(x, tf.concat([tf.shape(x)[:-1], [depth // 2, 2]], axis=0))\n"
        "    swapped = tf.reshape(tf.reverse(pairs, axis=[-1]), tf.shape(x))\n",
        "    cos = np.concatenate([np.cos(angles), np.cos(angles)], axis=-1)\n"
        "    sin = np.concatenate([-np.sin(angles), np.sin(angles)], axis=-1)\n"
        "    swapped = tf.concat([x[..., depth // 2:], x[..., :depth // 2]], axis=-1)\n",
        caught_by=("numeric.hand_worked_example", "numeric.matches_oracle_1d", "numeric.matches_oracle_2d"),
    ),
    Mutant(
        # theta_i = base**(-i/D): the exponent's factor 2 forgotten (frequencies decay half as fast).
        "exponent_without_factor_two",
        "return base ** (-np.arange(0, depth, 2, dtype=np.float64) / depth)",
        "return base ** (-np.arange(0, depth // 2, dtype=np.float64) / depth)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_oracle_1d", "numeric.matches_oracle_2d"),
    ),
    Mutant(
        # Rotating by -m theta (the transpose): scores then depend on n - m instead of m - n.
        "rotation_sign_flipped",
        "sin = np.stack([-np.sin(angles), np.sin(angles)], axis=-1)",
        "sin = np.stack([np.sin(angles), -np.sin(angles)], axis=-1)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_oracle_1d", "numeric.gradient_is_inverse_rotation"),
    ),
    Mutant(
        # Positions taken as 0..L-1 whatever the caller passes (breaks KV caches, packing, padding).
        "positions_replaced_by_arange",
        '    p = _positions(positions, "positions", tuple(x.shape[:-1]))\n',
        '    p = _positions(positions, "positions", tuple(x.shape[:-1]))\n'
        "    p = np.arange(x.shape[-2], dtype=np.float64)\n",
        caught_by=("numeric.hand_worked_example", "numeric.matches_oracle_1d",
                   "behavior.relative_position_property"),
    ),
    Mutant(
        # Angles computed in bfloat16 (autocast): positions above 256 are no longer distinct.
        "bfloat16_angles",
        "    cos = np.repeat(np.cos(angles), 2, axis=-1)",
        "    angles = tf.cast(tf.cast(angles, tf.bfloat16), tf.float64).numpy()\n"
        "    cos = np.repeat(np.cos(angles), 2, axis=-1)",
        caught_by=("numeric.matches_oracle_1d", "numeric.long_positions_stay_accurate"),
    ),
    Mutant(
        # float16 angles: fine at short range, broken at long positions.
        "float16_positions",
        "    p = p.astype(np.float64)\n",
        "    p = p.astype(np.float16).astype(np.float64)\n",
        caught_by=("numeric.long_positions_stay_accurate",),
    ),
    Mutant(
        # Qwen2-VL's LLM-side M-RoPE slicing of ONE spectrum (rows get the high frequencies, columns
        # the low ones) where the contract gives each axis its own copy of the spectrum.
        "rope_2d_slices_one_spectrum",
        "    theta = _inverse_frequencies(x.shape[-1] // 2, _base(base))  # the spectrum of a D/2-dim half\n"
        "    r, c = np.broadcast_arrays(r, c)\n"
        "    angles = np.concatenate([r[..., np.newaxis] * theta, c[..., np.newaxis] * theta], axis=-1)",
        "    theta = _inverse_frequencies(x.shape[-1], _base(base))\n"
        "    r, c = np.broadcast_arrays(r, c)\n"
        "    quarter = x.shape[-1] // 4\n"
        "    angles = np.concatenate([r[..., np.newaxis] * theta[:quarter], c[..., np.newaxis] * theta[quarter:]],"
        " axis=-1)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_oracle_2d"),
    ),
    Mutant(
        "rope_2d_rows_and_cols_swapped",
        "angles = np.concatenate([r[..., np.newaxis] * theta, c[..., np.newaxis] * theta], axis=-1)",
        "angles = np.concatenate([c[..., np.newaxis] * theta, r[..., np.newaxis] * theta], axis=-1)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_oracle_2d", "behavior.norm_and_identity"),
    ),
    Mutant(
        "rope_2d_rows_for_both_halves",
        "angles = np.concatenate([r[..., np.newaxis] * theta, c[..., np.newaxis] * theta], axis=-1)",
        "angles = np.concatenate([r[..., np.newaxis] * theta, r[..., np.newaxis] * theta], axis=-1)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_oracle_2d", "behavior.relative_2d_property"),
    ),
    Mutant(
        # Computing the rotation in NumPy: right values, but no gradient reaches the queries and keys.
        "numpy_not_differentiable",
        "        t = tf.convert_to_tensor(x)\n",
        "        t = tf.convert_to_tensor(np.array(x))\n",
        caught_by=("numeric.gradient_is_inverse_rotation",),
    ),
    Mutant(
        "odd_depth_not_rejected",
        "    if depth == 0 or depth % divisor:",
        "    if depth == 0:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "positions_shape_not_checked",
        "    if not fits:\n        raise ValueError(f\"{name} must broadcast",
        "    if False:\n        raise ValueError(f\"{name} must broadcast",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "nan_positions_accepted",
        "    if not np.all(np.isfinite(p)):",
        "    if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
]
