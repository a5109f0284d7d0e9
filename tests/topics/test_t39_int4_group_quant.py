"""Extra tests of the t39 reference: error messages, the error bound, the text's claims."""

import numpy as np
import pytest

from solutions import dequantize_int4_groupwise, quantize_int4_groupwise


def test_indivisible_d_in_message_names_both_numbers():
    with pytest.raises(ValueError, match=r"d_in = 6 is not a multiple of group_size = 4"):
        quantize_int4_groupwise(np.zeros((6, 2)), group_size=4)


def test_float_group_size_is_a_type_error():
    with pytest.raises(TypeError, match=r"group_size must be an int, got float"):
        quantize_int4_groupwise(np.zeros((4, 2)), group_size=2.0)


def test_symmetric_must_be_a_bool():
    with pytest.raises(TypeError, match=r"symmetric must be a bool, got int"):
        quantize_int4_groupwise(np.zeros((4, 2)), group_size=2, symmetric=1)
    assert quantize_int4_groupwise(np.ones((4, 2)), group_size=2, symmetric=np.bool_(True))["zeros"] is None


def test_scale_shape_message_names_both_shapes():
    q = np.zeros((4, 2), dtype=np.int8)
    with pytest.raises(ValueError, match=r"scales must have shape \(2, 2\).*got shape \(3, 2\)"):
        dequantize_int4_groupwise(q, np.ones((3, 2)), np.zeros((2, 2), dtype=np.int8), 2)


def test_code_range_depends_on_zeros():
    """Signed codes need zeros=None; codes 0..15 need zero points."""
    scales = np.ones((1, 1))
    with pytest.raises(ValueError, match=r"q must lie in \[0, 15\]"):
        dequantize_int4_groupwise([[-1], [3]], scales, [[8]], 2)
    with pytest.raises(ValueError, match=r"q must lie in \[-8, 7\]"):
        dequantize_int4_groupwise([[9], [3]], scales, None, 2)
    assert dequantize_int4_groupwise([[-8], [7]], scales, None, 2).tolist() == [[-8.0], [7.0]]


@pytest.mark.parametrize(("symmetric", "group_size"), [(False, 4), (False, 32), (True, 8), (True, 64)])
def test_error_bound_on_random_weights(symmetric, group_size):
    rng = np.random.default_rng(group_size)
    w = rng.standard_t(3, size=(64, 7)) * 0.05 + rng.choice([0.0, 0.2], size=(1, 7))
    out = quantize_int4_groupwise(w, group_size=group_size, symmetric=symmetric)
    deq = dequantize_int4_groupwise(out["q"], out["scales"], out["zeros"], group_size)
    step = np.repeat(out["scales"].astype(np.float64), group_size, axis=0)
    assert np.all(np.abs(deq - w) <= step / 2 * (1 + 1e-6))
    if not symmetric:  # 0 is exactly representable: the code equal to the zero point
        assert np.all((out["zeros"] >= 0) & (out["zeros"] <= 15))


def test_smaller_groups_have_smaller_error_but_more_overhead():
    """The text's trade-off: g32 beats g128 beats per-channel on heavy-tailed weights; overhead 20/G bits."""
    rng = np.random.default_rng(0)
    w = rng.standard_t(3, size=(512, 16)) * 0.02

    def mse(gs):
        out = quantize_int4_groupwise(w, group_size=gs)
        return np.mean((dequantize_int4_groupwise(out["q"], out["scales"], out["zeros"], gs) - w) ** 2)

    assert mse(32) < mse(128) < mse(512)
    assert abs(4 + 20 / 128 - 4.16) < 0.005 and 4 + 20 / 32 == 4.625


def test_awq_style_range_breaks_one_signed_groups():
    """The errata: with [min, max] and a clipped zero point, an all-positive group is squeezed to one end."""
    w = np.array([[10.0], [10.5], [11.0], [10.2]])
    lo, hi = w.min(), w.max()
    scale = (hi - lo) / 15
    zero = np.clip(np.round(-lo / scale), 0, 15)
    awq = (np.clip(np.round(w / scale) + zero, 0, 15) - zero) * scale
    assert np.max(np.abs(awq - w)) > 9
    out = quantize_int4_groupwise(w, group_size=4)
    ours = dequantize_int4_groupwise(out["q"], out["scales"], out["zeros"], 4)
    assert np.max(np.abs(ours - w)) <= out["scales"].max() / 2


def test_gptq_symmetric_convention_stays_within_half_a_step():
    """The errata's aside: scale 2 max|w| / 15 with an implicit zero point of 8."""
    w = np.array([-1.0, -0.3, 0.2, 0.9, 1.0])
    scale = 2 * np.abs(w).max() / 15
    deq = (np.clip(np.round(w / scale) + 8, 0, 15) - 8) * scale
    assert np.all(np.abs(deq - w) <= scale / 2 + 1e-12)
