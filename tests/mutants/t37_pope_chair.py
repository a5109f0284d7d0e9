"""Deliberate mutants of solutions/t37_pope_chair.py and the checks that catch them.

The first ones are the errata's bugs: a parser that lower-cases (so "Not ..." and "NO" become
no), matches substrings ("nothing", "cannot"), reads past the first sentence or splits on
any whitespace; a yes-ratio taken from the labels (lmms-eval's POPE task at one time);
CHAIR with deduplicated mentions, per-caption averaging, captions without mentions left out
of CHAIR_s, synonyms applied to one side only.
"""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "lower_cased_parser",
        'words = text.split(".")[0].replace(",", "").split(" ")',
        'words = text.lower().split(".")[0].replace(",", "").split(" ")',
        caught_by=("numeric.pope_hand_worked_example", "numeric.pope_parses_tricky_answers",
                   "numeric.pope_matches_oracle_on_random_answers"),
    ),
    Mutant(
        "substring_match",
        '    return "no" in words or "No" in words or "not" in words',
        '    return "no" in text.lower()',
        caught_by=("numeric.pope_hand_worked_example", "numeric.pope_parses_tricky_answers"),
    ),
    Mutant(
        "whole_answer_not_first_sentence",
        'words = text.split(".")[0].replace(",", "").split(" ")',
        'words = text.replace(".", " ").replace(",", "").split(" ")',
        caught_by=("numeric.pope_parses_tricky_answers", "numeric.pope_matches_oracle_on_random_answers"),
    ),
    Mutant(
        "split_on_any_whitespace",
        'words = text.split(".")[0].replace(",", "").split(" ")',
        'words = text.split(".")[0].replace(",", "").split()',
        caught_by=("numeric.pope_hand_worked_example", "numeric.pope_parses_tricky_answers"),
    ),
    Mutant(
        "yes_ratio_of_labels",
        '"yes_ratio": _ratio(tp + fp, len(texts))',
        '"yes_ratio": _ratio(tp + fn, len(texts))',
        caught_by=("numeric.pope_hand_worked_example", "numeric.pope_matches_oracle_on_random_answers"),
    ),
    Mutant(
        "no_is_the_positive_class",
        "    said_yes = ~np.fromiter(",
        "    said_yes = np.fromiter(",
        caught_by=("numeric.pope_hand_worked_example", "numeric.pope_parses_tricky_answers"),
    ),
    Mutant(
        "nan_for_zero_denominator",
        "    return 0.0 if den == 0 else float(num) / float(den)",
        "    return float(np.float64(num) / np.float64(den))",
        caught_by=("behavior.zero_denominators_give_zero", "shape.accepts_arrays_tensors_and_empty"),
    ),
    Mutant(
        "deduplicated_mentions",
        "    mentions = _as_caption_lists(mentioned_objects, \"mentioned_objects\")\n",
        "    mentions = [sorted(set(m)) for m in _as_caption_lists(mentioned_objects, \"mentioned_objects\")]\n",
        caught_by=("numeric.chair_hand_worked_example", "numeric.chair_matches_oracle_on_random_captions",
                   "behavior.chair_counts_every_mention"),
    ),
    Mutant(
        "chair_i_mean_per_caption",
        '"chair_i": _ratio(np.count_nonzero(hallucinated), hallucinated.size),',
        '"chair_i": float(np.mean([_ratio(h, t) for h, t in zip(np.bincount(mention_caption[hallucinated], '
        'minlength=len(mentions)), np.bincount(mention_caption, minlength=len(mentions))) if t])) '
        'if hallucinated.size else 0.0,',
        caught_by=("numeric.chair_hand_worked_example", "numeric.chair_matches_oracle_on_random_captions",
                   "behavior.chair_counts_every_mention"),
    ),
    Mutant(
        "chair_s_skips_captions_without_mentions",
        '"chair_s": _ratio(np.count_nonzero(per_caption), len(mentions)),',
        '"chair_s": _ratio(np.count_nonzero(per_caption), sum(1 for m in mentions if m)),',
        caught_by=("numeric.chair_hand_worked_example", "numeric.chair_matches_oracle_on_random_captions",
                   "behavior.chair_counts_every_mention"),
    ),
    Mutant(
        "synonyms_only_on_mentions",
        "[canonical.get(o, o) for t in truths for o in t]",
        "[o for t in truths for o in t]",
        caught_by=("numeric.chair_matches_oracle_on_random_captions", "behavior.chair_synonyms_on_both_sides"),
    ),
    Mutant(
        "synonyms_ignored",
        "    canonical = _as_synonyms(synonyms)\n",
        "    canonical = {}\n",
        caught_by=("numeric.chair_hand_worked_example", "numeric.chair_matches_oracle_on_random_captions",
                   "behavior.chair_synonyms_on_both_sides"),
    ),
    Mutant(
        "string_caption_iterated_as_characters",
        "        if not isinstance(names, (list, tuple, set, frozenset)):",
        "        if not isinstance(names, (list, tuple, set, frozenset, str)):",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "labels_normalised_in_place",
        "    truth = [label.strip().lower() for label in _as_texts(labels, \"labels\")]",
        "    if isinstance(labels, list):\n"
        "        labels[:] = [str(label).strip().lower() for label in labels]\n"
        "    truth = [label.strip().lower() for label in _as_texts(labels, \"labels\")]",
        caught_by=("behavior.inputs_not_mutated",),
    ),
]
