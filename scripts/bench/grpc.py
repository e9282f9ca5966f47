"""End-to-end cost of OIP over gRPC against the engine alone and the REST binary path, for
the problem of scripts/bench/v2.py: scaled dot-product attention, B=1, H=8, L=S=1024, d=64,
no weights, causal and not.

  engine in process: .build/release/engine-bench --row 1024,{full,causal},none
  gRPC stub:         a plain grpcio stub generated from Protos/ (raw_input_contents, one
                     channel), the client's own work reduced to serialising the message
  gRPC raw:          the same channel and method with the message serialised once and sent as
                     bytes (the answer still parsed), as wrk and the REST client below send
                     bytes built once: the server's part without Python protobuf's serialising
                     of 6 MB, which the "serialise" column times alone
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


def infer_request(arrays, causal, messages):
    request = messages.ModelInferRequest(model_name=MODEL)
    for name, array in arrays.items():
        request.inputs.add(name=name, datatype="FP32", shape=list(array.shape))
        request.raw_input_contents.append(array.tobytes())
    request.outputs.add(name="output")
    request.parameters["causal"].bool_param = causal
    return request


def grpc_call(url, arrays, causal, messages, services, serialised_once=False):
    """One call through the generated stub, or, `serialised_once`, through the same channel and
    method with the request's bytes built once (the answer parsed either way)."""
    import grpc
    channel = grpc.insecure_channel(url, options=[("grpc.max_receive_message_length", 64 << 20),
                                                  ("grpc.max_send_message_length", 64 << 20)])
    request = infer_request(arrays, causal, messages)
    expected = 4 * B * H * L * D
    if serialised_once:
        infer = channel.unary_unary("/inference.GRPCInferenceService/ModelInfer",
                                    response_deserializer=messages.ModelInferResponse.FromString)
        request = request.SerializeToString()
    else:
        infer = services.GRPCInferenceServiceStub(channel).ModelInfer

    def call():
        response = infer(request, timeout=60)
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
        request = infer_request(arrays, causal, messages)  # its serialising timed alone
        stub_run = grpc_call(args.grpc_url, arrays, causal, messages, services)
        raw_run = grpc_call(args.grpc_url, arrays, causal, messages, services, serialised_once=True)
        rest_run = raw_call(args.url, arrays) if not causal else None
        times = {"engine": [], "serialise": [], "stub": [], "raw": [], "rest": []}
        for _ in range(args.rounds):
            times["engine"].append(engine_milliseconds(args.engine_bench, args.workers, "causal" if causal else "full"))
            times["serialise"].append(median_milliseconds(request.SerializeToString, args.repeats))
            times["stub"].append(median_milliseconds(stub_run, args.repeats))
            times["raw"].append(median_milliseconds(raw_run, args.repeats))
            if rest_run:
                times["rest"].append(median_milliseconds(rest_run, args.repeats))
        rows.append((causal, {name: statistics.median(t) if t else None for name, t in times.items()}))
    print(f"B={B}, H={H}, L=S={L}, d={D}, no weights; medians of {args.rounds} rounds of {args.repeats} calls\n")
    print("| masking | engine in process ms | client's serialise ms | gRPC stub ms | gRPC raw ms | gRPC raw / engine"
          " | REST binary ms | REST / engine | gRPC raw / REST | gRPC stub / engine |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for causal, t in rows:
        engine, rest = t["engine"], t["rest"]
        rest_cells = f"{rest:.2f} | {rest / engine:.2f} | {t['raw'] / rest:.2f}" if rest else "– | – | –"
        print(f"| {'causal' if causal else 'none'} | {engine:.2f} | {t['serialise']:.2f} | {t['stub']:.2f} | {t['raw']:.2f}"
              f" | {t['raw'] / engine:.2f} | {rest_cells} | {t['stub'] / engine:.2f} |")


if __name__ == "__main__":
    main()
