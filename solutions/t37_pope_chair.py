"""t37 · Object-hallucination metrics: POPE and CHAIR (reference solution)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

__all__ = ["pope_metrics", "chair_scores"]


def _as_texts(x, name):
    """``x`` (list, tuple, 1-D NumPy array or string tensor of texts) as a list of ``str``.

    ``bytes`` (what a string tensor holds) are decoded as UTF-8.
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a list (or 1-D array) of strings, got {type(x).__name__}")
    if isinstance(x, tf.Tensor):
        if x.dtype != tf.string:
            raise TypeError(f"{name} must hold strings, got a tensor of dtype {x.dtype.name}")
        x = x.numpy()
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "USO":
            raise TypeError(f"{name} must hold strings, got an array of dtype {x.dtype}")
        if x.ndim != 1:
            raise ValueError(f"{name} must be 1-D (one text per question), got shape {x.shape}")
        items = x.tolist()
    elif isinstance(x, (list, tuple)):
        items = list(x)
    else:
        raise TypeError(f"{name} must be a list (or 1-D array) of strings, got {type(x).__name__}")
    texts = []
    for i, item in enumerate(items):
        if isinstance(item, bytes):
            item = item.decode("utf-8")
        if isinstance(item, (list, tuple, np.ndarray)):
            raise ValueError(f"{name} must be 1-D (one text per question), got a nested sequence at index {i}")
        if not isinstance(item, str):
            raise TypeError(f"{name}[{i}] must be a string, got {type(item).__name__}")
        texts.append(str(item))
    return texts


def _pope_says_no(text):
    """POPE's rule: keep the text before the first '.', drop commas, split on ' ';
    the answer is "no" iff a word is exactly 'No', 'no' or 'not'."""
    words = text.split(".")[0].replace(",", "").split(" ")
    return "no" in words or "No" in words or "not" in words


def _ratio(num, den):
    """``num / den`` as a Python float, 0.0 when the denominator is 0."""
    return 0.0 if den == 0 else float(num) / float(den)


def pope_metrics(answers, labels):
    """POPE's accuracy, precision, recall, F1 and yes-ratio of free-text yes/no answers.

    Each answer is parsed exactly as POPE's ``evaluate.py`` (and LLaVA's ``eval_pope.py``)
    does: keep the text before the first ``.``, delete every ``,``, split on the space
    character ``' '``; the answer is "no" iff one of the words is exactly ``No``, ``no`` or
    ``not`` (case-sensitive), otherwise "yes". The positive class is "yes".

    Args:
        answers: ``(N,)`` free-text answers (list, tuple, NumPy array or string tensor).
        labels: ``(N,)`` ground truth, ``"yes"`` or ``"no"`` (case and surrounding
            whitespace ignored).

    Returns:
        ``{"accuracy", "precision", "recall", "f1", "yes_ratio"}`` as Python floats, where
        yes_ratio = (answers parsed as yes) / N; a zero denominator gives 0.0.

    Raises:
        TypeError: answers or labels not a sequence of strings.
        ValueError: a label other than yes/no, different lengths, a nested (2-D) input.
    """
    texts = _as_texts(answers, "answers")
    truth = [label.strip().lower() for label in _as_texts(labels, "labels")]
    if len(texts) != len(truth):
        raise ValueError(f"answers and labels must have the same length, got {len(texts)} and {len(truth)}")
    bad = sorted({label for label in truth if label not in ("yes", "no")})
    if bad:
        raise ValueError(f"labels must be 'yes' or 'no', got {bad[:5]}")

    said_yes = ~np.fromiter((_pope_says_no(t) for t in texts), dtype=bool, count=len(texts))
    is_yes = np.asarray(truth, dtype=object) == "yes"
    tp = int(np.count_nonzero(said_yes & is_yes))
    fp = int(np.count_nonzero(said_yes & ~is_yes))
    fn = int(np.count_nonzero(~said_yes & is_yes))
    tn = int(np.count_nonzero(~said_yes & ~is_yes))
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    return {
        "accuracy": _ratio(tp + tn, len(texts)),
        "precision": precision,
        "recall": recall,
        "f1": _ratio(2 * precision * recall, precision + recall),
        "yes_ratio": _ratio(tp + fp, len(texts)),
    }


