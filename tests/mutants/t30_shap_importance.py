"""Deliberate mutants of solutions/t30_shap_importance.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "explained_data_as_background",
        "explainer = shap.KernelExplainer(f, bg)",
        "explainer = shap.KernelExplainer(f, x)",
        caught_by=("numeric.linear_hand_worked", "numeric.linear_matches_numpy_oracle", "behavior.local_accuracy"),
    ),
    Mutant(
        "signed_mean_importance",
        "np.mean(np.abs(values), axis=0)",
        "np.mean(values, axis=0)",
        caught_by=("numeric.linear_hand_worked", "numeric.linear_matches_numpy_oracle"),
    ),
    Mutant(
        "modality_split_off_by_one",
        '{"text": float(np.sum(importance[:dt])), "image": float(np.sum(importance[dt:]))}',
        '{"text": float(np.sum(importance[:dt - 1])), "image": float(np.sum(importance[dt - 1:]))}',
        caught_by=("numeric.linear_hand_worked", "numeric.linear_matches_numpy_oracle"),
    ),
    Mutant(
        "modalities_swapped_in_model_call",
        "model([x[:, :dt], x[:, dt:]], training=False)",
        "model([x[:, x.shape[1] - dt:], x[:, :x.shape[1] - dt]], training=False)",
        caught_by=("numeric.linear_hand_worked", "behavior.local_accuracy", "behavior.ignored_modality_gets_zero"),
    ),
    Mutant(
        "too_few_coalitions",
        "nsamples=nsamples, l1_reg=False",
        "nsamples=12, l1_reg=False",
        caught_by=("numeric.mlp_matches_exact_shapley",),
    ),
    Mutant(
        "seed_ignored",
        "            if seed is not None:\n",
        "            if False:\n",
        caught_by=("behavior.seeded_sampling_is_deterministic",),
    ),
    Mutant(
        "empty_background_accepted",
        "    if bt.shape[0] != bi.shape[0] or bt.shape[0] == 0:",
        "    if bt.shape[0] != bi.shape[0]:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
]
