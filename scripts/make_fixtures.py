#!/usr/bin/env python3
"""Generate the golden attention test vectors in Tests/AttentionEngineTests/Fixtures/.

The fixtures are committed; CI never runs this script. Regenerate them by hand:

    pip install 'jax[cpu]' keras
    python3 scripts/make_fixtures.py            # writes the JSON files
    python3 scripts/make_fixtures.py --check    # verifies only, writes nothing

Every file records the exact jax / keras / numpy versions that produced it.

What it does
------------
* Runs mainstream implementations (``jax.nn.dot_product_attention``; Keras 3 on the JAX
  backend: ``MultiHeadAttention``, ``GroupedQueryAttention``, ``Attention``,
  ``AdditiveAttention``) in float64 on small random inputs, and converts their layouts
  and weight shapes to the engine's conventions (see DESIGN.md and the engine's
  ``Mechanisms/*.swift``):
  scaled dot-product tensors ``[L,d]``, ``[B,L,d]`` or ``[B,H,L,d]``; multi-head weights
  ``y = x·W + b`` with head h owning columns ``h*d .. (h+1)*d``; additive attention
  ``e_ij = vᵀ tanh(s_i W_q + h_j W_k + b)``.
* Recomputes every case with an independent NumPy float64 transcription written from
  the engine's conventions (not from the libraries' layouts) and asserts agreement, so
  a wrong transpose or reshape makes the script fail loudly instead of writing a bad
  fixture.
* Asserts no case has a query row without a visible key: the libraries disagree with
  the engine (zero weights, zero output) there. JAX gives uniform weights (the mean of
  V); Keras ``Attention`` subtracts 1e9, which in float64 leaves the row's softmax as if
  unmasked; Keras ``MultiHeadAttention`` gives zero weights, so its output is ``b_o``.

Inputs are float32 normals cast to float64, so a float32 engine sees exactly the same
inputs (compare with rtol 2e-4, atol 2e-5). Seeds are fixed; output is deterministic for
a given set of library versions.

Semantics checked here rather than assumed (see the ``notes`` in each file):
* JAX ``is_causal`` with T != S is ``tril(ones(T, S))``: query i sees keys j <= i, i.e.
  top-left aligned. The script checks it matches top_left and differs from bottom_right.
* JAX's ``local_window_size=(left, right)``: query i sees keys i-left .. i+right, both
  inclusive, also top-left aligned when T != S.
* JAX computes the softmax in float32 even with x64 enabled, so its outputs agree with a
  float64 reference only to about 1e-7 relative; Keras' ``ops.tanh`` likewise computes
  in float32 (additive cases, about 1e-8); the other Keras cases agree to about 1e-15.
* JAX requires ``value`` to have the key's head size. The d_v != d_k cases zero-pad the
  narrower side (zero columns of V give zero output columns; zero columns of Q and K
  do not change Q·Kᵀ, and the scale is passed explicitly as 1/sqrt(d_k)), then slice.
"""

import argparse
import json
import os
import sys
from importlib import metadata

os.environ["KERAS_BACKEND"] = "jax"
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402

keras.config.set_floatx("float64")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "Tests", "AttentionEngineTests", "Fixtures")
GENERATOR = "scripts/make_fixtures.py"

# Tolerances of the self-check against the NumPy float64 reference.
JAX_TOL = dict(rtol=1e-5, atol=1e-6)      # JAX's softmax runs in float32
KERAS_TOL = dict(rtol=1e-10, atol=1e-12)  # Keras runs in float64 end to end, except:
ADDITIVE_TOL = dict(rtol=1e-6, atol=1e-7)  # keras.ops.tanh computes in float32


def versions():
    return {"jax": jax.__version__, "jaxlib": metadata.version("jaxlib"),
            "keras": keras.__version__, "numpy": np.__version__}


# ----------------------------------------------------------------------------------
# Inputs and JSON encoding
# ----------------------------------------------------------------------------------

