"""The attention mechanisms: scaled dot-product (with grouped-query heads, RoPE, ALiBi,
soft-capping, masks, windows and global tokens), multi-head, additive (Bahdanau) and Luong's
local attention. Inputs in any float dtype; computed in float64."""
import numpy as np

from scripts.attention_reference.masking import masked_softmax, visibility
from scripts.attention_reference.positions import rope


def scaled_dot_product(q, k, v, *, scale=None, bias=None, rope_options=None, slopes=None, softcap=None, **masking):
    """q [B, H, L, d], k and v [B, H_kv, S, d]: output [B, H, L, d_v], weights [B, H, L, S].
    Scores: scale·QKᵀ after RoPE, then soft-capped (c·tanh(s/c)), then bias and ALiBi (−m_h·|i − j|)."""
    q, k, v = (np.asarray(x, dtype=np.float64) for x in (q, k, v))
    if rope_options is not None:
        q = rope(q, rope_options.get("offset", 0) + np.arange(q.shape[2]), rope_options.get("base", 10000.0),
                 rope_options.get("layout", "interleaved"))
        k = rope(k, np.arange(k.shape[2]), rope_options.get("base", 10000.0), rope_options.get("layout", "interleaved"))
    groups = q.shape[1] // k.shape[1]
    k = np.repeat(k, groups, axis=1)
    v = np.repeat(v, groups, axis=1)
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    scores = scale * (q @ np.swapaxes(k, -1, -2))
    if softcap is not None:
        scores = softcap * np.tanh(scores / softcap)
    if bias is not None:
        scores = scores + bias
    if slopes is not None:
        distance = np.abs(np.arange(q.shape[2])[:, None] - np.arange(k.shape[2])[None, :])
        scores = scores - np.asarray(slopes, dtype=np.float64)[None, :, None, None] * distance
    visible = visibility(q.shape[0], q.shape[2], k.shape[2], heads=q.shape[1], **masking)
    weights = masked_softmax(scores, visible)
    return weights @ v, weights


def multi_head(query, key, value, w_q, w_k, w_v, *, num_heads, num_kv_heads=None, w_o=None,
               b_q=None, b_k=None, b_v=None, b_o=None, weights_mode="average", scale=None, mask=None, **masking):
    """query [B, L, E]; returns output [B, L, E_out] and weights [B, L, S] or [B, H, L, S]."""
    f = lambda x: None if x is None else np.asarray(x, dtype=np.float64)
    query, key, value = f(query), f(key), f(value)
    key = query if key is None else key
    value = key if value is None else value
    num_kv_heads = num_kv_heads or num_heads
    project = lambda x, w, b: x @ f(w) + (0 if b is None else f(b))
    q, k, v = project(query, w_q, b_q), project(key, w_k, b_k), project(value, w_v, b_v)
    batch, length, _ = q.shape
    d_k, d_v = q.shape[-1] // num_heads, v.shape[-1] // num_kv_heads
    heads = lambda x, h, d: x.reshape(batch, x.shape[1], h, d).transpose(0, 2, 1, 3)
    if mask is not None and np.ndim(mask) == 3:
        mask = np.asarray(mask)[:, None]
    out, weights = scaled_dot_product(heads(q, num_heads, d_k), heads(k, num_kv_heads, d_k),
                                      heads(v, num_kv_heads, d_v), scale=scale, mask=mask, **masking)
    concatenated = out.transpose(0, 2, 1, 3).reshape(batch, length, num_heads * d_v)
    output = concatenated if w_o is None else project(concatenated, w_o, b_o)
    return output, (weights if weights_mode == "per_head" else weights.mean(axis=1))


def additive(query, key, w_query, w_key, v, *, value=None, bias=None, mask=None, **masking):
    """Bahdanau: e_ij = vᵀ tanh(q_i W_q + k_j W_k + b). query [B, L, d_q]; returns [B, L, d_v], [B, L, S]."""
    f = lambda x: None if x is None else np.asarray(x, dtype=np.float64)
    query, key = f(query), f(key)
    value = key if value is None else f(value)
    pre = (query @ f(w_query))[:, :, None, :] + (key @ f(w_key))[:, None, :, :]
    if bias is not None:
        pre = pre + f(bias)
    scores = np.tanh(pre) @ f(v)
    visible = visibility(query.shape[0], query.shape[1], key.shape[1], mask=mask, **masking)
    weights = masked_softmax(scores, visible)
    return weights @ value, weights


def luong_local(query, key, *, half_window, value=None, alignment="monotonic", score="dot",
                w_p=None, v_p=None, w_a=None, v_a=None, key_lengths=None):
    """Luong et al. 2015, §3.2, query [B, T, d_q], key [B, S, d_k]: output, weights [B, T, S], positions [B, T]."""
    f = lambda x: None if x is None else np.asarray(x, dtype=np.float64)
    query, key = f(query), f(key)
    value = key if value is None else f(value)
    batch, targets, sources, d_q = query.shape[0], query.shape[1], key.shape[1], query.shape[2]
    if alignment == "predictive":  # eq. 9
        positions = sources / (1 + np.exp(-(np.tanh(query @ f(w_p)) @ f(v_p))))
    else:
        positions = np.broadcast_to(np.arange(targets, dtype=np.float64), (batch, targets))
    if score == "dot":
        scores = query @ np.swapaxes(key, -1, -2)
    elif score == "general":
        scores = query @ f(w_a) @ np.swapaxes(key, -1, -2)
    else:  # concat: v_aᵀ tanh([h_t; h̄_s] W_a)
        w = f(w_a)
        scores = np.tanh((query @ w[:d_q])[:, :, None, :] + (key @ w[d_q:])[:, None, :, :]) @ f(v_a)
    s = np.arange(sources)[None, None, :]
    visible = np.abs(s - positions[:, :, None]) <= half_window
    if key_lengths is not None:
        visible &= s < np.asarray(key_lengths)[:, None, None]
    weights = masked_softmax(scores, visible)
    if alignment == "predictive":  # eq. 10, σ = D/2, not renormalised
        weights = weights * np.exp(-((s - positions[:, :, None]) ** 2) / (2 * (half_window / 2) ** 2))
    return weights @ value, weights, positions
