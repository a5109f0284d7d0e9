"""Deliberate mutants of solutions/t07_fgsm.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "gaussian_noise_not_gradient_sign",
        "tf.sign(grad)",
        "tf.random.normal(tf.shape(grad), dtype=grad.dtype)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_sign_of_cross_entropy_gradient",
                   "behavior.deterministic"),
    ),
    Mutant(
        "gradient_descent_minus_sign",
        "return tf.stop_gradient(x_t + step)",
        "return tf.stop_gradient(x_t - step)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_sign_of_cross_entropy_gradient",
                   "behavior.loss_goes_up"),
    ),
    Mutant(
        "raw_gradient_no_sign",
        "tf.sign(grad)",
        "grad",
        caught_by=("numeric.hand_worked_example", "numeric.matches_sign_of_cross_entropy_gradient"),
    ),
    Mutant(
        "l2_normalised_gradient_fgm",
        "tf.sign(grad)",
        "grad / tf.norm(grad)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_sign_of_cross_entropy_gradient"),
    ),
    Mutant(
        "sign_by_division_nan_at_zero",
        "tf.sign(grad)",
        "grad / tf.abs(grad)",
        caught_by=("numeric.quadratic_with_flat_entries",),
    ),
    Mutant(
        "negative_epsilon_accepted",
        "if not math.isfinite(value) or value < 0:",
        "if not math.isfinite(value):",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "perturbs_caller_array_in_place",
        "    return tf.stop_gradient(x_t + step)",
        "    if isinstance(x, np.ndarray):\n        x += step.numpy()\n        return tf.constant(x)\n"
        "    return tf.stop_gradient(x_t + step)",
        caught_by=("behavior.inputs_not_mutated",),
    ),
]