class Draw:
    """Float32 normals cast to float64: exactly representable in float32."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def normal(self, *shape, scale=1.0):
        x = self.rng.standard_normal(shape, dtype=np.float32) * np.float32(scale)
        return x.astype(np.float64)

    def bools(self, *shape, p=0.7):
        return self.rng.random(shape) < p


def tensor(a):
    a = np.asarray(a)
    if a.dtype == bool:
        data = [bool(x) for x in a.reshape(-1)]
    else:
        data = [float(x) for x in a.astype(np.float64).reshape(-1)]
    return {"shape": list(a.shape), "data": data}


def write_file(name, cases, notes, check_only):
    doc_head = {"generator": GENERATOR, "library": versions(), "notes": notes}
    head = json.dumps(doc_head, separators=(",", ":"))[:-1]
    body = ",\n".join(json.dumps(c, separators=(",", ":")) for c in cases)
    text = head + ',\n"cases":[\n' + body + "\n]}\n"
    json.loads(text)  # well-formed
    path = os.path.join(OUT_DIR, name)
    if check_only:
        print(f"checked {name}: {len(cases)} cases, {len(text)} bytes")
        return len(text)
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    print(f"wrote {os.path.relpath(path, ROOT)}: {len(cases)} cases, {len(text)} bytes")
    return len(text)


# ----------------------------------------------------------------------------------
# The NumPy float64 reference, in the engine's conventions
# ----------------------------------------------------------------------------------

def visibility(L, S, causal=None, window=None):
    """[L, S] booleans: True = may attend (causal and window constraints only)."""
    i = np.arange(L)[:, None]
    j = np.arange(S)[None, :]
    vis = np.ones((L, S), dtype=bool)
    if causal == "top_left":
        vis &= j <= i
    elif causal == "bottom_right":
        vis &= j <= i + (S - L)
    elif causal is not None:
        raise ValueError(causal)
    if window is not None:
        left, right = window
        vis &= (j >= i - left) & (j <= i + right)
    return vis


def ref_sdpa(q, k, v, scale=None, causal=None, window=None, key_lengths=None,
             mask=None, bias=None, allow_empty_rows=False):
    """softmax(scale·q·kᵀ + bias, masked) · v for [..,L,d] tensors.

    Grouped-query: with q [B,H,L,d] and k, v [B,H_kv,S,d], query head h uses key/value
    head h // (H / H_kv). Returns (output, weights), weights [..,L,S].
    """
    q, k, v = (np.asarray(t, dtype=np.float64) for t in (q, k, v))
    if q.ndim == 4 and k.shape[1] != q.shape[1]:
        group = q.shape[1] // k.shape[1]
        assert q.shape[1] == group * k.shape[1]
        k = np.repeat(k, group, axis=1)
        v = np.repeat(v, group, axis=1)
    L, S = q.shape[-2], k.shape[-2]
    if scale is None:
        scale = 1.0 / np.sqrt(q.shape[-1])
    scores = scale * (q @ np.swapaxes(k, -1, -2))
    if bias is not None:
        scores = scores + bias
    vis = np.broadcast_to(visibility(L, S, causal, window), scores.shape).copy()
    if key_lengths is not None:
        assert q.ndim >= 3 and len(key_lengths) == q.shape[0]
        for b, n in enumerate(key_lengths):
            vis[b, ..., n:] = False
    if mask is not None:
        vis &= np.broadcast_to(mask, scores.shape)
    # Our convention gives zeros for a row without keys; the libraries do not.
    # Such rows must never appear in a fixture.
    has_key = vis.any(axis=-1, keepdims=True)
    assert allow_empty_rows or has_key.all(), "a query row has no visible key"
    scores = np.where(vis, scores, -np.inf)
    scores = scores - np.where(has_key, scores.max(axis=-1, keepdims=True), 0.0)
    e = np.where(vis, np.exp(scores), 0.0)
    w = e / np.where(has_key, e.sum(axis=-1, keepdims=True), 1.0)
    return w @ v, w


def ref_multi_head(x_q, x_k, x_v, p, num_heads, num_kv_heads=None, **masking):
    """Vaswani et al. §3.2.2 in the engine's layout: y = x·W + b, head h owns columns
    h*d .. (h+1)*d. Returns (output [B,L,E_out], per-head weights [B,H,L,S])."""
    H = num_heads
    Hkv = num_kv_heads or H
    x_k = x_q if x_k is None else x_k
    x_v = x_k if x_v is None else x_v
    Q = x_q @ p["w_q"] + p["b_q"]
    K = x_k @ p["w_k"] + p["b_k"]
    V = x_v @ p["w_v"] + p["b_v"]
    B, L, _ = Q.shape
    S = K.shape[1]
    dk = Q.shape[-1] // H
    dv = V.shape[-1] // Hkv
    Qh = Q.reshape(B, L, H, dk).transpose(0, 2, 1, 3)
    Kh = K.reshape(B, S, Hkv, dk).transpose(0, 2, 1, 3)
    Vh = V.reshape(B, S, Hkv, dv).transpose(0, 2, 1, 3)
    mask = masking.pop("mask", None)
    if mask is not None and mask.ndim == 3:   # [B,L,S] shared by the heads
        mask = mask[:, None]
    O, W = ref_sdpa(Qh, Kh, Vh, mask=mask, **masking)
    concat = O.transpose(0, 2, 1, 3).reshape(B, L, H * dv)
    return concat @ p["w_o"] + p["b_o"], W


def ref_additive(q, k, v, w_query, w_key, vvec, bias=None, **masking):
    """Bahdanau et al. eq. 6: e_ij = vᵀ tanh(s_i W_q + h_j W_k + b)."""
    v = k if v is None else v
    hq = q @ w_query                  # [B,L,h]
    hk = k @ w_key                    # [B,S,h]
    pre = hq[:, :, None, :] + hk[:, None, :, :]
    if bias is not None:
        pre = pre + bias
    scores = np.tanh(pre) @ vvec      # [B,L,S]
    return ref_softmax_apply(scores, v, **masking)


def ref_softmax_apply(scores, v, causal=None, key_lengths=None, mask=None):
    L, S = scores.shape[-2:]
    vis = np.broadcast_to(visibility(L, S, causal), scores.shape).copy()
    if key_lengths is not None:
        for b, n in enumerate(key_lengths):
            vis[b, ..., n:] = False
    if mask is not None:
        vis &= np.broadcast_to(mask, scores.shape)
    assert vis.any(axis=-1).all(), "a query row has no visible key"
    s = np.where(vis, scores, -np.inf)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    w = e / e.sum(axis=-1, keepdims=True)
    return w @ v, w


def assert_close(name, got, want, tol):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{name}: shape {got.shape} != {want.shape}"
    if not np.allclose(got, want, **tol):
        err = np.max(np.abs(got - want))
        raise AssertionError(f"{name}: library and NumPy reference disagree, max |diff| {err:g}")
    return float(np.max(np.abs(got - want))) if got.size else 0.0


# ----------------------------------------------------------------------------------
# JAX: jax.nn.dot_product_attention
# ----------------------------------------------------------------------------------

def our_to_jax(t, layout):
    """Engine layout -> JAX's (B)TNH.

    layout "bhld": [B,H,L,d] -> [B,L,H,d]; "bld_as_heads": [B,L,d] -> [L,B,d] (JAX's
    unbatched TNH form, our batch as its heads); "bld": [B,L,d] -> [B,L,1,d];
    "ld": [L,d] -> [L,1,d]."""
    if layout == "bhld":
        return np.transpose(t, (0, 2, 1, 3))
    if layout == "bld_as_heads":
        return np.transpose(t, (1, 0, 2))
    if layout == "bld":
        return t[:, :, None, :]
    if layout == "ld":
        return t[:, None, :]
    raise ValueError(layout)


def jax_to_our(t, layout):
    if layout == "bhld":
        return np.transpose(t, (0, 2, 1, 3))
    if layout == "bld_as_heads":
        return np.transpose(t, (1, 0, 2))
    if layout == "bld":
        return t[:, :, 0, :]
    if layout == "ld":
        return t[:, 0, :]
    raise ValueError(layout)


def jax_scores_operand(a, layout):
    """A mask/bias in our layout (broadcastable to [..,L,S]) as JAX's 4-D (B)NTS."""
    if a is None:
        return None
    a = np.asarray(a)
    if layout == "bhld":
        return a.reshape((1,) * (4 - a.ndim) + a.shape)
    if layout == "bld":   # our [B,L,S] -> [B,1,L,S] (one JAX head)
        a = a.reshape((1,) * (3 - a.ndim) + a.shape)
        return a[:, None]
    if layout == "ld":
        return a.reshape((1,) * (4 - a.ndim) + a.shape)
    raise ValueError(f"no masks with layout {layout}")


