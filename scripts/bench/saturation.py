"""/health and /ready while compute saturates the pool: the engine's workers at nice 0 and at
their default nice 10, alternated, in one run (issue 21, "I/O stays responsive").

    python3 -m scripts.bench.saturation [--seconds 20] [--rounds 2] [--connections 48]
                                        [--nices 0,10] [--binary PATH | --binaries NAME=PATH,NAME=PATH]
                                        [--early-answers]      # from the repository root

For each round and each nice value N: starts the release server (`--workers 2 --queue-depth 4`,
with ATTENTION_WORKER_NICE=N in its environment, which the engine's workers read), then
(with N written `W:C`, e.g. `10:10`) sets the server's codec threads (NIOThreadPool's `TP-#…`,
where request bodies are decoded) to nice C from outside, as an experiment; then
  - the load: `--connections` keep-alive connections, each POSTing the same 2 MB JSON body
    (`/v1/attention`, query, key and value [512, 64], causal, no weights) again as soon as
    its previous answer has arrived; 503s must carry Retry-After and are sent again at once
    (with --early-answers, each client reads while it sends, as RFC 9112 §9.6 asks and curl
    does, and resets a connection refused before its body is sent; without, it sends the
    whole body before it reads);
  - after 2 s of it, the probe: a separate process that every 20 ms opens a new connection
    (as a kubelet does), GETs /health or /ready by turns with `Connection: close`, and times
    it from the connect to the last byte; it runs at the default nice (0) and also records
    how late its own 20 ms sleeps end (what the machine alone does to a sleeping process);
then stops the server with SIGTERM. Prints one Markdown table, a line per (round, server, nice).
Builds the server first (`swift build -c release --product attention-server`) unless
--binary or --binaries is given; --binaries compares servers (before and after a change), each
phase of a round once per server, the order reversed every other round.
"""

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time

from scripts import ROOT
from scripts.e2e.load.http1 import Connection, ConnectionLost, encode_request

PROBE_PERIOD = 0.020


def body_bytes(length=512, dim=64, seed=21):
    """About 2 MB: three [512, 64] matrices of full-precision decimals, causal, no weights."""
    rng = random.Random(seed)

    def matrix():
        return [[rng.uniform(-1, 1) for _ in range(dim)] for _ in range(length)]
    return json.dumps({"query": matrix(), "key": matrix(), "value": matrix(),
                       "causal": True, "return_weights": False}).encode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


# The probe (its own process).

def probe_once(port, path):
    """GET `path` on a new connection; (status, seconds from connect to the last byte, the
    answer, seconds the connect took)."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        connected = time.perf_counter()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
    return status, time.perf_counter() - started, data, connected - started


def probe_main(port, seconds):
    samples = {"health": [], "ready": [], "connect": [], "statuses": {}, "wake_late": [], "pool_full": 0, "ready_200": 0}
    end = time.perf_counter() + seconds
    turn = 0
    while time.perf_counter() < end:
        started = time.perf_counter()
        path = "/health" if turn % 2 == 0 else "/ready"
        turn += 1
        try:
            status, elapsed, data, connect = probe_once(port, path)
            samples["connect"].append(connect)
        except OSError as error:
            status, elapsed, data = f"error {type(error).__name__}", 10.0, b""
        samples["health" if path == "/health" else "ready"].append(elapsed)
        key = f"{path} {status}"
        samples["statuses"][key] = samples["statuses"].get(key, 0) + 1
        if path == "/ready" and status == 200:
            ready = json.loads(data.partition(b"\r\n\r\n")[2])
            samples["ready_200"] += 1
            samples["pool_full"] += ready["admitted"] >= ready["capacity"]
        pause = max(0.0, PROBE_PERIOD - (time.perf_counter() - started))
        slept = time.perf_counter()
        time.sleep(pause)
        samples["wake_late"].append(time.perf_counter() - slept - pause)
    json.dump(samples, sys.stdout)


# The load (asyncio, in this process).

async def load(port, connections, body, stop, counts, early):
    """`early`: each client reads the answer while it sends (RFC 9112 §9.6, as curl does) and
    resets a connection that is answered and closed before its body is sent; otherwise it
    sends the whole body before it reads."""
    request = encode_request("POST", "/v1/attention", body, {"Content-Type": "application/json"})

    async def client():
        connection = None
        while not stop.is_set():
            try:
                if connection is None:
                    connection = await Connection.open(port)
                if early:
                    connection.writer.write(request)
                    response = await connection.read_response()
                else:
                    response = await connection.request("POST", "/v1/attention", body,
                                                        {"Content-Type": "application/json"})
            except (ConnectionLost, OSError, asyncio.IncompleteReadError):
                counts["lost"] += 1
                connection = None
                await asyncio.sleep(0.01)
                continue
            counts[response.status] = counts.get(response.status, 0) + 1
            if response.status == 503:
                counts["503 with Retry-After"] += "retry-after" in response.headers
            if Connection.closes(response):
                if early:
                    connection.writer.transport.abort()  # drops what is still unsent
                else:
                    await connection.close()
                connection = None
        if connection is not None:
            await connection.close()
    await asyncio.gather(*(client() for _ in range(connections)))


def renice_codec_threads(pid, nice):
    """Sets the nice value of the server's codec threads (named TP-#…) from outside."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as comm:
                if comm.read().startswith("TP-"):
                    os.setpriority(os.PRIO_PROCESS, int(tid), nice)
        except OSError:
            pass


