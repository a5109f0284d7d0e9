"""Checks of t37 · object-hallucination metrics (POPE and CHAIR).

Independent oracles: ``_oracle_says_no`` re-implements POPE's parsing rule with
``str.partition`` and a character filter (the reference uses ``split``/``replace``), and
``_oracle_pope`` counts the confusion matrix with plain Python; ``_oracle_chair`` loops over
captions and counts mention by mention with Python sets (the reference encodes
(caption, name) pairs as integers and uses ``np.isin``/``np.bincount``).

The tricky answers pin every clause of the rule: only the first sentence, commas deleted
(not turned into spaces), words split on ``' '`` only, exact and case-sensitive words
``No``/``no``/``not``. The random sets have a yes-rate of answers different from the
yes-rate of labels (a yes-ratio computed from the labels fails), and captions with repeated
mentions, synonyms on both sides and captions without mentions (deduplicated mentions,
per-caption averaging, dropping empty captions or ignoring synonyms each move a value by
more than 0.01). All values are ratios of small integers: the default tolerances only
absorb float rounding.
"""

import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import expect, expect_equal, expect_number, expect_raises, need, raised

suite = Suite("t37_pope_chair", points={"shape": 2, "numeric": 4, "behavior": 4})


def _pope_keys():
    return ["accuracy", "f1", "precision", "recall", "yes_ratio"]


def _chair_keys():
    return ["chair_i", "chair_s"]


def _oracle_says_no(text):
    """POPE's rule written another way: first sentence, commas removed, words between single spaces."""
    first = text.partition(".")[0]
    first = "".join(ch for ch in first if ch != ",")
    words = set(first.split(" "))
    return bool(words & {"No", "no", "not"})


def _oracle_pope(answers, labels):
    """Accuracy, precision, recall, F1 and yes-ratio with "yes" positive; 0/0 -> 0.0."""
    tp = fp = fn = tn = 0
    for answer, label in zip(answers, labels, strict=True):
        says_yes = not _oracle_says_no(answer)
        is_yes = label.strip().lower() == "yes"
        tp += says_yes and is_yes
        fp += says_yes and not is_yes
        fn += (not says_yes) and is_yes
        tn += (not says_yes) and not is_yes
    n = tp + fp + fn + tn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "accuracy": (tp + tn) / n if n else 0.0,
        "precision": precision,
        "recall": recall,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp else 0.0,
        "yes_ratio": (tp + fp) / n if n else 0.0,
    }


def _oracle_chair(mentions, truths, synonyms=None):
    """CHAIR_i (hallucinated mentions / mentions, pooled) and CHAIR_s (captions with one / captions)."""
    table = synonyms or {}
    mentioned = hallucinated = bad_captions = 0
    for names, truth in zip(mentions, truths, strict=True):
        present = {table.get(name, name) for name in truth}
        misses = [name for name in names if table.get(name, name) not in present]
        mentioned += len(names)
        hallucinated += len(misses)
        bad_captions += 1 if misses else 0
    return {
        "chair_i": hallucinated / mentioned if mentioned else 0.0,
        "chair_s": bad_captions / len(mentions) if mentions else 0.0,
    }


def _expect_scores(got, want, what):
    """``got`` is a dict with exactly ``want``'s keys, each close to ``want``; names all wrong keys."""
    expect(type(got) is dict, f"{what}: expected a dict, got {type(got).__name__}")
    expect(sorted(got) == sorted(want), f"{what}: expected the keys {sorted(want)}, got {sorted(got)}")
    wrong = []
    for key in sorted(want):
        value = expect_number(got[key], f"{what}: {key}")
        if not bool(np.isclose(value, want[key], rtol=1e-9, atol=1e-12)):
            wrong.append(f"{key} (got {value:.6g})")
    expect(not wrong, f"{what}: wrong " + ", ".join(wrong))


def _tricky_answers():
    """Answers on which a loose parser differs from POPE's rule (each pins one clause)."""
    return [
        "No, there is no cat in the image.",
        "Yes, there is a cat. There is no dog.",
        "There is not a cat in the image.",
        "Not at all.",
        "NO",
        "No",
        "no.",
        "No!",
        "No\nThe image shows a street.",
        "Nothing like that is visible.",
        "I cannot see one.",
        "There isn't one.",
        "",
        "knot",
        "Yes",
        "no,there is none",
        "  no",
        "The answer is no",
        "Yes. No.",
        "No. Yes.",
    ]