def jax_case(name, q, k, v, layout, scale=None, causal=None, window=None,
             key_lengths=None, mask=None, bias=None, check_alignment=False):
    """Runs JAX on engine-layout inputs, checks it against ref_sdpa, returns a case."""
    assert causal in (None, "top_left"), "JAX only has top-left causal"
    dk, dv = q.shape[-1], v.shape[-1]
    jscale = scale
    jq, jk, jv = q, k, v
    if dv < dk:      # pad V with zero columns, slice the output afterwards
        jv = np.concatenate([v, np.zeros(v.shape[:-1] + (dk - dv,))], axis=-1)
    elif dv > dk:    # pad Q and K with zero columns; keep the scale of the real d_k
        jq = np.concatenate([q, np.zeros(q.shape[:-1] + (dv - dk,))], axis=-1)
        jk = np.concatenate([k, np.zeros(k.shape[:-1] + (dv - dk,))], axis=-1)
        jscale = 1.0 / np.sqrt(dk) if scale is None else scale
    out = jax.nn.dot_product_attention(
        jnp.asarray(our_to_jax(jq, layout)), jnp.asarray(our_to_jax(jk, layout)),
        jnp.asarray(our_to_jax(jv, layout)),
        bias=None if bias is None else jnp.asarray(jax_scores_operand(bias, layout)),
        mask=None if mask is None else jnp.asarray(jax_scores_operand(mask, layout)),
        scale=jscale, is_causal=causal == "top_left",
        key_value_seq_lengths=None if key_lengths is None
        else jnp.asarray(key_lengths, dtype=jnp.int32),
        local_window_size=None if window is None else tuple(window),
        implementation="xla")
    out = np.asarray(out)
    assert out.dtype == np.float64, out.dtype
    out = jax_to_our(out, layout)[..., :dv]

    ref_out, _ = ref_sdpa(q, k, v, scale=scale, causal=causal, window=window,
                          key_lengths=key_lengths, mask=mask, bias=bias)
    err = assert_close(name, out, ref_out, JAX_TOL)
    if check_alignment:
        # Check, don't assume: with L != S the two alignments differ, and JAX must
        # match exactly one of them.
        other, _ = ref_sdpa(q, k, v, scale=scale, causal="bottom_right", window=window,
                            key_lengths=key_lengths, mask=mask, bias=bias,
                            allow_empty_rows=True)
        assert not np.allclose(out, other, **JAX_TOL), \
            f"{name}: JAX's causal mask also matches bottom_right"

    options = {}
    if scale is not None:
        options["scale"] = scale
    if causal is not None:
        options["causal"] = causal
    if window is not None:
        options["window"] = list(window)
    if key_lengths is not None:
        options["key_lengths"] = [int(n) for n in key_lengths]
    if mask is not None:
        options["mask"] = tensor(mask)
    if bias is not None:
        options["bias"] = tensor(bias)
    return {"name": name, "mechanism": "scaled_dot_product",
            "inputs": {"query": tensor(q), "key": tensor(k), "value": tensor(v)},
            "options": options,
            "expected": {"output": tensor(out)},
            "reference_max_abs_diff": err}