async def phase(binary, nice, seconds, connections, body, early):
    port = free_port()
    nice, _, codec_nice = str(nice).partition(":")
    env = {**os.environ, "ATTENTION_WORKER_NICE": nice}
    server = subprocess.Popen([binary, "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
                               "--queue-depth", "4", "--log-level", "error"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                if probe_once(port, "/ready")[0] == 200:
                    break
            except OSError:
                pass
            await asyncio.sleep(0.05)
        else:
            raise SystemExit("server never became ready")
        if codec_nice:
            renice_codec_threads(server.pid, int(codec_nice))  # the pool starts its threads at once
        counts = {"lost": 0, "503 with Retry-After": 0}
        stop = asyncio.Event()
        started = time.perf_counter()
        load_task = asyncio.create_task(load(port, connections, body, stop, counts, early))
        await asyncio.sleep(2)  # saturate first
        probe = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "scripts.bench.saturation", "--probe", str(port), str(seconds),
            stdout=asyncio.subprocess.PIPE, cwd=ROOT)
        output, _ = await probe.communicate()
        stop.set()
        await load_task
        elapsed = time.perf_counter() - started
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    return json.loads(output), counts, elapsed


def ms(x):
    return "—" if x is None else f"{x * 1e3:.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20, help="probing time per phase (20)")
    ap.add_argument("--rounds", type=int, default=2, help="rounds of the phases, alternated (2)")
    ap.add_argument("--connections", type=int, default=48)
    ap.add_argument("--nices", default="0,10",
                    help="worker nice values to compare (0,10); W:C also sets the codec threads' to C")
    ap.add_argument("--binary", help="attention-server binary (default: build the release one)")
    ap.add_argument("--binaries", help="servers to compare, NAME=PATH,NAME=PATH (alternated like the nices)")
    ap.add_argument("--early-answers", action="store_true",
                    help="load clients read the answer while sending and reset a connection refused early")
    ap.add_argument("--probe", nargs=2, metavar=("PORT", "SECONDS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.probe:
        return probe_main(int(args.probe[0]), float(args.probe[1]))

    binary = args.binary
    if args.binaries:
        servers = [tuple(item.split("=", 1)) for item in args.binaries.split(",")]
    elif binary is None:
        subprocess.run(["swift", "build", "-c", "release", "--product", "attention-server"], cwd=ROOT, check=True)
        path = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                              stdout=subprocess.PIPE, text=True).stdout.strip()
        servers = [("release", os.path.join(path, "attention-server"))]
    else:
        servers = [("server", binary)]
    body = body_bytes()
    phases = [(name, path, nice) for name, path in servers for nice in args.nices.split(",")]
    print(f"body {len(body) / 1e6:.2f} MB, {args.connections} connections, --workers 2 --queue-depth 4, "
          f"probe every {PROBE_PERIOD * 1e3:.0f} ms for {args.seconds:g} s per phase; "
          f"{'early answers read while sending' if args.early_answers else 'whole bodies sent before reading'}; load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()), file=sys.stderr)
    rows = []
    for round_ in range(1, args.rounds + 1):
        for name, path, nice in (phases if round_ % 2 else list(reversed(phases))):
            samples, counts, elapsed = asyncio.run(phase(path, nice, args.seconds, args.connections, body,
                                                             args.early_answers))
            rows.append((round_, f"{name} | {nice}", samples, counts, elapsed, os.getloadavg()[0]))
            h, r = samples["health"], samples["ready"]
            print(f"round {round_} {name} nice {nice}: /health p99 {ms(percentile(h, 99))} ms, /ready p99 "
                  f"{ms(percentile(r, 99))} ms, answers {counts}", file=sys.stderr)

    print("| round | server | worker nice | /health p50 | /health p99 | /health max | /ready p50 | /ready p99 | /ready max "
          "| probes | of which connect p99 | probe's wake-up lateness p99 | pool full | 200/s | 503 (with Retry-After) | load avg |")
    print("|--:|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for round_, nice, samples, counts, elapsed, load_average in rows:
        h, r = samples["health"], samples["ready"]
        full = samples["pool_full"] / samples["ready_200"] if samples["ready_200"] else None
        print(f"| {round_} | {nice} | {ms(percentile(h, 50))} | {ms(percentile(h, 99))} | {ms(max(h) if h else None)} "
              f"| {ms(percentile(r, 50))} | {ms(percentile(r, 99))} | {ms(max(r) if r else None)} | {len(h) + len(r)} "
              f"| {ms(percentile(samples['connect'], 99))} "
              f"| {ms(percentile(samples['wake_late'], 99))} | {'—' if full is None else f'{100 * full:.0f} %'} "
              f"| {counts.get(200, 0) / elapsed:.1f} | {counts.get(503, 0)} ({counts['503 with Retry-After']}) "
              f"| {load_average:.1f} |")
    other = {k: v for _, _, s, _, _, _ in rows for k, v in s["statuses"].items() if not k.endswith(" 200")}
    lost = sum(c["lost"] for _, _, _, c, _, _ in rows)
    if other or lost:
        print(f"\nOther probe answers: {other or 'none'}; load connections lost: {lost}")


if __name__ == "__main__":
    main()
