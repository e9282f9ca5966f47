"""End-to-end cost of the v2 API against the engine alone, for one problem:
scaled dot-product attention, B=1, H=8, L=S=1024, d=64, not causal, no weights
(or, with --weights and --causal, the weights asked too and a causal mask).

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
  .venv-e2e/bin/python -m scripts.bench.v2 --url 127.0.0.1:8080 --weights [--causal]
With --weights or --causal only the raw client runs (issue 21's end-to-end targets are
measured with a raw client), against engine-bench --row 1024,{full,causal},{none,weights}.
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


def engine_row(masking="full", weights=False):
    """engine-bench's --row argument for the problem."""
    return f"{L},{masking},{'weights' if weights else 'none'}"


def engine_milliseconds(binary, workers, masking="full", weights=False, clock="wall"):
    """engine-bench's median for the problem, in ms: wall time, or with clock="cpu" the CPU time
    of its whole process (BENCH_CLOCK=cpu)."""
    environment = dict(os.environ, BENCH_WORKERS=str(workers), BENCH_CLOCK=clock)
    row = subprocess.run([binary, "--row", engine_row(masking, weights)], env=environment, check=True,
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


def problem(length=L, depth=D):
    """Seeded query, key and value [B, H, length, depth] (self-attention lengths, L = S)."""
    rng = np.random.default_rng(1)
    return {name: rng.uniform(-0.5, 0.5, (B, H, length, depth)).astype(np.float32)
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


def binary_body(arrays, parameters=None, outputs=("output",)):
    """The v2 binary request body (JSON header, then the raw FP32 tensors) and the header's length."""
    header = {
        "inputs": [{"name": n, "shape": list(a.shape), "datatype": "FP32", "parameters": {"binary_data_size": a.nbytes}}
                   for n, a in arrays.items()],
        "outputs": [{"name": name, "parameters": {"binary_data": True}} for name in outputs],
    }
    if parameters:
        header["parameters"] = parameters
    header = json.dumps(header).encode()
    return header + b"".join(a.tobytes() for a in arrays.values()), len(header)


def read_response(connection, buffer=None):
    """One HTTP/1.1 response from the socket: its head and its body (Content-Length or chunked).

    A Content-Length body is received into `buffer` (a bytearray reused across calls, as a raw
    client such as wrk reuses its own; a body larger than it gets a buffer of its own) and
    returned as a memoryview of it, valid until the next call."""
    received = bytearray()

    def fill(size):
        while len(received) < size:
            data = connection.recv(1 << 16)
            assert data, "connection closed mid-response"
            received.extend(data)

    while (blank := received.find(b"\r\n\r\n")) < 0:
        fill(len(received) + 1)
    head, position = bytes(received[:blank]), blank + 4
    headers = {name.strip().lower(): value.strip() for name, _, value in
               (line.partition(b":") for line in head.split(b"\r\n")[1:])}
    if b"content-length" in headers:
        # Straight into the reused buffer: a raw client's only work is the receive.
        length = int(headers[b"content-length"])
        buffer = buffer if buffer is not None and len(buffer) >= length else bytearray(length)
        view = memoryview(buffer)[:length]
        have = min(len(received) - position, length)
        view[:have] = received[position:position + have]
        while have < length:
            count = connection.recv_into(view[have:])
            assert count, "connection closed mid-response"
            have += count
        return head, view
    body = bytearray()  # chunked: size line, data, CRLF, until the chunk of size 0 (no trailers)
    while True:
        while (line_end := received.find(b"\r\n", position)) < 0:
            fill(len(received) + 1)
        size = int(received[position:line_end].split(b";")[0], 16)
        fill(line_end + 2 + size + 2)
        body += received[line_end + 2:line_end + 2 + size]
        position = line_end + 2 + size + 2
        if size == 0:
            return head, body


def raw_call(url, arrays, model=MODEL, parameters=None, outputs=("output",)):
    """One keep-alive connection; the request bytes are built once, the answer read whole."""
    body, header_length = binary_body(arrays, parameters, outputs)
    host, port = url.split(":")
    request = (f"POST /v2/models/{model}/infer HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n"
               f"Inference-Header-Content-Length: {header_length}\r\n\r\n").encode() + body
    connection = socket.create_connection((host, int(port)))
    expected = arrays["query"].nbytes // arrays["query"].shape[-1] * arrays["value"].shape[-1]
    if "weights" in outputs:
        expected += arrays["query"].nbytes // arrays["query"].shape[-1] * arrays["key"].shape[-2]

    buffer = bytearray(expected + (1 << 16))  # the answer: the expected tensors and their JSON header

    def call():
        connection.sendall(request)
        head, body = read_response(connection, buffer)
        assert head.startswith(b"HTTP/1.1 200") and len(body) > expected, head
        return body  # the JSON header, then the output's bytes last
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
    parser.add_argument("--weights", action="store_true", help="ask for the weights too (raw client only)")
    parser.add_argument("--causal", action="store_true", help="a causal mask (raw client only)")
    args = parser.parse_args()

    arrays = problem()
    if args.weights or args.causal:
        raw_and_engine(args, arrays)
        return
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


def raw_and_engine(args, arrays):
    """The raw client against the engine in process, for the problem with weights and/or causal."""
    masking = "causal" if args.causal else "full"
    call = raw_call(args.url, arrays, parameters={"causal": True} if args.causal else None,
                    outputs=("output", "weights") if args.weights else ("output",))
    engine, raw = [], []
    for _ in range(args.rounds):
        engine.append(engine_milliseconds(args.engine_bench, args.workers, masking, args.weights))
        raw.append(median_milliseconds(call, args.repeats))
    what = f"{'causal' if args.causal else 'not causal'}, {'with' if args.weights else 'no'} weights"
    print(f"\n{MODEL} B={B} H={H} L=S={L} d={D}, {what}; {args.workers} workers; {args.rounds} interleaved rounds")
    print("| path | median ms | per-round medians | ratio to engine |")
    print("|---|---:|---|---:|")
    for name, values in ((f"engine in process (engine-bench --row {engine_row(masking, args.weights)})", engine),
                         ("raw HTTP (socket, binary)", raw)):
        print(f"| {name} | {statistics.median(values):.2f} | {', '.join(f'{v:.1f}' for v in values)} | "
              f"{statistics.median(values) / statistics.median(engine):.2f}x |")


if __name__ == "__main__":
    main()
