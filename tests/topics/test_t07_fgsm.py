"""Extra tests of the t07 reference: error messages, and agreement with a numerical gradient."""

import numpy as np
import pytest
import tensorflow as tf

from solutions import fgsm_perturbation


def _loss(x):
    return tf.reduce_sum(tf.sin(x) * x**2)


def test_negative_epsilon_message_names_the_value():
    with pytest.raises(ValueError, match=r"epsilon must be a finite number >= 0, got -0\.5"):
        fgsm_perturbation(_loss, np.ones(3), -0.5)


def test_non_numeric_epsilon_message_names_the_type():
    with pytest.raises(TypeError, match=r"epsilon must be a real number, got str"):
        fgsm_perturbation(_loss, np.ones(3), "0.1")


def test_non_callable_loss_message():
    with pytest.raises(TypeError, match=r"loss_fn must be callable, got float"):
        fgsm_perturbation(1.0, np.ones(3), 0.1)


def test_vector_loss_message_names_the_shape():
    with pytest.raises(ValueError, match=r"loss_fn must return a scalar, got a tensor of shape \(3,\)"):
        fgsm_perturbation(tf.square, np.ones(3), 0.1)


def test_loss_without_tensorflow_ops_is_reported():
    with pytest.raises(ValueError, match=r"does not depend on x"):
        fgsm_perturbation(lambda x: tf.constant(float(np.sum(x.numpy()))), np.ones(3), 0.1)


def test_sign_matches_central_differences_in_float64():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 3))
    h = 1e-6
    numeric = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        dx = np.zeros_like(x)
        dx[idx] = h
        numeric[idx] = (float(_loss(tf.constant(x + dx))) - float(_loss(tf.constant(x - dx)))) / (2 * h)
    assert np.min(np.abs(numeric)) > 1e-3
    out = fgsm_perturbation(_loss, x, 0.05).numpy()
    np.testing.assert_array_equal(out, x + 0.05 * np.sign(numeric))


def test_integer_input_becomes_float32():
    out = fgsm_perturbation(lambda x: tf.reduce_sum(x), [[1, 2]], 0.5)
    assert out.dtype == tf.float32
    np.testing.assert_array_equal(out.numpy(), [[1.5, 2.5]])


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

    topic = get_topic("t07_fgsm")
    body = topic.section("Seed question")
    zh, en = body.split("### English")
    quoted = re.findall(r"^\*\*(题目 \d+|面试题(?: \d+)?)：\*\* (.+)$", zh, flags=re.M)
    assert [q[0] for q in quoted] == ['面试题 7'], f"expected the seed's ['面试题 7'] lines, got {quoted}"
    seed = _seed_lines()
    for label, text in quoted:
        assert f"**{label}：** {text}" in seed, f"{label} is not the seed's line, verbatim: {text!r}"
    assert en.count("**Problem") + en.count("**Interview question") == len(quoted), "one translation per quoted line"


def test_follow_ups_and_rubric():
    import re

    from autograder.topics import get_topic

    topic = get_topic("t07_fgsm")
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
