"""End-to-end cost of the v2 API against the engine alone, for one problem:
scaled dot-product attention, B=1, H=8, L=S=1024, d=64, not causal, no weights.

  engine in process: .build/release/engine-bench --row 1024,full,none (the engine's own
                     median with BENCH_WORKERS workers, as the server has --workers)
  raw HTTP:          the same binary request from a minimal socket client: the server's
                     cost plus the transfer, without a client library's own work
  tritonclient:      tritonclient.http, binary inputs and output (the issue's measure)
  ... canned server: both clients against scripts/bench/canned_v2_server.py, which reads the
                     request whole and answers at once with a response of the same size:
                     what the client and the transfer cost with no server work at all.
                     Engine + that row is the least tritonclient can take end to end.

The machine is shared, so the three are measured in interleaved rounds and each row
reports the median over rounds of the per-round medians. Prints a table with the ratios
(target: at most 1.3x). Usage, from the repository root with a release server running:
  .venv-e2e/bin/python -m scripts.bench.v2 --url 127.0.0.1:8080 [--workers 2] [--rounds 3]
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time

import numpy as np
import tritonclient.http as triton

from scripts import ROOT

B, H, L, S, D = 1, 8, 1024, 1024, 64
MODEL = "scaled_dot_product_attention"


def engine_milliseconds(binary, workers, masking="full"):
    environment = dict(os.environ, BENCH_WORKERS=str(workers))
    row = subprocess.run([binary, "--row", f"{L},{masking},none"], env=environment, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(row)["median_ms"]


def median_milliseconds(call, repeats, warmup=3):
    times = []
    for run in range(warmup + repeats):
        start = time.perf_counter()
        call()
        if run >= warmup:
            times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def problem():
    rng = np.random.default_rng(1)
    return {name: rng.uniform(-0.5, 0.5, (B, H, L if name == "query" else S, D)).astype(np.float32)
            for name in ("query", "key", "value")}


def tritonclient_call(url, arrays):
    client = triton.InferenceServerClient(url=url, network_timeout=120)
    inputs = []
    for name, array in arrays.items():
        tensor = triton.InferInput(name, list(array.shape), "FP32")
        tensor.set_data_from_numpy(array, binary_data=True)
        inputs.append(tensor)
    outputs = [triton.InferRequestedOutput("output", binary_data=True)]

    def call():
        output = client.infer(MODEL, inputs, outputs=outputs).as_numpy("output")
        assert output.shape == (B, H, L, D)
    return call


def raw_call(url, arrays):
    """One keep-alive connection; the request bytes are built once, the answer read whole."""
    header = json.dumps({
        "inputs": [{"name": n, "shape": list(a.shape), "datatype": "FP32", "parameters": {"binary_data_size": a.nbytes}}
                   for n, a in arrays.items()],
        "outputs": [{"name": "output", "parameters": {"binary_data": True}}],
    }).encode()
    body = header + b"".join(a.tobytes() for a in arrays.values())
    host, port = url.split(":")
    request = (f"POST /v2/models/{MODEL}/infer HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n"
               f"Inference-Header-Content-Length: {len(header)}\r\n\r\n").encode() + body
    connection = socket.create_connection((host, int(port)))
    expected = 4 * B * H * L * D

    def call():
        connection.sendall(request)
        answer = bytearray()
        while b"\r\n\r\n" not in answer:
            answer += connection.recv(1 << 20)
        head, _, rest = bytes(answer).partition(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
        received = bytearray(rest)
        while len(received) < length:
            received += connection.recv(1 << 20)
        assert head.startswith(b"HTTP/1.1 200") and length > expected, head
    return call


def start_canned_server():
    """Starts scripts/bench/canned_v2_server.py on a free port; returns the process and its address."""
    process = subprocess.Popen([sys.executable, "-m", "scripts.bench.canned_v2_server"], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True)
    port = process.stdout.readline().strip()  # printed once it listens
    assert port, "canned_v2_server exited before listening"
    return process, f"127.0.0.1:{port}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="127.0.0.1:8080")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="the server's --workers")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=20, help="requests per client per round")
    parser.add_argument("--engine-bench", default=os.path.join(ROOT, ".build", "release", "engine-bench"))
    args = parser.parse_args()

    arrays = problem()
    canned, canned_url = start_canned_server()
    clients = {"raw HTTP (socket, binary)": raw_call(args.url, arrays),
               "tritonclient.http (binary)": tritonclient_call(args.url, arrays),
               "raw HTTP, canned server": raw_call(canned_url, arrays),
               "tritonclient.http, canned server": tritonclient_call(canned_url, arrays)}
    rounds = {"engine in process (engine-bench)": []} | {name: [] for name in clients}
    for _ in range(args.rounds):
        rounds["engine in process (engine-bench)"].append(engine_milliseconds(args.engine_bench, args.workers))
        for name, call in clients.items():
            rounds[name].append(median_milliseconds(call, args.repeats))

    canned.kill()
    engine = statistics.median(rounds["engine in process (engine-bench)"])
    megabytes = 4 * (B * H * (L + 2 * S) * D + B * H * L * D) / 1e6
    print(f"\n{MODEL} B={B} H={H} L=S={L} d={D}, not causal, no weights; {args.workers} workers; "
          f"{megabytes:.1f} MB of tensors per request; {args.rounds} interleaved rounds")
    print("| path | median ms | per-round medians | ratio to engine |")
    print("|---|---:|---|---:|")
    for name, values in rounds.items():
        value = statistics.median(values)
        print(f"| {name} | {value:.2f} | {', '.join(f'{v:.1f}' for v in values)} | {value / engine:.2f}x |")
    ratio = statistics.median(rounds["tritonclient.http (binary)"]) / engine
    print(f"\ntarget for tritonclient: at most 1.3x; {'met' if ratio <= 1.3 else 'not met'} ({ratio:.2f}x)")
    floor = (engine + statistics.median(rounds["tritonclient.http, canned server"])) / engine
    print(f"least possible with tritonclient (engine + tritonclient against the canned server): {floor:.2f}x")


if __name__ == "__main__":
    main()
