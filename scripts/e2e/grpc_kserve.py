"""End-to-end tests of the Open Inference Protocol over gRPC with the KServe SDK's
InferenceGRPCClient (unmodified): NumPy data (raw_input_contents) and Python lists (typed
contents), every answer compared with the float64 reference. Runs in a process of its own:
the SDK registers the same `inference` protobuf package as tritonclient's gRPC module.

Usage, from the repository root (scripts/e2e/grpc.sh starts the server):
  python3 -m scripts.e2e.grpc_kserve --url 127.0.0.1:8081
"""
import argparse
import asyncio
import sys

import grpc
import numpy as np
from kserve import InferenceGRPCClient, InferInput, InferRequest
from kserve.protocol.infer_type import RequestedOutput

from scripts.e2e import runner
from scripts.e2e.v2_problems import FAMILY_PROBLEMS, MODELS, PROBLEMS, close, sdpa_problem

TESTS = []


def test(function):
    TESTS.append(function)
    return function


def datatype(array):
    return {np.float32: "FP32", np.float64: "FP64", np.bool_: "BOOL", np.int32: "INT32", np.int64: "INT64"}[array.dtype.type]


def inputs(arrays, typed):
    """Typed contents from flat Python lists (what KServe sends for lists), or raw NumPy bytes."""
    if typed:
        return [InferInput(name, list(a.shape), datatype(a), a.reshape(-1).tolist()) for name, a in arrays.items()]
    return [InferInput(name, list(a.shape), datatype(a), a) for name, a in arrays.items()]


@test
async def health(client, args):
    assert await client.is_server_live() is True
    assert await client.is_server_ready() is True
    for model in MODELS:
        assert await client.is_model_ready(model) is True


@test
async def infer_every_model_raw_and_typed(client, args):
    for model in MODELS:
        arrays, parameters, out, weights = PROBLEMS[model]()
        for typed in (False, True):
            request = InferRequest(model, inputs(arrays, typed), request_id=f"k-{model}", parameters=parameters or None)
            response = await client.infer(request)
            assert response.id == f"k-{model}", response.id
            by_name = {o.name: o.as_numpy() for o in response.outputs}
            close(by_name["output"], out, f"{model} output (typed={typed})")
            close(by_name["weights"], weights, f"{model} weights (typed={typed})")
    for problem in FAMILY_PROBLEMS:
        model, arrays, parameters, expected = problem()
        if any(isinstance(value, float) for value in parameters.values()):
            continue  # the SDK's to_grpc_parameters takes bool, int and str only (tritonclient's test sends these)
        response = await client.infer(InferRequest(model, inputs(arrays, True), parameters=parameters))
        by_name = {o.name: o.as_numpy() for o in response.outputs}
        for name, value in expected.items():
            close(by_name[name], value, f"{model} {name} (typed)")


@test
async def outputs_subset_and_errors(client, args):
    arrays, _, out, _ = sdpa_problem()
    request = InferRequest("scaled_dot_product_attention", inputs(arrays, False), request_outputs=[RequestedOutput("output")])
    response = await client.infer(request)
    assert [o.name for o in response.outputs] == ["output"]
    close(response.outputs[0].as_numpy(), out, "output alone")
    for model, request, code, fragment in [
        ("nope", InferRequest("nope", inputs(arrays, False)), grpc.StatusCode.NOT_FOUND, "nope"),
        ("sdpa", InferRequest("scaled_dot_product_attention", inputs(arrays, True), parameters={"causal": "yes"}),
         grpc.StatusCode.INVALID_ARGUMENT, "`causal` must be a boolean"),
    ]:
        try:
            await client.infer(request)
        except grpc.aio.AioRpcError as error:
            assert error.code() == code and fragment in error.details(), (model, error.code(), error.details())
        else:
            raise AssertionError(f"{model}: expected {code}")


async def run(args):
    async with InferenceGRPCClient(url=args.url, retries=2) as client:
        return await runner.run_async(TESTS, client, args, only=args.k, prefix="kserve_")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="host:port of the gRPC server")
    parser.add_argument("-k", default="", help="run only tests whose name contains this")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
