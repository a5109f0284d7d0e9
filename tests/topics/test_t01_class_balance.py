"""Extra tests of the t01 reference: error messages and agreement with scikit-learn's formula."""

import numpy as np
import pytest

from solutions import class_balanced_weights


def test_messages_name_what_was_expected_and_received():
    with pytest.raises(ValueError, match=r"must not be empty, got 0 labels"):
        class_balanced_weights([], 3)
    with pytest.raises(ValueError, match=r"whole numbers, got 1.5 at index 1"):
        class_balanced_weights([0.0, 1.5], 3)
    with pytest.raises(ValueError, match=r"\[0, num_classes\) = \[0, 3\), got values from -1 to 2"):
        class_balanced_weights([-1, 2], 3)
    with pytest.raises(ValueError, match=r"beta must lie in \[0, 1\), got 1.0"):
        class_balanced_weights([0, 1], 3, beta=1.0)
    with pytest.raises(TypeError, match=r"labels must be an array of integers, got dtype <U3"):
        class_balanced_weights(["cat", "dog"], 3)
    with pytest.raises(TypeError, match=r"num_classes must be a positive int, got float"):
        class_balanced_weights([0, 1], 3.0)
    with pytest.raises(ValueError, match=r"num_classes must be a positive int, got 0"):
        class_balanced_weights([0, 1], 0)


def test_inverse_frequency_equals_sklearn_balanced_formula():
    # scikit-learn's compute_class_weight("balanced") is n_samples / (n_classes * bincount(y)).
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, size=300)
    want = len(y) / (5 * np.bincount(y, minlength=5))
    np.testing.assert_allclose(class_balanced_weights(y, 5), want, rtol=1e-12)


def test_beta_close_to_one_keeps_precision():
    y = np.array([0] * 3 + [1] * 1)
    w = class_balanced_weights(y, 2, beta=1.0 - 1e-15)
    # limit: 1/n normalised -> [1/3, 1] * 2 / (4/3) = [0.5, 1.5]
    np.testing.assert_allclose(w, [0.5, 1.5], rtol=1e-6)


def test_weighted_loss_gives_each_class_the_same_total_weight():
    y = np.array([0] * 90 + [1] * 9 + [2] * 1)
    w = class_balanced_weights(y, 3)
    totals = np.bincount(y, weights=w[y], minlength=3)
    np.testing.assert_allclose(totals, [len(y) / 3] * 3)
    assert np.isclose(w[y].mean(), 1.0)


def test_column_of_labels_is_flattened():
    np.testing.assert_allclose(class_balanced_weights(np.array([[0], [1], [1]]), 2), [1.5, 0.75])


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

    topic = get_topic("t01_class_balance")
    body = topic.section("Seed question")
    zh, en = body.split("### English")
    quoted = re.findall(r"^\*\*(题目 \d+|面试题(?: \d+)?)：\*\* (.+)$", zh, flags=re.M)
    assert [q[0] for q in quoted] == ['面试题'], f"expected the seed's ['面试题'] lines, got {quoted}"
    seed = _seed_lines()
    for label, text in quoted:
        assert f"**{label}：** {text}" in seed, f"{label} is not the seed's line, verbatim: {text!r}"
    assert en.count("**Problem") + en.count("**Interview question") == len(quoted), "one translation per quoted line"


def test_follow_ups_and_rubric():
    import re

    from autograder.topics import get_topic

    topic = get_topic("t01_class_balance")
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
