"""Deliberate mutants of solutions/t24_multitask_model.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "separate_heads_fused_unused",
        'name="text_task")(shared)\n    image_output = keras.layers.Dense(1, activation="sigmoid", '
        'name="image_task")(shared)',
        'name="text_task")(text_branch)\n    image_output = keras.layers.Dense(1, activation="sigmoid", '
        'name="image_task")(image_branch)',
        caught_by=("numeric.heads_learn_targets_needing_both_modalities",
                   "behavior.each_head_depends_on_both_modalities", "behavior.heads_share_trunk_parameters"),
    ),
    Mutant(
        "text_head_skips_the_trunk",
        'name="text_task")(shared)',
        'name="text_task")(text_branch)',
        caught_by=("numeric.heads_learn_targets_needing_both_modalities",
                   "behavior.each_head_depends_on_both_modalities"),
    ),
    Mutant(
        "image_never_fused",
        "([text_branch, image_branch])",
        "([text_branch, text_branch])",
        caught_by=("numeric.heads_learn_targets_needing_both_modalities",
                   "behavior.each_head_depends_on_both_modalities"),
    ),
    Mutant(
        "linear_head",
        'keras.layers.Dense(1, activation="sigmoid", name="text_task")',
        'keras.layers.Dense(1, name="text_task")',
        caught_by=("numeric.outputs_are_probabilities",),
    ),
    Mutant(
        "softmax_on_one_unit",
        'keras.layers.Dense(1, activation="sigmoid", name="image_task")',
        'keras.layers.Dense(1, activation="softmax", name="image_task")',
        caught_by=("numeric.outputs_are_probabilities", "behavior.each_head_depends_on_both_modalities"),
    ),
    Mutant(
        "wrong_output_name",
        'outputs={"text_task": text_output,',
        'outputs={"text": text_output,',
        caught_by=("shape.output_dict_and_shapes",),
    ),
    Mutant(
        "lambda_fusion",
        'keras.layers.Concatenate(axis=-1, name="fused")',
        'keras.layers.Lambda(lambda z: keras.ops.concatenate(z, axis=-1), name="fused")',
        caught_by=("behavior.keras_file_round_trip",),
    ),
    Mutant(
        # normalises each fused feature over the batch: a sample's output depends on the others
        "batch_coupled_fusion",
        '([text_branch, image_branch])',
        '([text_branch, image_branch])\n    fused = keras.layers.UnitNormalization(axis=0, name="across_batch")(fused)',
        caught_by=("numeric.per_sample_and_deterministic",),
    ),
    Mutant(
        "no_size_validation",
        "    if value < 1:",
        "    if False:",
        caught_by=("behavior.bad_sizes_are_errors",),
    ),
]