def _as_caption_lists(x, name):
    """``x`` (a list or tuple with one collection of object names per caption) as a list of lists of ``str``."""
    if not isinstance(x, (list, tuple)):
        raise TypeError(f"{name} must be a list with one list of object names per caption, got {type(x).__name__}")
    captions = []
    for i, names in enumerate(x):
        if isinstance(names, np.ndarray):
            if names.ndim != 1:
                raise ValueError(f"{name}[{i}] must be a 1-D collection of names, got shape {names.shape}")
            names = names.tolist()
        if not isinstance(names, (list, tuple, set, frozenset)):
            raise TypeError(f"{name}[{i}] must be a list of object names (e.g. ['dog']), got {type(names).__name__}")
        names = list(names)
        for j, obj in enumerate(names):
            if not isinstance(obj, str):
                raise TypeError(f"{name}[{i}][{j}] must be a string, got {type(obj).__name__}")
        captions.append([str(obj) for obj in names])
    return captions


def _as_synonyms(synonyms):
    """``synonyms`` (None or a dict name -> canonical name) as a dict of ``str``."""
    if synonyms is None:
        return {}
    if not isinstance(synonyms, dict):
        raise TypeError(f"synonyms must be a dict (name -> canonical name) or None, got {type(synonyms).__name__}")
    for key, value in synonyms.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"synonyms must map strings to strings, got {key!r} -> {value!r}")
    return dict(synonyms)


def chair_scores(mentioned_objects, gt_objects, synonyms=None):
    """CHAIR_i and CHAIR_s (Rohrbach et al. 2018) of captions whose object mentions are given.

    Every mention counts, duplicates included (as in the official ``chair.py``): "a dog
    next to a dog" is two mentions. A mention is hallucinated iff its canonical name is not
    among the canonical names of that caption's ground-truth objects; a name's canonical
    name is ``synonyms.get(name, name)`` (one lookup, applied to mentions and ground truth).

    Args:
        mentioned_objects: one list of object names per caption (duplicates count).
        gt_objects: one collection of object names per caption (duplicates do not matter).
        synonyms: optional dict name -> canonical name.

    Returns:
        ``{"chair_i", "chair_s"}`` as Python floats: chair_i = hallucinated mentions / all
        mentions over the whole set (not a mean of per-caption ratios), chair_s = captions
        with at least one hallucinated mention / all captions (captions without mentions
        count in the denominator). A zero denominator gives 0.0 (so no captions give 0, 0).

    Raises:
        TypeError: not a list of lists of strings (e.g. a bare string for a caption), a
            synonyms argument that is not a dict of strings.
        ValueError: different numbers of captions in the two arguments.
    """
    mentions = _as_caption_lists(mentioned_objects, "mentioned_objects")
    truths = _as_caption_lists(gt_objects, "gt_objects")
    if len(mentions) != len(truths):
        raise ValueError(f"mentioned_objects and gt_objects must have one entry per caption, "
                         f"got {len(mentions)} and {len(truths)}")
    canonical = _as_synonyms(synonyms)

    # Caption index and canonical name of every mention and every ground-truth object, flat.
    mention_caption = np.repeat(np.arange(len(mentions)), [len(m) for m in mentions])
    truth_caption = np.repeat(np.arange(len(truths)), [len(t) for t in truths])
    names = [canonical.get(o, o) for m in mentions for o in m] + [canonical.get(o, o) for t in truths for o in t]
    _, codes = np.unique(np.asarray(names, dtype=object), return_inverse=True)
    vocab = int(codes.max()) + 1 if codes.size else 1
    codes = codes.reshape(-1).astype(np.int64)
    mention_keys = mention_caption * vocab + codes[:mention_caption.size]
    truth_keys = truth_caption * vocab + codes[mention_caption.size:]
    hallucinated = ~np.isin(mention_keys, truth_keys)

    per_caption = np.bincount(mention_caption[hallucinated], minlength=len(mentions))
    return {
        "chair_i": _ratio(np.count_nonzero(hallucinated), hallucinated.size),
        "chair_s": _ratio(np.count_nonzero(per_caption), len(mentions)),
    }
