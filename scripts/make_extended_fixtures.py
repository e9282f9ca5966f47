#!/usr/bin/env python3
"""Generate golden fixtures for the engine's newer mechanisms (issue 6) into
Tests/AttentionEngineTests/Fixtures/extended/.

The fixtures are committed; CI never runs this script. Regenerate them by hand:

    pip install numpy                                   # required
    pip install --no-deps 'torch==<a +cpu build>' filelock fsspec sympy mpmath networkx jinja2 \
        MarkupSafe typing_extensions                    # optional; see below
    python3 scripts/make_extended_fixtures.py           # writes the JSON files
    python3 scripts/make_extended_fixtures.py --check   # verifies only, writes nothing

No mainstream library implements these variants (Luong local-m/local-p, Longformer-style
global + local masking, RoPE, ALiBi, soft-capping), so each is a float64 NumPy
transcription of the paper's equations, written from the papers, not from the engine's
Swift code: the point is an independent check. The Transformer encoder/decoder layers are
also a NumPy transcription of PyTorch's documented semantics; when PyTorch imports, the
script additionally runs ``torch.nn.TransformerEncoderLayer`` / ``TransformerDecoderLayer``
in float64 with the same weights, asserts agreement (to 1e-10; it is about 1e-15) and writes
PyTorch's values, recording its version in each layer case's ``options.reference``. Only a
CPU build of torch is needed: the default Linux wheel of the registry fails on import
without its multi-gigabyte CUDA packages, so install a ``+cpu`` wheel with ``--no-deps``
(these fixtures were made with torch 2.13.0+cpu from the machine's local wheel folder).

Inputs are standard normals rounded to 3 decimals and cast to float32; the references
compute in float64 from exactly those float32 values, so a float32 engine compares at
rtol 2e-4, atol 2e-5. Expected values are written with 9 significant digits. Seeds are
fixed, so the output is deterministic.

Conventions (DESIGN.md): y = x·W + b (rows of W are input features); masks are booleans,
true = may attend; causal is top-left (query i sees keys j <= i); windows (left, right)
are inclusive; a query row with no visible key gets zero weights and a zero output.

The existing GoldenFixtureTests reads only the top-level *.json of Fixtures/; these files
live in the extended/ subfolder and are replayed by ExtendedFixtureTests.swift.
"""

import argparse
import json
import math
import os
import sys

import numpy as np

# Optional cross-check of the Transformer layers, imported by main() only: e2e_v2_reference.py
# imports this module's references, and the e2e environments have NumPy alone.
torch = None

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "AttentionEngineTests", "Fixtures", "extended")


# ---------------------------------------------------------------------------
# Inputs and JSON