def _answer_pool():
    """Phrasings a model really produces, yes-like and no-like, some with POPE's quirks."""
    return [
        "Yes", "No", "yes", "no", "Yes, there is a {o} in the image.", "No, there is no {o} in the image.",
        "There is a {o} in the image.", "There is not a {o} in the image.", "No.", "Yes.",
        "I don't see a {o}.", "Not that I can tell.", "No\nThe picture shows a table.", "NO",
        "Yes, a {o} is on the left. No other objects.", "There is no {o}, but there is a chair.",
    ]


def _random_pope(seed, n, yes_rate):
    """Answers drawn from the pool and yes/no labels with the given rate (seeded)."""
    rng = np.random.default_rng(seed)
    pool = _answer_pool()
    objects = ["dog", "cat", "bus", "kite", "oven", "umbrella"]
    answers = [pool[i].replace("{o}", objects[j])
               for i, j in zip(rng.integers(0, len(pool), n), rng.integers(0, len(objects), n), strict=True)]
    labels = ["yes" if u < yes_rate else "no" for u in rng.uniform(size=n)]
    return answers, labels


def _random_captions(seed, n):
    """Mentions (with repeats, raw words), ground truth (raw words) and a synonym table."""
    rng = np.random.default_rng(seed)
    words = ["dog", "puppy", "cat", "man", "person", "woman", "car", "bus", "kite", "frisbee", "bench"]
    synonyms = {"puppy": "dog", "man": "person", "woman": "person", "automobile": "car"}
    mentions, truths = [], []
    for _ in range(n):
        k = int(rng.integers(0, 6))  # 0 to 5 mentions: some captions mention nothing
        mentions.append([words[i] for i in rng.integers(0, len(words), k)])
        truths.append(sorted({words[i] for i in rng.integers(0, len(words), int(rng.integers(0, 4)))}))
    return mentions, truths, synonyms


def _example_captions():
    """The exercise's example: repeated mentions, a synonym, a caption without mentions."""
    mentions = [["dog", "dog", "frisbee"], ["man", "surfboard"], ["cat", "cat"], []]
    truths = [["dog", "person"], ["person", "surfboard"], ["dog"], ["car"]]
    return mentions, truths, {"man": "person", "puppy": "dog"}


def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "answers given as one string": "TypeError",
        "answers = None": "TypeError",
        "a number among the answers": "TypeError",
        "an integer label 1": "TypeError",
        "the label 'maybe'": "ValueError",
        "3 answers for 4 labels": "ValueError",
        "a (2, 2) array of answers": "ValueError",
        "one caption's mentions given as a string 'dog'": "TypeError",
        "a number as an object name": "TypeError",
        "mentioned_objects = None": "TypeError",
        "synonyms given as a list": "TypeError",
        "3 mention lists for 2 ground-truth lists": "ValueError",
    }


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def returns_dicts_of_floats(ns):
    """pope_metrics gives exactly accuracy, f1, precision, recall, yes_ratio; chair_scores chair_i, chair_s; floats"""
    pope = need(ns, "pope_metrics")
    chair = need(ns, "chair_scores")
    out = {}
    for name, result in (("pope", pope(["Yes", "No", "no"], ["yes", "yes", "no"])),
                         ("chair", chair([["dog", "cat"]], [["dog"]]))):
        ok = isinstance(result, dict)
        out[name + "_is_dict"] = ok
        out[name + "_keys"] = ",".join(sorted(str(k) for k in result)) if ok else ""
        out[name + "_floats"] = ok and all(isinstance(v, float) for v in result.values())
    return out


@returns_dicts_of_floats.verdict
def _(got):
    for name, keys in (("pope", _pope_keys()), ("chair", _chair_keys())):
        fn = "pope_metrics" if name == "pope" else "chair_scores"
        expect(got[name + "_is_dict"] is True, f"{fn} must return a dict")
        expect(got[name + "_keys"] == ",".join(keys), f"{fn}: expected exactly the keys {keys}, "
               f"got {got[name + '_keys'].split(',')}")
        expect(got[name + "_floats"] is True, f"{fn}: every value must be a Python float (not a tensor or array)")


