"""Extra tests of the t35 reference: messages, dtypes, and the cache grown over many steps."""

import numpy as np
import pytest

from solutions import gqa_decode_step


def _zeros(b=1, hq=4, hkv=2, t=2, d=3):
    return (np.zeros((b, hq, 1, d)), np.zeros((b, hkv, 1, d)), np.zeros((b, hkv, 1, d)),
            np.zeros((b, hkv, t, d)), np.zeros((b, hkv, t, d)))


def test_group_message_names_both_head_counts():
    q, k, v, kc, vc = _zeros(hq=6, hkv=4)
    with pytest.raises(ValueError, match=r"multiple of the number of KV heads, got Hq = 6 and Hkv = 4"):
        gqa_decode_step(q, k, v, kc, vc)


def test_cache_message_names_expected_and_received_shapes():
    q, k, v, kc, vc = _zeros()
    expected = r"v_cache must have shape \(B, Hkv, T, D\) = \(1, 2, 2, 3\), got \(1, 2, 1, 3\)"
    with pytest.raises(ValueError, match=expected):
        gqa_decode_step(q, k, v, kc, vc[:, :, :1])


def test_dtypes_lists_and_integers():
    q, k, v, kc, vc = _zeros()
    out, k2, v2 = gqa_decode_step(q.tolist(), k.astype(np.int32), v, kc, vc)
    assert out.dtype.name == k2.dtype.name == v2.dtype.name == "float32"
    out, k2, _ = gqa_decode_step(q, k, v, kc, vc)
    assert out.dtype.name == k2.dtype.name == "float64"


def test_long_decode_with_mqa_keeps_every_token():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(2, 3, 40, 4))
    k = rng.normal(size=(2, 1, 40, 4))
    v = rng.normal(size=(2, 1, 40, 4))
    kc, vc = k[:, :, :0], v[:, :, :0]
    outs = []
    for t in range(40):
        out, kc, vc = gqa_decode_step(q[:, :, t:t + 1], k[:, :, t:t + 1], v[:, :, t:t + 1], kc, vc)
        outs.append(out.numpy())
    np.testing.assert_array_equal(kc.numpy(), k)
    logits = q @ np.swapaxes(np.repeat(k, 3, axis=1), -1, -2) / 2.0
    logits = np.where(np.tril(np.ones((40, 40), bool)), logits, -np.inf)
    w = np.exp(logits - logits.max(-1, keepdims=True))
    want = (w / w.sum(-1, keepdims=True)) @ np.repeat(v, 3, axis=1)
    np.testing.assert_allclose(np.concatenate(outs, axis=2), want, rtol=1e-10, atol=1e-12)
