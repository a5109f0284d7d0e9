"""Deliberate mutants of solutions/t04_encoder_decoder.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "decoders_without_relu",
        'activation="relu", name="text_decoder"',
        'name="text_decoder"',
        caught_by=("numeric.hand_worked_weights", "numeric.matches_numpy_oracle",
                   "behavior.gradients_reach_all_weights"),
    ),
    Mutant(
        "image_through_text_decoder",
        "self.image_decoder(self.image_encoder(image))",
        "self.text_decoder(self.image_encoder(image))",
        caught_by=("numeric.hand_worked_weights", "numeric.matches_numpy_oracle",
                   "behavior.gradients_reach_all_weights"),
    ),
    Mutant(
        "fresh_layers_every_call",
        "        return self.text_decoder(self.text_encoder(text)) + self.image_decoder(self.image_encoder(image))",
        "        fresh = [keras.layers.Dense(self.hidden_size, activation=\"relu\") for _ in range(4)]\n"
        "        return fresh[2](fresh[0](text)) + fresh[3](fresh[1](image))",
        caught_by=("numeric.hand_worked_weights", "numeric.matches_numpy_oracle", "behavior.same_output_twice",
                   "behavior.gradients_reach_all_weights"),
    ),
    Mutant(
        "stop_gradient_on_image_branch",
        "+ self.image_decoder(self.image_encoder(image))",
        "+ keras.ops.stop_gradient(self.image_decoder(self.image_encoder(image)))",
        caught_by=("behavior.gradients_reach_all_weights",),
    ),
    Mutant(
        "config_without_hidden_size",
        '        config["hidden_size"] = self.hidden_size\n',
        "",
        caught_by=("behavior.config_round_trip",),
    ),
    Mutant(
        "concatenate_instead_of_add",
        "        return self.text_decoder(self.text_encoder(text)) + self.image_decoder(self.image_encoder(image))",
        "        both = [self.text_decoder(self.text_encoder(text)), self.image_decoder(self.image_encoder(image))]\n"
        "        return keras.ops.concatenate(both, axis=-1)",
        caught_by=("shape.output_shape", "numeric.hand_worked_weights", "numeric.matches_numpy_oracle"),
    ),
    Mutant(
        "no_batch_check",
        "        if bt is not None and bi is not None and bt != bi:",
        "        if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
]
