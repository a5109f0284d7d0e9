"""Extra tests of the t40 reference: messages, the text's bound and FLOPs figures, batching."""

import numpy as np
import pytest

from solutions import attention_output_change, prune_visual_tokens


def _softmax_rows(rng, shape):
    logits = rng.normal(size=shape)
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_keep_too_large_message_names_the_limit():
    with pytest.raises(ValueError, match=r"keep must be at most num_image_tokens = 3, got 4"):
        prune_visual_tokens(np.zeros((1, 5, 2)), np.full((1, 1, 5, 5), 0.2), 1, 3, 4)


def test_float_keep_is_a_type_error():
    with pytest.raises(TypeError, match=r"keep must be an int, got float"):
        prune_visual_tokens(np.zeros((1, 5, 2)), np.full((1, 1, 5, 5), 0.2), 1, 3, 2.0)


def test_attention_shape_message_names_both_shapes():
    with pytest.raises(ValueError, match=r"attention must have shape \(B, H, L, L\) = \(1, H >= 1, 5, 5\).*"
                                         r"got \(1, 1, 5, 4\)"):
        prune_visual_tokens(np.zeros((1, 5, 2)), np.full((1, 1, 5, 4), 0.25), 1, 3, 2)


def test_batch_rows_match_single_sample_calls():
    """No sample's ranking leaks into another's: the batch equals the samples one by one."""
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(4, 9, 3)).astype(np.float32)
    attention = _softmax_rows(rng, (4, 2, 9, 9))
    for queries in ("all", "last"):
        pruned, kept = prune_visual_tokens(hidden, attention, 2, 5, 2, queries=queries)
        for b in range(4):
            one, kept_one = prune_visual_tokens(hidden[b:b + 1], attention[b:b + 1], 2, 5, 2, queries=queries)
            assert np.array_equal(pruned[b], one[0]) and np.array_equal(kept[b], kept_one[0])


def test_change_is_bounded_by_twice_the_dropped_mass():
    """The text's bound: ||o' - o|| <= 2 m max_j ||v_j||, m = the dropped share of the last query's attention."""
    rng = np.random.default_rng(1)
    hidden = rng.normal(size=(5, 12, 6))
    w_q, w_k = rng.normal(size=(2, 6, 4))
    w_v = rng.normal(size=(6, 3))
    logits = np.einsum("bld,bd->bl", hidden @ w_k, hidden[:, -1] @ w_q) / 2.0
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    attention = np.zeros((5, 1, 12, 12))
    attention[:, 0, -1] = weights
    for keep in range(0, 9):
        pruned, kept = prune_visual_tokens(hidden, attention, 2, 8, keep, queries="last")
        dropped = np.ones((5, 12), bool)
        dropped[:, :2] = dropped[:, 10:] = False
        np.put_along_axis(dropped, kept, False, axis=1)
        mass = np.sum(weights * dropped, axis=1)
        vmax = np.max(np.linalg.norm(hidden @ w_v, axis=-1), axis=1)
        change = attention_output_change(hidden, pruned, w_q, w_k, w_v)
        assert np.all(change <= 2 * mass * vmax + 1e-12)
        if keep == 8:
            assert np.all(change == 0)


def test_flops_figures_of_the_text():
    def layer(n, d=5120, m=13824):
        return 4 * n * d**2 + 2 * n**2 * d + 2 * n * d * m

    assert round(layer(612) / 1e9, 1) == 154.6 and round(layer(324) / 1e9, 1) == 80.9
    average = (2 * layer(612) + 38 * layer(324)) / 40
    assert round(average / 1e9, 1) == 84.6
    assert 0.45 < 1 - average / layer(612) < 0.46


def test_all_query_mean_favours_early_image_tokens_under_a_causal_mask():
    """The text's claim: with uniform causal attention, earlier keys are seen by more queries."""
    length = 10
    attention = np.tril(np.ones((length, length)))
    attention /= attention.sum(axis=1, keepdims=True)
    _, kept_all = prune_visual_tokens(np.zeros((1, length, 1)), attention[None, None], 2, 6, 3)
    assert kept_all.tolist() == [[2, 3, 4]]
