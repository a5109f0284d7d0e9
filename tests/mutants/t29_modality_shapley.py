"""Deliberate mutants of solutions/t29_modality_shapley.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "leave_one_out",
        "    phi_text = 0.5 * ((f_text - f_none) + (f_both - f_image))\n"
        "    phi_image = 0.5 * ((f_image - f_none) + (f_both - f_text))\n",
        "    phi_text = f_both - f_image\n"
        "    phi_image = f_both - f_text\n",
        caught_by=("numeric.hand_worked_example", "numeric.matches_two_player_formula",
                   "numeric.efficiency_and_broadcast_baseline"),
    ),
    Mutant(
        "one_ordering_text_first",
        "    phi_text = 0.5 * ((f_text - f_none) + (f_both - f_image))\n"
        "    phi_image = 0.5 * ((f_image - f_none) + (f_both - f_text))\n",
        "    phi_text = f_text - f_none\n"
        "    phi_image = f_both - f_text\n",
        caught_by=("numeric.hand_worked_example", "numeric.matches_two_player_formula",
                   "behavior.symmetric_players_split_equally"),
    ),
    Mutant(
        "missing_half",
        "    phi_text = 0.5 * ((f_text - f_none) + (f_both - f_image))\n"
        "    phi_image = 0.5 * ((f_image - f_none) + (f_both - f_text))\n",
        "    phi_text = (f_text - f_none) + (f_both - f_image)\n"
        "    phi_image = (f_image - f_none) + (f_both - f_text)\n",
        caught_by=("numeric.hand_worked_example", "numeric.efficiency_and_broadcast_baseline",
                   "behavior.dummy_modality_gets_zero"),
    ),
    Mutant(
        "input_and_baseline_swapped",
        "out = predict_fn(np.concatenate([t, t, t0, t0]), np.concatenate([i, i0, i, i0]))",
        "out = predict_fn(np.concatenate([t0, t0, t, t]), np.concatenate([i0, i, i0, i]))",
        caught_by=("numeric.hand_worked_example", "numeric.matches_two_player_formula",
                   "behavior.dummy_modality_gets_zero"),
    ),
    Mutant(
        "values_swapped_between_modalities",
        "    return phi_text, phi_image\n",
        "    return phi_image, phi_text\n",
        caught_by=("numeric.hand_worked_example", "numeric.additive_gives_separate_contributions",
                   "behavior.dummy_modality_gets_zero"),
    ),
    Mutant(
        "baseline_not_broadcast",
        "        return np.broadcast_to(b.astype(x.dtype), x.shape)",
        "        return b.astype(x.dtype).reshape(x.shape)",
        caught_by=("numeric.efficiency_and_broadcast_baseline",),
    ),
]
