"""t30 · SHAP feature importance of a two-input Keras model with the shap library (reference)."""

from __future__ import annotations

import keras
import numpy as np
import shap

__all__ = ["shap_feature_importance"]


def _as_matrix(x, name):
    """Convert ``x`` to a float64 NumPy matrix ``(rows, features)``, raising TypeError/ValueError."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a 2-D array of numbers, got {type(x).__name__}")
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a 2-D array of numbers, got {type(x).__name__}") from exc
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {a.dtype}")
    if a.ndim != 2:
        raise ValueError(f"{name} must have shape (rows, features), got shape {a.shape}")
    if a.shape[1] == 0:
        raise ValueError(f"{name} must have at least one feature, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite, got NaN or inf")
    return np.array(a, dtype=np.float64)


def _scalar_model(model, dt):
    """Wrap ``model([text, image])`` as a function of one ``(n, Dt + Di)`` matrix returning ``(n,)``."""

    def f(x):
        x = np.asarray(x, dtype=np.float32)
        # A direct call (not model.predict): one vectorised forward pass, inference mode.
        out = keras.ops.convert_to_numpy(model([x[:, :dt], x[:, dt:]], training=False))
        out = np.asarray(out, dtype=np.float64)
        if out.shape not in ((x.shape[0], 1), (x.shape[0],)):
            raise ValueError(f"model([text, image]) must return shape (B, 1), got {out.shape} for B = {x.shape[0]}")
        return out.reshape(x.shape[0])

    return f


def shap_feature_importance(model, text, image, background, nsamples="auto", seed=None):
    """Kernel SHAP values of ``model([text, image])[:, 0]`` and feature/modality importances.

    The two modalities are explained as one row of ``Dt + Di`` features (text first), the
    background ``(text_background, image_background)`` being the reference distribution:
    ``values[b, j]`` is the Shapley value of feature ``j`` for sample ``b``, so that
    ``values[b].sum() + E_background[f] == f(text[b], image[b])`` (local accuracy). With
    ``2**(Dt + Di) - 2 <= nsamples`` every coalition is evaluated and the values are exact.

    Args:
        model: a Keras model, ``model([text, image])`` -> ``(B, 1)``.
        text: ``(B, Dt)``.
        image: ``(B, Di)``.
        background: pair ``(text_background (N, Dt), image_background (N, Di))``, N >= 1.
        nsamples: ``"auto"`` (shap's default, ``2 * (Dt + Di) + 2048``) or a positive int:
            coalitions evaluated per sample.
        seed: optional int; makes the coalition sampling reproducible (used only when
            ``nsamples`` is too small to enumerate every coalition).

    Returns:
        dict with ``values`` float64 ``(B, Dt + Di)``, ``feature_importance`` ``(Dt + Di,)``
        the mean absolute value over the batch (zeros when B = 0), ``modality_importance``
        ``{'text': float, 'image': float}`` the sums of ``feature_importance`` over each
        modality's features, and ``expected_value`` (float) the mean output on the background.
    """
    t = _as_matrix(text, "text")
    i = _as_matrix(image, "image")
    if t.shape[0] != i.shape[0]:
        raise ValueError(f"text and image must have the same batch size, got {t.shape[0]} and {i.shape[0]}")
    if not isinstance(background, (tuple, list)) or len(background) != 2:
        raise TypeError(
            f"background must be a pair (text_background, image_background), got {type(background).__name__}"
        )
    bt = _as_matrix(background[0], "text_background")
    bi = _as_matrix(background[1], "image_background")
    if bt.shape[0] != bi.shape[0] or bt.shape[0] == 0:
        raise ValueError(f"the background needs N >= 1 rows in both modalities, got {bt.shape[0]} and {bi.shape[0]}")
    if bt.shape[1] != t.shape[1] or bi.shape[1] != i.shape[1]:
        raise ValueError(
            f"background features must match the inputs: text {t.shape[1]} and image {i.shape[1]}, "
            f"got {bt.shape[1]} and {bi.shape[1]}"
        )
    if not (nsamples == "auto" or (isinstance(nsamples, (int, np.integer)) and not isinstance(nsamples, bool))):
        raise TypeError(f"nsamples must be 'auto' or a positive int, got {nsamples!r}")
    if nsamples != "auto" and nsamples < 1:
        raise ValueError(f"nsamples must be a positive int, got {nsamples}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__}")

    dt = t.shape[1]
    x = np.concatenate([t, i], axis=1)
    bg = np.concatenate([bt, bi], axis=1)
    f = _scalar_model(model, dt)
    expected_value = float(np.mean(f(bg)))  # also validates the model's output shape
    if x.shape[0] == 0:
        values = np.zeros((0, x.shape[1]))
    else:
        explainer = shap.KernelExplainer(f, bg)
        state = np.random.get_state()  # KernelExplainer samples coalitions with the global RNG
        try:
            if seed is not None:
                np.random.seed(int(seed))
            # l1_reg=False: plain Kernel SHAP, no lasso feature selection that could zero a feature.
            values = explainer.shap_values(x, nsamples=nsamples, l1_reg=False, silent=True)
        finally:
            if seed is not None:
                np.random.set_state(state)
        values = np.asarray(values, dtype=np.float64).reshape(x.shape)
    importance = np.mean(np.abs(values), axis=0) if values.shape[0] else np.zeros(x.shape[1])
    return {
        "values": values,
        "feature_importance": importance,
        "modality_importance": {"text": float(np.sum(importance[:dt])), "image": float(np.sum(importance[dt:]))},
        "expected_value": expected_value,
    }
