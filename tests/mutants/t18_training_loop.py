"""Deliberate mutants of solutions/t18_training_loop.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "drops_last_partial_batch",
        "for start in range(0, n, batch_size):",
        "for start in range(0, n - batch_size + 1, batch_size):",
        caught_by=("behavior.every_sample_once_per_epoch", "numeric.matches_replay_of_its_batches"),
    ),
    Mutant(
        "history_mean_of_batch_means",
        "            total += float(loss) * len(index)  # weight the batch mean by the batch size\n"
        "        history.append(total / n)",
        "            total += float(loss)\n"
        "        history.append(total / math.ceil(n / batch_size))",
        caught_by=("numeric.matches_replay_of_its_batches", "numeric.matches_replay_with_uneven_batches"),
    ),
    Mutant(
        "history_last_batch_loss",
        "        history.append(total / n)",
        "        history.append(float(loss))",
        caught_by=("numeric.matches_replay_of_its_batches", "numeric.matches_replay_with_uneven_batches"),
    ),
    Mutant(
        "shuffled_once",
        "    for _ in range(epochs):\n        order = rng.permutation(n)  # a fresh order every epoch\n",
        "    order = rng.permutation(n)\n    for _ in range(epochs):\n",
        caught_by=("behavior.reshuffled_every_epoch",),
    ),
    Mutant(
        "unseeded_shuffle",
        "rng = np.random.default_rng(seed)",
        "rng = np.random.default_rng()",
        caught_by=("behavior.reproducible_with_seed",),
    ),
    Mutant(
        "loss_from_probabilities",
        "SparseCategoricalCrossentropy(from_logits=True)",
        "SparseCategoricalCrossentropy(from_logits=False)",
        caught_by=("numeric.zero_weights_first_loss_is_log_3", "numeric.matches_replay_of_its_batches"),
    ),
    Mutant(
        "learning_rate_ignored",
        "keras.optimizers.Adam(learning_rate=learning_rate)",
        "keras.optimizers.Adam()",
        caught_by=("numeric.zero_weights_first_loss_is_log_3", "numeric.matches_replay_of_its_batches"),
    ),
    Mutant(
        "optimizer_recreated_every_epoch",
        "        order = rng.permutation(n)  # a fresh order every epoch\n",
        "        order = rng.permutation(n)  # a fresh order every epoch\n"
        "        optimizer = keras.optimizers.Adam(learning_rate=learning_rate)\n",
        caught_by=("numeric.matches_replay_of_its_batches", "numeric.matches_replay_with_uneven_batches"),
    ),
    Mutant(
        "shuffles_caller_array_in_place",
        "        order = rng.permutation(n)  # a fresh order every epoch\n",
        "        order = rng.permutation(n)  # a fresh order every epoch\n"
        "        if not isinstance(inputs, list):\n"
        "            inputs[...] = inputs[order]  # np.asarray(train_data) is the caller's array\n"
        "            labels[...] = labels[order]\n"
        "            order = np.arange(n)\n",
        caught_by=("behavior.inputs_not_mutated",),
    ),
    Mutant(
        "zero_learning_rate_rejected",
        "math.isfinite(learning_rate) and learning_rate >= 0",
        "math.isfinite(learning_rate) and learning_rate > 0",
        caught_by=("numeric.zero_learning_rate_is_a_no_op_step",),
    ),
    Mutant(
        "negative_learning_rate_accepted",
        "math.isfinite(learning_rate) and learning_rate >= 0",
        "math.isfinite(learning_rate)",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "bool_labels_accepted",
        '    if labels.dtype.kind == "b":\n        raise TypeError(',
        '    if False:\n        raise TypeError(',
        caught_by=("behavior.bad_input_is_an_error",),
    ),
]
