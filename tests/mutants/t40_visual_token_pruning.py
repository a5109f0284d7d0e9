"""Deliberate mutants of solutions/t40_visual_token_pruning.py and the checks that catch them."""

from autograder.mutation import Mutant

_SCORES = ("    scores = received.mean(axis=(1, 2)) if queries == \"all\" else "
           "received[:, :, -1, :].mean(axis=1)\n")

MUTANTS = [
    Mutant(
        # FastV's released code scores by the last query only, whatever the paper says
        "last_query_always",
        _SCORES,
        "    scores = received[:, :, -1, :].mean(axis=1)\n",
        caught_by=("numeric.hand_worked_example", "numeric.matches_mean_over_all_queries"),
    ),
    Mutant(
        "all_queries_always",
        _SCORES,
        "    scores = received.mean(axis=(1, 2))\n",
        caught_by=("numeric.hand_worked_example", "numeric.matches_last_query"),
    ),
    Mutant(
        # the attention the image tokens pay (their query rows) instead of the attention they receive
        "attention_paid_not_received",
        "    received = a[..., start:start + count].astype(np.float64)",
        "    received = np.swapaxes(a[:, :, start:start + count, :], 2, 3).astype(np.float64)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_mean_over_all_queries",
                   "numeric.matches_last_query"),
    ),
    Mutant(
        # FastV's code takes torch.mean(attn, dim=1)[0]: sample 0's ranking for the whole batch
        "first_sample_ranks_the_batch",
        "    best = np.argsort(-scores, axis=1, kind=\"stable\")[:, :k]",
        "    scores = np.broadcast_to(scores[:1], scores.shape)\n"
        "    best = np.argsort(-scores, axis=1, kind=\"stable\")[:, :k]",
        caught_by=("numeric.matches_mean_over_all_queries", "behavior.ties_and_per_sample_ranking"),
    ),
    Mutant(
        # topk(..., largest=False), as in one public FastV port
        "keeps_the_least_attended",
        "np.argsort(-scores, axis=1, kind=\"stable\")",
        "np.argsort(scores, axis=1, kind=\"stable\")",
        caught_by=("numeric.hand_worked_example", "numeric.matches_mean_over_all_queries",
                   "behavior.fastv_moves_the_next_layer_least"),
    ),
    Mutant(
        "kept_in_score_order",
        "    kept = np.sort(best, axis=1).astype(np.int64) + start",
        "    kept = best.astype(np.int64) + start",
        caught_by=("numeric.hand_worked_example", "numeric.matches_mean_over_all_queries"),
    ),
    Mutant(
        # descending argsort by reversing: a tie goes to the higher position
        "ties_to_the_higher_position",
        "np.argsort(-scores, axis=1, kind=\"stable\")[:, :k]",
        "np.argsort(scores, axis=1, kind=\"stable\")[:, ::-1][:, :k]",
        caught_by=("numeric.hand_worked_example", "behavior.ties_and_per_sample_ranking"),
    ),
    Mutant(
        "indices_relative_to_the_image",
        "    return out, kept\n",
        "    return out, kept - start\n",
        caught_by=("numeric.hand_worked_example", "numeric.matches_mean_over_all_queries"),
    ),
    Mutant(
        "change_without_scale",
        "np.einsum(\"bld,bd->bl\", x @ wk, q) / np.sqrt(wq.shape[1])",
        "np.einsum(\"bld,bd->bl\", x @ wk, q)",
        caught_by=("numeric.hand_worked_example", "numeric.output_change_matches_formula"),
    ),
    Mutant(
        "change_read_from_the_first_position",
        "        q = x[:, -1, :] @ wq  # (B, d_k)",
        "        q = x[:, 0, :] @ wq  # (B, d_k)",
        caught_by=("numeric.hand_worked_example", "numeric.output_change_matches_formula"),
    ),
    Mutant(
        "keep_not_bounded",
        "    if k > count:",
        "    if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
    Mutant(
        "queries_not_checked",
        "    if queries not in (\"all\", \"last\"):",
        "    if False:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
]
