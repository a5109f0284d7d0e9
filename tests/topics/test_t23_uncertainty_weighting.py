"""Extra tests of the t23 reference: messages, dtypes, central differences, Keras training."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from solutions import uncertainty_weighted_loss


def test_mismatch_message_names_both_counts():
    with pytest.raises(ValueError, match=r"one entry per task, got 3 and 2"):
        uncertainty_weighted_loss([1.0, 2.0, 3.0], [0.0, 0.0])


def test_rank_and_type_messages():
    with pytest.raises(ValueError, match=r"log_vars must have shape \(num_tasks,\), got shape \(\)"):
        uncertainty_weighted_loss([1.0], 0.0)
    with pytest.raises(TypeError, match=r"task_losses must hold real numbers, got dtype string"):
        uncertainty_weighted_loss(["a"], [0.0])
    with pytest.raises(ValueError, match=r"at least one task, got 0"):
        uncertainty_weighted_loss([], [])


def test_dtype_follows_the_inputs():
    assert uncertainty_weighted_loss(np.ones(2), np.zeros(2, np.float32)).dtype == tf.float64
    assert uncertainty_weighted_loss([1, 2], [0.0, 0.0]).dtype == tf.float32


def test_gradient_matches_central_differences_in_float64():
    rng = np.random.default_rng(0)
    losses, log_vars = rng.uniform(0.2, 3, 4), rng.uniform(-1, 1, 4)
    s = tf.Variable(log_vars)
    with tf.GradientTape() as tape:
        value = uncertainty_weighted_loss(losses, s)
    grad = tape.gradient(value, s).numpy()
    h = 1e-6

    def f(v):
        return float(uncertainty_weighted_loss(losses, v))

    numeric = np.array([(f(log_vars + h * e) - f(log_vars - h * e)) / (2 * h) for e in np.eye(4)])
    np.testing.assert_allclose(grad, numeric, rtol=1e-7, atol=1e-9)


def test_keras_optimizer_learns_log_vars_equal_to_log_losses():
    losses = np.array([0.05, 4.0])
    s = tf.Variable(np.zeros(2))
    optimizer = keras.optimizers.Adam(0.1)
    for _ in range(400):
        with tf.GradientTape() as tape:
            value = uncertainty_weighted_loss(losses, s)
        optimizer.apply_gradients([(tape.gradient(value, s), s)])
    np.testing.assert_allclose(s.numpy(), np.log(losses), atol=1e-3)


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

    topic = get_topic("t23_uncertainty_weighting")
    body = topic.section("Seed question")
    zh, en = body.split("### English")
    quoted = re.findall(r"^\*\*(题目 \d+|面试题(?: \d+)?)：\*\* (.+)$", zh, flags=re.M)
    assert [q[0] for q in quoted] == ["面试题 23"], f"expected the seed's ['面试题 23'] line, got {quoted}"
    seed = _seed_lines()
    for label, text in quoted:
        assert f"**{label}：** {text}" in seed, f"{label} is not the seed's line, verbatim: {text!r}"
    assert en.count("**Problem") + en.count("**Interview question") == len(quoted), "one translation per quoted line"


def test_follow_ups_and_rubric():
    import re

    from autograder.topics import get_topic

    topic = get_topic("t23_uncertainty_weighting")
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
