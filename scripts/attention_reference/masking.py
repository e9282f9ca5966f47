"""Which keys each query may see, and the softmax over those alone."""
import numpy as np


def visibility(batch, length, key_length, *, causal=False, alignment="top_left",
               window=None, mask=None, key_lengths=None, heads=None, global_tokens=None):
    """Booleans [B, (H,) L, S]: which key each query may see. Causal top-left: query i sees
    keys j ≤ i; bottom-right: j ≤ i + S − L. Global tokens (Longformer, Beltagy et al. 2020,
    §3.1) see and are seen by every token on top of the window."""
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


def masked_softmax(scores, visible):
    """Softmax over the visible entries of the last axis; zeros elsewhere and for empty rows."""
    s = np.where(visible, scores, -np.inf)
    top = np.max(s, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.where(visible, np.exp(s - top), 0.0)
    total = e.sum(axis=-1, keepdims=True)
    return np.where(total > 0, e / np.where(total > 0, total, 1.0), 0.0)
