"""Extra tests of the t05 reference: error messages say what was expected and received."""

import numpy as np
import pytest

from solutions import scaled_dot_product_attention


def test_mismatched_depth_message_names_both_sizes():
    with pytest.raises(ValueError, match=r"last dimension D, got 4 and 3"):
        scaled_dot_product_attention(np.zeros((1, 2, 4)), np.zeros((1, 2, 3)), np.zeros((1, 2, 1)))


def test_float_mask_message_names_dtype():
    with pytest.raises(TypeError, match=r"mask must be boolean.*float64"):
        scaled_dot_product_attention(np.zeros((2, 4)), np.zeros((3, 4)), np.zeros((3, 1)), mask=np.ones((2, 3)))


def test_gradient_matches_central_differences_in_float64():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    q, k, v = (rng.normal(size=s) for s in ((2, 3), (4, 3), (4, 2)))

    def f(qq):
        return float(np.sum(scaled_dot_product_attention(qq, k, v)[0].numpy() ** 2))

    qt = tf.constant(q)
    with tf.GradientTape() as tape:
        tape.watch(qt)
        loss = tf.reduce_sum(scaled_dot_product_attention(qt, k, v)[0] ** 2)
    grad = tape.gradient(loss, qt).numpy()
    h = 1e-6
    numeric = np.zeros_like(q)
    for idx in np.ndindex(q.shape):
        dq = np.zeros_like(q)
        dq[idx] = h
        numeric[idx] = (f(q + dq) - f(q - dq)) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


# --------------------------------------------------------------------- text (issue 11)
def _seed_lines():
    from pathlib import Path

    found = sorted((Path(__file__).resolve().parents[3] / "shared" / "seed").glob("*.txt"))
    if not found:
        import pytest

        pytest.skip("the seed bank ../shared/seed/*.txt is not on this machine")
    return found[0].read_text(encoding="utf-8").splitlines()


def test_seed_question_is_quoted_verbatim():
    import re

    from autograder.topics import get_topic

    topic = get_topic("t05_attention")
    body = topic.section("Seed question")
    zh, en = body.split("### English")
    quoted = re.findall(r"^\*\*(题目 \d+|面试题(?: \d+)?)：\*\* (.+)$", zh, flags=re.M)
    assert [q[0] for q in quoted] == ['面试题 5'], f"expected the seed's ['面试题 5'] lines, got {quoted}"
    seed = _seed_lines()
    for label, text in quoted:
        assert f"**{label}：** {text}" in seed, f"{label} is not the seed's line, verbatim: {text!r}"
    assert en.count("**Problem") + en.count("**Interview question") == len(quoted), "one translation per quoted line"


def test_follow_ups_and_rubric():
    import re

    from autograder.topics import get_topic

    topic = get_topic("t05_attention")
    counts = []
    for language in ("中文", "English"):
        block = topic.language_block("Follow-up questions", language)
        items = re.findall(r"^\d+\. \*\*(.+?)\*\* — (.+)$", block, flags=re.M)
        assert 3 <= len(items) <= 5, f"{language}: expected 3-5 follow-up questions, got {len(items)}"
        counts.append(len(items))
        points = topic.rubric(language)
        assert points, f"{language}: the rubric has no '- [P] point' lines"
        assert abs(sum(p for p, _ in points) - topic.answer_points) < 1e-9, (
            f"{language}: rubric points add up to {sum(p for p, _ in points)}, expected {topic.answer_points}"
        )
    assert counts[0] == counts[1], f"中文 and English list {counts[0]} and {counts[1]} follow-up questions"
    assert [p for p, _ in topic.rubric("中文")] == [p for p, _ in topic.rubric("English")], "rubric points differ"


def test_shapes_tensorflow_would_reject_are_value_errors_up_front():
    """Batch dims that do not broadcast and a mask that does not fit are ValueError, not InvalidArgumentError."""
    q, k, v = np.zeros((2, 3, 4)), np.zeros((3, 5, 4)), np.zeros((3, 5, 2))
    with pytest.raises(ValueError, match=r"must broadcast, got \(2,\), \(3,\) and \(3,\)"):
        scaled_dot_product_attention(q, k, v)
    with pytest.raises(ValueError, match=r"mask must broadcast to .* = \(2, 3, 5\), got shape \(4, 5\)"):
        scaled_dot_product_attention(q, k[:2], v[:2], mask=np.ones((4, 5), dtype=bool))
    out, weights = scaled_dot_product_attention(q[None], k[:1], v[:1], mask=np.ones((2, 1, 5), dtype=bool))
    assert tuple(out.shape) == (1, 2, 3, 2) and tuple(weights.shape) == (1, 2, 3, 5)
