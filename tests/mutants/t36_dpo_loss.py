"""Deliberate mutants of solutions/t36_dpo_loss.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        # -log(sigmoid(m)) as written in the paper: sigmoid underflows to 0 at m = -1e4, the loss is inf.
        "log_of_sigmoid_overflows",
        "    losses = tf.nn.softplus(-(chosen_rewards - rejected_rewards))",
        "    losses = -tf.math.log(tf.sigmoid(chosen_rewards - rejected_rewards))",
        caught_by=("numeric.stable_at_huge_margins",),
    ),
    Mutant(
        "margin_sign_flipped",
        "    losses = tf.nn.softplus(-(chosen_rewards - rejected_rewards))",
        "    losses = tf.nn.softplus(chosen_rewards - rejected_rewards)",
        caught_by=("numeric.dpo_hand_worked_example", "numeric.dpo_matches_formula",
                   "numeric.dpo_gradient_matches_closed_form", "behavior.beta_scales_rewards_and_sharpens_the_loss"),
    ),
    Mutant(
        # The reference model dropped: a preference loss on raw log-likelihoods, not DPO.
        "reference_ignored",
        "    chosen_rewards = beta * (policy_chosen - ref_chosen)\n"
        "    rejected_rewards = beta * (policy_rejected - ref_rejected)",
        "    chosen_rewards = beta * policy_chosen\n"
        "    rejected_rewards = beta * policy_rejected",
        caught_by=("numeric.dpo_hand_worked_example", "numeric.dpo_matches_formula",
                   "behavior.only_the_log_ratios_matter"),
    ),
    Mutant(
        # beta outside the log-sigmoid: -beta * log sigmoid(delta).
        "beta_outside_the_log_sigmoid",
        "    losses = tf.nn.softplus(-(chosen_rewards - rejected_rewards))",
        "    losses = beta * tf.nn.softplus(-(chosen_rewards - rejected_rewards) / beta)",
        caught_by=("numeric.dpo_hand_worked_example", "numeric.dpo_matches_formula",
                   "numeric.dpo_gradient_matches_closed_form", "behavior.beta_scales_rewards_and_sharpens_the_loss"),
    ),
    Mutant(
        "sum_over_the_batch",
        "    loss = tf.math.divide_no_nan(tf.reduce_sum(losses), count)",
        "    loss = tf.reduce_sum(losses)",
        caught_by=("numeric.dpo_hand_worked_example", "numeric.dpo_matches_formula",
                   "numeric.dpo_gradient_matches_closed_form"),
    ),
    Mutant(
        # tf.reduce_mean of an empty batch is NaN.
        "empty_batch_nan",
        "    loss = tf.math.divide_no_nan(tf.reduce_sum(losses), count)",
        "    loss = tf.reduce_mean(losses)",
        caught_by=("shape.empty_batch_and_lists",),
    ),
    Mutant(
        # Length-normalised log-probabilities (SimPO-style), not DPO's sum.
        "mean_over_tokens",
        "    return tf.reduce_sum(tf.where(tf.constant(keep), picked, tf.zeros_like(picked)), axis=-1)",
        "    total = tf.reduce_sum(tf.where(tf.constant(keep), picked, tf.zeros_like(picked)), axis=-1)\n"
        "    return total / tf.cast(tf.maximum(tf.reduce_sum(tf.cast(keep, tf.int32), axis=-1), 1), total.dtype)",
        caught_by=("numeric.sequence_logprob_hand_worked_example", "numeric.sequence_logprob_matches_formula"),
    ),
    Mutant(
        # Prompt and padding tokens summed too.
        "mask_ignored",
        "    return tf.reduce_sum(tf.where(tf.constant(keep), picked, tf.zeros_like(picked)), axis=-1)",
        "    return tf.reduce_sum(picked, axis=-1)",
        caught_by=("numeric.sequence_logprob_hand_worked_example", "numeric.sequence_logprob_matches_formula",
                   "behavior.masked_positions_are_ignored"),
    ),
    Mutant(
        # log(softmax): log(0) = -inf for a token far below the top one.
        "log_of_softmax",
        "    log_probs = tf.nn.log_softmax(scores, axis=-1)",
        "    log_probs = tf.math.log(tf.nn.softmax(scores, axis=-1))",
        caught_by=("numeric.stable_at_huge_margins",),
    ),
    Mutant(
        # Shifting again inputs the caller already aligned: logits at t score the label at t + 1.
        "shifted_twice",
        "    picked = tf.reduce_sum(log_probs * tf.one_hot(safe, vocab, dtype=log_probs.dtype), axis=-1)  # (B, L)",
        "    picked = tf.reduce_sum(log_probs[:, :-1]\n"
        "                           * tf.one_hot(safe[:, 1:], vocab, dtype=log_probs.dtype), axis=-1)\n"
        "    keep = keep[:, 1:]",
        caught_by=("numeric.sequence_logprob_hand_worked_example", "numeric.sequence_logprob_matches_formula"),
    ),
    Mutant(
        # Labels range-checked everywhere: the ignore index -100 under the mask is refused.
        "masked_labels_validated",
        "    used = ids[keep]",
        "    used = ids",
        caught_by=("behavior.masked_positions_are_ignored", "behavior.inputs_not_mutated"),
    ),
    Mutant(
        # -100 used as an index: TensorFlow's gather raises its own InvalidArgumentError on CPU.
        "ignore_index_gathered",
        "    picked = tf.reduce_sum(log_probs * tf.one_hot(safe, vocab, dtype=log_probs.dtype), axis=-1)  # (B, L)",
        "    picked = tf.gather(log_probs, tf.constant(ids), batch_dims=2)",
        caught_by=("behavior.masked_positions_are_ignored",),
    ),
    Mutant(
        "no_beta_validation",
        "    if not (math.isfinite(value) and value > 0):",
        "    if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
]