def mask_with_every_row_visible(draw, shape, p=0.6, causal=None):
    """Random booleans [..,L,S]; a row left without a key (also after the causal mask)
    gets its first causally visible key back."""
    m = draw.bools(*shape, p=p)
    allowed = visibility(shape[-2], shape[-1], causal)
    first = allowed.argmax(axis=-1)
    empty = ~(m & allowed).any(axis=-1)
    for idx in zip(*np.nonzero(empty)):
        m[idx + (first[idx[-1]],)] = True
    return m


def jax_cases():
    d = Draw(20260101)
    c = []
    # Ranks and shapes.
    c.append(jax_case("rank2_cross", d.normal(5, 4), d.normal(6, 4), d.normal(6, 4), "ld"))
    c.append(jax_case("rank3_self_shape", d.normal(2, 5, 4), d.normal(2, 5, 4),
                      d.normal(2, 5, 4), "bld_as_heads"))
    c.append(jax_case("rank4_basic", d.normal(2, 2, 5, 4), d.normal(2, 2, 5, 4),
                      d.normal(2, 2, 5, 4), "bhld"))
    c.append(jax_case("rank3_cross_dv_lt_dk", d.normal(2, 4, 6), d.normal(2, 7, 6),
                      d.normal(2, 7, 3), "bld_as_heads"))
    c.append(jax_case("rank4_cross_dv_gt_dk", d.normal(1, 2, 4, 3), d.normal(1, 2, 6, 3),
                      d.normal(1, 2, 6, 5), "bhld"))
    c.append(jax_case("custom_scale", d.normal(1, 2, 4, 5), d.normal(1, 2, 6, 5),
                      d.normal(1, 2, 6, 5), "bhld", scale=0.375))
    # Causal: JAX's is_causal is top-left aligned, also when L != S (checked).
    c.append(jax_case("causal_top_left", d.normal(2, 2, 6, 4), d.normal(2, 2, 6, 4),
                      d.normal(2, 2, 6, 4), "bhld", causal="top_left"))
    c.append(jax_case("causal_S_gt_L_top_left", d.normal(1, 2, 4, 4), d.normal(1, 2, 7, 4),
                      d.normal(1, 2, 7, 4), "bhld", causal="top_left", check_alignment=True))
    c.append(jax_case("causal_L_gt_S_top_left", d.normal(1, 2, 7, 4), d.normal(1, 2, 4, 4),
                      d.normal(1, 2, 4, 4), "bhld", causal="top_left", check_alignment=True))
    c.append(jax_case("causal_rank3_S_gt_L", d.normal(2, 3, 4), d.normal(2, 5, 4),
                      d.normal(2, 5, 4), "bld_as_heads", causal="top_left",
                      check_alignment=True))
    # Boolean mask broadcast over heads, additive bias broadcast over batch.
    c.append(jax_case("bool_mask_broadcast_heads", d.normal(2, 3, 5, 4), d.normal(2, 3, 6, 4),
                      d.normal(2, 3, 6, 4), "bhld",
                      mask=mask_with_every_row_visible(d, (2, 1, 5, 6))))
    c.append(jax_case("additive_bias", d.normal(2, 2, 5, 4), d.normal(2, 2, 6, 4),
                      d.normal(2, 2, 6, 4), "bhld", bias=d.normal(1, 2, 5, 6)))
    c.append(jax_case("mask_and_bias_causal", d.normal(1, 2, 6, 4), d.normal(1, 2, 6, 4),
                      d.normal(1, 2, 6, 4), "bhld", causal="top_left",
                      mask=mask_with_every_row_visible(d, (1, 1, 6, 6), p=0.8,
                                                        causal="top_left"),
                      bias=d.normal(1, 1, 6, 6)))
    # Padding: key_value_seq_lengths -> key_lengths.
    c.append(jax_case("key_lengths", d.normal(2, 2, 5, 4), d.normal(2, 2, 7, 4),
                      d.normal(2, 2, 7, 4), "bhld", key_lengths=[7, 3]))
    c.append(jax_case("key_lengths_causal_rank3", d.normal(2, 5, 4), d.normal(2, 5, 4),
                      d.normal(2, 5, 4), "bld", causal="top_left", key_lengths=[5, 2]))
    # Local windows: local_window_size=(left, right) -> window [left, right].
    c.append(jax_case("window", d.normal(1, 2, 8, 4), d.normal(1, 2, 8, 4),
                      d.normal(1, 2, 8, 4), "bhld", window=(2, 1)))
    c.append(jax_case("window_causal", d.normal(1, 2, 8, 4), d.normal(1, 2, 8, 4),
                      d.normal(1, 2, 8, 4), "bhld", causal="top_left", window=(2, 1)))
    c.append(jax_case("window_cross_S_gt_L", d.normal(1, 1, 5, 4), d.normal(1, 1, 8, 4),
                      d.normal(1, 1, 8, 4), "bhld", window=(1, 2)))
    # Grouped-query (H=4, H_kv=2) with a per-head bias, and multi-query (H_kv=1).
    c.append(jax_case("gqa_causal_per_head_bias", d.normal(2, 4, 5, 4), d.normal(2, 2, 5, 4),
                      d.normal(2, 2, 5, 4), "bhld", causal="top_left",
                      bias=d.normal(2, 4, 5, 5)))
    c.append(jax_case("gqa_cross_per_head_mask", d.normal(1, 4, 4, 4), d.normal(1, 2, 6, 4),
                      d.normal(1, 2, 6, 4), "bhld",
                      mask=mask_with_every_row_visible(d, (1, 4, 4, 6))))
    c.append(jax_case("mqa_mask", d.normal(2, 4, 5, 4), d.normal(2, 1, 6, 4),
                      d.normal(2, 1, 6, 4), "bhld",
                      mask=mask_with_every_row_visible(d, (2, 1, 5, 6))))
    return c


