"""Extra tests of the t33 reference: Keras' own LoRA as a cross-check, messages, training, symbolic use."""

import keras
import numpy as np
import pytest

from solutions import LoRADense


def _dense(d_in, units, seed):
    keras.utils.set_random_seed(seed)
    dense = keras.layers.Dense(units)
    dense(np.zeros((1, d_in), np.float32))
    dense.bias.assign(np.random.default_rng(seed).normal(size=units).astype(np.float32))
    return dense


def test_matches_keras_dense_enable_lora_with_the_same_factors():
    dense = _dense(6, 4, 0)
    layer = LoRADense.from_dense(dense, rank=3, alpha=6.0, seed=1)
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(6, 3)).astype(np.float32), rng.normal(size=(3, 4)).astype(np.float32)
    layer.lora_a.assign(a)
    layer.lora_b.assign(b)
    dense.enable_lora(3, lora_alpha=6.0)
    dense.lora_kernel_a.assign(a)
    dense.lora_kernel_b.assign(b)
    x = rng.normal(size=(5, 6)).astype(np.float32)
    np.testing.assert_allclose(layer(x), dense(x), rtol=1e-5, atol=1e-5)


def test_messages_name_what_was_expected_and_received():
    with pytest.raises(ValueError, match=r"rank must be a positive int, got 0"):
        LoRADense(3, 0, 1.0)
    with pytest.raises(TypeError, match=r"alpha must be a positive real number, got str '16'"):
        LoRADense(3, 2, "16")
    with pytest.raises(ValueError, match=r"alpha must be a finite number > 0, got nan"):
        LoRADense(3, 2, float("nan"))
    with pytest.raises(TypeError, match=r"dense must be a keras.layers.Dense, got Conv1D"):
        LoRADense.from_dense(keras.layers.Conv1D(2, 2), 2, 1.0)
    layer = LoRADense.from_dense(_dense(4, 3, 1), 2, 1.0)
    with pytest.raises(ValueError, match=r"inputs must have shape \(\.\.\., 4\), got \(2, 5\)"):
        layer(np.zeros((2, 5), np.float32))


def test_first_sgd_step_moves_only_b_then_both():
    dense = _dense(5, 3, 2)
    layer = LoRADense.from_dense(dense, rank=2, alpha=4.0, seed=3)
    x = np.random.default_rng(4).normal(size=(8, 5)).astype(np.float32)
    target = np.random.default_rng(5).normal(size=(8, 3)).astype(np.float32)
    model = keras.Sequential([keras.Input((5,)), layer])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    kernel, bias, a0 = (np.array(v) for v in (layer.kernel, layer.bias, layer.lora_a))
    model.train_on_batch(x, target)
    np.testing.assert_array_equal(layer.lora_a, a0)  # B was 0, so A's gradient was exactly 0
    assert np.max(np.abs(np.array(layer.lora_b))) > 1e-4
    model.train_on_batch(x, target)
    assert np.max(np.abs(np.array(layer.lora_a) - a0)) > 1e-6
    np.testing.assert_array_equal(layer.kernel, kernel)
    np.testing.assert_array_equal(layer.bias, bias)


def test_merge_round_trip_in_float64_is_exact_to_rounding():
    layer = LoRADense(4, rank=2, alpha=3.0, seed=0, dtype="float64")
    layer(np.zeros((1, 6)))
    layer.lora_b.assign(np.random.default_rng(0).normal(size=(2, 4)))
    kernel = np.array(layer.kernel)
    layer.merge()
    layer.unmerge()
    np.testing.assert_allclose(layer.kernel, kernel, rtol=0, atol=1e-15)


def test_dense_without_bias_gets_a_zero_bias():
    keras.utils.set_random_seed(0)
    dense = keras.layers.Dense(3, use_bias=False)
    dense(np.zeros((1, 4), np.float32))
    layer = LoRADense.from_dense(dense, 1, 1.0)
    np.testing.assert_array_equal(layer.bias, np.zeros(3))
    x = np.ones((2, 4), np.float32)
    np.testing.assert_allclose(layer(x), dense(x), rtol=1e-6)
