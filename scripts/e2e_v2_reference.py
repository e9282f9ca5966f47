"""NumPy float64 references for the three v2 models, written the obvious way.

Used by scripts/e2e-v2.py to check every answer the server gives. Masks follow the
service's conventions: True means "may attend"; a query row with no visible key gets
zero weights and a zero output; causal is top-left aligned unless asked otherwise.
"""
import numpy as np


def visibility(batch, length, key_length, *, causal=False, alignment="top_left",
               window=None, mask=None, key_lengths=None, heads=None):
    """Booleans [B, (H,) L, S]: which key each query may see."""
    i = np.arange(length)[:, None]
    j = np.arange(key_length)[None, :]
    visible = np.ones((length, key_length), dtype=bool)
    if causal:
        offset = 0 if alignment == "top_left" else key_length - length
        visible &= j <= i + offset
    if window is not None:
        left, right = window
        visible &= (j >= i - left) & (j <= i + right)
    shape = (batch, length, key_length) if heads is None else (batch, heads, length, key_length)
    visible = np.broadcast_to(visible, shape).copy()
    if mask is not None:
        visible &= np.broadcast_to(mask, shape)
    if key_lengths is not None:
        for b, n in enumerate(key_lengths):
            visible[b, ..., n:] = False
    return visible


def masked_softmax(scores, visible):
    scores = np.where(visible, scores, -np.inf)
    top = scores.max(axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    exps = np.where(visible, np.exp(scores - top), 0)
    sums = exps.sum(axis=-1, keepdims=True)
    return np.divide(exps, sums, out=np.zeros_like(exps), where=sums > 0)


def scaled_dot_product(q, k, v, *, scale=None, bias=None, **masking):
    """q [B, H, L, d], k and v [B, H_kv, S, d]: output [B, H, L, d_v], weights [B, H, L, S]."""
    q, k, v = (np.asarray(x, dtype=np.float64) for x in (q, k, v))
    groups = q.shape[1] // k.shape[1]
    k = np.repeat(k, groups, axis=1)
    v = np.repeat(v, groups, axis=1)
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    scores = scale * q @ np.swapaxes(k, -1, -2)
    if bias is not None:
        scores = scores + bias
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