JAX_NOTES = [
    "jax.nn.dot_product_attention(implementation='xla'), x64 enabled; inputs are "
    "converted from the engine's [..,H,L,d] to JAX's [B,T,N,H] and the output back.",
    "JAX computes the softmax in float32 even in x64 mode: outputs match a float64 "
    "reference to about 1e-7 (reference_max_abs_diff per case).",
    "is_causal is top-left aligned also when L != S (tril(ones(L,S))): checked against "
    "both alignments in the script.",
    "JAX needs d_v == d_k: the d_v != d_k cases zero-pad the narrower side for JAX "
    "(exact), the fixture holds the unpadded tensors.",
    "rank3 cases named *_shape/cross/S_gt_L pass our batch as JAX's heads (TNH form); "
    "key_lengths_causal_rank3 uses [B,L,1,d].",
    "JAX returns no weights. No case has a query row without a visible key (JAX would "
    "return the mean of V there; the engine returns zeros).",
]


# ----------------------------------------------------------------------------------
# Keras: MultiHeadAttention, GroupedQueryAttention
# ----------------------------------------------------------------------------------

def set_dense(dense, draw, bias_scale=0.5):
    """Random float32-representable kernel and non-zero bias on an EinsumDense."""
    kernel = draw.normal(*dense.kernel.shape, scale=0.5)
    dense.kernel.assign(kernel)
    bias = draw.normal(*dense.bias.shape, scale=bias_scale)
    dense.bias.assign(bias)
    return kernel, bias


