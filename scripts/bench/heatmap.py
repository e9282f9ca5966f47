"""Times SVG heatmaps against the same request answered as JSON, on a live server.

Usage, from the repository root: python3 -m scripts.bench.heatmap PORT [ROUNDS]

For each size, POSTs one causal /v1/attention request (d = 64, random Q = K = V) as JSON
and as SVG (`"format": "svg"`), interleaved, ROUNDS times each (default 11), and prints a
table: median milliseconds end to end (one connection, loopback), the response size, and
SVG ÷ JSON from the same run. The largest size is the default --max-heatmap-cells.
"""
import http.client
import json
import random
import statistics
import sys
import time

SIZES = [16, 64, 128, 256]
WIDTH = 64


def body(length, fmt):
    rng = random.Random(length)
    rows = [[round(rng.gauss(0, 1), 4) for _ in range(WIDTH)] for _ in range(length)]
    request = {"query": rows, "key": rows, "value": rows, "causal": True}
    if fmt == "svg":
        request["format"] = "svg"
    return json.dumps(request).encode()


def timed(connection, payload):
    start = time.perf_counter()
    connection.request("POST", "/v1/attention", payload, {"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - start
    assert response.status == 200, (response.status, data[:300])
    return elapsed * 1000, len(data)


def main():
    port = int(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 11
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    print(f"{rounds} interleaved rounds per size, causal, d = {WIDTH}, medians\n")
    print("| L = S | cells | JSON ms | JSON KB | SVG ms | SVG KB | SVG ÷ JSON (time) |")
    print("|--:|--:|--:|--:|--:|--:|--:|")
    for length in SIZES:
        payloads = {fmt: body(length, fmt) for fmt in ("json", "svg")}
        for fmt in payloads:
            timed(connection, payloads[fmt])  # warm-up
        times = {"json": [], "svg": []}
        sizes = {}
        for _ in range(rounds):
            for fmt in ("json", "svg"):
                ms, size = timed(connection, payloads[fmt])
                times[fmt].append(ms)
                sizes[fmt] = size
        j, s = statistics.median(times["json"]), statistics.median(times["svg"])
        print(f"| {length} | {length * length} | {j:.2f} | {sizes['json'] / 1000:.0f} | {s:.2f} | "
              f"{sizes['svg'] / 1000:.0f} | {s / j:.2f} |")


if __name__ == "__main__":
    main()
