"""Deliberate mutants of solutions/t09_linear_probe.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "training_passed_through",
        "self.backbone(inputs, training=False)",
        "self.backbone(inputs, training=training)",
        caught_by=("numeric.logits_match_oracle", "numeric.one_sgd_step_matches_oracle",
                   "behavior.inference_mode_when_training"),
    ),
    Mutant(
        # The Keras 2 recipe: in Keras 3 the outer model's training=True overrides the inner
        # training=False, so the backbone's Dropout is active during fit.
        "functional_model",
        '    return LinearProbe(backbone, int(num_classes), name="linear_probe")',
        "    inputs = keras.Input(shape=backbone.input_shape[1:])\n"
        "    features = backbone(inputs, training=False)\n"
        "    return keras.Model(inputs, keras.layers.Dense(num_classes)(features))",
        caught_by=("numeric.logits_match_oracle", "numeric.one_sgd_step_matches_oracle",
                   "behavior.inference_mode_when_training"),
    ),
    Mutant(
        "backbone_not_frozen",
        "    backbone.trainable = False\n",
        "",
        caught_by=("behavior.only_head_trainable", "behavior.fit_trains_only_the_head"),
    ),
    Mutant(
        "softmax_head",
        'keras.layers.Dense(num_classes, name="probe_head")',
        'keras.layers.Dense(num_classes, activation="softmax", name="probe_head")',
        # (fit alone would not see it: Keras's cross-entropy from_logits=True quietly unwraps a
        # softmax output, so only the returned logits show the bug)
        caught_by=("numeric.hand_set_head_logits", "numeric.logits_match_oracle"),
    ),
    Mutant(
        "head_without_bias",
        'keras.layers.Dense(num_classes, name="probe_head")',
        'keras.layers.Dense(num_classes, use_bias=False, name="probe_head")',
        caught_by=("numeric.hand_set_head_logits", "behavior.only_head_trainable"),
    ),
    Mutant(
        "no_validation",
        "    if not isinstance(backbone, keras.layers.Layer):",
        "    if False:",
        caught_by=("behavior.bad_arguments",),
    ),
]
