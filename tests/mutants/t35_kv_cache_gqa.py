"""Deliberate mutants of solutions/t35_kv_cache_gqa.py and the checks that catch them."""

from autograder.mutation import Mutant

MUTANTS = [
    Mutant(
        # np.tile / torch's Tensor.repeat instead of repeat_interleave: query head h reads KV head h % Hkv.
        "kv_heads_tiled_not_repeated",
        "    grouped = tf.reshape(q, (batch, n_kv, group, depth))",
        "    grouped = tf.transpose(tf.reshape(q, (batch, group, n_kv, depth)), (0, 2, 1, 3))",
        caught_by=("numeric.hand_worked_example", "numeric.decoding_equals_full_causal_attention",
                   "numeric.matches_formula_with_a_long_cache", "behavior.gqa_equals_mha_with_repeated_kv"),
    ),
    Mutant(
        # The cache is updated after attention: the new token does not see itself.
        "attend_before_append",
        'logits = tf.einsum("bkgd,bktd->bkgt", grouped, keys)',
        'logits = tf.einsum("bkgd,bktd->bkgt", grouped, k_cache)',
        caught_by=("numeric.hand_worked_example", "numeric.decoding_equals_full_causal_attention",
                   "shape.empty_cache_and_empty_batch"),
    ),
    Mutant(
        # is_causal=True with Lq = 1 < Lk in PyTorch's SDPA: a top-left aligned mask, only key 0 is seen.
        "top_left_causal_mask",
        "    weights = tf.nn.softmax(logits, axis=-1)",
        "    weights = tf.nn.softmax(tf.where(tf.range(t_len + 1) < 1, logits, -1e9), axis=-1)",
        caught_by=("numeric.hand_worked_example", "numeric.decoding_equals_full_causal_attention",
                   "numeric.matches_formula_with_a_long_cache", "behavior.mha_and_mqa_match_the_oracle"),
    ),
    Mutant(
        "scale_by_d",
        "q = q * (1.0 / math.sqrt(depth))",
        "q = q * (1.0 / depth)",
        caught_by=("numeric.hand_worked_example", "numeric.matches_formula_with_a_long_cache"),
    ),
    Mutant(
        # The (B, Hkv, G, T+1) layout makes axis -2 the group of query heads, not the keys.
        "softmax_over_the_group",
        "    weights = tf.nn.softmax(logits, axis=-1)",
        "    weights = tf.nn.softmax(logits, axis=-2)",
        caught_by=("numeric.hand_worked_example", "numeric.decoding_equals_full_causal_attention"),
    ),
    Mutant(
        # The attention output does not depend on the order of the keys, the cache does.
        "new_token_prepended",
        "    keys = tf.concat([k_cache, k_new], axis=2)  # (B, Hkv, T + 1, D)\n"
        "    values = tf.concat([v_cache, v_new], axis=2)",
        "    keys = tf.concat([k_new, k_cache], axis=2)  # (B, Hkv, T + 1, D)\n"
        "    values = tf.concat([v_new, v_cache], axis=2)",
        caught_by=("numeric.decoding_equals_full_causal_attention", "behavior.caches_are_appended_at_the_end"),
    ),
    Mutant(
        "key_appended_to_the_value_cache",
        "    values = tf.concat([v_cache, v_new], axis=2)",
        "    values = tf.concat([v_cache, k_new], axis=2)",
        caught_by=("numeric.decoding_equals_full_causal_attention", "behavior.caches_are_appended_at_the_end"),
    ),
    Mutant(
        "naive_softmax_overflows",
        "    weights = tf.nn.softmax(logits, axis=-1)",
        "    weights = tf.exp(logits) / tf.reduce_sum(tf.exp(logits), axis=-1, keepdims=True)",
        caught_by=("numeric.stable_for_huge_logits",),
    ),
    Mutant(
        # NumPy style: np.asarray does not copy a float64 array, so /= scales the caller's query.
        "query_scaled_in_place",
        "    q, k_new, v_new, k_cache, v_cache = (tf.cast(t, dtype) for t in tensors)\n"
        "    q = q * (1.0 / math.sqrt(depth))",
        "    import numpy as np\n"
        "    q_np = np.asarray(q, dtype=np.float64)\n"
        "    q_np /= math.sqrt(depth)\n"
        "    tensors[0] = tf.constant(q_np)\n"
        "    q, k_new, v_new, k_cache, v_cache = (tf.cast(t, dtype) for t in tensors)",
        caught_by=("behavior.inputs_not_mutated",),
    ),
    Mutant(
        "no_group_validation",
        "    if n_kv == 0 or n_q % n_kv != 0:",
        "    if n_kv == 0:",
        caught_by=("behavior.bad_input_is_an_error",),
    ),
]
