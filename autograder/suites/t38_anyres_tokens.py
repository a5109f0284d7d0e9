"""Checks of t38 · AnyRes tiling, visual-token counts and pixel shuffle.

Independent oracles: ``_oracle_grid`` is LLaVA-NeXT's ``select_best_resolution`` written as a
sequential loop over Python floats with strict comparisons (the reference ranks NumPy arrays
with ``lexsort``); ``_oracle_tokens`` applies the stated formula to the oracle's grid; the
pixel shuffle is compared with TensorFlow's own ``tf.nn.space_to_depth`` (same channel order)
and, in the visible check, with values worked by hand.

The image sizes include small images (every grid fits the whole image: the least wasted
area decides, then list order), long thin images in both orientations (height and width
swapped give a different grid), and sizes where the cap of the effective area at the
image's own area decides. None of them is a size where the float truncation of
``int(W * scale)`` changes the pick (``tests/topics/test_t38_anyres_tokens.py`` checks this
against exact rational arithmetic), so an exact-arithmetic solution passes too. Token counts
are integers and pixel shuffle is a permutation: both are compared exactly.
"""

import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_equal, expect_raises, need, raised

suite = Suite("t38_anyres_tokens", points={"shape": 2, "numeric": 4, "behavior": 4})


def _llava_next_grids():
    """LLaVA-NeXT's five grids as (rows, cols), in the order of its pinpoint list read as (height, width)."""
    return [(1, 2), (2, 1), (2, 2), (3, 1), (1, 3)]


def _many_grids(seed):
    """Every (rows, cols) with rows, cols in 1..4, in a seeded order (list order breaks exact ties)."""
    grids = [(r, c) for r in range(1, 5) for c in range(1, 5)]
    order = np.random.default_rng(seed).permutation(len(grids))
    return [grids[i] for i in order]


def _image_sizes():
    """(height, width) pairs: small, square, long in both orientations, odd sizes."""
    return [(100, 100), (336, 336), (500, 1200), (1200, 500), (672, 672), (700, 700), (1080, 1920),
            (1920, 1080), (300, 2000), (2000, 300), (37, 999), (999, 37), (3000, 3000), (768, 1024),
            (1024, 768), (200, 700), (640, 480), (1366, 768), (4000, 1000), (150, 120)]


def _oracle_grid(image_size, grids, tile):
    """LLaVA-NeXT's rule as a loop: max effective area, then min wasted area, first listed on a tie."""
    height, width = image_size
    best, best_effective, best_wasted = None, 0, float("inf")
    for rows, cols in grids:
        canvas_h, canvas_w = rows * tile, cols * tile
        scale = min(canvas_w / width, canvas_h / height)
        effective = min(int(width * scale) * int(height * scale), width * height)
        wasted = canvas_h * canvas_w - effective
        if effective > best_effective or (effective == best_effective and wasted < best_wasted):
            best, best_effective, best_wasted = (rows, cols), effective, wasted
    return best


def _oracle_tokens(image_size, grids, tile, patch, merge, base_image, newline):
    """The stated count: tiles * n^2 (+ n^2 base) (+ rows * n newlines), n = tile / patch / merge."""
    rows, cols = _oracle_grid(image_size, grids, tile)
    n = tile // patch // merge
    return rows * cols * n * n + (n * n if base_image else 0) + (rows * n if newline else 0)


def _token_configs():
    """(image_size, grids, tile, patch, merge, base_image, newline) cases of the hidden count check."""
    return [
        ((500, 1200), _llava_next_grids(), 336, 14, 1, True, True),
        ((1200, 500), _llava_next_grids(), 336, 14, 1, True, True),
        ((1080, 1920), _many_grids(3), 448, 14, 2, True, False),
        ((300, 2000), _many_grids(4), 448, 14, 2, False, True),
        ((768, 1024), _many_grids(5), 384, 16, 3, True, True),
        ((2000, 300), _many_grids(6), 224, 14, 4, False, False),
        ((640, 480), _many_grids(7), 336, 14, 2, True, True),
    ]


def _features(seed, shape):
    """Distinct values (a permutation is then visible), float64."""
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape).astype(np.float64) / 7.0


