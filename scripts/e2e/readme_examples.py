"""Runs the README's tagged curl examples against a live server and checks each answer.

Usage, from the repository root: python3 -m scripts.e2e.readme_examples README PORT

A block is an example when the line before its opening fence is `<!-- e2e: NAME -->`.
The block runs as written, with `127.0.0.1:8080` pointed at PORT, in a scratch folder; its
request body (the `-d '…'` argument) is read back from the block to compute the expected
answer with NumPy in float64 (scripts/attention_reference), so the README and this check
cannot drift apart. The
`heatmap` example writes an SVG file, which is parsed as XML and its cells counted.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
from xml.etree import ElementTree

import numpy as np

from scripts import attention_reference as ref

TOLERANCE = 1e-4


def examples(readme):
    pattern = re.compile(r"<!-- e2e: ([\w-]+) -->\s*\n```sh\n(.*?)```", re.S)
    return [(m.group(1), m.group(2)) for m in pattern.finditer(readme)]


def body_of(command):
    match = re.search(r"-d '(.*?)'", command, re.S)
    return json.loads(match.group(1)) if match else None


def given(body, *names):
    """Those of `names` the body has, by name."""
    return {n: body[n] for n in names if n in body}


def layer_parameters(body, cross):
    """The layer's tensors by API name, with the server's defaults for those the example leaves out."""
    p = {}
    for prefix in [""] + (["cross_"] if cross else []):
        p.update({prefix + n: body.get(prefix + n) for n in ("w_q", "w_k", "w_v", "w_o", "b_q", "b_k", "b_v", "b_o")})
    p.update({n: np.array(body[n], dtype=np.float64) for n in ("w_1", "w_2")})
    p.update({n: np.array(body.get(n, 0.0), dtype=np.float64) for n in ("b_1", "b_2")})
    for n in range(1, 4 if cross else 3):
        p[f"ln{n}_gamma"] = np.array(body.get(f"ln{n}_gamma", 1.0), dtype=np.float64)
        p[f"ln{n}_beta"] = np.array(body.get(f"ln{n}_beta", 0.0), dtype=np.float64)
    return p


def expected(name, body):
    """The answer in float64 by the shared reference, on a batch of one (and one head) where it needs one."""
    a = lambda key: np.array(body[key], dtype=np.float64)[None]
    if name == "attention":
        out, w = ref.scaled_dot_product(a("query")[None], a("key")[None], a("value")[None], scale=body.get("scale"),
                                        causal=body.get("causal", False))
        return {"output": out[0, 0], "weights": w[0, 0]}
    if name == "multi-head":
        out, weights = ref.multi_head(a("query"), None, None, num_heads=body["num_heads"], weights_mode="per_head",
                                      **given(body, "w_q", "w_k", "w_v", "w_o", "b_q", "b_k", "b_v", "b_o"))
        return {"output": out[0], "weights": weights[0]}
    if name == "additive":
        value = a("value") if "value" in body else None
        out, w = ref.additive(a("query"), a("key"), body["w_query"], body["w_key"], body["v"], value=value,
                              **given(body, "bias"))
        return {"output": out[0], "weights": w[0]}
    if name == "local":
        value = a("value") if "value" in body else None
        out, w, positions = ref.luong_local(a("query"), a("key"), half_window=body["half_window"], value=value,
                                            **given(body, "alignment", "score", "w_p", "v_p", "w_a", "v_a"))
        return {"output": out[0], "weights": w[0], "positions": positions[0]}
    if name == "positional-encoding":
        return {"encoding": ref.sinusoidal(body["length"], body["dim"], body.get("base", 10000))}
    options = {"num_heads": body["num_heads"], "causal": body.get("causal", False),
               "activation": body.get("activation", "relu")}
    if name == "encoder-layer":
        out, weights = ref.encoder_layer(a("input"), layer_parameters(body, cross=False), **options)
        return {"output": out[0], "weights": weights[0]}
    if name == "decoder-layer":
        out, weights, cross_weights = ref.decoder_layer(a("input"), a("memory"), layer_parameters(body, cross=True),
                                                        **options)
        return {"output": out[0], "weights": weights[0], "cross_weights": cross_weights[0]}
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
        error = ref.relative_error(got, value)
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
