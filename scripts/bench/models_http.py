"""BERT end to end through the server's HTTP API against sentence-transformers and transformers
in process, same machine, same threads (issue 20); prints a Markdown table.

    swift build -c release --product attention-server
    env -u OPENBLAS_CORETYPE /work/venv-torch/bin/python -m scripts.bench.models_http [--threads 2] [--rounds 5]

Starts the release ``attention-server --workers THREADS --grpc-port 0 --model minilm=FOLDER``
(the test model, scripts/fixtures/model_folder.py) on a free 127.0.0.1 port, and in this process,
with ``torch.set_num_threads(THREADS)``, SentenceTransformer and transformers' BertModel (eager
attention) on the same folder. Cases, each a request on one keep-alive connection
(``http.client``: the standard library's, whose own cost per request is measured as this
thread's CPU time and printed) against its in-process peer:

  embeddings, batch 1 and 32   POST /v1/embeddings {"model", "input": [texts]} (models.SENTENCES,
                               about 21 tokens each, cycled) against ``encode(texts, batch_size=B)``
  attention, 128 tokens        POST /v1/models/minilm/attention {"text"} (every layer and head,
                               JSON) against ``model(**inputs, output_attentions=True)``
  the same, v2 binary          POST /v2/models/minilm/infer, `text` as binary BYTES, `attentions`
                               as binary FP32 (the same weights without JSON numbers)

The machine is shared, so every round runs each case on the server and then its peer, back to
back; a row reports the median over rounds of each round's median. The server's answers are
checked once against the peers' (cosine of each embedding, largest attention difference).
"""
import argparse
import contextlib
import http.client
import json
import os
import statistics
import struct
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from scripts import ROOT
from scripts.bench.models import SENTENCES
from scripts.bench.saturation import free_port
from scripts.bench.serving_peers import start
from scripts.fixtures.model_folder import model_folder

NAME = "minilm"
TARGETS = {("embeddings", 1): 2.0, ("embeddings", 32): 1.5}  # issue 20: sentences/s, server over encode()


class Client:
    """POSTs on one keep-alive connection; returns the body's bytes, and adds the CPU time
    this thread spent (building, sending, reading and parsing the HTTP message) to `cpu`."""

    def __init__(self, address):
        host, port = address.split(":")
        self.connection = http.client.HTTPConnection(host, int(port))
        self.cpu = 0.0

    def post(self, path, body, headers=None):
        started = time.thread_time()
        self.connection.request("POST", path, body, headers or {"Content-Type": "application/json"})
        response = self.connection.getresponse()
        data = response.read()
        self.cpu += time.thread_time() - started
        assert response.status == 200, (response.status, data[:500])
        self.headers = response.headers
        return data


def timed(call, repeats):
    """The median of `repeats` timed calls after one warm-up, in seconds."""
    call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def sentence_of_128_tokens(tokenizer):
    """A text that tokenizes to exactly 128 tokens, [CLS] and [SEP] included: the sentences
    joined, cut after the 126th word piece (the server takes no max_length, only a text)."""
    words = " ".join(SENTENCES * 3)
    pieces = tokenizer(words, truncation=True, max_length=128, return_offsets_mapping=True)
    text = words[:pieces["offset_mapping"][126][1]]
    assert len(tokenizer(text)["input_ids"]) == 128, "the cut text does not tokenize to 128 tokens"
    return text


