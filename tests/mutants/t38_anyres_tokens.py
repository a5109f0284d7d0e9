"""Deliberate mutants of solutions/t38_anyres_tokens.py and the checks that catch them.

The first ones are the errata's bugs: image size read as (width, height) (LLaVA's original
code takes PIL's (width, height), Transformers' takes (height, width)), the effective area
not capped at the image's own area, waste ignored or ties going to the last grid, newlines
counted per column or before the merge, the merge applied once instead of squared, the base
image left unmerged; a pixel shuffle that only reshapes, or uses PyTorch's
``pixel_unshuffle`` (channel-major) order, or InternVL's ``ps_version='v1'`` (spatial axes
transposed).
"""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "image_size_read_as_width_height",
        'height, width = (int(v) for v in _int_pairs(image_size, "image_size", expect_one=True))',
        'width, height = (int(v) for v in _int_pairs(image_size, "image_size", expect_one=True))',
        caught_by=("numeric.worked_token_counts", "numeric.grid_choice_matches_rule",
                   "behavior.orientation_and_area_cap"),
    ),
    Mutant(
        "effective_area_not_capped",
        "    effective = np.minimum(fitted, width * height)\n",
        "    effective = fitted\n",
        caught_by=("numeric.grid_choice_matches_rule", "behavior.small_images_and_ties",
                   "behavior.orientation_and_area_cap"),
    ),
    Mutant(
        "waste_ignored",
        "np.lexsort((np.arange(len(candidates)), wasted, -effective))",
        "np.lexsort((np.arange(len(candidates)), -effective))",
        caught_by=("numeric.grid_choice_matches_rule", "behavior.small_images_and_ties"),
    ),
    Mutant(
        "last_listed_wins_ties",
        "np.lexsort((np.arange(len(candidates)), wasted, -effective))",
        "np.lexsort((-np.arange(len(candidates)), wasted, -effective))",
        caught_by=("numeric.grid_choice_matches_rule", "behavior.small_images_and_ties"),
    ),
    Mutant(
        "grid_returned_as_cols_rows",
        "    return int(rows), int(cols)\n",
        "    return int(cols), int(rows)\n",
        caught_by=("numeric.worked_token_counts", "numeric.grid_choice_matches_rule"),
    ),
    Mutant(
        "newline_per_column",
        "        tokens += rows * n\n",
        "        tokens += cols * n\n",
        caught_by=("numeric.worked_token_counts", "numeric.token_counts_match_formula",
                   "behavior.orientation_and_area_cap"),
    ),
    Mutant(
        "newline_before_merge",
        "        tokens += rows * n\n",
        "        tokens += rows * side\n",
        caught_by=("numeric.token_counts_match_formula",),
    ),
    Mutant(
        "merge_not_squared",
        "    tokens = rows * cols * n * n\n",
        "    tokens = rows * cols * side * side // merge\n",
        caught_by=("numeric.worked_token_counts", "numeric.token_counts_match_formula"),
    ),
    Mutant(
        "base_image_not_merged",
        "        tokens += n * n\n",
        "        tokens += side * side\n",
        caught_by=("numeric.worked_token_counts", "numeric.token_counts_match_formula"),
    ),
    Mutant(
        "shuffle_reshape_only",
        "    blocks = tf.transpose(blocks, (0, 1, 3, 2, 4, 5))  # (B, H/f, W/f, di, dj, C)\n",
        "",
        caught_by=("numeric.pixel_shuffle_hand_example", "numeric.pixel_shuffle_matches_space_to_depth"),
    ),
    Mutant(
        "shuffle_channel_major_like_torch_pixel_unshuffle",
        "(0, 1, 3, 2, 4, 5))  # (B, H/f, W/f, di, dj, C)",
        "(0, 1, 3, 5, 2, 4))",
        caught_by=("numeric.pixel_shuffle_hand_example", "numeric.pixel_shuffle_matches_space_to_depth"),
    ),
    Mutant(
        "shuffle_column_offset_first",
        "(0, 1, 3, 2, 4, 5))  # (B, H/f, W/f, di, dj, C)",
        "(0, 1, 3, 4, 2, 5))",
        caught_by=("numeric.pixel_shuffle_hand_example", "numeric.pixel_shuffle_matches_space_to_depth"),
    ),
    Mutant(
        "shuffle_spatial_axes_transposed_internvl_v1",
        "    return tf.reshape(blocks, (b, h // f, w // f, f * f * c))",
        "    return tf.transpose(tf.reshape(blocks, (b, h // f, w // f, f * f * c)), (0, 2, 1, 3))",
        caught_by=("shape.result_types_and_shapes",
                   "numeric.pixel_shuffle_matches_space_to_depth"),
    ),
    Mutant(
        "no_divisibility_check",
        "    if h % f or w % f:",
        "    if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "grids_sorted_in_place",
        '    candidates = _int_pairs(grids, "grids", expect_one=False)\n',
        '    if isinstance(grids, list):\n'
        '        grids.sort()\n'
        '    candidates = _int_pairs(grids, "grids", expect_one=False)\n',
        caught_by=("behavior.inputs_not_mutated",),
    ),
]
