"""End-to-end tests of the Open Inference Protocol over gRPC with tritonclient's gRPC client
(unmodified) and grpcio-health-checking, every answer compared with the float64 reference.

Usage, from the repository root (scripts/e2e/grpc.sh starts the servers):
  python3 -m scripts.e2e.grpc_triton --url 127.0.0.1:8081 [--small-url …] [--secure-url … --cert … --key-file …]
--small-url is a server with one worker, no queue and --request-timeout 30, for the statuses of a
full pool and of a call cancelled by its deadline; --secure-url one with TLS and API keys.
"""
import argparse
import sys
import threading
import time
import urllib.request
import json

import grpc
import numpy as np
import tritonclient.grpc as triton
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tritonclient.utils import InferenceServerException

from scripts.e2e import runner
from scripts.e2e.v2_problems import (FAMILY_OUTPUTS, FAMILY_PROBLEMS, MODELS, PROBLEMS, close, rand, sdpa_problem)

TESTS = []


def test(function):
    TESTS.append(function)
    return function


def datatype(array):
    return {np.float32: "FP32", np.float64: "FP64", np.float16: "FP16", np.bool_: "BOOL",
            np.int32: "INT32", np.int64: "INT64"}[array.dtype.type]


def raw_inputs(arrays):
    """NumPy data as tritonclient sends it: raw_input_contents."""
    inputs = []
    for name, array in arrays.items():
        tensor = triton.InferInput(name, list(array.shape), datatype(array))
        tensor.set_data_from_numpy(array)
        inputs.append(tensor)
    return inputs


def expect_status(code, fragment, call):
    try:
        call()
    except InferenceServerException as error:
        assert error.status() == f"StatusCode.{code}", (code, error.status(), error.message())
        assert fragment in error.message(), (fragment, error.message())
        return
    raise AssertionError(f"expected {code} with '{fragment}'")


@test
def health_and_metadata(client, args):
    assert client.is_server_live() and client.is_server_ready()
    metadata = client.get_server_metadata()
    assert metadata.name == "attention-service" and "binary_tensor_data" in metadata.extensions, metadata
    for model in MODELS + list(FAMILY_OUTPUTS):
        assert client.is_model_ready(model) and client.is_model_ready(model, model_version="1")
        described = client.get_model_metadata(model)
        assert described.name == model and list(described.versions) == ["1"]
        assert all(d == -1 for t in list(described.inputs) + list(described.outputs) for d in t.shape), described
    sdpa = client.get_model_metadata("scaled_dot_product_attention")
    assert {i.name: i.datatype for i in sdpa.inputs} == {
        "query": "FP32", "key": "FP32", "value": "FP32", "mask": "BOOL", "bias": "FP32", "key_lengths": "INT32",
        "global_tokens": "INT32", "alibi_slopes": "FP32"}
    assert [o.name for o in sdpa.outputs] == ["output", "weights"]
    expect_status("NOT_FOUND", "no_such_model", lambda: client.get_model_metadata("no_such_model"))


@test
def infer_every_model(client, args):
    for model in MODELS:
        arrays, parameters, out, weights = PROBLEMS[model]()
        result = client.infer(model, raw_inputs(arrays), parameters=parameters or None, request_id=f"g-{model}")
        close(result.as_numpy("output"), out, f"{model} output")
        close(result.as_numpy("weights"), weights, f"{model} weights")
        assert result.get_response().id == f"g-{model}" and result.get_response().model_name == model
    for problem in FAMILY_PROBLEMS:
        model, arrays, parameters, expected = problem()
        result = client.infer(model, raw_inputs(arrays), parameters=parameters)
        for name, value in expected.items():
            close(result.as_numpy(name), value, f"{model} {name}")


@test
def outputs_subset_and_gzip(client, args):
    arrays, _, out, _ = sdpa_problem()
    result = client.infer("scaled_dot_product_attention", raw_inputs(arrays),
                          outputs=[triton.InferRequestedOutput("output")])
    assert [o.name for o in result.get_response().outputs] == ["output"]
    close(result.as_numpy("output"), out, "output alone")
    result = client.infer("scaled_dot_product_attention", raw_inputs(arrays), compression_algorithm="gzip")
    close(result.as_numpy("output"), out, "gzip output")


@test
def masks_lengths_and_window(client, args):
    from scripts import attention_reference as ref
    q, k, v = rand(2, 1, 6, 4), rand(2, 1, 6, 4), rand(2, 1, 6, 4)
    mask = np.random.default_rng(3).random((2, 1, 6, 6)) > 0.3
    lengths = np.array([4, 6], dtype=np.int64)
    out, weights = ref.scaled_dot_product(q, k, v, causal=True, window=(2, 10**9), mask=mask, key_lengths=lengths)
    result = client.infer("scaled_dot_product_attention",
                          raw_inputs({"query": q, "key": k, "value": v, "mask": mask, "key_lengths": lengths}),
                          parameters={"causal": True, "window_left": 2})
    close(result.as_numpy("output"), out, "masked output")
    close(result.as_numpy("weights"), weights, "masked weights")