def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "image_size with three numbers": "ValueError",
        "an image height of 0": "ValueError",
        "image_size (336.0, 336.0) as floats": "TypeError",
        "an empty list of grids": "ValueError",
        "a grid (0, 2)": "ValueError",
        "grids given as the string '2x2'": "TypeError",
        "patch 15 with tile 336": "ValueError",
        "merge 5 for a 24x24 patch grid": "ValueError",
        "merge = True": "TypeError",
        "newline = 1 (not a bool)": "TypeError",
        "a 3-D input to pixel_shuffle": "ValueError",
        "H = 5 with factor 2": "ValueError",
        "factor 2.0 (a float)": "TypeError",
        "factor 0": "ValueError",
        "x = None": "TypeError",
    }


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def result_types_and_shapes(ns):
    """select_anyres_grid gives a pair of ints, count_visual_tokens an int, pixel_shuffle (B, H/f, W/f, C*f*f)"""
    select = need(ns, "select_anyres_grid")
    count = need(ns, "count_visual_tokens")
    shuffle = need(ns, "pixel_shuffle")
    grid = select((672, 672), [(1, 2), (2, 2)])
    tokens = count((672, 672), [(1, 2), (2, 2)])
    out = shuffle(np.zeros((2, 4, 6, 3), np.float32), 2)
    return {
        "grid_is_pair": isinstance(grid, tuple) and len(grid) == 2,
        "grid_ints": isinstance(grid, tuple) and all(type(v) is int for v in grid),
        "tokens_int": type(tokens) is int,
        "out": out,
    }


@result_types_and_shapes.verdict
def _(got):
    expect(got["grid_is_pair"] is True, "select_anyres_grid must return a tuple (rows, cols)")
    expect(got["grid_ints"] is True, "select_anyres_grid must return Python ints")
    expect(got["tokens_int"] is True, "count_visual_tokens must return a Python int")
    expect_array(got["out"], "pixel_shuffle of (2, 4, 6, 3) with factor 2", shape=(2, 2, 3, 12))


@suite.check("shape", hidden=True)
def shapes_for_other_inputs(ns):
    """factor 3 and 1, an empty batch, tensors and arrays as sizes and grids"""
    select = need(ns, "select_anyres_grid")
    shuffle = need(ns, "pixel_shuffle")
    return {
        "f3": shuffle(np.zeros((1, 6, 9, 2)), 3),
        "f1": shuffle(np.zeros((2, 5, 7, 3)), 1),
        "empty": shuffle(np.zeros((0, 4, 8, 3)), 2),
        "tensor_in": shuffle(tf.zeros((3, 4, 4, 5)), 4),
        "tensor_sizes": list(select(tf.constant([500, 1200]), np.array(_llava_next_grids()))),
        "numpy_ints": list(select(np.array([1200, 500], dtype=np.int32), [tuple(g) for g in _llava_next_grids()])),
    }


@shapes_for_other_inputs.verdict
def _(got):
    expect_array(got["f3"], "factor 3", shape=(1, 2, 3, 18))
    expect_array(got["f1"], "factor 1", shape=(2, 5, 7, 3))
    expect_array(got["empty"], "a batch of 0", shape=(0, 2, 4, 12))
    expect_array(got["tensor_in"], "a tensor input", shape=(3, 1, 1, 80))
    expect_equal(got["tensor_sizes"], np.array(_oracle_grid((500, 1200), _llava_next_grids(), 336)),
                 "grid for a tensor image_size and an array of grids")
    expect_equal(got["numpy_ints"], np.array(_oracle_grid((1200, 500), _llava_next_grids(), 336)),
                 "grid for NumPy int32 sizes")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def worked_token_counts(ns):
    """LLaVA-1.5 336 px: 576; LLaVA-NeXT 672x672: grid (2, 2), 2880 tokens, 2928 with newlines"""
    select = need(ns, "select_anyres_grid")
    count = need(ns, "count_visual_tokens")
    grids = [(1, 2), (2, 1), (2, 2), (3, 1), (1, 3)]
    return {
        "llava15": count((336, 336), [(1, 1)], base_image=False),
        "next_grid": list(select((672, 672), grids)),
        "next": count((672, 672), grids),
        "next_newline": count((672, 672), grids, newline=True),
        "wide_grid": list(select((500, 1200), grids)),
        "wide_newline": count((500, 1200), grids, newline=True),
        "internvl": count((448, 896), [(1, 1), (1, 2), (2, 1), (2, 2)], tile=448, merge=2),
    }


