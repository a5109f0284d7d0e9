"""The wire format: plain data round-trips exactly; anything else is rejected."""

import numpy as np
import pytest

from autograder.engine import wire


@pytest.mark.parametrize("value", [
    np.array(1.5), np.arange(6, dtype=np.int8).reshape(2, 3), np.zeros((0, 3)),
    np.array([True, False]), np.array(np.nan), np.float32([1e30, -np.inf]),
])
def test_arrays_round_trip_with_shape_and_dtype(value):
    back = wire.decode(wire.encode({"x": value}))["x"]
    assert type(back) is np.ndarray and back.shape == value.shape and back.dtype == value.dtype
    np.testing.assert_array_equal(back, value)


def test_scalars_strings_lists_and_dicts_round_trip():
    data = {"a": 1, "b": 2.5, "c": "text", "d": None, "e": True, "f": [1, "x", {"g": 3}]}
    assert wire.decode(wire.encode(data)) == data


@pytest.mark.parametrize("payload", [
    b'{"x": {"__ndarray__": ["|O", [1], "AAAAAAAAAAA="]}}',
    b'{"x": {"__ndarray__": ["<f8", [2], "AAAAAAAAAAA="]}}',
    b'{"x": {"__ndarray__": ["<f8", [-1], ""]}}',
    b'not json',
])
def test_malformed_or_object_data_is_rejected(payload):
    with pytest.raises(wire.WireError):
        wire.decode(payload)


def test_frames_split_and_oversized_frames_are_rejected():
    import io

    buf = io.BytesIO()
    wire.write_frame(buf, b"one")
    wire.write_frame(buf, b"two")
    frames, rest = wire.split_frames(buf.getvalue() + b"\x00\x00", limit=10)
    assert frames == [b"one", b"two"] and rest == b"\x00\x00"
    with pytest.raises(wire.WireError):
        wire.split_frames(b"\x7f\xff\xff\xffxx", limit=10)
