"""Plain data on the wire: JSON, with numeric arrays as raw bytes (never pickle).

What crosses from a sandbox to the trusted process is only what :func:`decode` accepts:
``None``, ``bool``, ``int``, ``float``, ``str``, lists, dicts with string keys and numeric
NumPy arrays rebuilt with ``np.frombuffer``. Anything else is rejected, so no student
object (and no student ``__eq__``) ever exists on the trusted side.
"""

from __future__ import annotations

import base64
import json
import struct
from typing import Any, BinaryIO

import numpy as np

ARRAY_KEY = "__ndarray__"
MAX_DEPTH = 10
MAX_ARRAY_BYTES = 64 * 1024 * 1024
HEADER = struct.Struct(">I")  # every frame of every channel: a 4-byte big-endian length, then the payload
# A sandboxed child's four pipes, in the order the worker passes them: the text it sends while the
# grader reads it as text, its stdout/stderr, the hidden probes (the grader writes them once the
# visible part is over), the hidden part's plain data.
CHANNELS = ("text", "output", "probes", "data")


from autograder.errors import WireError  # noqa: E402 - re-exported: the channels' one error


def _to_json(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        array = np.array(value, order="C", copy=True)  # ascontiguousarray would make 0-d arrays 1-d
        return {ARRAY_KEY: [array.dtype.str, list(array.shape), base64.b64encode(array.tobytes()).decode()]}
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    return value


def encode(value: Any) -> bytes:
    """Serialise plain data (as produced by ``runtime.plain``) to bytes."""
    return json.dumps(_to_json(value), allow_nan=True).encode()


def _array(spec: Any) -> np.ndarray:
    if type(spec) is not list or len(spec) != 3:
        raise WireError("malformed array")
    dtype_str, shape, data = spec
    if type(dtype_str) is not str or type(shape) is not list or type(data) is not str:
        raise WireError("malformed array")
    try:
        dtype = np.dtype(dtype_str)
    except TypeError as exc:
        raise WireError(f"unknown dtype {dtype_str!r}") from exc
    if dtype.kind not in "biuf" or dtype.hasobject:
        raise WireError(f"array dtype {dtype} is not numeric")
    if not all(type(n) is int and n >= 0 for n in shape):
        raise WireError("malformed array shape")
    raw = base64.b64decode(data.encode(), validate=True)
    if len(raw) > MAX_ARRAY_BYTES or len(raw) != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
        raise WireError("array data does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _from_json(value: Any, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise WireError("data nested too deeply")
    kind = type(value)
    if kind in (type(None), bool, int, float, str):
        return value
    if kind is list:
        return [_from_json(v, depth + 1) for v in value]
    if kind is dict:
        if set(value) == {ARRAY_KEY}:
            return _array(value[ARRAY_KEY])
        return {k: _from_json(v, depth + 1) for k, v in value.items()}
    raise WireError(f"unexpected {kind.__name__}")


def decode(data: bytes | str) -> Any:
    """Parse bytes produced by :func:`encode` back into plain data, validating every node."""
    try:
        parsed = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WireError(f"not JSON: {exc}") from None
    return _from_json(parsed)


def frame(payload: bytes) -> bytes:
    """The one framing of every channel: a 4-byte big-endian length, then the payload."""
    return HEADER.pack(len(payload)) + payload


def write_frame(stream: BinaryIO | int, payload: bytes) -> None:
    """Write one length-prefixed frame to a file object or a file descriptor."""
    blob = frame(payload)
    if isinstance(stream, int):
        import os

        view = memoryview(blob)
        while view:
            view = view[os.write(stream, view):]
    else:
        stream.write(blob)
        stream.flush()


def split_frames(buffer: bytes, limit: int, limit_count: int | None = None) -> tuple[list[bytes], bytes]:
    """Split complete frames (at most ``limit_count``) off ``buffer``; return them and the rest."""
    frames = []
    while len(buffer) >= HEADER.size and (limit_count is None or len(frames) < limit_count):
        (size,) = HEADER.unpack_from(buffer)
        if size > limit:
            raise WireError(f"frame of {size} bytes exceeds the limit of {limit}")
        if len(buffer) < HEADER.size + size:
            break
        frames.append(buffer[HEADER.size:HEADER.size + size])
        buffer = buffer[HEADER.size + size:]
    return frames, buffer


# ------------------------------------------------------------ grader <-> warm worker
# Both ends are trusted. A message is one marker byte (carrying descriptors, if any, as
# SCM_RIGHTS) and one length-prefixed JSON frame, over a Unix stream socket.
def send_message(sock, message: Any, fds: list[int] | tuple[int, ...] = ()) -> None:
    """Send ``message`` (JSON) and pass ``fds`` to the peer."""
    import socket

    socket.send_fds(sock, [b"M"], list(fds)) if fds else sock.sendall(b"M")
    sock.sendall(frame(json.dumps(message).encode()))


def recv_exact(sock, size: int) -> bytes:
    """Exactly ``size`` bytes from a stream socket; ``EOFError`` if the peer closes first."""
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise EOFError("peer closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def recv_message(sock, max_fds: int = 4) -> tuple[Any, list[int]]:
    """Receive one message sent by :func:`send_message`: ``(message, descriptors)``."""
    import socket

    marker, fds, _, _ = socket.recv_fds(sock, 1, max_fds)
    if marker != b"M":
        for fd in fds:
            import os

            os.close(fd)
        raise EOFError("peer closed the connection" if not marker else "malformed message")
    return json.loads(recv_frame(sock)), fds


def recv_frame(sock, limit: int | None = None) -> bytes:
    """One frame's payload from a stream socket (``WireError`` when it exceeds ``limit``)."""
    (size,) = HEADER.unpack(recv_exact(sock, HEADER.size))
    if limit is not None and size > limit:
        raise WireError(f"frame of {size} bytes exceeds the limit of {limit}")
    return recv_exact(sock, size)
