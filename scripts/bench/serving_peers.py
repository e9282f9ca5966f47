"""This service against two serving peers, one harness, the same v2 binary requests
(issue 21, item 4).

  attention-service  .build/release/attention-server --workers 2 (swift build first, incremental),
                     or --binary
  Triton             PyTriton's tritonserver; the model is a Python function computing
                     torch.nn.functional.scaled_dot_product_attention
  KServe             kserve.ModelServer with a kserve.Model whose predict computes the same

The two peers run PyTorch on 2 threads (torch.set_num_threads, OMP_NUM_THREADS), as the
service has 2 workers. All three serve the model `scaled_dot_product_attention` on free
127.0.0.1 ports and get the same bytes: v2 binary requests (Inference-Header-Content-Length,
raw FP32 query, key and value [B, H, L, d], binary output asked), causal as the request
parameter `causal`. Each answer is checked once against the float64 reference. Cases:

  large        B=1, H=8, L=S=1024, d=64, not causal and causal: one keep-alive connection,
               sequential requests (scripts/bench/v2.py's socket client), median of --repeats
  small        L=S=16, d=16, not causal: wrk -t2 -c32 (--threads, --connections) with a Lua
               script posting the binary body, requests/s over --duration
  in process   PyTorch's SDPA on the large problem in a Python process of its own, 2 threads
               (context: what the peers' own compute costs)

The machine is shared, so rounds alternate the servers, and the table gives the median over
rounds of each round's figure; the ratio is this service's advantage (peer ms / service ms,
service requests/s / peer requests/s), from those medians. Targets (issue 21): at least 1.5x
Triton on the large request, at least 10x its small-request throughput.

Python: Triton's Python backend stub loads the interpreter's libpython3.X.so.1.0, and with
pyenv's 3.11 it failed here, so the peers run in a Python 3.12 venv, by default
.venv-peers/ (git-ignored), made on first use from pyenv's 3.12.1 (BASE_PYTHON) with the
pinned PINS below (torch from the default index: with its CUDA wheels, several GB). The
interpreter's own lib/ folder goes on LD_LIBRARY_PATH. --python takes another interpreter
that has PINS' packages. The whole script re-runs itself under that interpreter.

  python3 -m scripts.bench.serving_peers [--rounds 3] [--repeats 10] [--duration 5]
"""
import argparse
import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from scripts import ROOT
from scripts.bench.saturation import free_port

PINS = ["nvidia-pytriton==0.7.0", "kserve==0.21.0", "torch==2.15.0", "numpy==1.26.4"]
VENV = os.path.join(ROOT, ".venv-peers")
BASE_PYTHON = "/root/.pyenv/versions/3.12.1/bin/python3.12"
SERVICE = os.path.join(ROOT, ".build", "release", "attention-server")
THREADS = 2
SMALL = 16  # L = S = d of the small request
SERVICE_NAME, TRITON, KSERVE = "attention-service", "Triton (PyTriton) + PyTorch SDPA", "KServe ModelServer + PyTorch SDPA"
CASES = [("large, not causal", False), ("large, causal", True)]


def peer_environment(python):
    """OMP threads, and the interpreter's lib/ (its libpython) on LD_LIBRARY_PATH for Triton's stub."""
    libdir = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_config_var('LIBDIR'))"],
                            check=True, capture_output=True, text=True).stdout.strip()
    paths = [libdir] + [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p]
    return dict(os.environ, OMP_NUM_THREADS=str(THREADS), LD_LIBRARY_PATH=":".join(paths))


