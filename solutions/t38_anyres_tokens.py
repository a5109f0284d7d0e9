"""t38 · AnyRes tiling, visual-token counts and pixel shuffle (reference solution)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

__all__ = ["select_anyres_grid", "count_visual_tokens", "pixel_shuffle"]


def _is_int(value):
    """True for Python and NumPy integers (not bool)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _positive_int(value, name):
    """``value`` as a positive Python int; TypeError for a non-integer, ValueError for <= 0."""
    if not _is_int(value):
        raise TypeError(f"{name} must be a positive integer, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def _int_pairs(x, name, expect_one):
    """``x`` as an int64 array of shape (2,) (one pair) or (K, 2) (K >= 1 pairs) of positive integers."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must hold integers, got {type(x).__name__}")
    try:
        a = x.numpy() if isinstance(x, tf.Tensor) else np.asarray(x)
    except ValueError as exc:  # ragged nesting, e.g. [(1, 2), (2,)]
        raise ValueError(f"{name} must be pairs of integers, got {x!r}") from exc
    except TypeError as exc:
        raise TypeError(f"{name} must hold integers, got {type(x).__name__}") from exc
    shape = (2,) if expect_one else (None, 2)
    if a.size and a.dtype.kind not in "iu":  # an empty list becomes float64: a shape error, below
        raise TypeError(f"{name} must hold integers, got dtype {a.dtype}")
    if a.size == 0 or a.ndim != len(shape) or a.shape[-1] != 2:
        what = "(height, width)" if expect_one else "a non-empty list of (rows, cols) pairs"
        raise ValueError(f"{name} must be {what}, got shape {a.shape}")
    if np.any(a <= 0):
        raise ValueError(f"{name} must hold positive integers, got {a.tolist()}")
    return a.astype(np.int64)


def select_anyres_grid(image_size, grids, tile=336):
    """The grid ``(rows, cols)`` that LLaVA-NeXT's ``select_best_resolution`` picks.

    Grid ``(r, c)`` is the canvas of ``r * tile`` rows by ``c * tile`` columns of pixels. For an
    image of ``H`` rows and ``W`` columns (floating point, as in LLaVA-NeXT):
    ``scale = min(c*tile / W, r*tile / H)``, ``effective = min(int(W*scale) * int(H*scale), W*H)``,
    ``wasted = r*tile * c*tile - effective``. The pick maximises ``effective``, then minimises
    ``wasted``; a remaining tie goes to the grid listed first.

    Args:
        image_size: ``(height, width)`` in pixels, positive integers.
        grids: non-empty sequence of ``(rows, cols)`` pairs of positive integers.
        tile: side of one tile in pixels.

    Returns:
        ``(rows, cols)`` as a tuple of two Python ints.
    """
    height, width = (int(v) for v in _int_pairs(image_size, "image_size", expect_one=True))
    candidates = _int_pairs(grids, "grids", expect_one=False)
    tile = _positive_int(tile, "tile")

    canvas_h = candidates[:, 0] * tile
    canvas_w = candidates[:, 1] * tile
    scale = np.minimum(canvas_w / width, canvas_h / height)
    fitted = np.floor(width * scale).astype(np.int64) * np.floor(height * scale).astype(np.int64)
    effective = np.minimum(fitted, width * height)
    wasted = canvas_h * canvas_w - effective
    order = np.lexsort((np.arange(len(candidates)), wasted, -effective))
    rows, cols = candidates[order[0]]
    return int(rows), int(cols)


def count_visual_tokens(image_size, grids, tile=336, patch=14, merge=1, base_image=True, newline=False):
    """Visual tokens an AnyRes model feeds to the LLM for one image.

    With ``n = tile // patch // merge`` tokens per tile side and ``(rows, cols)`` from
    ``select_anyres_grid``: ``rows * cols * n**2`` for the tiles, ``+ n**2`` for the
    downsized base image if ``base_image``, ``+ rows * n`` newline tokens (one per row of the
    tiled feature map; none for the base image) if ``newline``. Every tile counts in full
    (no removal of padding rows or columns).

    Args:
        image_size: ``(height, width)`` in pixels.
        grids: candidate ``(rows, cols)`` grids.
        tile: tile side in pixels; a multiple of ``patch``.
        patch: ViT patch side in pixels.
        merge: side of the square of patch tokens merged into one (2 = 2x2 pixel shuffle);
            must divide ``tile // patch``.
        base_image: add the tokens of the whole image resized to one tile.
        newline: add one newline token per row of the tiled feature map.

    Returns:
        The number of visual tokens, a Python int.
    """
    tile = _positive_int(tile, "tile")
    patch = _positive_int(patch, "patch")
    merge = _positive_int(merge, "merge")
    for flag, name in ((base_image, "base_image"), (newline, "newline")):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name} must be a bool, got {type(flag).__name__} {flag!r}")
    if tile % patch:
        raise ValueError(f"tile must be a multiple of patch, got tile={tile} and patch={patch}")
    side = tile // patch
    if side % merge:
        raise ValueError(f"merge must divide the {side}x{side} patch grid of a tile, got merge={merge}")
    n = side // merge
    rows, cols = select_anyres_grid(image_size, grids, tile=tile)
    tokens = rows * cols * n * n
    if base_image:
        tokens += n * n
    if newline:
        tokens += rows * n
    return int(tokens)


def pixel_shuffle(x, factor):
    """Space-to-depth of ``(B, H, W, C)`` features: ``(B, H/f, W/f, C*f*f)``.

    ``out[b, i, j, (di*f + dj)*C + c] = x[b, i*f + di, j*f + dj, c]`` for ``0 <= di, dj < f``:
    the ``f x f`` neighbours of a block in row-major order, each contributing its ``C``
    channels (the order of ``tf.nn.space_to_depth`` and of InternVL's and Idefics3's
    pixel shuffle).

    Args:
        x: ``(B, H, W, C)`` numbers (list, array or tensor); ``H`` and ``W`` multiples of ``f``.
        factor: ``f``, a positive integer.

    Returns:
        A tensor of shape ``(B, H/f, W/f, C*f*f)`` and the dtype of ``x`` (ints become int32
        or int64 as TensorFlow converts them).
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"x must be an array of numbers, got {type(x).__name__}")
    try:
        t = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"x must be an array of numbers, got {type(x).__name__}") from exc
    if not (t.dtype.is_floating or t.dtype.is_integer):
        raise TypeError(f"x must hold numbers, got dtype {t.dtype.name}")
    f = _positive_int(factor, "factor")
    if t.shape.rank != 4:
        raise ValueError(f"x must have shape (B, H, W, C), got shape {tuple(t.shape)}")
    b, h, w, c = (int(d) for d in t.shape)
    if h % f or w % f:
        raise ValueError(f"H and W must be multiples of factor={f}, got H={h} and W={w}")
    blocks = tf.reshape(t, (b, h // f, f, w // f, f, c))
    blocks = tf.transpose(blocks, (0, 1, 3, 2, 4, 5))  # (B, H/f, W/f, di, dj, C)
    return tf.reshape(blocks, (b, h // f, w // f, f * f * c))