@worked_token_counts.verdict
def _(got):
    expect_equal(got["llava15"], 576, "LLaVA-1.5 at 336 px: (336/14)^2")
    expect_equal(got["next_grid"], np.array([2, 2]), "LLaVA-NeXT grid for 672x672")
    expect_equal(got["next"], 2880, "LLaVA-NeXT 672x672: 4 tiles x 576 + 576 base")
    expect_equal(got["next_newline"], 2928, "LLaVA-NeXT 672x672 with newlines: 2880 + 2 rows x 24")
    expect_equal(got["wide_grid"], np.array([1, 3]), "grid for a 500 x 1200 (height x width) image")
    expect_equal(got["wide_newline"], 2328, "500 x 1200 with newlines: 3 x 576 + 576 + 24")
    expect_equal(got["internvl"], 768, "tile 448, merge 2: 2 tiles x 256 + 256 base")


@suite.check("numeric")
def pixel_shuffle_hand_example(ns):
    """pixel_shuffle of arange(16) as (1, 2, 4, 2) with factor 2: the values worked by hand"""
    shuffle = need(ns, "pixel_shuffle")
    return {"out": shuffle(np.arange(16, dtype=np.float64).reshape(1, 2, 4, 2), 2)}


@pixel_shuffle_hand_example.verdict
def _(got):
    # block 0: x[0,0,0]=[0,1], x[0,0,1]=[2,3], x[0,1,0]=[8,9], x[0,1,1]=[10,11]; block 1 is 4 further on
    want = [[[[0, 1, 2, 3, 8, 9, 10, 11], [4, 5, 6, 7, 12, 13, 14, 15]]]]
    expect_close(got["out"], want, "pixel_shuffle output", rtol=0, atol=0)


@suite.check("numeric", hidden=True)
def grid_choice_matches_rule(ns):
    """20 image sizes x 3 grid lists and 2 tile sizes: the grid of LLaVA-NeXT's rule"""
    select = need(ns, "select_anyres_grid")
    picks = []
    for grids, tile in ((_llava_next_grids(), 336), (_many_grids(1), 336), (_many_grids(2), 384)):
        picks += [list(select(size, grids, tile=tile)) for size in _image_sizes()]
    return {"picks": picks}


@grid_choice_matches_rule.verdict
def _(got):
    want = []
    for grids, tile in ((_llava_next_grids(), 336), (_many_grids(1), 336), (_many_grids(2), 384)):
        want += [list(_oracle_grid(size, grids, tile)) for size in _image_sizes()]
    picks = expect_array(got["picks"], "grids picked", shape=(len(want), 2), kinds="iu")
    wrong = int(np.sum(np.any(picks != np.array(want), axis=1)))
    expect(wrong == 0, f"{wrong} of {len(want)} grids differ from the rule")


@suite.check("numeric", hidden=True)
def token_counts_match_formula(ns):
    """7 configurations (tile 224-448, patch 14/16, merge 1-4, base and newline on/off): exact counts"""
    count = need(ns, "count_visual_tokens")
    return {"counts": [count(size, grids, tile=tile, patch=patch, merge=merge, base_image=base, newline=nl)
                       for size, grids, tile, patch, merge, base, nl in _token_configs()]}


@token_counts_match_formula.verdict
def _(got):
    want = [_oracle_tokens(*config) for config in _token_configs()]
    counts = expect_array(got["counts"], "token counts", shape=(len(want),), kinds="iu")
    wrong = int(np.sum(counts != np.array(want)))
    expect(wrong == 0, f"{wrong} of {len(want)} token counts differ from the formula")


@suite.check("numeric", hidden=True)
def pixel_shuffle_matches_space_to_depth(ns):
    """random (2, 6, 8, 5) with f = 2 and (1, 6, 9, 3) with f = 3: equal to tf.nn.space_to_depth"""
    shuffle = need(ns, "pixel_shuffle")
    return {"f2": shuffle(_features(1, (2, 6, 8, 5)), 2), "f3": shuffle(_features(2, (1, 6, 9, 3)), 3)}


@pixel_shuffle_matches_space_to_depth.verdict
def _(got):
    expect_close(got["f2"], tf.nn.space_to_depth(_features(1, (2, 6, 8, 5)), 2).numpy(), "factor 2", rtol=0, atol=0)
    expect_close(got["f3"], tf.nn.space_to_depth(_features(2, (1, 6, 9, 3)), 3).numpy(), "factor 3", rtol=0, atol=0)


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def small_images_and_ties(ns):
    """an image smaller than every canvas: least waste wins; equal waste: the grid listed first"""
    select = need(ns, "select_anyres_grid")
    return {
        "first_listed": list(select((100, 100), [(1, 2), (2, 1), (2, 2)])),
        "order_swapped": list(select((100, 100), [(2, 1), (1, 2), (2, 2)])),
        "least_waste": list(select((336, 336), [(2, 2), (1, 1)])),
    }


