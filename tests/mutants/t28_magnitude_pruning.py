"""Deliberate mutants of solutions/t28_magnitude_pruning.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "global_threshold",
        "    masks = {name: _keep_mask(np.abs(k), sparsity) for name, k in kernels.items()}",
        "    every = np.concatenate([np.abs(k).ravel() for k in kernels.values()])\n"
        "    masks = {name: np.abs(k) >= np.quantile(every, sparsity) for name, k in kernels.items()}",
        caught_by=("numeric.prunes_smallest_fraction_per_layer", "numeric.several_sparsities"),
    ),
    Mutant(
        "prune_largest",
        "    keep[order[:n_pruned]] = False",
        "    keep[order[magnitude.size - n_pruned:]] = False",
        caught_by=("numeric.hand_worked_example", "numeric.prunes_smallest_fraction_per_layer"),
    ),
    Mutant(
        "sparsity_is_the_kept_fraction",
        "    n_pruned = int(np.round(sparsity * magnitude.size))",
        "    n_pruned = int(np.round((1 - sparsity) * magnitude.size))",
        caught_by=("numeric.prunes_smallest_fraction_per_layer", "numeric.sparsity_zero_and_one"),
    ),
    Mutant(
        "masks_never_applied",
        "        layer.kernel.assign(np.where(masks[layer.name], kernels[layer.name], 0)"
        ".astype(kernels[layer.name].dtype))",
        "        pass",
        caught_by=("numeric.hand_worked_example", "numeric.prunes_smallest_fraction_per_layer"),
    ),
    Mutant(
        "bias_pruned_too",
        ".astype(kernels[layer.name].dtype))\n",
        ".astype(kernels[layer.name].dtype))\n"
        "        layer.bias.assign(np.asarray(layer.bias) * _keep_mask(np.abs(np.asarray(layer.bias)), sparsity))\n",
        caught_by=("behavior.biases_and_other_layers_untouched", "numeric.sparsity_zero_and_one"),
    ),
    Mutant(
        "top_level_layers_only",
        "            found.extend(_dense_layers(sub))",
        "            pass",
        caught_by=("shape.nested_models_and_non_dense_layers",),
    ),
    Mutant(
        "any_layer_with_a_kernel",
        "        if isinstance(sub, keras.layers.Dense):",
        "        if hasattr(sub, \"kernel\"):",
        caught_by=("shape.nested_models_and_non_dense_layers",),
    ),
    Mutant(
        "threshold_prunes_all_ties",
        "    keep[order[:n_pruned]] = False",
        "    if n_pruned:\n"
        "        keep[magnitude.ravel() <= magnitude.ravel()[order[n_pruned - 1]]] = False",
        caught_by=("numeric.ties_in_magnitude",),
    ),
    Mutant(
        "no_range_check",
        "    if not (math.isfinite(sparsity) and 0.0 <= sparsity <= 1.0):",
        "    if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
]
