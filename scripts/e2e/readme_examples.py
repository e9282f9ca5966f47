#!/usr/bin/env python3
"""Runs the README's tagged curl examples against a live server and checks each answer.

Usage: readme_examples.py README PORT

A block is an example when the line before its opening fence is `<!-- e2e: NAME -->`.
The block runs as written, with `127.0.0.1:8080` pointed at PORT, in a scratch folder; its
request body (the `-d '…'` argument) is read back from the block to compute the expected
answer with NumPy in float64, so the README and this check cannot drift apart. The
`heatmap` example writes an SVG file, which is parsed as XML and its cells counted.
"""
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from xml.etree import ElementTree

import numpy as np

TOLERANCE = 1e-4


def examples(readme):
    pattern = re.compile(r"<!-- e2e: ([\w-]+) -->\s*\n```sh\n(.*?)```", re.S)
    return [(m.group(1), m.group(2)) for m in pattern.finditer(readme)]


def body_of(command):
    match = re.search(r"-d '(.*?)'", command, re.S)
    return json.loads(match.group(1)) if match else None


def softmax(scores):
    top = np.max(np.where(np.isfinite(scores), scores, -np.inf), axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    e = np.where(np.isfinite(scores), np.exp(scores - top), 0)
    total = e.sum(axis=-1, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)


def dot_product(q, k, v, scale=None, causal=False):
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    scores = scale * q @ np.swapaxes(k, -1, -2)
    if causal:
        L, S = scores.shape[-2:]
        scores = np.where(np.tril(np.ones((L, S), bool)), scores, -np.inf)
    w = softmax(scores)
    return w @ v, w


def multi_head(xq, xkv, body, prefix="", causal=False):
    """Self- or cross-attention with the `prefix` projections; weights averaged over heads."""
    a = lambda key: np.array(body[key], dtype=np.float64)
    H = body["num_heads"]
    q, k, v = xq @ a(prefix + "w_q"), xkv @ a(prefix + "w_k"), xkv @ a(prefix + "w_v")
    dk, dv = q.shape[-1] // H, v.shape[-1] // H
    heads, weights = [], []
    for h in range(H):
        o, w = dot_product(q[:, h * dk:(h + 1) * dk], k[:, h * dk:(h + 1) * dk], v[:, h * dv:(h + 1) * dv],
                           causal=causal)
        heads.append(o)
        weights.append(w)
    out = np.concatenate(heads, axis=-1)
    if prefix + "w_o" in body:
        out = out @ a(prefix + "w_o")
    return out, np.stack(weights)


def layer_norm(x, eps=1e-5):
    """Gammas ones and betas zeros, as the examples leave them out."""
    mean = x.mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=-1, keepdims=True) + eps)


def feed_forward(x, body):
    hidden = x @ np.array(body["w_1"], dtype=np.float64)
    if body.get("activation") == "gelu":
        hidden = 0.5 * hidden * (1 + np.vectorize(math.erf)(hidden / math.sqrt(2)))
    else:
        hidden = np.maximum(hidden, 0)
    return hidden @ np.array(body["w_2"], dtype=np.float64)


def luong_local(body):
    """Luong et al. 2015, §3.2: local-m or local-p (eq. 9, 10) with the dot score."""
    h_t, h_s = np.array(body["query"], dtype=np.float64), np.array(body["key"], dtype=np.float64)
    T, S, D = len(h_t), len(h_s), body["half_window"]
    if body.get("alignment") == "predictive":
        z = np.tanh(h_t @ np.array(body["w_p"], dtype=np.float64)) @ np.array(body["v_p"], dtype=np.float64)
        p = S / (1 + np.exp(-z))
    else:
        p = np.arange(T, dtype=np.float64)
    s = np.arange(S)[None, :]
    scores = np.where(np.abs(s - p[:, None]) <= D, h_t @ h_s.T, -np.inf)
    w = softmax(scores)
    if body.get("alignment") == "predictive":
        w = w * np.exp(-((s - p[:, None]) ** 2) / (2 * (D / 2) ** 2))
    values = np.array(body.get("value", body["key"]), dtype=np.float64)
    return {"output": w @ values, "weights": w, "positions": p}


