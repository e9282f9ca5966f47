"""Transformer encoder and decoder layers with PyTorch's semantics (inference, no dropout)."""
import math

import numpy as np

from scripts.attention_reference.mechanisms import multi_head


def layer_norm(x, gamma, beta, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)   # biased
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def feed_forward(x, p, activation):
    h = x @ p["w_1"] + p["b_1"]
    if activation == "relu":
        h = np.maximum(h, 0.0)
    else:                                                   # exact GELU: x · Φ(x)
        h = h * 0.5 * (1.0 + np.vectorize(math.erf)(h / math.sqrt(2.0)))
    return h @ p["w_2"] + p["b_2"]


def attention_block(xq, xkv, p, prefix, num_heads, weights_mode, **masking):
    """The layer's multi-head attention, its tensors named `prefix` + w_q … b_o in p."""
    names = ["w_q", "w_k", "w_v", "w_o", "b_q", "b_k", "b_v", "b_o"]
    return multi_head(xq, xkv, xkv, num_heads=num_heads, weights_mode=weights_mode,
                      **{n: p[prefix + n] for n in names}, **masking)


def encoder_layer(x, p, *, num_heads, activation="relu", norm_first=False, eps=1e-5, weights_mode="average", **masking):
    """PyTorch nn.TransformerEncoderLayer in inference; p holds every tensor by its API name."""
    x = np.asarray(x, dtype=np.float64)
    ln = lambda y, n: layer_norm(y, p[f"ln{n}_gamma"], p[f"ln{n}_beta"], eps)  # noqa: E731
    attend = lambda y: attention_block(y, y, p, "", num_heads, weights_mode, **masking)  # noqa: E731
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
    ln = lambda y, n: layer_norm(y, p[f"ln{n}_gamma"], p[f"ln{n}_beta"], eps)  # noqa: E731
    own = lambda y: attention_block(y, y, p, "", num_heads, weights_mode, **masking)  # noqa: E731
    cross = lambda y: attention_block(y, memory, p, "cross_", num_heads, weights_mode,  # noqa: E731
                                      key_lengths=memory_key_lengths)
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
