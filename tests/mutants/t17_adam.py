"""Deliberate mutants of solutions/t17_adam.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "epsilon_inside_sqrt",
        "np.sqrt(v) + eps",
        "np.sqrt(v + eps)",
        caught_by=("numeric.matches_keras_adam", "numeric.tiny_gradients_epsilon_placement"),
    ),
    Mutant(
        "no_bias_correction",
        "alpha = lr * math.sqrt(1.0 - b2 ** int(t)) / (1.0 - b1 ** int(t))",
        "alpha = lr",
        caught_by=("numeric.first_step_by_hand", "numeric.matches_keras_adam",
                   "numeric.matches_keras_adamw_custom_hyperparameters"),
    ),
    Mutant(
        "bias_correction_off_by_one",
        "alpha = lr * math.sqrt(1.0 - b2 ** int(t)) / (1.0 - b1 ** int(t))",
        "alpha = lr * math.sqrt(1.0 - b2 ** (int(t) - 1)) / (1.0 - b1 ** (int(t) - 1))",
        caught_by=("numeric.first_step_by_hand", "numeric.matches_keras_adam"),
    ),
    Mutant(
        "l2_in_gradient_instead_of_decoupled_decay",
        "    p -= lr * wd * p\n",
        "    g = g + wd * p\n",
        caught_by=("behavior.weight_decay_shrinks_weights", "numeric.matches_keras_adamw_custom_hyperparameters"),
    ),
    Mutant(
        "beta_2_on_g_not_g_squared",
        "v += (g * g - v) * (1.0 - b2)",
        "v += (g - v) * (1.0 - b2)",
        caught_by=("numeric.first_step_by_hand", "numeric.matches_keras_adam"),
    ),
    Mutant(
        "paper_epsilon_on_bias_corrected_v",
        "    p -= alpha * m / (np.sqrt(v) + eps)",
        "    p -= lr * (m / (1.0 - b1 ** int(t))) / (np.sqrt(v / (1.0 - b2 ** int(t))) + eps)",
        caught_by=("numeric.tiny_gradients_epsilon_placement",),
    ),
    Mutant(
        "updates_inputs_in_place",
        "    return np.array(a, dtype=np.float64)",
        "    return np.asarray(a, dtype=np.float64)",
        caught_by=("behavior.inputs_not_mutated",),
    ),
    Mutant(
        "no_shape_validation",
        "        if a.shape != p.shape:",
        "        if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
]