@suite.check("shape", hidden=True)
def accepts_arrays_tensors_and_empty(ns):
    """answers/labels as NumPy arrays, string tensors or tuples, mentions as tuples/sets/arrays; empty inputs"""
    pope = need(ns, "pope_metrics")
    chair = need(ns, "chair_scores")
    answers, labels = _random_pope(1, 24, 0.5)
    mentions, truths, synonyms = _random_captions(2, 10)
    return {
        "numpy": pope(np.array(answers), np.array(labels)),
        "tensor": pope(tf.constant(answers), tf.constant(labels)),
        "tuple_mixed_case": pope(tuple(answers), [" " + lab.upper() for lab in labels]),
        "empty_numpy": pope(np.array([], dtype=str), np.array([], dtype=str)),
        "empty_tensor": pope(tf.constant([], tf.string), tf.constant([], tf.string)),
        "chair_containers": chair(tuple(tuple(m) for m in mentions), [set(t) for t in truths], synonyms),
        "chair_arrays": chair([np.array(m, dtype=str) for m in mentions], [np.array(t, dtype=str) for t in truths],
                              synonyms),
        "chair_empty": chair([], [], synonyms),
    }


@accepts_arrays_tensors_and_empty.verdict
def _(got):
    answers, labels = _random_pope(1, 24, 0.5)
    want = _oracle_pope(answers, labels)
    for key in ("numpy", "tensor", "tuple_mixed_case"):
        _expect_scores(got[key], want, f"pope_metrics of {key} input")
    for key in ("empty_numpy", "empty_tensor"):
        _expect_scores(got[key], {k: 0.0 for k in _pope_keys()}, f"pope_metrics of {key} input")
    want = _oracle_chair(*_random_captions(2, 10))
    _expect_scores(got["chair_containers"], want, "chair_scores of tuples and sets")
    _expect_scores(got["chair_arrays"], want, "chair_scores of NumPy arrays")
    _expect_scores(got["chair_empty"], {"chair_i": 0.0, "chair_s": 0.0}, "chair_scores of no captions")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def pope_hand_worked_example(ns):
    """8 answers of the exercise's example: the metrics worked by hand"""
    pope = need(ns, "pope_metrics")
    answers = ["Yes, there is a dog in the image.", "No, there is no cat.", "There is not a bus in the image.",
               "Not at all.", "Yes", "No\nThe image shows a park.", "I cannot see a kite.", "no"]
    labels = ["yes", "no", "yes", "no", "no", "no", "no", "yes"]
    return {"m": pope(answers, labels)}


@pope_hand_worked_example.verdict
def _(got):
    # parsed: yes, no, no, yes ('Not' is not 'not'), yes, yes ('No\nThe' is one word), yes ('cannot'), no
    # TP = 1 (#0), FP = 4 (#3-#6), FN = 2 (#2, #7), TN = 1 (#1)
    want = {"accuracy": 2 / 8, "precision": 1 / 5, "recall": 1 / 3, "f1": 2 / 8, "yes_ratio": 5 / 8}
    _expect_scores(got["m"], want, "pope_metrics")


@suite.check("numeric")
def chair_hand_worked_example(ns):
    """4 captions of the exercise's example (repeats, a synonym, an empty caption): worked by hand"""
    chair = need(ns, "chair_scores")
    mentions, truths, synonyms = _example_captions()
    return {"s": chair(mentions, truths, synonyms=synonyms)}


@chair_hand_worked_example.verdict
def _(got):
    # mentions 3 + 2 + 2 + 0 = 7; hallucinated: frisbee, cat, cat = 3 ('man' -> 'person' is present)
    # captions with a hallucination: #0 and #2 of 4
    _expect_scores(got["s"], {"chair_i": 3 / 7, "chair_s": 2 / 4}, "chair_scores")


@suite.check("numeric", hidden=True)
def pope_parses_tricky_answers(ns):
    """each tricky answer alone is parsed as POPE's evaluate.py parses it (yes_ratio 1 or 0)"""
    pope = need(ns, "pope_metrics")
    return {"yes": [pope([answer], ["yes"])["yes_ratio"] for answer in _tricky_answers()]}


