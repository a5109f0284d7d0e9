"""t33 · LoRA: a low-rank adapter around a frozen Dense layer (reference solution)."""

from __future__ import annotations

import math

import keras
import numpy as np

__all__ = ["LoRADense"]


def _positive_int(value, name):
    """``value`` as a Python int >= 1; TypeError for a non-int (bool, float, text), ValueError if < 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


def _positive_real(value, name):
    """``value`` as a finite Python float > 0; TypeError for a non-number or bool, ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a positive real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value) or value <= 0.0:
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return value


def _seed(value):
    """``None`` or an int >= 0; TypeError for another type (bool, float, text), ValueError if negative."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"seed must be None or an int >= 0, got {type(value).__name__} {value!r}")
    if value < 0:
        raise ValueError(f"seed must be None or an int >= 0, got {value}")
    return int(value)


class LoRADense(keras.layers.Layer):
    """A frozen dense layer plus a trainable low-rank update (Hu et al. 2021).

    ``y = x W + b + (alpha / rank) * (x A) B`` with the base kernel ``W`` ``(d_in, units)`` and
    bias ``b`` ``(units,)`` frozen (non-trainable), and the only trainable weights
    ``A = lora_a`` ``(d_in, rank)``, drawn from ``U(-1/sqrt(d_in), 1/sqrt(d_in))`` (PEFT's
    default, ``kaiming_uniform_(a=sqrt(5))``), and ``B = lora_b`` ``(rank, units)``, zeros: a new
    adapter leaves the layer's output equal to the base layer's. ``merge()`` folds
    ``(alpha / rank) A B`` into ``W`` and ``unmerge()`` takes it out again.
    """

    def __init__(self, units, rank, alpha, seed=None, **kwargs):
        """Validate ``units`` and ``rank`` (positive ints), ``alpha`` (finite real > 0) and ``seed``
        (None or int >= 0); the weights are created by ``build`` (or copied by ``from_dense``)."""
        super().__init__(**kwargs)
        self.units = _positive_int(units, "units")
        self.rank = _positive_int(rank, "rank")
        self.alpha = _positive_real(alpha, "alpha")
        self.seed = _seed(seed)
        self.scaling = self.alpha / self.rank
        self.merged = False

    @classmethod
    def from_dense(cls, dense, rank, alpha, seed=None):
        """A built ``LoRADense`` whose frozen kernel and bias are copies of ``dense``'s (a zero bias
        if ``dense`` has none), in ``dense``'s dtype. ``dense`` itself is left unchanged.

        TypeError if ``dense`` is not a ``keras.layers.Dense``; ValueError if it is not built or has
        an activation other than linear (the wrapper would silently drop it).
        """
        if not isinstance(dense, keras.layers.Dense):
            raise TypeError(f"dense must be a keras.layers.Dense, got {type(dense).__name__}")
        if not dense.built:
            raise ValueError("dense must be built (call it once) so that its kernel exists, got an unbuilt Dense")
        if dense.activation not in (None, keras.activations.linear):
            raise ValueError(f"dense must have a linear activation, got {getattr(dense.activation, '__name__', '?')}")
        kernel = keras.ops.convert_to_numpy(dense.kernel)
        layer = cls(dense.units, rank, alpha, seed=seed, dtype=dense.dtype_policy)
        layer.build((None, kernel.shape[0]))
        layer.kernel.assign(kernel)
        if dense.bias is not None:
            layer.bias.assign(keras.ops.convert_to_numpy(dense.bias))
        return layer

    def build(self, input_shape):
        """Create the frozen ``kernel`` ``(d_in, units)`` (Glorot-uniform) and ``bias`` (zeros) and the
        trainable ``lora_a`` ``(d_in, rank)`` (uniform, bound ``1/sqrt(d_in)``) and ``lora_b`` (zeros)."""
        d_in = input_shape[-1]
        if d_in is None:
            raise ValueError(f"the last input dimension must be known, got input shape {tuple(input_shape)}")
        d_in = int(d_in)
        bound = 1.0 / math.sqrt(d_in)
        kernel_seed, a_seed = (None, None) if self.seed is None else (self.seed, self.seed + 1)
        self.kernel = self.add_weight(name="kernel", shape=(d_in, self.units), trainable=False,
                                      initializer=keras.initializers.GlorotUniform(seed=kernel_seed))
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros", trainable=False)
        self.lora_a = self.add_weight(name="lora_a", shape=(d_in, self.rank), trainable=True,
                                      initializer=keras.initializers.RandomUniform(-bound, bound, seed=a_seed))
        self.lora_b = self.add_weight(name="lora_b", shape=(self.rank, self.units), initializer="zeros",
                                      trainable=True)

    def call(self, inputs):
        """``(..., d_in)`` -> ``(..., units)``: ``x W + b``, plus ``scaling * (x A) B`` unless merged."""
        d_in = self.kernel.shape[0]
        if len(inputs.shape) < 2 or inputs.shape[-1] != d_in:
            raise ValueError(f"inputs must have shape (..., {d_in}), got {tuple(inputs.shape)}")
        y = keras.ops.matmul(inputs, self.kernel) + self.bias
        if not self.merged:
            y = y + self.scaling * keras.ops.matmul(keras.ops.matmul(inputs, self.lora_a), self.lora_b)
        return y

    def merge(self):
        """Fold the update into the kernel, ``W <- W + scaling * A B``; the outputs do not change.
        A no-op when already merged; ValueError if the layer is not built."""
        if not self.built:
            raise ValueError("the layer must be built (call it once or use from_dense) before merge()")
        if self.merged:
            return
        self.kernel.assign(self.kernel + self.scaling * keras.ops.matmul(self.lora_a, self.lora_b))
        self.merged = True

    def unmerge(self):
        """Take the update out of the kernel again, ``W <- W - scaling * A B``; a no-op when not merged."""
        if not self.merged:
            return
        self.kernel.assign(self.kernel - self.scaling * keras.ops.matmul(self.lora_a, self.lora_b))
        self.merged = False

    def get_config(self):
        """The base layer's config plus ``units``, ``rank``, ``alpha`` and ``seed``."""
        config = super().get_config()
        config.update(units=self.units, rank=self.rank, alpha=self.alpha, seed=self.seed)
        return config
