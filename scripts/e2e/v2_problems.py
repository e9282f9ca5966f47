"""The problems both v2 end-to-end clients send (scripts/e2e/v2.py over REST, scripts/e2e/grpc_*.py
over gRPC): inputs as NumPy arrays, parameters, and the float64 reference's answer
(scripts/attention_reference). No client is imported here: tritonclient's gRPC module and the
KServe SDK register the same protobuf package, so each runs in a process of its own.
"""
import numpy as np

from scripts import attention_reference as ref
from scripts.attention_reference import Draw

MODELS = ["scaled_dot_product_attention", "multi_head_attention", "additive_attention"]
# The rest of the attention family: their outputs are named differently, so they have their own tests.
FAMILY_OUTPUTS = {"local_attention": ["output", "weights", "positions"], "positional_encoding": ["encoding"],
                  "transformer_encoder_layer": ["output", "weights"],
                  "transformer_decoder_layer": ["output", "weights", "cross_weights"]}


def close(actual, expected, what, tolerance=2e-4):
    actual = np.asarray(actual, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, expected {expected.shape}"
    worst = ref.relative_error(actual, expected) if expected.size else 0
    assert worst <= tolerance, f"{what}: largest relative error {worst:.2e}"


rand = Draw(7, dtype=np.float32)  # rand(*shape): float32 normals
rng = rand.rng


# ---------------------------------------------------------------------------------------
# Problems: (inputs as numpy arrays, parameters, reference output and weights)

def sdpa_problem():
    q, k, v = rand(2, 4, 5, 8), rand(2, 2, 7, 8), rand(2, 2, 7, 3)
    out, weights = ref.scaled_dot_product(q, k, v)
    return {"query": q, "key": k, "value": v}, {}, out, weights


def mha_problem():
    x, memory = rand(2, 5, 12), rand(2, 6, 10)
    w = {"w_q": rand(12, 16) * 0.3, "w_k": rand(10, 8) * 0.3, "w_v": rand(10, 8) * 0.3, "w_o": rand(8 * 2, 12) * 0.3,
         "b_q": rand(16), "b_o": rand(12)}
    out, weights = ref.multi_head(x, memory, memory, num_heads=4, num_kv_heads=2, **w)
    return {"query": x, "key": memory, **w}, {"num_heads": 4, "num_kv_heads": 2}, out, weights


def additive_problem():
    q, k, value = rand(2, 4, 6), rand(2, 5, 7), rand(2, 5, 3)
    w = {"w_query": rand(6, 9), "w_key": rand(7, 9), "v": rand(9), "bias": rand(9)}
    out, weights = ref.additive(q, k, value=value, **w)
    return {"query": q, "key": k, "value": value, **w}, {}, out, weights


PROBLEMS = {"scaled_dot_product_attention": sdpa_problem, "multi_head_attention": mha_problem,
            "additive_attention": additive_problem}


# ---------------------------------------------------------------------------------------
# The rest of the family: (model, inputs, parameters, expected outputs by name)

def local_problem():
    q, k, value = rand(2, 4, 5), rand(2, 7, 5), rand(2, 7, 3)
    w = {"w_p": rand(5, 6), "v_p": rand(6), "w_a": rand(10, 4), "v_a": rand(4)}
    lengths = np.array([7, 5], dtype=np.int32)
    out, weights, positions = ref.luong_local(q, k, value=value, half_window=2, alignment="predictive", score="concat",
                                              key_lengths=lengths, **w)
    # p_t within 1e-3 of a window edge could round to the other side in float32.
    edges = np.abs((positions[:, :, None] - np.arange(7)[None, None, :])) - 2
    assert np.min(np.abs(edges)) > 1e-3, "pick another seed: a position sits on a window edge"
    return ("local_attention", {"query": q, "key": k, "value": value, "key_lengths": lengths, **w},
            {"half_window": 2, "alignment": "predictive", "score": "concat"},
            {"output": out, "weights": weights, "positions": positions})


def positional_problem():
    add_to = rand(6, 8)
    return ("positional_encoding", {"add_to": add_to}, {"length": 6, "dim": 8, "base": 100.0},
            {"encoding": ref.sinusoidal(6, 8, 100.0) + add_to})


def layer_tensors(E, F, norms, cross):
    p = {}
    for prefix in [""] + (["cross_"] if cross else []):
        p.update({prefix + "w_q": rand(E, E) * 0.4, prefix + "w_k": rand(E, E) * 0.4, prefix + "w_v": rand(E, E) * 0.4,
                  prefix + "w_o": rand(E, E) * 0.4, prefix + "b_q": rand(E) * 0.1, prefix + "b_k": rand(E) * 0.1,
                  prefix + "b_v": rand(E) * 0.1, prefix + "b_o": rand(E) * 0.1})
    p.update({"w_1": rand(E, F) * 0.4, "b_1": rand(F) * 0.1, "w_2": rand(F, E) * 0.4, "b_2": rand(E) * 0.1})
    for n in range(1, norms + 1):
        p.update({f"ln{n}_gamma": 1 + rand(E) * 0.1, f"ln{n}_beta": rand(E) * 0.1})
    return p


def encoder_problem():
    x, p = rand(2, 5, 8), layer_tensors(8, 16, 2, cross=False)
    lengths = np.array([5, 3], dtype=np.int32)
    out, weights = ref.encoder_layer(x, p, num_heads=2, activation="gelu", norm_first=True, causal=True, key_lengths=lengths)
    return ("transformer_encoder_layer", {"input": x, "key_lengths": lengths, **p},
            {"num_heads": 2, "activation": "gelu", "norm_first": True, "causal": True},
            {"output": out, "weights": weights})


def decoder_problem():
    x, memory, p = rand(2, 4, 8), rand(2, 6, 8), layer_tensors(8, 12, 3, cross=True)
    lengths = np.array([6, 2], dtype=np.int32)
    out, weights, cross_weights = ref.decoder_layer(x, memory, p, num_heads=2, weights_mode="per_head", causal=True,
                                                    memory_key_lengths=lengths)
    return ("transformer_decoder_layer", {"input": x, "memory": memory, "memory_key_lengths": lengths, **p},
            {"num_heads": 2, "causal": True, "weights_mode": "per_head"},
            {"output": out, "weights": weights, "cross_weights": cross_weights})


def sdpa_positions_problem():
    """RoPE (half layout, offset S − L), the paper's ALiBi slopes, soft-cap, window + global tokens."""
    q, k, v = rand(1, 4, 6, 8), rand(1, 2, 9, 8), rand(1, 2, 9, 3)
    tokens = np.array([0, 5], dtype=np.int32)
    out, weights = ref.scaled_dot_product(q, k, v, rope_options={"base": 500.0, "layout": "half", "offset": 3},
                                          slopes=ref.alibi_slopes(4), softcap=3.0, window=(1, 1), global_tokens=tokens,
                                          causal=True, alignment="bottom_right")
    return ("scaled_dot_product_attention", {"query": q, "key": k, "value": v, "global_tokens": tokens},
            {"rope": True, "rope_base": 500.0, "rope_layout": "half", "rope_offset": 3, "alibi": True, "softcap": 3.0,
             "window_left": 1, "window_right": 1, "causal": True, "causal_alignment": "bottom_right"},
            {"output": out, "weights": weights})


def mha_positions_problem():
    x = rand(1, 5, 8)
    w = {"w_q": rand(8, 8) * 0.3, "w_k": rand(8, 4) * 0.3, "w_v": rand(8, 4) * 0.3}
    slopes = np.array([0.5, 0.25, 0.125, 0.0625], dtype=np.float32)
    out, weights = ref.multi_head(x, None, None, num_heads=4, num_kv_heads=2, weights_mode="per_head",
                                  rope_options={"base": 10000.0, "layout": "interleaved"}, slopes=slopes, softcap=2.0, **w)
    return ("multi_head_attention", {"query": x, "alibi_slopes": slopes, **w},
            {"num_heads": 4, "num_kv_heads": 2, "weights_mode": "per_head", "rope": True, "softcap": 2.0},
            {"output": out, "weights": weights})


FAMILY_PROBLEMS = [local_problem, positional_problem, encoder_problem, decoder_problem, sdpa_positions_problem,
                   mha_positions_problem]