def ensure_venv():
    """.venv-peers with PINS, made or completed now; returns its python."""
    python = os.path.join(VENV, "bin", "python")
    marker = os.path.join(VENV, "pins.txt")
    if os.path.exists(marker) and open(marker).read() == "\n".join(PINS):
        return python
    if not os.path.exists(python):
        subprocess.run([BASE_PYTHON, "-m", "venv", VENV], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", *PINS], check=True)
    with open(marker, "w") as file:
        file.write("\n".join(PINS))
    return python


# ---- the peers' model: PyTorch SDPA, in the child processes -------------------------------

def sdpa(query, key, value, causal):
    import torch
    with torch.inference_mode():
        tensors = (torch.from_numpy(a) for a in (query, key, value))
        return torch.nn.functional.scaled_dot_product_attention(*tensors, is_causal=causal).numpy()


def torch_threads():
    import torch
    torch.set_num_threads(THREADS)


def serve_triton(port, workspace):
    import numpy as np
    from pytriton.model_config import ModelConfig, Tensor
    from pytriton.triton import Triton, TritonConfig
    from scripts.bench.v2 import MODEL
    torch_threads()

    def infer(requests):
        return [{"output": sdpa(r["query"], r["key"], r["value"], bool(r.parameters.get("causal", False)))}
                for r in requests]

    config = TritonConfig(http_address="127.0.0.1", http_port=port, grpc_address="127.0.0.1",
                          grpc_port=free_port(), metrics_port=free_port(), allow_metrics=False)
    shape = (-1, -1, -1, -1)
    with Triton(config=config, workspace=workspace) as triton:  # in the harness's temporary folder
        triton.bind(model_name=MODEL, infer_func=infer,
                    inputs=[Tensor(name=n, dtype=np.float32, shape=shape) for n in ("query", "key", "value")],
                    outputs=[Tensor(name="output", dtype=np.float32, shape=shape)],
                    config=ModelConfig(batching=False))
        triton.serve()


def serve_kserve(port):
    import kserve
    import uvicorn
    from scripts.bench.v2 import MODEL
    torch_threads()

    class LoopbackConfig(uvicorn.Config):  # kserve's REST server binds 0.0.0.0 with no option
        def __init__(self, *args, **options):
            super().__init__(*args, **(options | {"host": "127.0.0.1"}))
    uvicorn.Config = LoopbackConfig

    class Attention(kserve.Model):
        def __init__(self):
            super().__init__(MODEL)
            self.ready = True

        def predict(self, request, headers=None, response_headers=None):
            query, key, value = (request.get_input_by_name(n).as_numpy() for n in ("query", "key", "value"))
            output = sdpa(query, key, value, bool((request.parameters or {}).get("causal", False)))
            result = kserve.InferOutput(name="output", shape=list(output.shape), datatype="FP32")
            result.set_data_from_numpy(output, binary_data=True)
            return kserve.InferResponse(response_id=request.id or "0", model_name=MODEL, infer_outputs=[result],
                                        use_binary_outputs=request.use_binary_outputs,
                                        requested_outputs=request.request_outputs)  # binary as asked

    kserve.ModelServer(http_port=port, grpc_port=free_port(), enable_grpc=False, workers=1).start([Attention()])


def in_process(repeats):
    """PyTorch SDPA on the large problem, this process, 2 threads: JSON {case: median ms}."""
    from scripts.bench.v2 import median_milliseconds, problem
    torch_threads()
    arrays = problem()
    print(json.dumps({name: median_milliseconds(lambda: sdpa(*arrays.values(), causal), repeats) for name, causal in CASES}))


# ---- the harness ----------------------------------------------------------------------------

def start(stack, folder, command, port, environment=None, ready=None):
    """Starts a server in its own process group (stopped with the stack); waits until `ready`
    (a path) answers 200, by default the v2 readiness of the attention model."""
    if ready is None:
        from scripts.bench.v2 import MODEL
        ready = f"/v2/models/{MODEL}/ready"
    log = open(os.path.join(folder, f"server-{port}.log"), "w+")
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    stack.callback(stop, process)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready}", timeout=2) as answer:
                if answer.status == 200:
                    return f"127.0.0.1:{port}"
        time.sleep(0.5)
    log.seek(0)
    sys.stderr.writelines(log.readlines()[-30:])
    sys.exit(f"{command} exited ({process.returncode}) or was not ready after 600 s")


def stop(process):
    """SIGTERM to the server's process group (tritonserver and the stubs too), then SIGKILL."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def check(url, arrays, causal):
    """One request; its output against the float64 reference."""
    import numpy as np
    from scripts.attention_reference import scaled_dot_product
    from scripts.bench.v2 import raw_call
    body = raw_call(url, arrays, parameters={"causal": True} if causal else None)()
    query = arrays["query"]
    output = np.frombuffer(body[-query.nbytes // query.shape[-1] * arrays["value"].shape[-1]:], np.float32)
    expected = scaled_dot_product(*(a.astype(np.float64) for a in arrays.values()), causal=causal)[0]
    error = np.abs(output - expected.ravel()).max()
    assert error < 1e-4, f"{url}: largest error {error}"


def wrk_requests_per_second(url, script, args):
    text = subprocess.run(["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "-s", script,
                           f"http://{url}/v2/models/scaled_dot_product_attention/infer"],
                          check=True, capture_output=True, text=True, timeout=args.duration + 60).stdout
    failures = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    assert not failures, f"{url}: {failures.group(0)}"
    errors = re.search(r"Socket errors: .*", text)  # connect, read, write, timeout
    if errors:
        print(f"{url}: wrk {errors.group(0)}", file=sys.stderr)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))


def wrk_script(folder, arrays):
    """A Lua script for wrk that posts the small request's binary body, read from a file."""
    from scripts.bench.v2 import binary_body
    body, header_length = binary_body(arrays)
    path = os.path.join(folder, "small.bin")
    with open(path, "wb") as file:
        file.write(body)
    script = os.path.join(folder, "small.lua")
    with open(script, "w") as file:
        file.write(f'local file = assert(io.open("{path}", "rb"))\nwrk.method = "POST"\nwrk.body = file:read("*a")\n'
                   f'file:close()\nwrk.headers["Content-Type"] = "application/octet-stream"\n'
                   f'wrk.headers["Inference-Header-Content-Length"] = "{header_length}"\n')
    return script


