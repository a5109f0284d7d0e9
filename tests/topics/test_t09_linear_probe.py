"""Extra tests of the t09 reference: error messages, and the Keras 3 behaviour the topic rests on."""

import keras
import numpy as np
import pytest

from solutions import build_linear_probe


def _backbone():
    inputs = keras.Input(shape=(4,))
    h = keras.layers.Dense(6)(inputs)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.Dropout(0.5)(h)
    return keras.Model(inputs, keras.layers.Dense(3, activation="relu")(h))


def test_num_classes_messages_name_the_value():
    with pytest.raises(ValueError, match=r"positive int, got 0"):
        build_linear_probe(_backbone(), 0)
    with pytest.raises(TypeError, match=r"positive int, got float 2\.5"):
        build_linear_probe(_backbone(), 2.5)
    with pytest.raises(TypeError, match=r"positive int, got bool True"):
        build_linear_probe(_backbone(), True)


def test_backbone_message_names_the_type():
    with pytest.raises(TypeError, match=r"keras Layer or Model, got NoneType"):
        build_linear_probe(None, 3)


def test_numpy_integer_num_classes_is_accepted():
    probe = build_linear_probe(_backbone(), np.int64(2))
    assert probe(np.zeros((1, 4), np.float32)).shape == (1, 2)


def test_keras3_functional_model_overrides_inner_training_false():
    """The premise of the topic: if Keras stops overriding, the topic's text must change."""
    keras.utils.set_random_seed(0)
    backbone = _backbone()
    backbone.trainable = False
    inputs = keras.Input(shape=(4,))
    functional = keras.Model(inputs, keras.layers.Dense(2)(backbone(inputs, training=False)))
    x = np.random.default_rng(0).normal(size=(32, 4)).astype(np.float32)
    assert not np.allclose(functional(x, training=True), functional(x, training=False))
    probe = build_linear_probe(backbone, 2)
    np.testing.assert_allclose(probe(x, training=True), probe(x, training=False), rtol=0, atol=0)


def test_moving_statistics_unchanged_after_fit_with_sequential_backbone():
    keras.utils.set_random_seed(1)
    backbone = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5), keras.layers.BatchNormalization(),
                                 keras.layers.Dropout(0.3), keras.layers.Dense(3)])
    before = [w.copy() for w in backbone.get_weights()]
    probe = build_linear_probe(backbone, 2)
    probe.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(1)
    probe.fit(rng.normal(3.0, 2.0, size=(32, 4)), rng.integers(0, 2, 32), epochs=2, batch_size=8, verbose=0)
    for old, new in zip(before, backbone.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


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

    topic = get_topic("t09_linear_probe")
    body = topic.section("Seed question")
    zh, en = body.split("### English")
    quoted = re.findall(r"^\*\*(题目 \d+|面试题(?: \d+)?)：\*\* (.+)$", zh, flags=re.M)
    assert [q[0] for q in quoted] == ['面试题 9'], f"expected the seed's ['面试题 9'] lines, got {quoted}"
    seed = _seed_lines()
    for label, text in quoted:
        assert f"**{label}：** {text}" in seed, f"{label} is not the seed's line, verbatim: {text!r}"
    assert en.count("**Problem") + en.count("**Interview question") == len(quoted), "one translation per quoted line"


def test_follow_ups_and_rubric():
    import re

    from autograder.topics import get_topic

    topic = get_topic("t09_linear_probe")
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
