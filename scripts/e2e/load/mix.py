"""The request mix of the load test: small and large, v1 JSON and v2 JSON and binary.

Every request is made once, before the load starts, together with its expected answer
computed by the NumPy float64 reference, scripts/attention_reference; during the load
each answer is checked against it. Inputs are rounded to 4 decimals so that the JSON text
stays short and the reference sees the very numbers the server parses.
"""
import json

import numpy as np

from scripts import attention_reference as reference
from scripts.attention_reference import Draw

TOLERANCE = 2e-4
rand = Draw(20261122, decimals=4, float32=False)  # rand(*shape): normals to 4 decimals, float64


class Template:
    """One request, ready to send, and the check of its 200 answer."""

    def __init__(self, kind, path, body, expected, headers=None, decode=None, rows=None):
        self.kind = kind
        self.path = path
        self.body = body
        self.expected = expected  # name -> float64 array
        self.headers = headers or {}
        self.decode = decode
        # When set, `expected` holds only the first rows of [rows, columns] answers (a spot check).
        self.rows = rows

    @property
    def api(self):
        return "v1" if self.path.startswith("/v1") else "v2"

    def check(self, response):
        """Raises AssertionError unless the 200 answer matches the reference."""
        answers = self.decode(response)
        for name, value in self.expected.items():
            got = np.asarray(answers[name], dtype=np.float64)
            size = value.size if self.rows is None else self.rows * value.shape[-1]
            assert got.size == size, f"{self.kind} {name}: {got.size} values, expected {size}"
            got = got.reshape(-1, *value.shape[1:])[:value.shape[0]] if self.rows else got.reshape(value.shape)
            error = reference.relative_error(got, value)
            assert error <= TOLERANCE, f"{self.kind} {name}: largest relative error {error:.2e}"


def v1_answer(response):
    return json.loads(response.body)


def v2_answer(response):
    """Outputs of a v2 answer by name, JSON `data` or binary (Triton's framing)."""
    length = response.headers.get("inference-header-content-length")
    header = json.loads(response.body if length is None else response.body[:int(length)])
    assert header["model_name"], header
    answers, offset = {}, 0 if length is None else int(length)
    for output in header["outputs"]:
        if "data" in output:
            answers[output["name"]] = output["data"]
        else:
            size = output["parameters"]["binary_data_size"]
            answers[output["name"]] = np.frombuffer(response.body[offset:offset + size], dtype="<f4")
            offset += size
    return answers


def v1_json(body):
    return json.dumps({k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in body.items()},
                      separators=(",", ":")).encode()


def v1_dot_product(length, keys, features, causal, weights):
    q, k, v = rand(length, features), rand(keys, features), rand(keys, features)
    out, w = reference.scaled_dot_product(q[None, None], k[None, None], v[None, None], causal=causal)
    expected = {"output": out[0, 0]}
    if weights:
        expected["weights"] = w[0, 0]
    body = v1_json({"query": q, "key": k, "value": v, "causal": causal, "return_weights": weights})
    size = "small" if length * features < 4096 else "large"
    return Template(f"v1 dot-product {size} {length}x{features}", "/v1/attention", body, expected, decode=v1_answer)


def v1_multi_head():
    x = rand(1, 6, 16)
    w = {"w_q": rand(16, 16) * 0.3, "w_k": rand(16, 16) * 0.3, "w_v": rand(16, 16) * 0.3, "w_o": rand(16, 8) * 0.3}
    w = {name: np.round(value, 4) for name, value in w.items()}
    out, weights = reference.multi_head(x, None, None, num_heads=4, **w)
    body = v1_json({"query": x[0], "num_heads": 4, **w})
    return Template("v1 multi-head small 6x16", "/v1/attention/multi-head", body,
                    {"output": out[0], "weights": weights[0]}, decode=v1_answer)


def v1_additive():
    q, k = rand(1, 5, 6), rand(1, 7, 6)
    w = {"w_query": rand(6, 8), "w_key": rand(6, 8), "v": rand(8)}
    out, weights = reference.additive(q, k, **w)
    body = v1_json({"query": q[0], "key": k[0], **w})
    return Template("v1 additive small 5x6", "/v1/attention/additive", body,
                    {"output": out[0], "weights": weights[0]}, decode=v1_answer)


def v2_dot_product(shape, binary):
    """The scaled_dot_product_attention model on [B, H, L, d] inputs; binary: raw FP32 in and out, output only."""
    q, k, v = rand(*shape), rand(*shape), rand(*shape)
    out, weights = reference.scaled_dot_product(q, k, v)
    arrays = {"query": q, "key": k, "value": v}
    if binary:
        inputs = [{"name": n, "shape": list(a.shape), "datatype": "FP32",
                   "parameters": {"binary_data_size": a.size * 4}} for n, a in arrays.items()]
        header = json.dumps({"inputs": inputs, "outputs": [{"name": "output", "parameters": {"binary_data": True}}]}).encode()
        body = header + b"".join(a.astype("<f4").tobytes() for a in arrays.values())
        headers = {"Inference-Header-Content-Length": str(len(header))}
        expected = {"output": out}
    else:
        inputs = [{"name": n, "shape": list(a.shape), "datatype": "FP32", "data": a.ravel().tolist()} for n, a in arrays.items()]
        body = json.dumps({"id": "load", "inputs": inputs}, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}
        expected = {"output": out, "weights": weights}
    kind = f"v2 {'binary' if binary else 'JSON'} {'x'.join(map(str, shape))}"
    return Template(kind, "/v2/models/scaled_dot_product_attention/infer", body, expected, headers, decode=v2_answer)


def long_additive(length, hidden, checked_rows=4):
    """An additive problem whose tanh scores (L·S·h of them) keep a worker busy for a second or
    more from a body of about a hundred kilobytes, for the phases that need work in flight when a
    client leaves or the server stops. The reference covers the first `checked_rows` query rows
    (the whole L·S·h tensor would not fit in memory in float64)."""
    q, k = rand(length, 4), rand(length, 4)
    w = {"w_query": np.round(rand(4, hidden) * 0.1, 4), "w_key": np.round(rand(4, hidden) * 0.1, 4),
         "v": np.round(rand(hidden) * 0.1, 4)}
    body = v1_json({"query": q, "key": k, **w, "return_weights": False})
    out, _ = reference.additive(q[None, :checked_rows], k[None], **w)
    return Template(f"v1 additive long {length}x{hidden}", "/v1/attention/additive", body,
                    {"output": out[0]}, decode=v1_answer, rows=length)


def load_mix():
    """(template, weight) pairs: mostly small requests, a fifth of them large (about 3 MB bodies)."""
    return [
        (v1_dot_product(8, 12, 16, causal=True, weights=True), 25),
        (v1_multi_head(), 15),
        (v1_additive(), 15),
        (v2_dot_product((1, 2, 16, 32), binary=False), 20),
        (v1_dot_product(2048, 2048, 64, causal=False, weights=False), 10),
        (v2_dot_product((1, 8, 512, 64), binary=True), 10),
    ]