@small_images_and_ties.verdict
def _(got):
    # 100x100 fits every canvas whole (effective 10000 each); (1, 2) and (2, 1) waste the same 215792
    expect_equal(got["first_listed"], np.array([1, 2]), "tie between (1, 2) and (2, 1), (1, 2) listed first")
    expect_equal(got["order_swapped"], np.array([2, 1]), "tie between (2, 1) and (1, 2), (2, 1) listed first")
    # 336x336: (2, 2) and (1, 1) both keep all 112896 pixels; (1, 1) wastes 0
    expect_equal(got["least_waste"], np.array([1, 1]), "(1, 1) wastes nothing, (2, 2) wastes 338688")


@suite.check("behavior", hidden=True)
def orientation_and_area_cap(ns):
    """height and width are not swapped; the effective area is capped at the image's own area"""
    select = need(ns, "select_anyres_grid")
    count = need(ns, "count_visual_tokens")
    grids = _llava_next_grids()
    return {
        "tall": list(select((1500, 400), grids)),
        "wide": list(select((400, 1500), grids)),
        "cap": list(select((200, 300), [(3, 3), (1, 1), (2, 2)])),
        "tall_tokens": count((1500, 400), grids, newline=True),
        "wide_tokens": count((400, 1500), grids, newline=True),
    }


@orientation_and_area_cap.verdict
def _(got):
    for key, size in (("tall", (1500, 400)), ("wide", (400, 1500))):
        expect_equal(got[key], np.array(_oracle_grid(size, _llava_next_grids(), 336)), f"grid for {size}")
    expect_equal(got["cap"], np.array(_oracle_grid((200, 300), [(3, 3), (1, 1), (2, 2)], 336)),
                 "grid for an image smaller than every canvas")
    for key, size in (("tall_tokens", (1500, 400)), ("wide_tokens", (400, 1500))):
        want = _oracle_tokens(size, _llava_next_grids(), 336, 14, 1, True, True)
        expect_equal(got[key], want, f"tokens with newlines for {size}")


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    select = need(ns, "select_anyres_grid")
    count = need(ns, "count_visual_tokens")
    shuffle = need(ns, "pixel_shuffle")
    grids = _llava_next_grids()
    x = np.zeros((1, 4, 4, 2))
    return {
        "image_size with three numbers": raised(select, (336, 336, 3), grids),
        "an image height of 0": raised(select, (0, 336), grids),
        "image_size (336.0, 336.0) as floats": raised(select, (336.0, 336.0), grids),
        "an empty list of grids": raised(select, (336, 336), []),
        "a grid (0, 2)": raised(select, (336, 336), [(1, 1), (0, 2)]),
        "grids given as the string '2x2'": raised(select, (336, 336), "2x2"),
        "patch 15 with tile 336": raised(count, (336, 336), grids, patch=15),
        "merge 5 for a 24x24 patch grid": raised(count, (336, 336), grids, merge=5),
        "merge = True": raised(count, (336, 336), grids, merge=True),
        "newline = 1 (not a bool)": raised(count, (336, 336), grids, newline=1),
        "a 3-D input to pixel_shuffle": raised(shuffle, np.zeros((4, 4, 2)), 2),
        "H = 5 with factor 2": raised(shuffle, np.zeros((1, 5, 4, 2)), 2),
        "factor 2.0 (a float)": raised(shuffle, x, 2.0),
        "factor 0": raised(shuffle, x, 0),
        "x = None": raised(shuffle, None, 2),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """the caller's grid list, size list and feature array are unchanged after the calls"""
    select = need(ns, "select_anyres_grid")
    count = need(ns, "count_visual_tokens")
    shuffle = need(ns, "pixel_shuffle")
    grids = _many_grids(8)
    size = [700, 300]
    x = _features(3, (2, 4, 6, 3))
    select(size, grids)
    count(size, grids, merge=2, newline=True)
    shuffle(x, 2)
    return {"grids": np.array(grids), "size": np.array(size), "x": x}


@inputs_not_mutated.verdict
def _(got):
    expect_equal(got["grids"], np.array(_many_grids(8)), "grids after the call")
    expect_equal(got["size"], np.array([700, 300]), "image_size after the call")
    expect_close(got["x"], _features(3, (2, 4, 6, 3)), "x after the call", rtol=0, atol=0)
