"""Extra tests of the t38 reference: the rule against LLaVA-NeXT's loop, exact arithmetic, messages."""

import math
from fractions import Fraction

import numpy as np
import pytest
import tensorflow as tf

from autograder.suites import t38_anyres_tokens as checks
from solutions import count_visual_tokens, pixel_shuffle, select_anyres_grid


def _exact_grid(image_size, grids, tile):
    """LLaVA-NeXT's rule in exact rational arithmetic (no float truncation)."""
    height, width = image_size
    best, best_effective, best_wasted = None, 0, math.inf
    for rows, cols in grids:
        scale = min(Fraction(cols * tile, width), Fraction(rows * tile, height))
        effective = min(math.floor(width * scale) * math.floor(height * scale), width * height)
        wasted = rows * tile * cols * tile - effective
        if effective > best_effective or (effective == best_effective and wasted < best_wasted):
            best, best_effective, best_wasted = (rows, cols), effective, wasted
    return best


def _suite_cases():
    cases = [(size, grids, tile) for grids, tile in ((checks._llava_next_grids(), 336), (checks._many_grids(1), 336),
                                                     (checks._many_grids(2), 384)) for size in checks._image_sizes()]
    cases += [(c[0], c[1], c[2]) for c in checks._token_configs()]
    cases += [((1500, 400), checks._llava_next_grids(), 336), ((400, 1500), checks._llava_next_grids(), 336),
              ((200, 300), [(3, 3), (1, 1), (2, 2)], 336)]
    return cases


def test_suite_sizes_do_not_depend_on_float_truncation():
    """An exact-arithmetic solution gets the same grids as the float rule on every size the checks use."""
    for size, grids, tile in _suite_cases():
        assert select_anyres_grid(size, grids, tile=tile) == _exact_grid(size, grids, tile), (size, tile)


def test_reference_agrees_with_the_loop_on_a_sweep():
    grids = checks._many_grids(9)
    for height in range(1, 2400, 37):
        for width in range(1, 2400, 53):
            assert select_anyres_grid((height, width), grids) == checks._oracle_grid((height, width), grids, 336)


def test_unpadded_transformers_count_is_below_the_padded_count():
    """The text's 1992 (Transformers, unpadded) against the exercise's 2328 for 500 x 1200."""
    rows, cols = select_anyres_grid((500, 1200), checks._llava_next_grids())
    current_h, current_w = 24 * rows, 24 * cols
    new_w = int(round(1200 * (current_h / 500), 7))
    current_w -= 2 * ((current_w - new_w) // 2)
    assert current_h * current_w + current_h + 576 == 1992
    assert count_visual_tokens((500, 1200), checks._llava_next_grids(), newline=True) == 2328


def test_pixel_shuffle_is_a_permutation_with_a_permutation_gradient():
    x = tf.constant(np.random.default_rng(0).normal(size=(2, 4, 6, 3)))
    w = tf.constant(np.random.default_rng(1).normal(size=(2, 2, 3, 12)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(pixel_shuffle(x, 2) * w)
    np.testing.assert_array_equal(tape.gradient(loss, x).numpy(), tf.nn.depth_to_space(w, 2).numpy())
    assert pixel_shuffle(np.zeros((1, 2, 2, 1), np.int32), 2).dtype == tf.int32


def test_messages_say_what_was_expected_and_received():
    with pytest.raises(ValueError, match=r"image_size must be \(height, width\), got shape \(3,\)"):
        select_anyres_grid((1, 2, 3), [(1, 1)])
    with pytest.raises(TypeError, match=r"factor must be a positive integer, got float 2.0"):
        pixel_shuffle(np.zeros((1, 2, 2, 1)), 2.0)
    with pytest.raises(ValueError, match=r"merge must divide the 24x24 patch grid of a tile, got merge=5"):
        count_visual_tokens((336, 336), [(1, 1)], merge=5)
    with pytest.raises(ValueError, match=r"H and W must be multiples of factor=2, got H=5 and W=4"):
        pixel_shuffle(np.zeros((1, 5, 4, 1)), 2)
