"""Extra tests of the t37 reference: POPE's parser on tricky answers, CHAIR's counting rules, messages."""

import numpy as np
import pytest

from solutions import chair_scores, pope_metrics


def _official_pope_parse(text):
    """The loop body of POPE's evaluate.py (RUCAIBox/POPE) and LLaVA's eval_pope.py, verbatim logic."""
    if text.find(".") != -1:
        text = text.split(".")[0]
    text = text.replace(",", "")
    words = text.split(" ")
    return "no" if ("No" in words or "not" in words or "no" in words) else "yes"


@pytest.mark.parametrize(("answer", "parsed"), [
    ("No, there is no cat in the image.", "no"),
    ("Yes, there is a cat. There is no dog.", "yes"),   # only the first sentence counts
    ("There is not a cat in the image.", "no"),
    ("Not at all.", "yes"),                             # case-sensitive: 'Not' is not 'not'
    ("NO", "yes"),
    ("No", "no"),
    ("no.", "no"),
    ("No!", "yes"),                                     # 'No!' is one word
    ("No\nThe image shows a street.", "yes"),           # a newline is not a space
    ("Nothing like that is visible.", "yes"),           # whole words, not substrings
    ("I cannot see one.", "yes"),
    ("There isn't one.", "yes"),
    ("", "yes"),
    ("no,there is none", "yes"),                        # commas are deleted, not replaced by spaces
    ("  no", "no"),
    ("Yes. No.", "yes"),
    ("No. Yes.", "no"),
])
def test_parser_agrees_with_the_official_code(answer, parsed):
    assert _official_pope_parse(answer) == parsed
    assert pope_metrics([answer], ["yes"])["yes_ratio"] == (1.0 if parsed == "yes" else 0.0)


def test_always_yes_on_balanced_data_scores_f1_two_thirds():
    got = pope_metrics(["Yes"] * 6, ["yes", "no"] * 3)
    assert got == pytest.approx({"accuracy": 0.5, "precision": 0.5, "recall": 1.0, "f1": 2 / 3, "yes_ratio": 1.0})


def test_chair_example_and_its_wrong_variants():
    mentions = [["dog", "dog", "frisbee"], ["man", "surfboard"], ["cat", "cat"], []]
    truths = [["dog", "person"], ["person", "surfboard"], ["dog"], ["car"]]
    assert chair_scores(mentions, truths, {"man": "person"}) == pytest.approx({"chair_i": 3 / 7, "chair_s": 0.5})
    assert chair_scores(mentions, truths) == pytest.approx({"chair_i": 4 / 7, "chair_s": 0.75})


def test_messages_say_what_was_expected_and_received():
    with pytest.raises(TypeError, match=r"answers must be a list .* got str"):
        pope_metrics("Yes", ["yes"])
    with pytest.raises(ValueError, match=r"labels must be 'yes' or 'no', got \['maybe'\]"):
        pope_metrics(["Yes"], ["maybe"])
    with pytest.raises(ValueError, match=r"same length, got 1 and 2"):
        pope_metrics(["Yes"], ["yes", "no"])
    with pytest.raises(TypeError, match=r"mentioned_objects\[1\] must be a list of object names .* got str"):
        chair_scores([["cat"], "dog"], [["dog"], ["dog"]])
    with pytest.raises(ValueError, match=r"one entry per caption, got 3 and 2"):
        chair_scores([[], [], []], [[], []])


def test_string_tensor_and_bytes_are_decoded():
    import tensorflow as tf

    got = pope_metrics(tf.constant(["No, there is not.", "Yes"]), np.array([b"no", b"YES"], dtype=object))
    assert got == pytest.approx({"accuracy": 1.0, "precision": 1.0, "recall": 1.0, "f1": 1.0, "yes_ratio": 0.5})
