#!/usr/bin/env python3
"""End-to-end cost of the v2 API against the engine alone, for one problem:
scaled dot-product attention, B=1, H=8, L=S=1024, d=64, not causal, no weights.

  end to end:  tritonclient.http, binary inputs and output, through a running server
  in process:  .build/release/engine-bench --row 1024,full,none (the engine's own median,
               with BENCH_WORKERS workers, as the server has --workers)

Prints a table and the ratio (target: at most 1.3x). Usage, with a release server running:
  scripts/bench-v2.py --url 127.0.0.1:8080 [--workers 2] [--repeats 30]
Run it with the environment of scripts/e2e-v2.sh (.venv-e2e/bin/python), which has tritonclient.
"""
import argparse
import json
import os
import statistics
import subprocess
import time

import numpy as np
import tritonclient.http as triton

B, H, L, S, D = 1, 8, 1024, 1024, 64


def engine_milliseconds(binary, workers):
    environment = dict(os.environ, BENCH_WORKERS=str(workers))
    row = subprocess.run([binary, "--row", f"{L},full,none"], env=environment, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(row)["median_ms"]


def end_to_end_milliseconds(url, repeats):
    client = triton.InferenceServerClient(url=url, network_timeout=120)
    rng = np.random.default_rng(1)
    arrays = {name: rng.uniform(-0.5, 0.5, (B, H, L if name == "query" else S, D)).astype(np.float32)
              for name in ("query", "key", "value")}
    inputs = []
    for name, array in arrays.items():
        tensor = triton.InferInput(name, list(array.shape), "FP32")
        tensor.set_data_from_numpy(array, binary_data=True)
        inputs.append(tensor)
    outputs = [triton.InferRequestedOutput("output", binary_data=True)]
    times = []
    for run in range(repeats + 3):
        start = time.perf_counter()
        result = client.infer("scaled_dot_product_attention", inputs, outputs=outputs)
        output = result.as_numpy("output")
        elapsed = time.perf_counter() - start
        if run >= 3:  # warm-up: connections, first allocations
            times.append(elapsed * 1e3)
    assert output.shape == (B, H, L, D)
    return statistics.median(times), min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="127.0.0.1:8080")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="the server's --workers")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--engine-bench", default=".build/release/engine-bench")
    args = parser.parse_args()

    engine = engine_milliseconds(args.engine_bench, args.workers)
    median, best = end_to_end_milliseconds(args.url, args.repeats)
    megabytes = 4 * (B * H * (L + 2 * S) * D + B * H * L * D) / 1e6
    print(f"\nscaled_dot_product_attention B={B} H={H} L=S={L} d={D}, no weights, {args.workers} workers; "
          f"{megabytes:.1f} MB of tensors per request")
    print("| path | median ms | best ms | ratio to engine |")
    print("|---|---:|---:|---:|")
    print(f"| engine in process (engine-bench) | {engine:.2f} | | 1.00x |")
    print(f"| v2 end to end (tritonclient, binary) | {median:.2f} | {best:.2f} | {median / engine:.2f}x |")
    print(f"\ntarget: at most 1.3x; {'met' if median / engine <= 1.3 else 'NOT met'}")


if __name__ == "__main__":
    main()
