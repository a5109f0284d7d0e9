"""Deliberate mutants of solutions/t20_batched_prediction.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        "training_mode",
        "model([text[start:stop], image[start:stop]], training=False)",
        "model([text[start:stop], image[start:stop]], training=True)",
        caught_by=("numeric.matches_argmax_for_every_batch_size", "behavior.calls_model_in_inference_batches"),
    ),
    Mutant(
        "last_partial_batch_dropped",
        "for start in range(0, n, int(batch_size)):",
        "for start in range(0, n - int(batch_size) + 1, int(batch_size)):",
        caught_by=("shape.empty_single_and_partial_batches", "numeric.hand_worked_labels",
                   "numeric.matches_argmax_for_every_batch_size"),
    ),
    Mutant(
        "argmax_over_batch_axis",
        "labels.append(np.argmax(scores, axis=-1))",
        "labels.append(np.argmax(scores, axis=0))",
        caught_by=("numeric.hand_worked_labels", "numeric.matches_argmax_for_every_batch_size"),
    ),
    Mutant(
        "empty_input_not_int64",
        "        return np.zeros((0,), dtype=np.int64)",
        "        return np.zeros((0,))",
        caught_by=("shape.empty_single_and_partial_batches",),
    ),
    Mutant(
        "no_batch_size_check",
        "    if text.shape[0] != image.shape[0]:",
        "    if False:",
        caught_by=("behavior.mismatched_or_non_finite_input_raises",),
    ),
    Mutant(
        "no_finite_check",
        "    if not np.all(np.isfinite(out)):",
        "    if False:",
        caught_by=("behavior.mismatched_or_non_finite_input_raises", "behavior.bad_input_is_an_error"),
    ),
    Mutant(
        "returns_input_view",
        "        out = np.array(array, dtype=np.float32, copy=True)",
        "        out = np.asarray(array, dtype=np.float32)",
        caught_by=("behavior.inputs_not_mutated_nor_aliased",),
    ),
    Mutant(
        "no_1d_promotion",
        "    if array.ndim == 1:\n        array = array[None, :]",
        "    pass",
        caught_by=("shape.output_shapes",),
    ),
]