def expected(name, body):
    a = lambda key: np.array(body[key], dtype=np.float64)
    if name == "attention":
        out, w = dot_product(a("query"), a("key"), a("value"), body.get("scale"), body.get("causal", False))
        return {"output": out, "weights": w}
    if name == "multi-head":
        out, weights = multi_head(a("query"), a("query"), body)
        return {"output": out, "weights": weights}
    if name == "additive":
        s, hk = a("query") @ a("w_query"), a("key") @ a("w_key")
        scores = np.tanh(s[:, None, :] + hk[None, :, :]) @ a("v")
        w = softmax(scores)
        values = a("value") if "value" in body else a("key")
        return {"output": w @ values, "weights": w}
    if name == "local":
        return luong_local(body)
    if name == "positional-encoding":
        L, d, base = body["length"], body["dim"], body.get("base", 10000)
        k = np.arange(d)
        angles = np.arange(L)[:, None] / base ** ((k - k % 2) / d)[None, :]
        return {"encoding": np.where(k % 2 == 0, np.sin(angles), np.cos(angles))}
    if name == "encoder-layer":  # post-norm: x = LN1(x + SA(x)), x = LN2(x + FFN(x))
        x = a("input")
        attended, weights = multi_head(x, x, body, causal=body.get("causal", False))
        y = layer_norm(x + attended)
        return {"output": layer_norm(y + feed_forward(y, body)), "weights": weights.mean(axis=0)}
    if name == "decoder-layer":  # post-norm, then cross-attention over memory
        x, memory = a("input"), a("memory")
        attended, weights = multi_head(x, x, body, causal=body.get("causal", False))
        y = layer_norm(x + attended)
        crossed, cross_weights = multi_head(y, memory, body, prefix="cross_")
        y = layer_norm(y + crossed)
        return {"output": layer_norm(y + feed_forward(y, body)), "weights": weights.mean(axis=0),
                "cross_weights": cross_weights.mean(axis=0)}
    return None


def check(name, command, answer):
    if name == "health":
        assert answer == {"status": "ok"}, answer
        return
    if name == "problem":
        assert answer["status"] == 422 and answer["pointer"] == "/casual", answer
        assert "causal" in answer["detail"], answer
        return
    for key, value in expected(name, body_of(command)).items():
        got = np.array(answer[key], dtype=np.float64)
        assert got.shape == value.shape, f"{name} {key}: shape {got.shape}, expected {value.shape}"
        error = np.max(np.abs(got - value) / np.maximum(1, np.abs(value)))
        assert error <= TOLERANCE, f"{name} {key}: largest relative error {error}"


def check_heatmap(command, folder):
    """The SVG the example wrote: one L×S panel whose masked cells are those causal hides."""
    body = body_of(command)
    path = re.search(r"-o (\S+)", command).group(1)
    svg = ElementTree.parse(os.path.join(folder, path)).getroot()
    ns = {"svg": "http://www.w3.org/2000/svg"}
    panels = svg.findall(".//svg:g[@class='panel']", ns)
    assert len(panels) == 1, f"{len(panels)} panels"
    cells = panels[0].findall("svg:g[@class='cells']/svg:rect", ns)
    L, S = len(body["query"]), len(body["key"])
    assert len(cells) == L * S, f"{len(cells)} cells, expected {L}×{S}"
    size = float(cells[0].get("width"))
    masked = {(round(float(c.get("y")) / size), round(float(c.get("x")) / size)) for c in cells if c.get("class") == "masked"}
    hidden = {(i, j) for i in range(L) for j in range(S) if body.get("causal") and j > i}
    assert masked == hidden, f"masked cells {sorted(masked)}, expected {sorted(hidden)}"
    labels = {t.text for t in panels[0].iter("{http://www.w3.org/2000/svg}text")}
    assert set(body.get("query_tokens", [])) <= labels, f"labels {sorted(labels)}"


def main():
    readme, port = sys.argv[1], sys.argv[2]
    found = examples(open(readme, encoding="utf-8").read())
    names = [name for name, _ in found]
    required = {"health", "attention", "multi-head", "additive", "local", "positional-encoding", "encoder-layer",
                "decoder-layer", "problem", "heatmap"}
    if not required <= set(names):
        sys.exit(f"{readme}: missing e2e examples {sorted(required - set(names))}")
    for name, command in found:
        command = command.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
        with tempfile.TemporaryDirectory() as folder:
            run = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60, cwd=folder)
            if run.returncode != 0:
                sys.exit(f"example {name}: exit {run.returncode}: {run.stderr}")
            if name == "heatmap":
                check_heatmap(command, folder)
            else:
                check(name, command, json.loads(run.stdout))
        print(f"ok   README example {name}")


if __name__ == "__main__":
    main()
