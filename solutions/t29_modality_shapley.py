"""t29 · Exact two-player Shapley values of the text and image modalities (reference solution)."""

from __future__ import annotations

import numpy as np

__all__ = ["modality_shapley"]


def _as_batch(x, name):
    """Convert ``x`` to a NumPy float array with a batch axis, raising TypeError/ValueError."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from exc
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {a.dtype}")
    if a.ndim < 1:
        raise ValueError(f"{name} must have a batch axis, shape (B, ...), got a scalar")
    return a if a.dtype.kind == "f" else a.astype(np.float64)


def _broadcast_baseline(baseline, x, name):
    """The baseline broadcast to ``x.shape`` (one row for the batch, or one row per sample)."""
    if isinstance(baseline, (str, bytes)) or baseline is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(baseline).__name__}")
    b = np.asarray(baseline)
    if b.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {b.dtype}")
    try:
        return np.broadcast_to(b.astype(x.dtype), x.shape)
    except ValueError:
        raise ValueError(f"{name} of shape {b.shape} cannot be broadcast to the input's shape {x.shape}") from None


def modality_shapley(predict_fn, text, image, text_baseline, image_baseline):
    """Exact Shapley values of the two players "text" and "image" for ``predict_fn``.

    A modality that is absent from a coalition is replaced by its baseline. With
    ``f = predict_fn`` and ``t0, i0`` the baselines::

        phi_text  = 1/2 [(f(t, i0) - f(t0, i0)) + (f(t, i) - f(t0, i))]
        phi_image = 1/2 [(f(t0, i) - f(t0, i0)) + (f(t, i) - f(t, i0))]

    so that ``phi_text + phi_image == f(t, i) - f(t0, i0)`` (efficiency).

    Args:
        predict_fn: ``predict_fn(text, image) -> (n,)`` (or ``(n, 1)``), called on whole
            batches (here once, on the four coalitions stacked: ``n = 4 B``).
        text: ``(B, ...)``.
        image: ``(B, ...)``.
        text_baseline: broadcastable to ``text.shape`` (e.g. one row ``(Dt,)`` for the batch).
        image_baseline: broadcastable to ``image.shape``.

    Returns:
        ``(phi_text, phi_image)``, float64 arrays of shape ``(B,)``.
    """
    if not callable(predict_fn):
        raise TypeError(f"predict_fn must be callable as predict_fn(text, image), got {type(predict_fn).__name__}")
    t = _as_batch(text, "text")
    i = _as_batch(image, "image")
    if t.shape[0] != i.shape[0]:
        raise ValueError(f"text and image must have the same batch size, got {t.shape[0]} and {i.shape[0]}")
    t0 = _broadcast_baseline(text_baseline, t, "text_baseline")
    i0 = _broadcast_baseline(image_baseline, i, "image_baseline")
    b = t.shape[0]
    if b == 0:
        return np.zeros(0), np.zeros(0)

    # One vectorised call on the four coalitions {text, image}, {text}, {image}, {}.
    out = predict_fn(np.concatenate([t, t, t0, t0]), np.concatenate([i, i0, i, i0]))
    out = np.asarray(out, dtype=np.float64)
    if out.shape not in ((4 * b,), (4 * b, 1)):
        raise ValueError(f"predict_fn must return shape (n,) for n = {4 * b} inputs, got {out.shape}")
    f_both, f_text, f_image, f_none = out.reshape(4, b)

    phi_text = 0.5 * ((f_text - f_none) + (f_both - f_image))
    phi_image = 0.5 * ((f_image - f_none) + (f_both - f_text))
    return phi_text, phi_image
