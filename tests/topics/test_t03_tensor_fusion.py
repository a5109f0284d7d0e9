"""Extra tests of the t03 reference: error messages and the bilinear-form identity."""

import numpy as np
import pytest

from solutions import tensor_fusion


def test_messages_name_what_was_expected_and_received():
    with pytest.raises(ValueError, match=r"same batch size, got 2 and 3"):
        tensor_fusion(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"text_feature must have shape \(B, D\), got shape \(3,\)"):
        tensor_fusion(np.zeros(3), np.zeros((1, 2)))
    with pytest.raises(TypeError, match=r"image_feature must be an array of numbers, got str"):
        tensor_fusion(np.zeros((1, 2)), "image")


def test_linear_layer_on_fused_features_is_bilinear_plus_unimodal_terms():
    # W . vec([t,1] x [i,1]) = t^T A i + b^T t + c^T i + d with W = [[A, b], [c^T, d]].
    rng = np.random.default_rng(0)
    t, i = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    w = rng.normal(size=(4, 3))
    a, b, c, d = w[:3, :2], w[:3, 2], w[3, :2], w[3, 2]
    want = np.einsum("ba,ac,bc->b", t, a, i) + t @ b + i @ c + d
    np.testing.assert_allclose(np.asarray(tensor_fusion(t, i)) @ w.reshape(-1), want, rtol=1e-12)


def test_zero_modality_keeps_the_other_modality():
    t = np.array([[1.0, -2.0]])
    out = np.asarray(tensor_fusion(t, np.zeros((1, 3)))).reshape(3, 4)
    np.testing.assert_array_equal(out[:2, 3], t[0])
    np.testing.assert_array_equal(out[:2, :3], 0.0)


def test_float64_is_kept_and_mixed_precision_promoted():
    assert tensor_fusion(np.zeros((1, 2)), np.zeros((1, 2))).dtype == np.float64
    assert tensor_fusion(np.zeros((1, 2), np.float32), np.zeros((1, 2))).dtype == np.float64


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

    topic = get_topic("t03_tensor_fusion")
    body = topic.section("Seed question")
    zh, en = body.split("### English")
    quoted = re.findall(r"^\*\*(题目 \d+|面试题(?: \d+)?)：\*\* (.+)$", zh, flags=re.M)
    assert [q[0] for q in quoted] == ['面试题 3'], f"expected the seed's ['面试题 3'] lines, got {quoted}"
    seed = _seed_lines()
    for label, text in quoted:
        assert f"**{label}：** {text}" in seed, f"{label} is not the seed's line, verbatim: {text!r}"
    assert en.count("**Problem") + en.count("**Interview question") == len(quoted), "one translation per quoted line"


def test_follow_ups_and_rubric():
    import re

    from autograder.topics import get_topic

    topic = get_topic("t03_tensor_fusion")
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
