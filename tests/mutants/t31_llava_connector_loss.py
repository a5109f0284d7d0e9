"""Deliberate mutants of solutions/t31_llava_connector_loss.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    # --- the loss: the errata's bugs first
    Mutant(
        "masked_positions_in_the_denominator",
        "tf.math.divide_no_nan(tf.reduce_sum(nll), tf.reduce_sum(counts))",
        "tf.math.divide_no_nan(tf.reduce_sum(nll), tf.cast(tf.size(nll), x.dtype))",
        caught_by=("numeric.hand_worked_examples", "numeric.token_loss_matches_oracle",
                   "numeric.gradient_matches_closed_form", "behavior.batch_split_like_gradient_accumulation"),
    ),
    Mutant(
        "mask_ignored_minus_100_replaced_by_0",
        "    nll = tf.where(tf.constant(keep), -picked, tf.zeros_like(picked))\n"
        "    counts = tf.reduce_sum(tf.cast(keep, x.dtype), axis=-1)",
        "    nll = -picked\n"
        "    counts = tf.reduce_sum(tf.ones_like(nll), axis=-1)",
        caught_by=("numeric.hand_worked_examples", "numeric.token_loss_matches_oracle",
                   "behavior.masked_positions_do_not_matter"),
    ),
    Mutant(
        "token_reduction_averages_per_sample",
        'if reduction == "token":',
        'if reduction == "per-token":',
        caught_by=("numeric.hand_worked_examples", "numeric.token_loss_matches_oracle",
                   "behavior.batch_split_like_gradient_accumulation"),
    ),
    Mutant(
        "sample_reduction_counts_empty_samples",
        "samples = tf.reduce_sum(tf.cast(counts > 0, x.dtype))",
        "samples = tf.cast(tf.shape(counts)[0], x.dtype)",
        caught_by=("numeric.sample_loss_matches_oracle", "numeric.gradient_matches_closed_form"),
    ),
    Mutant(
        "log_of_softmax",
        "log_probs = tf.nn.log_softmax(x, axis=-1)",
        "log_probs = tf.math.log(tf.nn.softmax(x, axis=-1))",
        caught_by=("numeric.stable_for_huge_logits",),
    ),
    Mutant(
        "log_sum_exp_without_max_shift",
        "log_probs = tf.nn.log_softmax(x, axis=-1)",
        "log_probs = x - tf.math.log(tf.reduce_sum(tf.exp(x), axis=-1, keepdims=True))",
        caught_by=("numeric.stable_for_huge_logits",),
    ),
    Mutant(
        "labels_shifted_again",
        "log_probs = tf.nn.log_softmax(x, axis=-1)",
        "log_probs = tf.roll(tf.nn.log_softmax(x, axis=-1), shift=1, axis=1)",
        caught_by=("numeric.hand_worked_examples", "numeric.token_loss_matches_oracle",
                   "numeric.sample_loss_matches_oracle"),
    ),
    Mutant(
        "zero_over_zero_when_all_masked",
        "tf.math.divide_no_nan(tf.reduce_sum(nll), tf.reduce_sum(counts))",
        "tf.reduce_sum(nll) / tf.reduce_sum(counts)",
        caught_by=("shape.variables_dtypes_and_empty_inputs", "behavior.all_masked_gives_zero_and_zero_gradient"),
    ),
    Mutant(
        "ignore_index_hard_coded",
        "    keep = targets != ignore\n",
        "    keep = targets != -100\n",
        caught_by=("behavior.custom_ignore_index",),
    ),
    Mutant(
        "labels_overwritten_in_place",
        "    safe = np.where(keep, targets, 0)",
        "    targets[~keep] = 0\n    safe = targets",
        caught_by=("behavior.inputs_not_mutated",),
    ),
    Mutant(
        "label_range_not_checked",
        "    if real.size and (real.min() < 0 or real.max() >= vocab):",
        "    if False:",
        caught_by=("behavior.loss_bad_input_is_an_error",),
    ),
    Mutant(
        "fractional_labels_truncated",
        "if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):",
        "if not np.all(np.isfinite(array)):",
        caught_by=("behavior.loss_bad_input_is_an_error",),
    ),
    # --- the projector
    Mutant(
        "tanh_approximate_gelu",
        "keras.activations.gelu(self.linear_1(x), approximate=False)",
        "keras.activations.gelu(self.linear_1(x), approximate=True)",
        caught_by=("numeric.hand_worked_examples", "numeric.projector_matches_oracle"),
    ),
    Mutant(
        "relu_instead_of_gelu",
        "keras.activations.gelu(self.linear_1(x), approximate=False)",
        "keras.activations.relu(self.linear_1(x))",
        caught_by=("numeric.hand_worked_examples", "numeric.projector_matches_oracle"),
    ),
    Mutant(
        "no_activation_two_linears_collapse",
        "keras.activations.gelu(self.linear_1(x), approximate=False)",
        "self.linear_1(x)",
        caught_by=("numeric.hand_worked_examples", "numeric.projector_matches_oracle"),
    ),
    Mutant(
        "gelu_after_the_second_layer_too",
        "        return self.linear_2(hidden)",
        "        return keras.activations.gelu(self.linear_2(hidden), approximate=False)",
        caught_by=("numeric.hand_worked_examples", "numeric.projector_matches_oracle"),
    ),
    Mutant(
        "dense_created_on_every_call",
        "        return self.linear_2(hidden)",
        "        return keras.layers.Dense(self.llm_dim)(hidden)",
        caught_by=("behavior.projector_created_once_trained_and_rebuilt",),
    ),
    Mutant(
        "get_config_forgets_llm_dim",
        'config["llm_dim"] = self.llm_dim',
        "pass",
        caught_by=("behavior.projector_created_once_trained_and_rebuilt",),
    ),
    Mutant(
        "bool_accepted_as_llm_dim",
        "if isinstance(llm_dim, bool) or not isinstance(llm_dim, (int, np.integer)):",
        "if not isinstance(llm_dim, (int, np.integer)):",
        caught_by=("behavior.projector_bad_input_is_an_error",),
    ),
]