def mha_case(name, draw, layer, x_q, x_k=None, x_v=None, attention_mask=None,
             use_causal_mask=False, num_kv_heads=None):
    """Runs a Keras MHA/GQA layer; converts its EinsumDense weights to ours.

    Keras kernels: query/key/value [E, H, d] (bias [H, d]), output [H, d_v, E_out].
    Ours: w_q [E, H*d] with head h in columns h*d..(h+1)*d, w_o [H*d_v, E_out]."""
    value = x_q if x_v is None and x_k is None else (x_v if x_v is not None else x_k)
    key = None if x_k is None else x_k
    layer.build(x_q.shape, value.shape, None if key is None else key.shape)
    dense = {"q": layer._query_dense, "k": layer._key_dense,
             "v": layer._value_dense, "o": layer._output_dense}
    raw = {n: set_dense(dl, draw) for n, dl in dense.items()}
    p = {}
    for n in "qkv":
        kernel, bias = raw[n]
        E, H, dh = kernel.shape
        p["w_" + n] = kernel.reshape(E, H * dh)
        p["b_" + n] = bias.reshape(H * dh)
    kernel, bias = raw["o"]
    H, dv, E_out = kernel.shape
    p["w_o"] = kernel.reshape(H * dv, E_out)
    p["b_o"] = bias
    kwargs = {}
    if key is not None:
        kwargs["key"] = key
    if attention_mask is not None:
        kwargs["attention_mask"] = attention_mask
    out, scores = layer(x_q, value, return_attention_scores=True,
                        use_causal_mask=use_causal_mask, **kwargs)
    out, scores = np.asarray(out), np.asarray(scores)
    assert out.dtype == np.float64 and scores.dtype == np.float64

    num_heads = p["w_q"].shape[1] // raw["q"][0].shape[2]
    ref_out, ref_w = ref_multi_head(
        x_q, x_k, x_v if x_k is not None else None, p, num_heads, num_kv_heads,
        causal="top_left" if use_causal_mask else None, mask=attention_mask)
    err = max(assert_close(name + " output", out, ref_out, KERAS_TOL),
              assert_close(name + " weights", scores, ref_w, KERAS_TOL))

    inputs = {"query": tensor(x_q)}
    if x_k is not None:
        inputs["key"] = tensor(x_k)
        if x_v is not None and x_v is not x_k:
            inputs["value"] = tensor(x_v)
    for n in ("w_q", "w_k", "w_v", "w_o", "b_q", "b_k", "b_v", "b_o"):
        inputs[n] = tensor(p[n])
    options = {"num_heads": int(num_heads)}
    if num_kv_heads is not None:
        options["num_kv_heads"] = int(num_kv_heads)
    if use_causal_mask:
        options["causal"] = "top_left"
    if attention_mask is not None:
        options["mask"] = tensor(attention_mask)
    options["weights"] = "per_head"
    return {"name": name, "mechanism": "multi_head", "inputs": inputs, "options": options,
            "expected": {"output": tensor(out), "weights": tensor(scores)},
            "reference_max_abs_diff": err}


