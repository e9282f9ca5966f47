"""NumPy float64 references for the v2 models, written the obvious way.

Used by scripts/e2e-v2.py, scripts/load/mix.py and scripts/e2e/readme_examples.py to check
every answer the server gives. Masks follow the service's conventions: True means "may
attend"; a query row with no visible key gets zero weights and a zero output; causal is
top-left aligned unless asked otherwise. RoPE, the ALiBi slopes, the sinusoidal encoding,
layer norm, the feed-forward block and the masked softmax are the golden fixtures' own
(scripts/make_extended_fixtures.py, which needs NumPy only when imported).
"""
import numpy as np

from make_extended_fixtures import alibi_slopes, feed_forward, layer_norm, rope, sinusoidal  # noqa: F401
from make_extended_fixtures import softmax_visible as masked_softmax


def relative_error(got, expected):
    """The largest |got − expected| / max(1, |expected|): relative for large values, absolute near 0."""
    return np.max(np.abs(got - expected) / np.maximum(1, np.abs(expected)))


def visibility(batch, length, key_length, *, causal=False, alignment="top_left",
               window=None, mask=None, key_lengths=None, heads=None, global_tokens=None):
    """Booleans [B, (H,) L, S]: which key each query may see. Global tokens (Longformer)
    see and are seen by every token on top of the window."""
    i = np.arange(length)[:, None]
    j = np.arange(key_length)[None, :]
    visible = np.ones((length, key_length), dtype=bool)
    if causal:
        offset = 0 if alignment == "top_left" else key_length - length
        visible &= j <= i + offset
    if window is not None:
        left, right = window
        local = (j >= i - left) & (j <= i + right)
        for g in ([] if global_tokens is None else global_tokens):
            local |= (i == g) | (j == g)
        visible &= local
    shape = (batch, length, key_length) if heads is None else (batch, heads, length, key_length)
    visible = np.broadcast_to(visible, shape).copy()
    if mask is not None:
        visible &= np.broadcast_to(mask, shape)
    if key_lengths is not None:
        for b, n in enumerate(key_lengths):
            visible[b, ..., n:] = False
    return visible


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
    scores = scale * q @ np.swapaxes(k, -1, -2)
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
    """Bahdanau: e_ij = vᵀ tanh(q_i W_q + b + k_j W_k). query [B, L, d_q]; returns [B, L, d_v], [B, L, S]."""
    f = lambda x: None if x is None else np.asarray(x, dtype=np.float64)
    query, key = f(query), f(key)
    value = key if value is None else f(value)
    projected_q = query @ f(w_query) + (0 if bias is None else f(bias))
    projected_k = key @ f(w_key)
    scores = np.tanh(projected_q[:, :, None, :] + projected_k[:, None, :, :]) @ f(v)
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


def attention_block(xq, xkv, p, prefix, num_heads, weights_mode, **masking):
    names = ["w_q", "w_k", "w_v", "w_o", "b_q", "b_k", "b_v", "b_o"]
    return multi_head(xq, xkv, xkv, num_heads=num_heads, weights_mode=weights_mode,
                      **{n: p[prefix + n] for n in names}, **masking)


def encoder_layer(x, p, *, num_heads, activation="relu", norm_first=False, eps=1e-5, weights_mode="average", **masking):
    """PyTorch nn.TransformerEncoderLayer in inference; p holds every tensor by its API name."""
    x = np.asarray(x, dtype=np.float64)
    ln = lambda y, n: layer_norm(y, p[f"ln{n}_gamma"], p[f"ln{n}_beta"], eps)
    attend = lambda y: attention_block(y, y, p, "", num_heads, weights_mode, **masking)
    if norm_first:
        attended, weights = attend(ln(x, 1))
        y = x + attended
        return y + feed_forward(ln(y, 2), p, activation), weights
    attended, weights = attend(x)
    y = ln(x + attended, 1)
    return ln(y + feed_forward(y, p, activation), 2), weights


def decoder_layer(x, memory, p, *, num_heads, activation="relu", norm_first=False, eps=1e-5, weights_mode="average",
                  memory_key_lengths=None, **masking):
    """PyTorch nn.TransformerDecoderLayer in inference: self-attention, cross-attention over memory, FFN."""
    x, memory = np.asarray(x, dtype=np.float64), np.asarray(memory, dtype=np.float64)
    ln = lambda y, n: layer_norm(y, p[f"ln{n}_gamma"], p[f"ln{n}_beta"], eps)
    own = lambda y: attention_block(y, y, p, "", num_heads, weights_mode, **masking)
    cross = lambda y: attention_block(y, memory, p, "cross_", num_heads, weights_mode, key_lengths=memory_key_lengths)
    if norm_first:
        attended, weights = own(ln(x, 1))
        y = x + attended
        crossed, cross_weights = cross(ln(y, 2))
        y = y + crossed
        return y + feed_forward(ln(y, 3), p, activation), weights, cross_weights
    attended, weights = own(x)
    y = ln(x + attended, 1)
    crossed, cross_weights = cross(y)
    y = ln(y + crossed, 2)
    return ln(y + feed_forward(y, p, activation), 3), weights, cross_weights
