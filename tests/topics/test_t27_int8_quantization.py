"""Extra tests of the t27 reference: error messages, round-trip properties, rounding rule."""

import numpy as np
import pytest

from solutions import dequantize_int8, quantize_int8


def test_string_message_names_type():
    with pytest.raises(TypeError, match=r"weights must be an array of numbers, got str"):
        quantize_int8("weights")


def test_scalar_message_says_a_channel_axis_is_needed():
    with pytest.raises(ValueError, match=r"at least one axis.*got a scalar"):
        quantize_int8(3.0)


def test_axis_out_of_range_message_names_range_and_value():
    with pytest.raises(ValueError, match=r"axis must be in \[-2, 1\] for weights of rank 2, got 2"):
        quantize_int8(np.ones((3, 4)), axis=2)


def test_nan_message():
    with pytest.raises(ValueError, match=r"weights must be finite, got NaN or inf"):
        quantize_int8([[1.0, np.nan]])


def test_scale_length_message_names_both_shapes():
    with pytest.raises(ValueError, match=r"scale must have shape \(4,\).*got shape \(1,\)"):
        dequantize_int8(np.zeros((3, 4), dtype=np.int8), [1.0])


def test_float_codes_are_a_type_error():
    with pytest.raises(TypeError, match=r"q must hold integers.*float64"):
        dequantize_int8(np.zeros((3, 4)), np.ones(4))


def test_round_half_to_even_is_documented_behaviour():
    q, scale = quantize_int8([[127.0], [0.5], [1.5], [2.5], [-0.5], [-1.5]])
    assert scale.tolist() == [1.0]
    assert q[:, 0].tolist() == [127, 0, 2, 2, 0, -2]


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_round_trip_error_bound_on_random_kernels(axis):
    rng = np.random.default_rng(axis + 10)
    w = rng.normal(size=(4, 5, 6)) * rng.uniform(0.01, 10.0)
    q, scale = quantize_int8(w, axis=axis)
    deq = dequantize_int8(q, scale, axis=axis)
    bshape = [1, 1, 1]
    bshape[axis] = -1
    assert np.all(np.abs(deq - w) <= scale.reshape(bshape) / 2 * (1 + 1e-5))
    assert q.min() >= -127 and q.max() <= 127
    # each channel's largest |w| maps to exactly +-127
    assert np.all(np.max(np.abs(np.moveaxis(q, axis, 0).reshape(w.shape[axis], -1)), axis=1) == 127)


def test_keras_variable_is_accepted():
    import keras

    layer = keras.layers.Dense(3)
    layer.build((None, 4))
    q, scale = quantize_int8(layer.kernel)
    assert q.shape == (4, 3) and scale.shape == (3,)


def test_truncation_error_is_strictly_below_one_step():
    """The text's claim: truncating w / s (astype) can be off by almost s, never by s; rounding by at most s / 2."""
    import numpy as np

    w = np.array([[0.999, -0.999, 127.0]], dtype=np.float64).T  # one channel, s = 1
    s = np.abs(w).max() / 127
    truncated = (w / s).astype(np.int8) * s
    rounded = np.round(w / s) * s
    assert np.max(np.abs(truncated - w)) > 0.99 * s and np.all(np.abs(truncated - w) < s)
    assert np.all(np.abs(rounded - w) <= s / 2)
    assert np.dtype(np.int8).itemsize * 2 == np.dtype(np.float16).itemsize  # int8 halves an FP16 model