class Draw:
    """Deterministic float32 inputs (normals rounded to 3 decimals, cast to float32)."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def __call__(self, *shape, scale=1.0):
        x = np.round(self.rng.standard_normal(shape) * scale, 3)
        return x.astype(np.float32).astype(np.float64)


def tensor_json(array, digits=None):
    array = np.asarray(array)
    if array.dtype == bool:
        data = [bool(v) for v in array.reshape(-1)]
    elif digits is None:  # inputs: the 3-decimal text whose float32 is the value used
        data = [float(np.round(v, 3)) for v in array.reshape(-1)]
    else:
        data = [float(f"{v:.{digits}g}") for v in array.reshape(-1)]
        data = [0.0 if v == 0 else v for v in data]
    return {"shape": list(array.shape), "data": data}


def case(name, mechanism, inputs, options, expected):
    return {
        "name": name,
        "mechanism": mechanism,
        "inputs": {k: tensor_json(v) for k, v in inputs.items()},
        "options": options,
        "expected": {k: tensor_json(v, digits=9) for k, v in expected.items()},
    }


def softmax_visible(scores, visible):
    """Softmax over the visible entries of the last axis; zeros elsewhere and for empty rows."""
    s = np.where(visible, scores, -np.inf)
    top = np.max(s, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.where(visible, np.exp(s - top), 0.0)
    total = e.sum(axis=-1, keepdims=True)
    return np.where(total > 0, e / np.where(total > 0, total, 1.0), 0.0)


# ---------------------------------------------------------------------------
# Luong et al. 2015, §3.2 (local attention), eqs. 7-10

def luong_local(h_t, h_s, value, alignment, D, score, w_p=None, v_p=None, w_a=None, v_a=None,
                key_lengths=None):
    """h_t [T,d_q] (or [B,T,d_q]), h_s [S,d_k] (or [B,S,d_k]) -> output, weights, positions."""
    batched = h_t.ndim == 3
    if not batched:
        h_t, h_s, value = h_t[None], h_s[None], value[None]
    B, T, _ = h_t.shape
    S = h_s.shape[1]
    out = np.zeros((B, T, value.shape[2]))
    weights = np.zeros((B, T, S))
    positions = np.zeros((B, T))
    margin = math.inf
    for b in range(B):
        for t in range(T):
            h = h_t[b, t]
            if alignment == "monotonic":        # local-m: p_t = t
                p = float(t)
            else:                               # local-p, eq. 9: p_t = S · sigmoid(v_pᵀ tanh(W_p h_t))
                z = v_p @ np.tanh(h @ w_p)
                p = S / (1.0 + math.exp(-z))
            positions[b, t] = p
            scores = np.zeros(S)
            for s in range(S):                  # eq. 8
                hs = h_s[b, s]
                if score == "dot":
                    scores[s] = h @ hs
                elif score == "general":
                    scores[s] = h @ w_a @ hs
                else:                           # concat: v_aᵀ tanh(W_a [h_t; h̄_s])
                    scores[s] = v_a @ np.tanh(np.concatenate([h, hs]) @ w_a)
            visible = np.array([abs(s - p) <= D for s in range(S)])
            if key_lengths is not None:
                visible &= np.arange(S) < key_lengths[b]
            if alignment == "predictive":
                margin = min(margin, min(abs(abs(s - p) - D) for s in range(S)))
            a = softmax_visible(scores, visible)
            if alignment == "predictive":       # eq. 10, σ = D/2, not renormalised
                sigma = D / 2.0
                a = a * np.exp(-((np.arange(S) - p) ** 2) / (2.0 * sigma ** 2))
            weights[b, t] = a
            out[b, t] = a @ value[b]
    # p_t computed in float32 by the engine must not move a key across the window edge.
    assert margin > 1e-3, f"local-p window edge too close ({margin}); pick another seed"
    if not batched:
        out, weights, positions = out[0], weights[0], positions[0]
    return out, weights, positions


def luong_cases():
    cases = []
    d = Draw(601)
    # local-m, dot, unbatched, T > S so the last target rows see few (or no) keys.
    q, k = d(6, 4), d(4, 4)
    o, w, p = luong_local(q, k, k, "monotonic", 1, "dot")
    cases.append(case("local_m_dot_t_gt_s", "luong_local", {"query": q, "key": k},
                      {"alignment": "monotonic", "half_window": 1, "score": "dot"},
                      {"output": o, "weights": w, "positions": p}))
    # local-m, general, batched, separate values, key lengths.
    q, k, v, wa = d(2, 5, 3), d(2, 7, 4), d(2, 7, 2), d(3, 4)
    o, w, p = luong_local(q, k, v, "monotonic", 2, "general", w_a=wa, key_lengths=[7, 4])
    cases.append(case("local_m_general_batched_key_lengths", "luong_local",
                      {"query": q, "key": k, "value": v, "w_a": wa},
                      {"alignment": "monotonic", "half_window": 2, "score": "general", "key_lengths": [7, 4]},
                      {"output": o, "weights": w, "positions": p}))
    # local-p, dot.
    q, k, wp, vp = d(4, 4), d(9, 4), d(4, 3), d(3)
    o, w, p = luong_local(q, k, k, "predictive", 2, "dot", w_p=wp, v_p=vp)
    cases.append(case("local_p_dot", "luong_local", {"query": q, "key": k, "w_p": wp, "v_p": vp},
                      {"alignment": "predictive", "half_window": 2, "score": "dot"},
                      {"output": o, "weights": w, "positions": p}))
    # local-p, concat, batched, d_q != d_k, values.
    q, k, v = d(2, 3, 3), d(2, 8, 5), d(2, 8, 2)
    wp, vp, wa, va = d(3, 4), d(4), d(3 + 5, 4), d(4)
    o, w, p = luong_local(q, k, v, "predictive", 3, "concat", w_p=wp, v_p=vp, w_a=wa, v_a=va)
    cases.append(case("local_p_concat_batched", "luong_local",
                      {"query": q, "key": k, "value": v, "w_p": wp, "v_p": vp, "w_a": wa, "v_a": va},
                      {"alignment": "predictive", "half_window": 3, "score": "concat"},
                      {"output": o, "weights": w, "positions": p}))
    # local-p, dot, batched, key lengths: the Gaussian multiplies the masked softmax.
    q, k, wp, vp = d(2, 3, 4), d(2, 7, 4), d(4, 3), d(3)
    o, w, p = luong_local(q, k, k, "predictive", 2, "dot", w_p=wp, v_p=vp, key_lengths=[7, 4])
    cases.append(case("local_p_dot_batched_key_lengths", "luong_local", {"query": q, "key": k, "w_p": wp, "v_p": vp},
                      {"alignment": "predictive", "half_window": 2, "score": "dot", "key_lengths": [7, 4]},
                      {"output": o, "weights": w, "positions": p}))
    # local-p, general, unbatched, D = 1.
    q, k, wp, vp, wa = d(5, 2), d(6, 3), d(2, 2), d(2), d(2, 3)
    o, w, p = luong_local(q, k, k, "predictive", 1, "general", w_p=wp, v_p=vp, w_a=wa)
    cases.append(case("local_p_general_d1", "luong_local",
                      {"query": q, "key": k, "w_p": wp, "v_p": vp, "w_a": wa},
                      {"alignment": "predictive", "half_window": 1, "score": "general"},
                      {"output": o, "weights": w, "positions": p}))
    return cases


# ---------------------------------------------------------------------------
# Scaled dot-product attention with the position terms, ranks [B,H,L,d]

def rope(x, positions, base, layout):
    """Su et al. 2021, eq. 34: rotate pairs of features by p·θ_i, θ_i = base^(−2i/d)."""
    d = x.shape[-1]
    out = x.copy()
    for i in range(d // 2):
        theta = base ** (-2.0 * i / d)
        a, b = (2 * i, 2 * i + 1) if layout == "interleaved" else (i, i + d // 2)
        angle = positions * theta                     # [L]
        c, s = np.cos(angle), np.sin(angle)
        x1, x2 = x[..., a], x[..., b]
        out[..., a] = x1 * c - x2 * s
        out[..., b] = x1 * s + x2 * c
    return out


def sdpa(q, k, v, scale=None, causal=False, window=None, global_tokens=None, mask=None,
         key_lengths=None, bias=None, rope_options=None, alibi_slopes=None, softcap=None):
    """q [B,H,L,d], k [B,Hkv,S,d], v [B,Hkv,S,dv] -> output [B,H,L,dv], weights [B,H,L,S]."""
    B, H, L, dk = q.shape
    Hkv, S = k.shape[1], k.shape[2]
    group = H // Hkv
    scale = 1.0 / math.sqrt(dk) if scale is None else scale
    if rope_options is not None:
        base, layout, offset = rope_options["base"], rope_options["layout"], rope_options["offset"]
        q = rope(q, offset + np.arange(L, dtype=np.float64), base, layout)
        k = rope(k, np.arange(S, dtype=np.float64), base, layout)
    i = np.arange(L)[:, None]
    j = np.arange(S)[None, :]
    out = np.zeros((B, H, L, v.shape[3]))
    weights = np.zeros((B, H, L, S))
    for b in range(B):
        for h in range(H):
            kh = h // group
            scores = scale * (q[b, h] @ k[b, kh].T)
            if softcap is not None:                    # Gemma 2: c · tanh(s / c), first
                scores = softcap * np.tanh(scores / softcap)
            if bias is not None:
                scores = scores + np.broadcast_to(bias, (B, H, L, S))[b, h]
            if alibi_slopes is not None:               # Press et al. 2022: −m_h · |i − j|
                scores = scores - alibi_slopes[h] * np.abs(i - j)
            visible = np.ones((L, S), dtype=bool)
            if causal == "bottom_right":               # the last query sees every key
                visible &= j <= i + S - L
            elif causal:
                visible &= j <= i
            if window is not None:
                local = (j >= i - window[0]) & (j <= i + window[1])
                if global_tokens:                       # Longformer §3.1: symmetric global attention
                    g = set(global_tokens)
                    local |= np.array([[ii in g for _ in range(S)] for ii in range(L)])
                    local |= np.array([[jj in g for jj in range(S)] for _ in range(L)])
                visible &= local
            if mask is not None:
                visible &= np.broadcast_to(mask, (B, H, L, S))[b, h]
            if key_lengths is not None:
                visible &= j < key_lengths[b]
            a = softmax_visible(scores, visible)
            weights[b, h] = a
            out[b, h] = a @ v[b, kh]
    return out, weights


def sdp_case(name, inputs, options, with_weights=True, **kwargs):
    """Inputs of rank 2 ([L,d]) or 3 ([B,L,d]) are one head (and one batch). Long cases leave
    the weights out (with_weights=False) to keep the files small."""
    rank = inputs["query"].ndim
    lift = {2: lambda t: t[None, None], 3: lambda t: t[:, None], 4: lambda t: t}[rank]
    o, w = sdpa(*(lift(inputs[n]) for n in ("query", "key", "value")), **kwargs)
    if rank == 2:
        o, w = o[0, 0], w[0, 0]
    elif rank == 3:
        o, w = o[:, 0], w[:, 0]
    if "mask" in options:
        options = dict(options, mask=tensor_json(options["mask"]))
    if "bias" in options:
        options = dict(options, bias=tensor_json(options["bias"]))
    expected = {"output": o, "weights": w} if with_weights else {"output": o}
    return case(name, "scaled_dot_product", inputs, options, expected)


def hybrid_cases():
    cases = []
    d = Draw(602)
    q, k, v = d(1, 2, 9, 4), d(1, 2, 9, 4), d(1, 2, 9, 3)
    cases.append(sdp_case("window_globals", {"query": q, "key": k, "value": v},
                          {"window": [1, 1], "global_tokens": [0, 5]},
                          window=(1, 1), global_tokens=[0, 5]))
    q, k, v = d(2, 1, 8, 4), d(2, 1, 8, 4), d(2, 1, 8, 4)
    cases.append(sdp_case("causal_window_globals_key_lengths", {"query": q, "key": k, "value": v},
                          {"causal": "top_left", "window": [2, 0], "global_tokens": [1, 6], "key_lengths": [8, 5]},
                          causal=True, window=(2, 0), global_tokens=[1, 6], key_lengths=[8, 5]))
    # Cross-attention L = 5 < S = 8: token 6 is a key only (every query attends to it), token 1 both.
    q, k, v = d(1, 2, 5, 4), d(1, 2, 8, 4), d(1, 2, 8, 2)
    mask = d.rng.random((5, 8)) < 0.85
    mask[:, 6] = True
    cases.append(sdp_case("cross_l5_s8_window_globals_mask", {"query": q, "key": k, "value": v},
                          {"window": [1, 2], "global_tokens": [1, 6], "mask": mask},
                          window=(1, 2), global_tokens=[1, 6], mask=mask))
    # Cross-attention L = 7 > S = 4: token 5 is a query only (it attends to every key).
    q, k, v = d(1, 1, 7, 4), d(1, 1, 4, 4), d(1, 1, 4, 3)
    cases.append(sdp_case("cross_l7_s4_query_global", {"query": q, "key": k, "value": v},
                          {"window": [0, 1], "global_tokens": [5]},
                          window=(0, 1), global_tokens=[5]))
    # Long enough to span several of the engine's tiles (outputs only, to keep the file small).
    q, k, v = d(1, 1, 130, 4), d(1, 1, 130, 4), d(1, 1, 130, 2)
    cases.append(sdp_case("long_l130_causal_window_globals", {"query": q, "key": k, "value": v},
                          {"causal": "top_left", "window": [3, 2], "global_tokens": [0, 64, 129]},
                          with_weights=False, causal=True, window=(3, 2), global_tokens=[0, 64, 129]))
    q, k, v = d(1, 1, 70, 4), d(1, 1, 130, 4), d(1, 1, 130, 2)
    cases.append(sdp_case("long_cross_l70_s130_window_globals", {"query": q, "key": k, "value": v},
                          {"window": [2, 5], "global_tokens": [5, 100]},
                          with_weights=False, window=(2, 5), global_tokens=[5, 100]))
    # A row with no visible key (query 2 of batch 1: its key length 0 leaves nothing) is zeros.
    q, k, v = d(2, 1, 4, 4), d(2, 1, 4, 4), d(2, 1, 4, 2)
    cases.append(sdp_case("window_globals_key_length_zero", {"query": q, "key": k, "value": v},
                          {"window": [1, 0], "global_tokens": [3], "key_lengths": [4, 0]},
                          window=(1, 0), global_tokens=[3], key_lengths=[4, 0]))
    return cases


def rope_cases():
    cases = []
    d = Draw(603)
    q, k, v = d(1, 2, 6, 8), d(1, 2, 6, 8), d(1, 2, 6, 4)
    r = {"base": 10000.0, "layout": "interleaved", "offset": 0}
    cases.append(sdp_case("rope_interleaved", {"query": q, "key": k, "value": v}, {"rope": r}, rope_options=r))
    q, k, v = d(2, 2, 5, 6), d(2, 2, 5, 6), d(2, 2, 5, 3)
    r = {"base": 10000.0, "layout": "half", "offset": 0}
    cases.append(sdp_case("rope_half_causal", {"query": q, "key": k, "value": v},
                          {"rope": r, "causal": "top_left"}, rope_options=r, causal=True))
    # Decoding with a cache: 3 new queries at positions 4, 5, 6 over 7 keys.
    q, k, v = d(1, 2, 3, 8), d(1, 2, 7, 8), d(1, 2, 7, 4)
    r = {"base": 100.0, "layout": "half", "offset": 4}
    cases.append(sdp_case("rope_half_offset4_base100", {"query": q, "key": k, "value": v},
                          {"rope": r}, rope_options=r))
    # Rank 2 (one head) with a causal window.
    q, k, v = d(5, 6), d(5, 6), d(5, 3)
    r = {"base": 10000.0, "layout": "interleaved", "offset": 0}
    cases.append(sdp_case("rope_interleaved_rank2_causal_window", {"query": q, "key": k, "value": v},
                          {"rope": r, "causal": "top_left", "window": [2, 0]},
                          rope_options=r, causal=True, window=(2, 0)))
    # Grouped-query: 4 query heads over 2 key/value heads.
    q, k, v = d(1, 4, 5, 8), d(1, 2, 5, 8), d(1, 2, 5, 4)
    r = {"base": 10000.0, "layout": "interleaved", "offset": 2}
    cases.append(sdp_case("rope_interleaved_gqa_offset2", {"query": q, "key": k, "value": v},
                          {"rope": r}, rope_options=r))
    # Long: positions up to 180, several tiles, ALiBi too (outputs only).
    q, k, v = d(1, 2, 60, 4), d(1, 2, 130, 4), d(1, 2, 130, 2)
    r = {"base": 10000.0, "layout": "half", "offset": 50}
    s2 = alibi_slopes(2)
    cases.append(sdp_case("long_rope_half_offset50_alibi", {"query": q, "key": k, "value": v},
                          {"rope": r, "alibi_slopes": s2, "causal": "bottom_right"},
                          with_weights=False, rope_options=r, alibi_slopes=s2, causal="bottom_right"))
    return cases


def alibi_slopes(heads):
    """Press et al. 2022, §3: m_h = 2^(−8h/H); H not a power of two: the n = 2^⌊log2 H⌋
    slopes, then every other slope of 2n (the first H − n of them)."""
    def power_of_two(n):
        return [2.0 ** (-8.0 * h / n) for h in range(1, n + 1)]
    n = 2 ** int(math.floor(math.log2(heads)))
    slopes = power_of_two(n)
    if n < heads:
        slopes += power_of_two(2 * n)[0::2][: heads - n]
    return slopes


def alibi_cases():
    cases = []
    d = Draw(604)
    s4 = alibi_slopes(4)
    assert s4 == [0.25, 0.0625, 0.015625, 0.00390625]
    q, k, v = d(1, 4, 5, 4), d(1, 4, 5, 4), d(1, 4, 5, 3)
    cases.append(sdp_case("alibi_h4_causal", {"query": q, "key": k, "value": v},
                          {"alibi_slopes": s4, "causal": "top_left"},
                          alibi_slopes=s4, causal=True))
    s6 = alibi_slopes(6)
    assert s6 == [0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125]
    q, k, v = d(2, 6, 4, 4), d(2, 6, 6, 4), d(2, 6, 6, 2)
    cases.append(sdp_case("alibi_h6_cross_key_lengths", {"query": q, "key": k, "value": v},
                          {"alibi_slopes": s6, "key_lengths": [6, 3]},
                          alibi_slopes=s6, key_lengths=[6, 3]))
    # Rank 3 [B,L,d]: one head, m = 2^-8.
    s1 = alibi_slopes(1)
    assert s1 == [2.0 ** -8]
    q, k, v = d(2, 4, 4), d(2, 5, 4), d(2, 5, 2)
    cases.append(sdp_case("alibi_h1_rank3", {"query": q, "key": k, "value": v},
                          {"alibi_slopes": s1}, alibi_slopes=s1))
    # Grouped-query (6 query heads over 3).
    q, k, v = d(1, 6, 6, 4), d(1, 3, 6, 4), d(1, 3, 6, 3)
    cases.append(sdp_case("alibi_h6_gqa", {"query": q, "key": k, "value": v},
                          {"alibi_slopes": s6}, alibi_slopes=s6))
    return cases


def softcap_cases():
    cases = []
    d = Draw(605)
    q, k, v = d(1, 2, 5, 4, scale=3.0), d(1, 2, 5, 4, scale=3.0), d(1, 2, 5, 3)
    cases.append(sdp_case("softcap_5_causal", {"query": q, "key": k, "value": v},
                          {"softcap": 5.0, "causal": "top_left"}, softcap=5.0, causal=True))
    # Order: softcap the scaled product, then add bias and ALiBi, then mask.
    q, k, v = d(2, 2, 4, 4, scale=3.0), d(2, 2, 6, 4, scale=3.0), d(2, 2, 6, 2)
    bias = d(4, 6)
    mask = d.rng.random((2, 1, 4, 6)) < 0.8
    mask[..., 0] = True
    s2 = alibi_slopes(2)
    cases.append(sdp_case("softcap_2_bias_alibi_mask", {"query": q, "key": k, "value": v},
                          {"softcap": 2.0, "bias": bias, "alibi_slopes": s2, "mask": mask},
                          softcap=2.0, bias=bias, alibi_slopes=s2, mask=mask))
    # With RoPE and an explicit scale.
    q, k, v = d(1, 2, 6, 4, scale=2.0), d(1, 2, 6, 4, scale=2.0), d(1, 2, 6, 4)
    r = {"base": 10000.0, "layout": "interleaved", "offset": 0}
    cases.append(sdp_case("softcap_3_rope_scale", {"query": q, "key": k, "value": v},
                          {"softcap": 3.0, "rope": r, "scale": 0.75}, softcap=3.0, rope_options=r, scale=0.75))
    # 300 keys: more than one of the engine's full key tiles (outputs only).
    q, k, v = d(1, 1, 3, 2, scale=3.0), d(1, 1, 300, 2, scale=3.0), d(1, 1, 300, 1)
    cases.append(sdp_case("long_softcap_4_s300", {"query": q, "key": k, "value": v},
                          {"softcap": 4.0}, with_weights=False, softcap=4.0))
    return cases


# ---------------------------------------------------------------------------
# Vaswani et al. 2017, §3.5: PE(p, 2i) = sin(p / base^(2i/d)), PE(p, 2i+1) = cos(p / base^(2i/d))

def sinusoidal(length, dim, base=10000.0):
    pe = np.zeros((length, dim))
    for p in range(length):
        for c in range(dim):
            i2 = c - (c % 2)                    # 2i for both members of the pair
            angle = p / base ** (i2 / dim)
            pe[p, c] = math.sin(angle) if c % 2 == 0 else math.cos(angle)
    return pe


def sinusoidal_cases():
    cases = []
    d = Draw(606)
    for length, dim, base in [(6, 8, 10000.0), (7, 5, 10000.0), (5, 3, 100.0)]:
        cases.append(case(f"sinusoidal_l{length}_d{dim}_base{int(base)}", "sinusoidal_encoding", {},
                          {"length": length, "dim": dim, "base": base},
                          {"output": sinusoidal(length, dim, base)}))
    x = d(6, 7)
    cases.append(case("sinusoidal_add_to_l6_d7", "sinusoidal_encoding", {"add_to": x},
                      {"length": 6, "dim": 7, "base": 10000.0},
                      {"output": sinusoidal(6, 7, 10000.0) + x}))
    return cases


# ---------------------------------------------------------------------------
# Transformer layers, PyTorch semantics (inference, no dropout)

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


def multi_head(xq, xkv, p, prefix, heads, causal=False, key_lengths=None):
    """xq [B,L,E], xkv [B,S,E] -> output [B,L,E], weights averaged over heads [B,L,S]."""
    B, L, _ = xq.shape
    S = xkv.shape[1]
    Q = xq @ p[prefix + "w_q"] + p[prefix + "b_q"]
    K = xkv @ p[prefix + "w_k"] + p[prefix + "b_k"]
    V = xkv @ p[prefix + "w_v"] + p[prefix + "b_v"]
    dk = Q.shape[-1] // heads
    dv = V.shape[-1] // heads
    split = lambda t, w: t.reshape(B, t.shape[1], heads, w).transpose(0, 2, 1, 3)  # noqa: E731
    o, w = sdpa(split(Q, dk), split(K, dk), split(V, dv), causal=causal, key_lengths=key_lengths)
    concat = o.transpose(0, 2, 1, 3).reshape(B, L, heads * dv)
    return concat @ p[prefix + "w_o"] + p[prefix + "b_o"], w.mean(axis=1)


def encoder_layer(x, p, heads, activation, norm_first, eps, causal=False, key_lengths=None):
    ln = lambda t, n: layer_norm(t, p[f"ln{n}_gamma"], p[f"ln{n}_beta"], eps)  # noqa: E731
    if norm_first:
        a, w = multi_head(ln(x, 1), ln(x, 1), p, "", heads, causal, key_lengths)
        x = x + a
        x = x + feed_forward(ln(x, 2), p, activation)
    else:
        a, w = multi_head(x, x, p, "", heads, causal, key_lengths)
        x = ln(x + a, 1)
        x = ln(x + feed_forward(x, p, activation), 2)
    return x, w


def decoder_layer(x, memory, p, heads, activation, norm_first, eps, causal=True, memory_key_lengths=None):
    ln = lambda t, n: layer_norm(t, p[f"ln{n}_gamma"], p[f"ln{n}_beta"], eps)  # noqa: E731
    if norm_first:
        a, w = multi_head(ln(x, 1), ln(x, 1), p, "", heads, causal)
        x = x + a
        c, cw = multi_head(ln(x, 2), memory, p, "cross_", heads, key_lengths=memory_key_lengths)
        x = x + c
        x = x + feed_forward(ln(x, 3), p, activation)
    else:
        a, w = multi_head(x, x, p, "", heads, causal)
        x = ln(x + a, 1)
        c, cw = multi_head(x, memory, p, "cross_", heads, key_lengths=memory_key_lengths)
        x = ln(x + c, 2)
        x = ln(x + feed_forward(x, p, activation), 3)
    return x, w, cw


def layer_parameters(d, E, F, norms, cross):
    p = {}
    for prefix in [""] + (["cross_"] if cross else []):
        for n in "qkvo":
            p[f"{prefix}w_{n}"] = d(E, E, scale=E ** -0.5)
            p[f"{prefix}b_{n}"] = d(E, scale=0.1)
    p["w_1"], p["b_1"] = d(E, F, scale=E ** -0.5), d(F, scale=0.1)
    p["w_2"], p["b_2"] = d(F, E, scale=F ** -0.5), d(E, scale=0.1)
    for n in range(1, norms + 1):
        p[f"ln{n}_gamma"] = 1.0 + d(E, scale=0.1)
        p[f"ln{n}_beta"] = d(E, scale=0.1)
    return p


def torch_load_attention(module, p, prefix):
    with torch.no_grad():
        module.in_proj_weight.copy_(torch.from_numpy(np.concatenate(
            [p[prefix + "w_q"].T, p[prefix + "w_k"].T, p[prefix + "w_v"].T])))
        module.in_proj_bias.copy_(torch.from_numpy(np.concatenate(
            [p[prefix + "b_q"], p[prefix + "b_k"], p[prefix + "b_v"]])))
        module.out_proj.weight.copy_(torch.from_numpy(p[prefix + "w_o"].T.copy()))
        module.out_proj.bias.copy_(torch.from_numpy(p[prefix + "b_o"]))


def torch_load_common(layer, p, norms):
    with torch.no_grad():
        layer.linear1.weight.copy_(torch.from_numpy(p["w_1"].T.copy()))
        layer.linear1.bias.copy_(torch.from_numpy(p["b_1"]))
        layer.linear2.weight.copy_(torch.from_numpy(p["w_2"].T.copy()))
        layer.linear2.bias.copy_(torch.from_numpy(p["b_2"]))
        for n in range(1, norms + 1):
            norm = getattr(layer, f"norm{n}")
            norm.weight.copy_(torch.from_numpy(p[f"ln{n}_gamma"]))
            norm.bias.copy_(torch.from_numpy(p[f"ln{n}_beta"]))


def capture_weights(module, store):
    """Re-runs an attention module with need_weights=True on the inputs the layer gave it."""
    state = {"inside": False}

    def hook(mod, args, kwargs, output):
        if state["inside"]:
            return
        state["inside"] = True
        kw = dict(kwargs)
        kw.update(need_weights=True, average_attn_weights=True)
        kw.pop("is_causal", None)
        store.append(mod(*args, **kw)[1].detach().numpy())
        state["inside"] = False

    return module.register_forward_hook(hook, with_kwargs=True)


def causal_bool_mask(L):
    return torch.triu(torch.ones(L, L, dtype=torch.bool), diagonal=1)   # torch: True = blocked


def padding_mask(key_lengths, S):
    return torch.from_numpy(np.arange(S)[None, :] >= np.asarray(key_lengths)[:, None])


def torch_encoder(x, p, heads, activation, norm_first, eps, F, causal, key_lengths):
    E = x.shape[-1]
    layer = torch.nn.TransformerEncoderLayer(E, heads, F, dropout=0.0, activation=activation,
                                             layer_norm_eps=eps, batch_first=True, norm_first=norm_first,
                                             dtype=torch.float64)
    layer.eval()
    torch_load_attention(layer.self_attn, p, "")
    torch_load_common(layer, p, 2)
    store = []
    handle = capture_weights(layer.self_attn, store)
    # Gradients stay enabled on purpose: it keeps PyTorch off its fused inference fast path,
    # which would bypass self_attn (and so the hook that reads the weights).
    out = layer(torch.from_numpy(x), src_mask=causal_bool_mask(x.shape[-2]) if causal else None,
                src_key_padding_mask=padding_mask(key_lengths, x.shape[-2]) if key_lengths else None)
    handle.remove()
    return out.detach().numpy(), store[0]


def torch_decoder(x, memory, p, heads, activation, norm_first, eps, F, causal, memory_key_lengths):
    E = x.shape[-1]
    layer = torch.nn.TransformerDecoderLayer(E, heads, F, dropout=0.0, activation=activation,
                                             layer_norm_eps=eps, batch_first=True, norm_first=norm_first,
                                             dtype=torch.float64)
    layer.eval()
    torch_load_attention(layer.self_attn, p, "")
    torch_load_attention(layer.multihead_attn, p, "cross_")
    torch_load_common(layer, p, 3)
    store_self, store_cross = [], []
    h1 = capture_weights(layer.self_attn, store_self)
    h2 = capture_weights(layer.multihead_attn, store_cross)
    out = layer(torch.from_numpy(x), torch.from_numpy(memory),  # gradients enabled: see torch_encoder
                tgt_mask=causal_bool_mask(x.shape[-2]) if causal else None,
                memory_key_padding_mask=(padding_mask(memory_key_lengths, memory.shape[-2])
                                         if memory_key_lengths else None))
    h1.remove()
    h2.remove()
    return out.detach().numpy(), store_self[0], store_cross[0]


def agree(name, ours, theirs):
    error = float(np.max(np.abs(np.asarray(ours) - np.asarray(theirs))))
    assert error < 1e-10, f"{name}: NumPy transcription and PyTorch differ by {error}"


def layer_cases():
    cases = []
    d = Draw(607)
    eps = 1e-5
    encoder_specs = [  # name, shape, heads, F, activation, norm_first, causal, key_lengths
        ("encoder_post_norm_relu_batched_key_lengths", (2, 4, 8), 2, 16, "relu", False, False, [4, 3]),
        ("encoder_pre_norm_gelu_causal", (5, 8), 2, 12, "gelu", True, True, None),
        ("encoder_post_norm_gelu_4_heads", (1, 3, 8), 4, 8, "gelu", False, False, None),
    ]
    for name, shape, heads, F, activation, norm_first, causal, key_lengths in encoder_specs:
        E = shape[-1]
        x = d(*shape)
        p = layer_parameters(d, E, F, 2, cross=False)
        xb = x if x.ndim == 3 else x[None]
        out, w = encoder_layer(xb, p, heads, activation, norm_first, eps, causal, key_lengths)
        if x.ndim == 2:
            out, w = out[0], w[0]
        reference = "numpy"
        if torch is not None:
            t_out, t_w = torch_encoder(x, p, heads, activation, norm_first, eps, F, causal, key_lengths)
            agree(name + " output", out, t_out)
            agree(name + " weights", w, t_w)
            out, w = t_out, t_w
            reference = f"torch {torch.__version__} (float64), NumPy transcription agrees"
        options = {"num_heads": heads, "activation": activation, "norm_first": norm_first, "eps": eps,
                   "reference": reference}
        if causal:
            options["causal"] = "top_left"
        if key_lengths:
            options["key_lengths"] = key_lengths
        cases.append(case(name, "transformer_encoder_layer", dict(p, input=x), options,
                          {"output": out, "weights": w}))
    decoder_specs = [  # name, target shape, memory length, heads, F, activation, norm_first, memory key lengths
        ("decoder_post_norm_relu_batched_memory_lengths", (2, 4, 8), 5, 2, 16, "relu", False, [5, 3]),
        ("decoder_pre_norm_gelu", (3, 8), 6, 2, 12, "gelu", True, None),
    ]
    for name, shape, S, heads, F, activation, norm_first, memory_key_lengths in decoder_specs:
        E = shape[-1]
        x = d(*shape)
        memory = d(*shape[:-2], S, E)
        p = layer_parameters(d, E, F, 3, cross=True)
        xb, mb = (x, memory) if x.ndim == 3 else (x[None], memory[None])
        out, w, cw = decoder_layer(xb, mb, p, heads, activation, norm_first, eps, True, memory_key_lengths)
        if x.ndim == 2:
            out, w, cw = out[0], w[0], cw[0]
        reference = "numpy"
        if torch is not None:
            t_out, t_w, t_cw = torch_decoder(x, memory, p, heads, activation, norm_first, eps, F, True,
                                             memory_key_lengths)
            agree(name + " output", out, t_out)
            agree(name + " weights", w, t_w)
            agree(name + " cross weights", cw, t_cw)
            out, w, cw = t_out, t_w, t_cw
            reference = f"torch {torch.__version__} (float64), NumPy transcription agrees"
        options = {"num_heads": heads, "activation": activation, "norm_first": norm_first, "eps": eps,
                   "causal": "top_left", "reference": reference}
        if memory_key_lengths:
            options["memory_key_lengths"] = memory_key_lengths
        cases.append(case(name, "transformer_decoder_layer", dict(p, input=x, memory=memory), options,
                          {"output": out, "weights": w, "cross_weights": cw}))
    return cases


# ---------------------------------------------------------------------------

FILES = {
    "luong_local.json": ("Luong et al. 2015, §3.2, eqs. 8-10", luong_cases),
    "hybrid_global_local.json": ("Beltagy et al. 2020 (Longformer), §3.1", hybrid_cases),
    "rope.json": ("Su et al. 2021 (RoFormer), eq. 34", rope_cases),
    "alibi.json": ("Press et al. 2022 (ALiBi), §3", alibi_cases),
    "softcap.json": ("Gemma 2 soft-capping: c·tanh(scale·q·k/c), then bias and ALiBi, then masks", softcap_cases),
    "sinusoidal.json": ("Vaswani et al. 2017, §3.5", sinusoidal_cases),
    "transformer_layers.json": ("PyTorch nn.TransformerEncoderLayer / TransformerDecoderLayer semantics", layer_cases),
}


def main():
    global torch
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="verify only; write nothing")
    args = parser.parse_args()
    try:
        import torch
    except Exception:  # noqa: BLE001 - any import failure means "not available"
        torch = None
    texts = {}
    for filename, (source, make) in FILES.items():
        document = {
            "generator": "scripts/make_extended_fixtures.py",
            "source": source,
            "numpy": np.__version__,
            "torch": torch.__version__ if torch is not None else None,
            "cases": make(),
        }
        texts[filename] = json.dumps(document, separators=(",", ":")) + "\n"
        print(f"{filename}: {len(document['cases'])} cases, {len(texts[filename])} bytes")
    total = sum(len(text) for text in texts.values())
    print(f"total {total} bytes")
    assert total < 150_000, "fixtures must stay under 150 KB"
    if not args.check:
        os.makedirs(OUT, exist_ok=True)
        for filename, text in texts.items():
            with open(os.path.join(OUT, filename), "w") as f:
                f.write(text)


if __name__ == "__main__":
    sys.exit(main())
