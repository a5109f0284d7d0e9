"""Extra tests of the t31 reference: agreement with Keras's own loss, messages, dtypes, PyTorch's layout."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from solutions import MlpProjector, masked_next_token_loss


def _batch(seed=0, b=3, length=7, vocab=11):
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 2.0, size=(b, length, vocab))
    labels = rng.integers(0, vocab, size=(b, length))
    labels[:, :2] = -100  # prompt
    labels[1, 5:] = -100  # padding
    return logits, labels


def test_token_reduction_equals_keras_ignore_class():
    logits, labels = _batch()
    keras_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-100)
    want = float(keras_loss(labels, logits.astype(np.float32)))
    got = masked_next_token_loss(logits, labels)
    assert got.dtype == tf.float64
    np.testing.assert_allclose(float(got), want, rtol=1e-6)


def test_shifting_input_ids_gives_the_aligned_labels_of_hugging_face():
    # HF: loss(logits[:, :-1], input_ids[:, 1:]); here the caller passes aligned labels.
    logits, _ = _batch(1, b=2, length=6, vocab=5)
    input_ids = np.array([[1, 2, 3, 4, 0, 2], [3, 3, 1, 0, 4, 4]])
    answer_starts = np.array([3, 2])  # input positions where the answer begins
    labels = np.full((2, 6), -100)
    labels[:, :-1] = input_ids[:, 1:]
    targets_in_prompt = np.arange(1, 6)[None, :] < answer_starts[:, None]
    labels[:, :-1][targets_in_prompt] = -100
    per_pos = -tf.nn.log_softmax(logits[:, :-1], axis=-1).numpy()
    picked = np.take_along_axis(per_pos, input_ids[:, 1:, None], axis=-1)[..., 0]
    keep = ~targets_in_prompt
    np.testing.assert_allclose(float(masked_next_token_loss(logits, labels)), picked[keep].mean(), rtol=1e-12)


def test_sample_reduction_ignores_empty_samples_and_weighs_samples_equally():
    logits, labels = _batch(2)
    labels[2] = -100
    one = masked_next_token_loss(logits[:1], labels[:1], reduction="sample")
    two = masked_next_token_loss(logits[1:2], labels[1:2], reduction="sample")
    both = masked_next_token_loss(logits, labels, reduction="sample")
    np.testing.assert_allclose(float(both), (float(one) + float(two)) / 2, rtol=1e-12)


def test_messages_name_what_was_expected_and_received():
    logits, labels = _batch()
    bad = labels.copy()
    bad[0, 3] = 11
    with pytest.raises(ValueError, match=r"labels must be in \[0, V\) = \[0, 11\) or equal ignore_index = -100"):
        masked_next_token_loss(logits, bad)
    with pytest.raises(ValueError, match=r"labels must have shape \(B, L\) = \(3, 7\) like logits, got shape \(3, 6\)"):
        masked_next_token_loss(logits, labels[:, :6])
    with pytest.raises(ValueError, match=r"reduction must be 'token' or 'sample', got 'mean'"):
        masked_next_token_loss(logits, labels, reduction="mean")
    with pytest.raises(TypeError, match=r"ignore_index must be an int, got float"):
        masked_next_token_loss(logits, labels, ignore_index=-100.0)
    with pytest.raises(TypeError, match=r"llm_dim must be a positive int, got bool"):
        MlpProjector(True)


def test_projector_runs_in_float64_and_has_llava_parameter_count():
    layer = MlpProjector(6, dtype="float64")
    out = layer(np.ones((1, 3, 4)))
    assert out.dtype == tf.float64
    assert all(v.dtype == "float64" for v in layer.trainable_variables)
    assert layer.count_params() == 4 * 6 + 6 + 6 * 6 + 6
    # LLaVA-1.5 7B: CLIP ViT-L width 1024 -> Vicuna-7B width 4096: about 21M parameters.
    assert 1024 * 4096 + 4096 + 4096 * 4096 + 4096 == 20_979_712
