"""Deliberate mutants of solutions/t23_uncertainty_weighting.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "exp_of_plus_s",
        "tf.exp(-s) * losses + s",
        "tf.exp(s) * losses + s",
        caught_by=("numeric.hand_worked_example", "numeric.matches_formula",
                   "numeric.gradients_match_closed_form", "numeric.minimum_is_at_log_losses"),
    ),
    Mutant(
        "no_regulariser",
        "tf.exp(-s) * losses + s",
        "tf.exp(-s) * losses",
        caught_by=("numeric.hand_worked_example", "numeric.matches_formula",
                   "numeric.gradients_match_closed_form", "numeric.minimum_is_at_log_losses"),
    ),
    Mutant(
        "half_weight_on_the_losses",
        "tf.exp(-s) * losses + s",
        "0.5 * tf.exp(-s) * losses + s",
        caught_by=("numeric.hand_worked_example", "numeric.matches_formula",
                   "numeric.gradients_match_closed_form", "numeric.minimum_is_at_log_losses"),
    ),
    Mutant(
        "mean_over_tasks",
        "tf.reduce_sum(tf.exp(-s) * losses + s)",
        "tf.reduce_mean(tf.exp(-s) * losses + s)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_formula", "numeric.gradients_match_closed_form"),
    ),
    Mutant(
        "through_numpy",
        "        t = tf.convert_to_tensor(x)",
        "        t = tf.constant(tf.convert_to_tensor(x).numpy())",
        caught_by=("numeric.gradients_match_closed_form", "numeric.minimum_is_at_log_losses",
                   "behavior.trains_a_model_through_the_losses"),
    ),
    Mutant(
        "no_task_count_check",
        "    if losses.shape[0] != s.shape[0]:",
        "    if False:",
        caught_by=("behavior.mismatched_tasks_are_an_error",),
    ),
    Mutant(
        "no_rank_check",
        "    if t.shape.rank != 1:",
        "    if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
]