def keras_mha_cases():
    d = Draw(20260202)
    MHA = keras.layers.MultiHeadAttention
    c = []
    c.append(mha_case("self_attention", d, MHA(num_heads=2, key_dim=3),
                      d.normal(2, 5, 6)))
    c.append(mha_case("cross_key_ne_value_masked", d,
                      MHA(num_heads=3, key_dim=2, value_dim=3, output_shape=4),
                      d.normal(2, 4, 5), x_k=d.normal(2, 6, 3), x_v=d.normal(2, 6, 7),
                      attention_mask=mask_with_every_row_visible(d, (2, 4, 6))))
    c.append(mha_case("self_causal", d, MHA(num_heads=2, key_dim=3),
                      d.normal(1, 6, 4), use_causal_mask=True))
    c.append(mha_case("cross_causal_S_gt_L_masked", d,
                      MHA(num_heads=2, key_dim=2, value_dim=3),
                      d.normal(2, 4, 4), x_k=d.normal(2, 6, 5), x_v=d.normal(2, 6, 3),
                      attention_mask=mask_with_every_row_visible(d, (2, 4, 6), p=0.8,
                                                                 causal="top_left"),
                      use_causal_mask=True))
    # The class is GroupedQueryAttention; Keras 3 exports it as GroupQueryAttention.
    GQA = getattr(keras.layers, "GroupQueryAttention",
                  getattr(keras.layers, "GroupedQueryAttention", None))
    if GQA is not None:
        c.append(mha_case("gqa_self_causal", d,
                          GQA(head_dim=2, num_query_heads=4, num_key_value_heads=2),
                          d.normal(2, 5, 4), use_causal_mask=True, num_kv_heads=2))
        c.append(mha_case("gqa_cross_masked", d,
                          GQA(head_dim=3, num_query_heads=4, num_key_value_heads=2),
                          d.normal(1, 4, 5), x_k=d.normal(1, 6, 3), x_v=d.normal(1, 6, 4),
                          attention_mask=mask_with_every_row_visible(d, (1, 4, 6)),
                          num_kv_heads=2))
        c.append(mha_case("mqa_cross", d,
                          GQA(head_dim=2, num_query_heads=4, num_key_value_heads=1),
                          d.normal(2, 3, 4), x_k=d.normal(2, 5, 4), num_kv_heads=1))
    else:
        print("keras has no GroupedQueryAttention: GQA cases skipped", file=sys.stderr)
    return c


MHA_NOTES = [
    "keras.layers.MultiHeadAttention / GroupedQueryAttention on the JAX backend, "
    "floatx float64, random non-zero biases. Keras kernels [E,H,d] are reshaped to "
    "[E,H*d] and the output kernel [H,d_v,E_out] to [H*d_v,E_out]; verified against a "
    "NumPy float64 transcription in the script.",
    "Keras call order is (query, value, key); here 'key' absent means self-attention, "
    "'value' absent means value = key. GQA: query head h uses kv head h // (H/H_kv) "
    "(Keras repeats kv heads), the engine's convention.",
    "use_causal_mask is top-left aligned also when L != S. attention_mask [B,L,S] is "
    "shared by the heads. Weights are per head, [B,H,L,S].",
    "Keras' Softmax zeroes masked positions, so a fully masked row would give zero "
    "weights and output = b_o; no case has such a row.",
]


# ----------------------------------------------------------------------------------
# Keras: Attention (Luong dot) and AdditiveAttention (Bahdanau)
# ----------------------------------------------------------------------------------

def keras_attention_case(name, draw, q, k, v=None, key_lengths=None, causal=False,
                         use_scale=False):
    layer = keras.layers.Attention(use_scale=use_scale, score_mode="dot")
    value = k if v is None else v
    inputs = [q, value] if v is None else [q, value, k]
    layer.build([x.shape for x in inputs])
    scale = 1.0
    if use_scale:
        scale = float(np.float32(draw.rng.uniform(0.3, 1.5)))
        layer.scale.assign(scale)
    mask = None
    if key_lengths is not None:
        S = k.shape[1]
        vmask = np.arange(S)[None, :] < np.asarray(key_lengths)[:, None]
        mask = [None, vmask] if v is None else [None, vmask, vmask]
    out, w = layer(inputs, mask=mask, return_attention_scores=True,
                   use_causal_mask=causal)
    out, w = np.asarray(out), np.asarray(w)
    assert out.dtype == np.float64
    ref_out, ref_w = ref_sdpa(q, k, value, scale=scale,
                              causal="top_left" if causal else None,
                              key_lengths=key_lengths)
    err = max(assert_close(name + " output", out, ref_out, KERAS_TOL),
              assert_close(name + " weights", w, ref_w, KERAS_TOL))
    options = {"scale": scale}
    if causal:
        options["causal"] = "top_left"
    if key_lengths is not None:
        options["key_lengths"] = [int(n) for n in key_lengths]
    return {"name": name, "mechanism": "scaled_dot_product",
            "inputs": {"query": tensor(q), "key": tensor(k), "value": tensor(value)},
            "options": options,
            "expected": {"output": tensor(out), "weights": tensor(w)},
            "reference_max_abs_diff": err}


def keras_attention_cases():
    d = Draw(20260303)
    c = []
    c.append(keras_attention_case("dot_causal_padding", d, d.normal(2, 6, 4),
                                  d.normal(2, 6, 4), key_lengths=[6, 4], causal=True))
    c.append(keras_attention_case("dot_cross_padding_value_dim", d, d.normal(2, 4, 5),
                                  d.normal(2, 7, 5), v=d.normal(2, 7, 3),
                                  key_lengths=[5, 7]))
    c.append(keras_attention_case("dot_scaled_causal_S_gt_L", d, d.normal(1, 4, 3),
                                  d.normal(1, 6, 3), v=d.normal(1, 6, 2), causal=True,
                                  use_scale=True))
    return c