@test
def errors(client, args):
    arrays, _, _, _ = sdpa_problem()
    expect_status("NOT_FOUND", "no_such_model", lambda: client.infer("no_such_model", raw_inputs(arrays)))
    expect_status("NOT_FOUND", "version 7", lambda: client.infer("scaled_dot_product_attention", raw_inputs(arrays),
                                                                 model_version="7"))
    expect_status("INVALID_ARGUMENT", "needs input 'value'",
                  lambda: client.infer("scaled_dot_product_attention", raw_inputs({"query": arrays["query"], "key": arrays["key"]})))
    expect_status("INVALID_ARGUMENT", "casual", lambda: client.infer("scaled_dot_product_attention", raw_inputs(arrays),
                                                                     parameters={"casual": True}))
    expect_status("INVALID_ARGUMENT", "'mask' must be BOOL",
                  lambda: client.infer("scaled_dot_product_attention", raw_inputs(dict(arrays, mask=rand(5, 7)))))
    # Over --max-body-bytes (8 MiB on this server), within twice it (past that the transport
    # resets the stream before buffering the message).
    big = rand(1, 1, 3 << 16, 4)  # three tensors of 3 MiB
    expect_status("RESOURCE_EXHAUSTED", "--max-body-bytes", lambda: client.infer(
        "scaled_dot_product_attention", raw_inputs({"query": big, "key": big, "value": big})))
    # More weights than --max-weights.
    wide = rand(1, 1, 4200, 4)
    expect_status("RESOURCE_EXHAUSTED", "--max-weights", lambda: client.infer(
        "scaled_dot_product_attention", raw_inputs({"query": wide, "key": wide, "value": wide})))


@test
def grpc_health_service(client, args):
    with grpc.insecure_channel(args.url) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", "inference.GRPCInferenceService"):
            status = stub.Check(health_pb2.HealthCheckRequest(service=service)).status
            assert status == health_pb2.HealthCheckResponse.SERVING, status
        try:
            stub.Check(health_pb2.HealthCheckRequest(service="nope"))
            raise AssertionError("an unknown service was answered")
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.NOT_FOUND, error
        watch = stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=2)
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
        watch.cancel()


def ready_counts(http_url):
    with urllib.request.urlopen(f"http://{http_url}/ready") as answer:
        return json.load(answer)


def wait_for(condition, what, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@test
def full_pool_deadline_and_cancellation(client, args):
    """On the one-worker server: a long call holds the only place, the next is RESOURCE_EXHAUSTED;
    a call cut by its grpc-timeout is DEADLINE_EXCEEDED and frees its place."""
    if not args.small_url:
        return
    small = triton.InferenceServerClient(args.small_url)
    long = rand(1, 1, 1 << 14, 64)
    inputs = raw_inputs({"query": long, "key": long, "value": long})
    outputs = [triton.InferRequestedOutput("output")]
    errors = []

    def hold():
        try:
            small.infer("scaled_dot_product_attention", inputs, outputs=outputs, client_timeout=60)
        except Exception as error:  # reported below
            errors.append(error)

    holder = threading.Thread(target=hold)
    holder.start()
    wait_for(lambda: ready_counts(args.small_http)["running"] == 1, "the long call to run")
    arrays, _, _, _ = sdpa_problem()
    expect_status("RESOURCE_EXHAUSTED", "places", lambda: small.infer("scaled_dot_product_attention", raw_inputs(arrays)))
    holder.join()
    assert not errors, errors
    # A deadline shorter than the work: DEADLINE_EXCEEDED, and the place comes back.
    expect_status("DEADLINE_EXCEEDED", "", lambda: small.infer("scaled_dot_product_attention", inputs, outputs=outputs,
                                                               client_timeout=0.3))
    wait_for(lambda: ready_counts(args.small_http)["admitted"] == 0, "the cancelled call's place to be freed", seconds=5)
    result = small.infer("scaled_dot_product_attention", raw_inputs(arrays))
    assert result.as_numpy("output") is not None


@test
def api_keys_and_tls(client, args):
    if not args.secure_url:
        return
    with open(args.cert, "rb") as file:
        certificate = file.read()
    secure = triton.InferenceServerClient(args.secure_url, ssl=True, root_certificates=args.cert)
    assert secure.is_server_live()  # the probes stay open
    arrays, _, out, _ = sdpa_problem()
    expect_status("UNAUTHENTICATED", "needs an API key", lambda: secure.infer("scaled_dot_product_attention", raw_inputs(arrays)))
    expect_status("UNAUTHENTICATED", "not valid", lambda: secure.infer(
        "scaled_dot_product_attention", raw_inputs(arrays), headers={"authorization": "Bearer wrong"}))
    with open(args.key_file) as file:
        key = file.readline().strip()
    result = secure.infer("scaled_dot_product_attention", raw_inputs(arrays), headers={"authorization": f"Bearer {key}"})
    close(result.as_numpy("output"), out, "output over TLS with a key")
    credentials = grpc.ssl_channel_credentials(root_certificates=certificate)
    with grpc.secure_channel(args.secure_url, credentials) as channel:
        status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest()).status
        assert status == health_pb2.HealthCheckResponse.SERVING, status


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="host:port of the gRPC server")
    parser.add_argument("--small-url", help="gRPC host:port of a server with one worker and no queue")
    parser.add_argument("--small-http", help="HTTP host:port of that server (for /ready's counts)")
    parser.add_argument("--secure-url", help="gRPC host:port of a server with TLS and API keys")
    parser.add_argument("--cert", help="its certificate (PEM)")
    parser.add_argument("--key-file", help="its API keys file")
    parser.add_argument("-k", default="", help="run only tests whose name contains this")
    args = parser.parse_args()
    client = triton.InferenceServerClient(args.url)
    return runner.run(TESTS, client, args, only=args.k)


if __name__ == "__main__":
    sys.exit(main())
