"""Deliberate mutants of solutions/t33_lora.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        # "initialise both factors randomly": the adapted layer no longer starts as the base layer.
        "b_random_init",
        'shape=(self.rank, self.units), initializer="zeros",',
        'shape=(self.rank, self.units), initializer=keras.initializers.RandomNormal(stddev=0.02),',
        caught_by=("numeric.from_dense_matches_dense", "behavior.starts_equal_to_base",
                   "behavior.a_initialisation"),
    ),
    Mutant(
        # A = B = 0: the output starts right, but neither factor ever gets a gradient.
        "a_zero_init",
        "initializer=keras.initializers.RandomUniform(-bound, bound, seed=a_seed))",
        'initializer="zeros")',
        caught_by=("behavior.starts_equal_to_base", "behavior.a_initialisation"),
    ),
    Mutant(
        # Keras' HeUniform has the bound sqrt(6 / d_in), about 2.45x PEFT's 1 / sqrt(d_in).
        "a_he_uniform",
        "initializer=keras.initializers.RandomUniform(-bound, bound, seed=a_seed))",
        "initializer=keras.initializers.HeUniform(seed=a_seed))",
        caught_by=("behavior.a_initialisation",),
    ),
    Mutant(
        "a_same_seed_as_kernel_ignored",
        "(self.seed, self.seed + 1)",
        "(self.seed, None)",
        caught_by=("behavior.a_initialisation",),
    ),
    Mutant(
        "scaling_alpha_without_rank",
        "self.scaling = self.alpha / self.rank",
        "self.scaling = self.alpha",
        caught_by=("numeric.hand_worked_example", "numeric.matches_formula", "numeric.gradients_closed_form",
                   "behavior.merge_unmerge_round_trip"),
    ),
    Mutant(
        # rsLoRA's alpha / sqrt(rank) where the contract is the original alpha / rank.
        "rslora_scaling",
        "self.scaling = self.alpha / self.rank",
        "self.scaling = self.alpha / math.sqrt(self.rank)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_formula", "numeric.from_dense_matches_dense"),
    ),
    Mutant(
        "kernel_left_trainable",
        'name="kernel", shape=(d_in, self.units), trainable=False,',
        'name="kernel", shape=(d_in, self.units), trainable=True,',
        caught_by=("behavior.only_lora_trainable",),
    ),
    Mutant(
        # A frozen at its random value (LoRA-FA) is a different method, not this contract.
        "a_frozen",
        'name="lora_a", shape=(d_in, self.rank), trainable=True,',
        'name="lora_a", shape=(d_in, self.rank), trainable=False,',
        caught_by=("behavior.only_lora_trainable",),
    ),
    Mutant(
        "merge_without_scaling",
        "self.kernel.assign(self.kernel + self.scaling * keras.ops.matmul(self.lora_a, self.lora_b))",
        "self.kernel.assign(self.kernel + keras.ops.matmul(self.lora_a, self.lora_b))",
        caught_by=("numeric.hand_worked_example", "behavior.merge_unmerge_round_trip"),
    ),
    Mutant(
        # PyTorch stores W as (out, in) and adds B A; copying that into a (in, out) Keras kernel
        # transposes the update (silently, when d_in == units).
        "merge_transposed",
        "self.kernel.assign(self.kernel + self.scaling * keras.ops.matmul(self.lora_a, self.lora_b))",
        "self.kernel.assign(self.kernel + self.scaling * keras.ops.transpose(keras.ops.matmul(self.lora_a, "
        "self.lora_b)))",
        caught_by=("numeric.hand_worked_example",),
    ),
    Mutant(
        # After merge() the adapter path still runs: the update is counted twice.
        "merged_call_counts_update_twice",
        "        if not self.merged:\n            y = y +",
        "        if True:\n            y = y +",
        caught_by=("numeric.hand_worked_example", "behavior.merge_unmerge_round_trip"),
    ),
    Mutant(
        "merge_not_idempotent",
        "        if self.merged:\n            return\n",
        "",
        caught_by=("behavior.merge_unmerge_round_trip",),
    ),
    Mutant(
        "unmerge_adds_again",
        "self.kernel.assign(self.kernel - self.scaling * keras.ops.matmul(self.lora_a, self.lora_b))",
        "self.kernel.assign(self.kernel + self.scaling * keras.ops.matmul(self.lora_a, self.lora_b))",
        caught_by=("behavior.merge_unmerge_round_trip",),
    ),
    Mutant(
        "unmerge_keeps_flag",
        "        self.merged = False\n\n    def get_config",
        "\n    def get_config",
        caught_by=("behavior.merge_unmerge_round_trip",),
    ),
    Mutant(
        "bias_not_copied",
        "        if dense.bias is not None:\n            layer.bias.assign",
        "        if False:\n            layer.bias.assign",
        caught_by=("numeric.from_dense_matches_dense", "behavior.starts_equal_to_base"),
    ),
    Mutant(
        # "freeze the base" applied to the caller's Dense instead of the copy.
        "from_dense_freezes_the_dense",
        "        layer.kernel.assign(kernel)\n",
        "        layer.kernel.assign(kernel)\n        dense.trainable = False\n",
        caught_by=("behavior.dense_and_inputs_not_mutated",),
    ),
    Mutant(
        "config_without_rank",
        "config.update(units=self.units, rank=self.rank, alpha=self.alpha, seed=self.seed)",
        "config.update(units=self.units, alpha=self.alpha, seed=self.seed)",
        caught_by=("behavior.config_round_trip",),
    ),
    Mutant(
        "activation_silently_dropped",
        "        if dense.activation not in (None, keras.activations.linear):",
        "        if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "no_rank_validation",
        '        self.rank = _positive_int(rank, "rank")',
        "        self.rank = rank",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
]
