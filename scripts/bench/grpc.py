"""End-to-end cost of OIP over gRPC against the engine alone and the REST binary path, for
the problem of scripts/bench/v2.py: scaled dot-product attention, B=1, H=8, L=S=1024, d=64,
no weights, causal and not.

  engine in process: .build/release/engine-bench --row 1024,{full,causal},none
  gRPC:              a plain grpcio stub generated from Protos/ (raw_input_contents, one
                     channel), the client's own work reduced to serialising the message
  REST binary:       scripts/bench/v2.py's minimal socket client, same tensors

Rounds alternate the three and each row reports the median over rounds of the per-round
medians (the machine is shared). Targets: gRPC at most 1.3x the engine, and not slower than
REST binary. Usage, from the repository root, with a release server running with gRPC:
  .venv-e2e/bin/python -m scripts.bench.grpc --url 127.0.0.1:8080 --grpc-url 127.0.0.1:8081
(the venv needs grpcio-tools: the stubs are generated into a temporary folder at start)
"""
import argparse
import importlib
import os
import statistics
import subprocess
import sys
import tempfile


from scripts import ROOT
from scripts.bench.v2 import B, D, H, L, MODEL, engine_milliseconds, median_milliseconds, problem, raw_call


def stubs():
    """The Python stubs of grpc_predict_v2.proto, generated now (never committed)."""
    folder = tempfile.mkdtemp()
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"--proto_path={os.path.join(ROOT, 'Protos')}",
                    f"--python_out={folder}", f"--grpc_python_out={folder}", "inference/grpc_predict_v2.proto"], check=True)
    # The generated service module imports its messages as `inference.grpc_predict_v2_pb2`.
    sys.path.insert(0, folder)
    return (importlib.import_module("inference.grpc_predict_v2_pb2"),
            importlib.import_module("inference.grpc_predict_v2_pb2_grpc"))


def grpc_call(url, arrays, causal, messages, services):
    import grpc
    channel = grpc.insecure_channel(url, options=[("grpc.max_receive_message_length", 64 << 20),
                                                  ("grpc.max_send_message_length", 64 << 20)])
    stub = services.GRPCInferenceServiceStub(channel)
    request = messages.ModelInferRequest(model_name=MODEL)
    for name, array in arrays.items():
        request.inputs.add(name=name, datatype="FP32", shape=list(array.shape))
        request.raw_input_contents.append(array.tobytes())
    request.outputs.add(name="output")
    request.parameters["causal"].bool_param = causal
    expected = 4 * B * H * L * D

    def call():
        response = stub.ModelInfer(request, timeout=60)
        assert len(response.raw_output_contents[0]) == expected
    return call


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="127.0.0.1:8080", help="HTTP host:port of a release server")
    parser.add_argument("--grpc-url", default="127.0.0.1:8081", help="its gRPC host:port")
    parser.add_argument("--engine-bench", default=os.path.join(ROOT, ".build", "release", "engine-bench"))
    parser.add_argument("--workers", type=int, default=2, help="the server's --workers")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    messages, services = stubs()
    arrays = problem()
    rows = []
    for causal in (False, True):
        grpc_run = grpc_call(args.grpc_url, arrays, causal, messages, services)
        rest_run = raw_call(args.url, arrays) if not causal else None
        engine, grpc_times, rest = [], [], []
        for _ in range(args.rounds):
            engine.append(engine_milliseconds(args.engine_bench, args.workers, "causal" if causal else "full"))
            grpc_times.append(median_milliseconds(grpc_run, args.repeats))
            if rest_run:
                rest.append(median_milliseconds(rest_run, args.repeats))
        rows.append((causal, statistics.median(engine), statistics.median(grpc_times), statistics.median(rest) if rest else None))
    print(f"B={B}, H={H}, L=S={L}, d={D}, no weights; medians of {args.rounds} rounds of {args.repeats} calls\n")
    print("| masking | engine in process ms | gRPC ms | gRPC / engine | REST binary ms | gRPC / REST |")
    print("|---|--:|--:|--:|--:|--:|")
    for causal, engine, grpc_ms, rest in rows:
        rest_cells = f"{rest:.2f} | {grpc_ms / rest:.2f}" if rest else "– | –"
        print(f"| {'causal' if causal else 'none'} | {engine:.2f} | {grpc_ms:.2f} | {grpc_ms / engine:.2f} | {rest_cells} |")


if __name__ == "__main__":
    main()