ATTENTION_NOTES = [
    "keras.layers.Attention(score_mode='dot'): scores = q·kᵀ times a learned scalar when "
    "use_scale=True (its value is options.scale), else scale 1. Keras call order "
    "[query, value, key]; the fixture uses the engine's names.",
    "The value_mask padding maps to key_lengths; use_causal_mask is top-left aligned "
    "also when L != S.",
    "Keras masks by subtracting 1e9 from the scores; in float64 that leaves a fully "
    "masked row's softmax as if unmasked (the engine: zeros); no case has such a row.",
]


def additive_case(name, draw, q, k, v=None, key_lengths=None, causal=False):
    layer = keras.layers.AdditiveAttention(use_scale=True)
    value = k if v is None else v
    inputs = [q, value] if v is None else [q, value, k]
    layer.build([x.shape for x in inputs])
    dim = q.shape[-1]
    scale = draw.normal(dim)
    layer.scale.assign(scale)
    mask = None
    if key_lengths is not None:
        S = k.shape[1]
        vmask = np.arange(S)[None, :] < np.asarray(key_lengths)[:, None]
        mask = [None, vmask] if v is None else [None, vmask, vmask]
    out, w = layer(inputs, mask=mask, return_attention_scores=True,
                   use_causal_mask=causal)
    out, w = np.asarray(out), np.asarray(w)
    assert out.dtype == np.float64
    # Keras' score sum(scale * tanh(q_i + k_j)) is e_ij = vᵀ tanh(s_i W_q + h_j W_k + b)
    # with W_q = W_k = I, b = 0, v = scale.
    eye = np.eye(dim)
    ref_out, ref_w = ref_additive(q, k, v, eye, eye, scale,
                                  causal="top_left" if causal else None,
                                  key_lengths=key_lengths)
    err = max(assert_close(name + " output", out, ref_out, ADDITIVE_TOL),
              assert_close(name + " weights", w, ref_w, ADDITIVE_TOL))
    inputs_json = {"query": tensor(q), "key": tensor(k)}
    if v is not None:
        inputs_json["value"] = tensor(v)
    inputs_json.update({"w_query": tensor(eye), "w_key": tensor(eye), "v": tensor(scale)})
    options = {"mode": "soft"}
    if causal:
        options["causal"] = "top_left"
    if key_lengths is not None:
        options["key_lengths"] = [int(n) for n in key_lengths]
    return {"name": name, "mechanism": "additive", "inputs": inputs_json,
            "options": options,
            "expected": {"output": tensor(out), "weights": tensor(w)},
            "reference_max_abs_diff": err}


def keras_additive_cases():
    d = Draw(20260404)
    c = []
    c.append(additive_case("basic_value_is_key", d, d.normal(2, 4, 3), d.normal(2, 5, 3)))
    c.append(additive_case("cross_value_padding", d, d.normal(2, 4, 4), d.normal(2, 6, 4),
                           v=d.normal(2, 6, 5), key_lengths=[6, 3]))
    c.append(additive_case("causal", d, d.normal(1, 5, 3), d.normal(1, 5, 3),
                           v=d.normal(1, 5, 2), causal=True))
    return c


ADDITIVE_NOTES = [
    "keras.layers.AdditiveAttention(use_scale=True): score_ij = sum(scale * tanh(q_i + "
    "k_j)), i.e. the engine's e_ij = vᵀ tanh(s_i W_q + h_j W_k + b) with W_q = W_k = "
    "identity, no bias and v = Keras' scale vector (random here).",
    "value_mask padding maps to key_lengths; use_causal_mask is top-left aligned.",
    "keras.ops.tanh casts float64 input to float32 on the JAX backend (this Keras "
    "version), so these outputs match a float64 reference only to about 1e-8 "
    "(reference_max_abs_diff per case).",
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="verify only, write nothing")
    args = ap.parse_args()
    total = 0
    total += write_file("jax_dot_product_attention.json", jax_cases(), JAX_NOTES, args.check)
    total += write_file("keras_multi_head_attention.json", keras_mha_cases(), MHA_NOTES,
                        args.check)
    total += write_file("keras_attention.json", keras_attention_cases(), ATTENTION_NOTES,
                        args.check)
    total += write_file("keras_additive_attention.json", keras_additive_cases(),
                        ADDITIVE_NOTES, args.check)
    assert total < 300_000, f"fixtures too large: {total} bytes"
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
