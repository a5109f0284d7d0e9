"""Deliberate mutants of solutions/t21_unfreeze_top_layers.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "batchnorm_counted",
        " and not isinstance(layer, keras.layers.BatchNormalization)]",
        "]",
        caught_by=("shape.names_for_k_2", "numeric.trainable_parameter_count", "numeric.one_sgd_step_matches_oracle",
                   "behavior.batchnorm_always_frozen", "behavior.frozen_batchnorm_during_fit"),
    ),
    Mutant(
        "weightless_layers_counted",
        "counted = [layer for layer in leaves if layer.weights and not",
        "counted = [layer for layer in leaves if not",
        caught_by=("shape.names_for_k_2", "shape.names_for_other_k", "numeric.trainable_parameter_count"),
    ),
    Mutant(
        # layers[-0:] is the whole list: k=0 unfreezes everything
        "minus_k_slice",
        "top = counted[max(len(counted) - int(k), 0):] if k > 0 else []",
        "top = counted[-k:]",
        caught_by=("shape.names_for_other_k", "behavior.repeated_calls_are_consistent"),
    ),
    Mutant(
        # k = 4 > 3 counted layers gives a negative start: only the last layer
        "negative_start",
        "top = counted[max(len(counted) - int(k), 0):] if k > 0 else []",
        "top = counted[len(counted) - int(k):] if k > 0 else []",
        caught_by=("shape.names_for_other_k",),
    ),
    Mutant(
        "others_not_frozen",
        "    for layer in leaves:\n        layer.trainable = False\n",
        "",
        caught_by=("numeric.trainable_parameter_count", "behavior.repeated_calls_are_consistent",
                   "behavior.batchnorm_always_frozen"),
    ),
    Mutant(
        # Keras: a frozen container hides the weights of its trainable children
        "model_frozen_first",
        "    model.trainable = True\n",
        "    model.trainable = False\n",
        caught_by=("numeric.trainable_parameter_count", "numeric.one_sgd_step_matches_oracle",
                   "behavior.works_after_model_was_frozen"),
    ),
    Mutant(
        "container_left_frozen",
        "    model.trainable = True\n",
        "",
        caught_by=("behavior.works_after_model_was_frozen",),
    ),
    Mutant(
        "nested_model_not_expanded",
        "        if isinstance(layer, keras.Model):",
        "        if False:",
        caught_by=("behavior.nested_model_is_expanded",),
    ),
    Mutant(
        # Variable-level flags are not saved, and leave BatchNormalization layers trainable
        # (so in training mode during fit).
        "variable_level_freezing",
        "    for layer in leaves:\n        layer.trainable = False\n"
        "    for layer in top:\n        layer.trainable = True\n",
        "    for layer in leaves:\n"
        "        for variable in layer.trainable_weights:\n            variable.trainable = False\n"
        "    for layer in top:\n"
        "        for variable in layer.weights:\n            variable.trainable = True\n",
        caught_by=("behavior.save_and_load_keep_flags", "behavior.frozen_batchnorm_during_fit"),
    ),
    Mutant(
        "no_validation",
        "    if k < 0:",
        "    if False:",
        caught_by=("behavior.bad_arguments",),
    ),
]
