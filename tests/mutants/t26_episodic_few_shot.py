"""Deliberate mutants of solutions/t26_episodic_few_shot.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "query_overlaps_support",
        "        query.append(members[k_shot:])",
        "        query.append(members[:n_query])",
        caught_by=("behavior.episode_structure",),
    ),
    Mutant(
        "seed_ignored",
        "    rng = np.random.default_rng(seed)",
        "    rng = np.random.default_rng()",
        caught_by=("behavior.seeded_determinism",),
    ),
    Mutant(
        "classes_without_enough_examples_sampled",
        "    chosen = rng.choice(eligible, size=n_way, replace=False)",
        "    chosen = rng.choice(classes, size=n_way, replace=False)",
        caught_by=("behavior.episodes_from_a_shuffled_unequal_pool",),
    ),
    Mutant(
        "eligibility_off_by_one",
        "    eligible = classes[counts >= need]",
        "    eligible = classes[counts > need]",
        caught_by=("behavior.impossible_episode_is_an_error",),
    ),
    Mutant(
        "always_the_first_examples",
        "        members = rng.permutation(np.flatnonzero(y == c))[:need]",
        "        members = np.flatnonzero(y == c)[:need]",
        caught_by=("behavior.episodes_from_a_shuffled_unequal_pool",),
    ),
    Mutant(
        "sum_not_mean_prototype",
        "tf.math.unsorted_segment_sum(support_emb, index, len(classes)) / counts[:, None]",
        "tf.math.unsorted_segment_sum(support_emb, index, len(classes))",
        caught_by=("numeric.loss_hand_worked_example", "numeric.loss_matches_numpy_oracle",
                   "numeric.loss_gradient_matches_central_differences"),
    ),
    Mutant(
        "plain_not_squared_distance",
        "    return classes, tf.nn.log_softmax(-sq_dist, axis=-1)",
        "    return classes, tf.nn.log_softmax(-tf.sqrt(sq_dist), axis=-1)",
        caught_by=("numeric.loss_hand_worked_example", "numeric.loss_matches_numpy_oracle"),
    ),
    Mutant(
        "labels_used_as_columns",
        "    columns = np.searchsorted(classes, qy)",
        "    columns = qy % len(classes)",
        caught_by=("numeric.loss_matches_numpy_oracle", "numeric.loss_gradient_matches_central_differences"),
    ),
    Mutant(
        "embeddings_detached",
        "    emb = tf.convert_to_tensor(emb)\n",
        "    emb = tf.stop_gradient(tf.convert_to_tensor(emb))\n",
        caught_by=("numeric.loss_gradient_matches_central_differences",
                   "behavior.gradients_reach_every_encoder_variable"),
    ),
    Mutant(
        "unknown_query_label_not_checked",
        "    if unknown.size:",
        "    if False:",
        caught_by=("behavior.loss_bad_input_is_an_error",),
    ),
    Mutant(
        "bool_labels_taken_as_classes",
        'if y.dtype.kind not in "iuf":',
        'if y.dtype.kind not in "biuf":',
        caught_by=("behavior.loss_bad_input_is_an_error",),
    ),
    Mutant(
        "fractional_labels_truncated",
        "            raise ValueError(f\"{name} must hold whole numbers",
        "            y = np.floor(y)\n            if False:\n"
        "                raise ValueError(f\"{name} must hold whole numbers",
        caught_by=("behavior.impossible_episode_is_an_error",),
    ),
    Mutant(
        "empty_query_gives_nan",
        "    if len(sy) == 0 or len(qy) == 0:",
        "    if len(sy) == 0:",
        caught_by=("behavior.loss_bad_input_is_an_error",),
    ),
]
