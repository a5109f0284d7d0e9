"""Extra tests of the t18 reference: agreement with model.fit, error messages."""

import keras
import numpy as np
import pytest

from solutions import train_model


def _linear_model(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    return model


def test_full_batch_training_matches_model_fit():
    # With one batch per epoch the order of the samples does not matter, so the custom loop
    # and Keras' own fit must agree on the weights and on the per-epoch loss.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=16)
    ours, history = train_model(_linear_model(1), x, y, epochs=4, batch_size=32, learning_rate=0.03, seed=0)
    theirs = _linear_model(1)
    theirs.compile(optimizer=keras.optimizers.Adam(0.03),
                   loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    fit = theirs.fit(x, y, batch_size=32, epochs=4, shuffle=False, verbose=0)
    np.testing.assert_allclose(history, fit.history["loss"], rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_history_is_sample_weighted_when_the_learning_rate_is_negligible():
    # With a negligible step every batch sees the initial weights, so the epoch loss must be
    # the plain mean of the per-sample losses whatever the batching.
    rng = np.random.default_rng(1)
    x = rng.normal(size=(10, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=10)
    model = _linear_model(2)
    per_sample = keras.losses.sparse_categorical_crossentropy(y, model(x), from_logits=True).numpy()
    _, history = train_model(model, x, y, epochs=1, batch_size=4, learning_rate=1e-12, seed=0)
    assert history[0] == pytest.approx(float(np.mean(per_sample)), rel=1e-6)


def test_label_count_mismatch_message():
    with pytest.raises(ValueError, match=r"train_label must have shape \(6,\).*got \(5,\)"):
        train_model(_linear_model(0), np.zeros((6, 4)), np.zeros(5, dtype=int), 1, 2, 0.1)


def test_label_out_of_range_message_names_the_class():
    with pytest.raises(ValueError, match=r"class 3 but the model gives 3 logits"):
        train_model(_linear_model(0), np.zeros((4, 4)), np.array([0, 1, 2, 3]), 1, 2, 0.1)


def test_bad_batch_size_messages():
    with pytest.raises(ValueError, match=r"batch_size must be >= 1, got 0"):
        train_model(_linear_model(0), np.zeros((4, 4)), np.zeros(4, dtype=int), 1, 0, 0.1)
    with pytest.raises(TypeError, match=r"batch_size must be an integer, got float"):
        train_model(_linear_model(0), np.zeros((4, 4)), np.zeros(4, dtype=int), 1, 2.0, 0.1)


def test_not_a_model_is_a_type_error():
    with pytest.raises(TypeError, match=r"model must be a Keras model, got function"):
        train_model(lambda t: t, np.zeros((4, 4)), np.zeros(4, dtype=int), 1, 2, 0.1)


def test_zero_learning_rate_keeps_the_weights_and_reports_the_model_evaluate_loss():
    # Issue 10 item 4: learning_rate=0 is Keras's own no-op step; the history must still hold
    # the loss, which with unchanged weights is what model.evaluate reports for every epoch.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(12, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=12)
    model = _linear_model(2)
    before = [w.copy() for w in model.get_weights()]
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    want = model.evaluate(x, y, batch_size=12, verbose=0)
    _, history = train_model(model, x, y, epochs=2, batch_size=5, learning_rate=0.0, seed=1)
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(history, [want, want], rtol=1e-5)


@pytest.mark.parametrize("rate", [-0.01, float("nan"), float("inf")])
def test_negative_and_non_finite_learning_rates_are_value_errors(rate):
    x, y = np.ones((4, 4), np.float32), np.zeros(4, np.int64)
    with pytest.raises(ValueError, match=r"learning_rate must be a finite number >= 0"):
        train_model(_linear_model(0), x, y, epochs=1, batch_size=2, learning_rate=rate)