@pope_parses_tricky_answers.verdict
def _(got):
    want = [0.0 if _oracle_says_no(answer) else 1.0 for answer in _tricky_answers()]
    parsed = got["yes"]
    expect(type(parsed) is np.ndarray and parsed.shape == (len(want),), "one yes_ratio per tricky answer")
    wrong = [i for i, (a, b) in enumerate(zip(parsed.tolist(), want, strict=True)) if a != b]
    expect(not wrong, f"answers parsed differently from POPE's rule: {len(wrong)} of {len(want)}")


@suite.check("numeric", hidden=True)
def pope_matches_oracle_on_random_answers(ns):
    """300 answers in 16 phrasings, 30% yes labels: all five metrics match independent counts"""
    pope = need(ns, "pope_metrics")
    answers, labels = _random_pope(3, 300, 0.3)
    return {"m": pope(answers, labels)}


@pope_matches_oracle_on_random_answers.verdict
def _(got):
    _expect_scores(got["m"], _oracle_pope(*_random_pope(3, 300, 0.3)), "pope_metrics")


@suite.check("numeric", hidden=True)
def chair_matches_oracle_on_random_captions(ns):
    """40 captions with repeats, synonyms and empty captions: chair_i and chair_s match independent counts"""
    chair = need(ns, "chair_scores")
    mentions, truths, synonyms = _random_captions(4, 40)
    return {"with": chair(mentions, truths, synonyms=synonyms), "without": chair(mentions, truths)}


@chair_matches_oracle_on_random_captions.verdict
def _(got):
    mentions, truths, synonyms = _random_captions(4, 40)
    _expect_scores(got["with"], _oracle_chair(mentions, truths, synonyms), "chair_scores with synonyms")
    _expect_scores(got["without"], _oracle_chair(mentions, truths), "chair_scores without synonyms")


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def zero_denominators_give_zero(ns):
    """nothing answered yes, no yes label, no mention at all, or no input: 0.0 where the ratio is 0/0"""
    pope = need(ns, "pope_metrics")
    chair = need(ns, "chair_scores")
    return {
        "all_no": pope(["No", "no", "There is not.", "No"], ["yes", "no", "yes", "no"]),
        "no_yes_label": pope(["Yes", "No"], ["no", "no"]),
        "pope_empty": pope([], []),
        "no_mentions": chair([[], []], [["dog"], []]),
        "chair_empty": chair([], []),
    }


@zero_denominators_give_zero.verdict
def _(got):
    # all answered no: TP = FP = 0, precision 0/0 -> 0; recall 0/2; half are right
    _expect_scores(got["all_no"], {"accuracy": 0.5, "precision": 0.0, "recall": 0.0, "f1": 0.0, "yes_ratio": 0.0},
                   "pope_metrics when every answer is no")
    # no yes label: TP + FN = 0, recall 0/0 -> 0; precision 0/1
    _expect_scores(got["no_yes_label"],
                   {"accuracy": 0.5, "precision": 0.0, "recall": 0.0, "f1": 0.0, "yes_ratio": 0.5},
                   "pope_metrics when no label is yes")
    _expect_scores(got["pope_empty"], {"accuracy": 0.0, "precision": 0.0, "recall": 0.0, "f1": 0.0,
                                       "yes_ratio": 0.0}, "pope_metrics of no answers")
    # 0 mentions: chair_i = 0/0 -> 0; chair_s = 0 of 2 captions
    _expect_scores(got["no_mentions"], {"chair_i": 0.0, "chair_s": 0.0}, "chair_scores without mentions")
    _expect_scores(got["chair_empty"], {"chair_i": 0.0, "chair_s": 0.0}, "chair_scores of no captions")


@suite.check("behavior", hidden=True)
def chair_counts_every_mention(ns):
    """a repeated hallucination counts each time; CHAIR_i pools mentions; empty captions count in CHAIR_s"""
    chair = need(ns, "chair_scores")
    return {
        "repeats": chair([["cat", "cat", "cat", "dog"], ["dog"]], [["dog"], ["dog"]]),
        "pooled": chair([["cat"], ["dog", "dog", "dog", "dog"]], [[], ["dog"]]),
        "empty_captions": chair([["cat"], [], [], []], [["dog"], ["dog"], [], ["cat"]]),
    }