def run(args):
    from scripts.bench.v2 import median_milliseconds, problem, raw_call
    python = sys.executable
    environment = peer_environment(python)
    large, small = problem(), problem(SMALL, SMALL)
    load = load_average()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("SIGTERM"))  # the servers are stopped on the way out
    service = args.binary
    if not service:  # incremental: the binary of this tree
        subprocess.run(["swift", "build", "-c", "release", "--product", "attention-server"], cwd=ROOT, check=True,
                       stdout=sys.stderr)
        service = SERVICE
    me = [python, "-m", "scripts.bench.serving_peers"]
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:  # servers stopped first
        urls = {}
        port = free_port()
        urls[SERVICE_NAME] = start(stack, folder, [service, "--host", "127.0.0.1", "--port", str(port), "--workers", str(THREADS),
                                           "--log-level", "warning"], port, dict(os.environ, ATTENTION_GRPC_PORT=str(free_port())))
        for name, kind in ((TRITON, "triton"), (KSERVE, "kserve")):
            port = free_port()
            urls[name] = start(stack, folder, me + ["--serve", kind, "--port", str(port), "--workspace",
                                                    os.path.join(folder, "triton")], port, environment)
        for url in urls.values():
            for arrays, causal in ((small, False), (large, False), (large, True)):
                check(url, arrays, causal)
        script = wrk_script(folder, small)
        rounds = {(name, case): [] for name in [*urls, "PyTorch SDPA in process"] for case, _ in CASES}
        rounds |= {(name, "small"): [] for name in urls}
        for round_number in range(args.rounds):
            for name, url in urls.items():
                for case, causal in CASES:
                    call = raw_call(url, large, parameters={"causal": True} if causal else None)
                    rounds[name, case].append(median_milliseconds(call, args.repeats))
                rounds[name, "small"].append(wrk_requests_per_second(url, script, args))
                print(f"round {round_number + 1}, {name}: " + ", ".join(
                    f"{case} {rounds[name, case][-1]:.1f}" for case in [c for c, _ in CASES] + ["small"])
                    + f"; load average {load_average()}", file=sys.stderr)
            inside = json.loads(subprocess.run(me + ["--in-process", "--repeats", str(args.repeats)], env=environment,
                                               cwd=ROOT, check=True, capture_output=True, text=True).stdout)
            for case, value in inside.items():
                rounds["PyTorch SDPA in process", case].append(value)
    report(rounds, list(urls), args, load)


def load_average():
    with open("/proc/loadavg") as file:
        return " ".join(file.read().split()[:3])


def report(rounds, servers, args, load):
    medians = {key: statistics.median(values) for key, values in rounds.items()}
    print(f"\n{args.rounds} rounds alternated, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{os.cpu_count()} cores, load average {load} at the start, {load_average()} at the end; "
          f"large: B=1, H=8, L=S=1024, d=64, median of {args.repeats} sequential requests on one connection; "
          f"small: L=S=d={SMALL}, wrk -t{args.threads} -c{args.connections} -d{args.duration}s\n")
    print("| server | large, not causal: ms | × | large, causal: ms | × | small: requests/s | × |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    for name in servers + ["PyTorch SDPA in process"]:
        cells = []
        for case, _ in CASES:
            cells += [f"{medians[name, case]:.1f}", f"{medians[name, case] / medians[SERVICE_NAME, case]:.2f}"]
        small = medians.get((name, "small"))
        cells += [f"{small:.0f}", f"{medians[SERVICE_NAME, 'small'] / small:.1f}"] if small else ["–", "–"]
        print(f"| {name} | {' | '.join(cells)} |")
    print("\n× = this service's advantage: the peer's ms / this service's ms; this service's requests/s / the peer's.")
    for case, target in [(case, 1.5) for case, _ in CASES] + [("small", 10)]:
        ratio = medians[TRITON, case] / medians[SERVICE_NAME, case]
        each = [triton / service for triton, service in zip(rounds[TRITON, case], rounds[SERVICE_NAME, case])]
        if case == "small":  # requests/s: the service's over Triton's
            ratio, each = 1 / ratio, [1 / r for r in each]
        print(f"target, {case}: at least {target}x Triton: {'met' if ratio >= target else 'NOT met'} ({ratio:.2f}x; "
              f"each round: {', '.join(f'{r:.2f}' for r in each)})")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", help="an interpreter with PINS' packages (default: .venv-peers, made if missing)")
    parser.add_argument("--binary", help="a built attention-server (default: build this tree's, incremental)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=10, help="large requests per server, case and round")
    parser.add_argument("--duration", type=int, default=5, help="seconds of wrk per server and round")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--serve", choices=["triton", "kserve"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workspace", help=argparse.SUPPRESS)
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "triton":
        serve_triton(args.port, args.workspace)
    elif args.serve == "kserve":
        serve_kserve(args.port)
    elif args.in_process:
        in_process(args.repeats)
    else:
        python = args.python or ensure_venv()
        prefix = subprocess.run([python, "-c", "import sys; print(sys.prefix)"], check=True, capture_output=True,
                                text=True).stdout.strip()
        if sys.prefix != prefix:  # not in that interpreter yet: run there
            os.execv(python, [python, "-m", "scripts.bench.serving_peers", *sys.argv[1:]])
        run(args)


if __name__ == "__main__":
    main()