def v2_attention_request(text):
    """POST /v2/models/NAME/infer with `text` as binary BYTES (a 4-byte little-endian length,
    then the UTF-8) asking for `attentions` as binary FP32: the body and its headers."""
    element = text.encode()
    element = struct.pack("<I", len(element)) + element
    header = json.dumps({"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1],
                                     "parameters": {"binary_data_size": len(element)}}],
                         "outputs": [{"name": "attentions", "parameters": {"binary_data": True}}]}).encode()
    return header + element, {"Content-Type": "application/octet-stream",
                              "Inference-Header-Content-Length": str(len(header))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="server workers and torch threads")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "attention-server"))
    args = parser.parse_args()
    folder = model_folder()

    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer, BertModel
    torch.set_num_threads(args.threads)
    encoder = SentenceTransformer(folder, device="cpu")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = BertModel.from_pretrained(folder, attn_implementation="eager").eval()
    long_text = sentence_of_128_tokens(tokenizer)
    long_inputs = tokenizer(long_text, return_tensors="pt")

    with contextlib.ExitStack() as stack:
        scratch = stack.enter_context(tempfile.TemporaryDirectory())
        port = free_port()
        address = start(stack, scratch, [args.binary, "--host", "127.0.0.1", "--port", str(port), "--grpc-port", "0",
                                         "--workers", str(args.threads), "--log-level", "warning",
                                         "--model", f"{NAME}={folder}"], port, ready="/ready")
        client = Client(address)

        cases = []  # (label, batch, server call, peer call, repeats per round)
        for batch in (1, 32):
            texts = [SENTENCES[i % len(SENTENCES)] for i in range(batch)]
            body = json.dumps({"model": NAME, "input": texts}).encode()
            cases.append((("embeddings", batch), lambda body=body: client.post("/v1/embeddings", body),
                          lambda texts=texts, batch=batch: encoder.encode(texts, batch_size=batch),
                          30 if batch == 1 else 6))
        attention_body = json.dumps({"text": long_text}).encode()

        def forward():
            with torch.no_grad():
                return model(**long_inputs, output_attentions=True)
        cases.append((("attention, 128 tokens, all layers and heads", 1),
                      lambda: client.post(f"/v1/models/{NAME}/attention", attention_body), forward, 10))
        # The same attentions as the model's v2 form answers them: FP32 binary, no JSON numbers.
        v2_body, v2_headers = v2_attention_request(long_text)
        cases.append((("attention, 128 tokens, all layers and heads, v2 binary", 1),
                      lambda: client.post(f"/v2/models/{NAME}/infer", v2_body, v2_headers), forward, 10))

        # Once: the server's answers against the peers'.
        texts = [SENTENCES[i % len(SENTENCES)] for i in range(32)]
        ours = np.array([d["embedding"] for d in json.loads(cases[1][1]())["data"]])
        theirs = encoder.encode(texts)
        cosine = (ours * theirs).sum(1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(theirs, axis=1)
        answer = json.loads(cases[2][1]())
        assert answer["token_ids"] == long_inputs["input_ids"][0].tolist(), "the server tokenized differently"
        difference = np.abs(np.array(answer["attentions"]) - torch.stack(forward().attentions)[:, 0].numpy()).max()
        data = cases[3][1]()
        header = int(client.headers["Inference-Header-Content-Length"])
        binary = np.frombuffer(data[header:], dtype="<f4").reshape(json.loads(data[:header])["outputs"][0]["shape"])
        difference = max(difference, np.abs(binary[0] - torch.stack(forward().attentions)[:, 0].numpy()).max())
        assert cosine.min() > 0.9999 and difference < 1e-4, (cosine.min(), difference)

        load = os.getloadavg()
        rounds = {label: ([], [], []) for label, *_ in cases}  # server s, peer s, client CPU s per request
        for _ in range(args.rounds):
            for label, server, peer, repeats in cases:
                client.cpu = 0.0
                rounds[label][0].append(timed(server, repeats))
                rounds[label][2].append(client.cpu / (repeats + 1))
                rounds[label][1].append(timed(peer, repeats))
        load_after = os.getloadavg()

    print(f"\nmodel all-MiniLM-L6-v2 as `{NAME}`; server --workers {args.threads}; torch {torch.__version__} "
          f"{args.threads} threads; {args.rounds} rounds; load average {load[0]:.2f} before, {load_after[0]:.2f} after; "
          f"checked: embedding cosine >= {cosine.min():.6f}, attention |diff| <= {difference:.1e}\n")
    print("| case | batch | server ms | server sentences/s | client CPU ms | in-process ms | in-process sentences/s | speed-up | target |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|---|")
    for (what, batch), (server, peer, cpu) in rounds.items():
        ours, theirs = statistics.median(server), statistics.median(peer)
        ratio = theirs / ours
        target = TARGETS.get((what, batch))
        verdict = f"{target:.1f}×: {'met' if ratio >= target else 'not met'}" if target else ""
        print(f"| {what} | {batch} | {ours * 1e3:.2f} | {batch / ours:.1f} | {statistics.median(cpu) * 1e3:.2f} | {theirs * 1e3:.2f} | {batch / theirs:.1f} | "
              f"{ratio:.2f}× | {verdict} |")
    print(f"\nper-round server medians (ms): " + "; ".join(
        f"{what} {batch}: {', '.join(f'{v * 1e3:.1f}' for v in server)}" for (what, batch), (server, *_) in rounds.items()))
    print("client CPU ms: this thread's CPU time per request in http.client (median over rounds), part of the server's ms")


if __name__ == "__main__":
    main()