@chair_counts_every_mention.verdict
def _(got):
    # repeats: 3 of 5 mentions (a set would give 1 of 3); pooled: 1 of 5 (a mean per caption gives (1 + 0) / 2)
    _expect_scores(got["repeats"], {"chair_i": 3 / 5, "chair_s": 1 / 2}, "chair_scores with a repeated object")
    _expect_scores(got["pooled"], {"chair_i": 1 / 5, "chair_s": 1 / 2}, "chair_scores of captions of unequal length")
    _expect_scores(got["empty_captions"], {"chair_i": 1.0, "chair_s": 1 / 4}, "chair_scores with empty captions")


@suite.check("behavior", hidden=True)
def chair_synonyms_on_both_sides(ns):
    """synonyms map mentions and ground truth to one canonical name"""
    chair = need(ns, "chair_scores")
    table = {"man": "person", "puppy": "dog", "woman": "person"}
    return {
        "mention_side": chair([["man", "puppy"]], [["person", "dog"]], synonyms=table),
        "truth_side": chair([["person", "dog"]], [["woman", "puppy"]], synonyms=table),
        "both_sides": chair([["man"], ["kitten"]], [["woman"], ["cat"]], synonyms=table),
        "no_table": chair([["man", "puppy"]], [["person", "dog"]]),
    }


@chair_synonyms_on_both_sides.verdict
def _(got):
    _expect_scores(got["mention_side"], {"chair_i": 0.0, "chair_s": 0.0}, "synonyms among the mentions")
    _expect_scores(got["truth_side"], {"chair_i": 0.0, "chair_s": 0.0}, "synonyms among the ground truth")
    # 'man' and 'woman' are both 'person'; 'kitten' is not in the table, so it stays 'kitten' != 'cat'
    _expect_scores(got["both_sides"], {"chair_i": 1 / 2, "chair_s": 1 / 2}, "synonyms on both sides")
    _expect_scores(got["no_table"], {"chair_i": 1.0, "chair_s": 1.0}, "no synonym table: names compared as given")


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    pope = need(ns, "pope_metrics")
    chair = need(ns, "chair_scores")
    labels = ["yes", "no", "yes", "no"]
    answers = ["Yes", "No", "No", "Yes"]
    return {
        "answers given as one string": raised(pope, "Yes", ["yes"]),
        "answers = None": raised(pope, None, labels),
        "a number among the answers": raised(pope, ["Yes", 1, "No", "Yes"], labels),
        "an integer label 1": raised(pope, answers, ["yes", 1, "yes", "no"]),
        "the label 'maybe'": raised(pope, answers, ["yes", "maybe", "yes", "no"]),
        "3 answers for 4 labels": raised(pope, answers[:3], labels),
        "a (2, 2) array of answers": raised(pope, np.array([["Yes", "No"], ["No", "Yes"]]), labels),
        "one caption's mentions given as a string 'dog'": raised(chair, [["cat"], "dog"], [["dog"], ["dog"]]),
        "a number as an object name": raised(chair, [["cat", 3]], [["dog"]]),
        "mentioned_objects = None": raised(chair, None, [["dog"]]),
        "synonyms given as a list": raised(chair, [["man"]], [["person"]], synonyms=[("man", "person")]),
        "3 mention lists for 2 ground-truth lists": raised(chair, [["dog"], ["cat"], []], [["dog"], ["cat"]]),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """the caller's answers, labels, mention lists, ground truth and synonym table are unchanged"""
    pope = need(ns, "pope_metrics")
    chair = need(ns, "chair_scores")
    answers, labels = _random_pope(5, 12, 0.5)
    labels = [" " + lab.capitalize() for lab in labels]
    mentions, truths, synonyms = _random_captions(6, 8)
    pope(answers, labels)
    chair(mentions, truths, synonyms=synonyms)
    return {"answers": repr(answers), "labels": repr(labels), "mentions": repr(mentions),
            "truths": repr(truths), "synonyms": repr(synonyms)}


@inputs_not_mutated.verdict
def _(got):
    answers, labels = _random_pope(5, 12, 0.5)
    labels = [" " + lab.capitalize() for lab in labels]
    mentions, truths, synonyms = _random_captions(6, 8)
    for key, want in (("answers", answers), ("labels", labels), ("mentions", mentions), ("truths", truths),
                      ("synonyms", synonyms)):
        expect_equal(got[key], repr(want), f"{key} after the call")
