"""End-to-end tests of the Open Inference Protocol (KServe v2) API with two real clients,
tritonclient's InferenceServerClient (HTTP) and the KServe SDK's InferenceRESTClient,
plus raw HTTP for what neither client can send (malformed bodies, bombs).

Every numeric answer is compared with the NumPy float64 reference, scripts/attention_reference.
Usage, from the repository root: python3 -m scripts.e2e.v2 --url 127.0.0.1:8080
(scripts/e2e/v2.sh builds, starts and stops the server)
"""
import argparse
import asyncio
import gzip
import http.client
import json
import socket
import sys
import zlib

import numpy as np
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException
from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig
from kserve.protocol.infer_type import RequestedOutput

from scripts import attention_reference as ref
from scripts.e2e import runner
from scripts.e2e.v2_problems import (FAMILY_OUTPUTS, FAMILY_PROBLEMS, MODELS, PROBLEMS, additive_problem, close,
                                     decoder_problem, encoder_problem, local_problem, mha_problem, rand, rng,
                                     sdpa_positions_problem, sdpa_problem)

TESTS = []


def test(function):
    TESTS.append(function)
    return function


def triton_type(array):
    return {np.float32: "FP32", np.float64: "FP64", np.float16: "FP16", np.bool_: "BOOL",
            np.int32: "INT32", np.int64: "INT64"}[array.dtype.type]


def triton_inputs(arrays, binary):
    inputs = []
    for name, array in arrays.items():
        tensor = triton.InferInput(name, list(array.shape), triton_type(array))
        tensor.set_data_from_numpy(array, binary_data=binary)
        inputs.append(tensor)
    return inputs


# ---------------------------------------------------------------------------------------
# Health and metadata

@test
def triton_health_and_server_metadata(client, args):
    assert client.is_server_live()
    assert client.is_server_ready()
    metadata = client.get_server_metadata()
    assert metadata["name"] == "attention-service", metadata
    assert isinstance(metadata["version"], str)
    assert "binary_tensor_data" in metadata["extensions"], metadata


@test
def triton_model_readiness_and_metadata(client, args):
    for model in MODELS:
        assert client.is_model_ready(model)
        assert client.is_model_ready(model, model_version="1")
        metadata = client.get_model_metadata(model)
        assert metadata["name"] == model and metadata["versions"] == ["1"], metadata
        assert [o["name"] for o in metadata["outputs"]] == ["output", "weights"]
        for tensor in metadata["inputs"] + metadata["outputs"]:
            assert all(d == -1 for d in tensor["shape"]), tensor
            assert tensor["datatype"] in {"FP32", "BOOL", "INT32"}, tensor
        assert client.get_model_metadata(model, model_version="1") == metadata
    sdpa = client.get_model_metadata("scaled_dot_product_attention")
    assert {i["name"]: i["datatype"] for i in sdpa["inputs"]} == {
        "query": "FP32", "key": "FP32", "value": "FP32", "mask": "BOOL", "bias": "FP32", "key_lengths": "INT32",
        "global_tokens": "INT32", "alibi_slopes": "FP32"}
    assert not client.is_model_ready("no_such_model")


@test
def kserve_health(client, args):
    async def run():
        async with InferenceRESTClient(RESTConfig(protocol="v2")) as rest:
            base = f"http://{args.url}"
            assert await rest.is_server_live(base) is True
            assert await rest.is_server_ready(base) is True
            for model in MODELS:
                assert await rest.is_model_ready(base, model)
            assert not await rest.is_model_ready(base, "no_such_model")
    asyncio.run(run())


@test
def raw_health_bodies(client, args):
    for path, body in [("/v2/health/live", {"live": True}), ("/v2/health/ready", {"ready": True})]:
        status, headers, data = raw(args, "GET", path)
        assert status == 200 and json.loads(data) == body, (path, status, data)


# ---------------------------------------------------------------------------------------
# Inference through tritonclient

@test
def triton_infer_every_model_json_and_binary(client, args):
    for model in MODELS:
        arrays, parameters, out, weights = PROBLEMS[model]()
        for binary in (False, True):
            outputs = [triton.InferRequestedOutput(n, binary_data=binary) for n in ("output", "weights")]
            result = client.infer(model, triton_inputs(arrays, binary), outputs=outputs,
                                  parameters=parameters or None, request_id=f"{model}-{binary}")
            close(result.as_numpy("output"), out, f"{model} output (binary={binary})")
            close(result.as_numpy("weights"), weights, f"{model} weights (binary={binary})")
            assert result.get_response()["id"] == f"{model}-{binary}"
            assert result.get_response()["model_name"] == model


@test
def triton_default_outputs_are_binary(client, args):
    # No `outputs`: tritonclient sets binary_data_output and expects every output.
    arrays, parameters, out, weights = sdpa_problem()
    result = client.infer("scaled_dot_product_attention", triton_inputs(arrays, True), model_version="1")
    close(result.as_numpy("output"), out, "output")
    close(result.as_numpy("weights"), weights, "weights")
    assert all("binary_data_size" in o["parameters"] for o in result.get_response()["outputs"])


@test
def triton_outputs_subset(client, args):
    arrays, _, out, _ = sdpa_problem()
    result = client.infer("scaled_dot_product_attention", triton_inputs(arrays, True),
                          outputs=[triton.InferRequestedOutput("output", binary_data=True)])
    close(result.as_numpy("output"), out, "output")
    assert result.as_numpy("weights") is None
    assert [o["name"] for o in result.get_response()["outputs"]] == ["output"]


@test
def triton_masks_lengths_and_parameters(client, args):
    q, k, v = rand(2, 1, 6, 4), rand(2, 1, 6, 4), rand(2, 1, 6, 4)
    mask = rng.random((2, 1, 6, 6)) > 0.3
    bias = rand(1, 1, 6, 6)
    for dtype in (np.int32, np.int64):
        lengths = np.array([4, 6], dtype=dtype)
        arrays = {"query": q, "key": k, "value": v, "mask": mask, "bias": bias, "key_lengths": lengths}
        parameters = {"causal": True, "causal_alignment": "bottom_right", "window_left": 2, "scale": 0.7}
        out, weights = ref.scaled_dot_product(q, k, v, scale=0.7, bias=bias, causal=True, alignment="bottom_right",
                                              window=(2, 10**9), mask=mask, key_lengths=lengths)
        for binary in (False, True):
            result = client.infer("scaled_dot_product_attention", triton_inputs(arrays, binary), parameters=parameters)
            close(result.as_numpy("output"), out, f"masked output ({dtype.__name__}, binary={binary})")
            close(result.as_numpy("weights"), weights, f"masked weights ({dtype.__name__}, binary={binary})")


@test
def triton_fp64_and_fp16_inputs_are_converted(client, args):
    q, k, v = rand(3, 4), rand(5, 4), rand(5, 2)
    for dtype, tolerance in ((np.float64, 2e-4), (np.float16, 2e-4)):
        arrays = {"query": q.astype(dtype), "key": k.astype(dtype), "value": v.astype(dtype)}
        # The reference sees the same rounded inputs the server does.
        out, weights = ref.scaled_dot_product(*(arrays[n].astype(np.float64)[None, None] for n in ("query", "key", "value")))
        result = client.infer("scaled_dot_product_attention", triton_inputs(arrays, True))
        close(result.as_numpy("output"), out[0, 0], f"{dtype.__name__} output", tolerance)
        close(result.as_numpy("weights"), weights[0, 0], f"{dtype.__name__} weights", tolerance)


@test
def triton_multi_head_per_head_weights_and_self_attention(client, args):
    x = rand(1, 4, 8)
    w = {"w_q": rand(8, 8) * 0.3, "w_k": rand(8, 8) * 0.3, "w_v": rand(8, 8) * 0.3}
    out, weights = ref.multi_head(x, None, None, num_heads=2, weights_mode="per_head", causal=True, **w)
    result = client.infer("multi_head_attention", triton_inputs({"query": x, **w}, True),
                          parameters={"num_heads": 2, "weights_mode": "per_head", "causal": True})
    close(result.as_numpy("output"), out, "output")
    close(result.as_numpy("weights"), weights, "per-head weights")


@test
def triton_compressed_requests_and_responses(client, args):
    for model in MODELS:
        arrays, parameters, out, weights = PROBLEMS[model]()
        for algorithm in ("gzip", "deflate"):
            for binary in (False, True):
                result = client.infer(model, triton_inputs(arrays, binary), parameters=parameters or None,
                                      outputs=[triton.InferRequestedOutput(n, binary_data=binary) for n in ("output", "weights")],
                                      request_compression_algorithm=algorithm, response_compression_algorithm=algorithm)
                close(result.as_numpy("output"), out, f"{model} {algorithm} output (binary={binary})")
                close(result.as_numpy("weights"), weights, f"{model} {algorithm} weights (binary={binary})")


@test
def triton_errors(client, args):
    def expect(status, fragment, call):
        try:
            call()
        except InferenceServerException as error:
            assert error.status() == str(status) or str(status) in str(error.status()), (status, error.status(), error.message())
            assert fragment in error.message(), (fragment, error.message())
            return
        raise AssertionError(f"expected {status} with '{fragment}'")

    arrays, _, _, _ = sdpa_problem()
    expect(404, "no_such_model", lambda: client.infer("no_such_model", triton_inputs(arrays, True)))
    expect(404, "version 7", lambda: client.infer("scaled_dot_product_attention", triton_inputs(arrays, True), model_version="7"))
    bad = dict(arrays, key=rand(2, 2, 7, 5))
    expect(400, "key", lambda: client.infer("scaled_dot_product_attention", triton_inputs(bad, True)))
    expect(400, "'mask' must be BOOL", lambda: client.infer(
        "scaled_dot_product_attention", triton_inputs(dict(arrays, mask=rand(5, 7)), True)))
    expect(400, "casual", lambda: client.infer("scaled_dot_product_attention", triton_inputs(arrays, True), parameters={"casual": True}))
    expect(400, "'values'", lambda: client.infer(
        "scaled_dot_product_attention", triton_inputs({"query": arrays["query"], "key": arrays["key"], "values": arrays["value"]}, True)))
    expect(400, "num_heads", lambda: client.infer("multi_head_attention", triton_inputs(mha_problem()[0], True)))


# ---------------------------------------------------------------------------------------
# Inference through the KServe SDK

@test
def kserve_infer_every_model_json_and_binary(client, args):
    async def run():
        async with InferenceRESTClient(RESTConfig(protocol="v2")) as rest:
            for model in MODELS:
                arrays, parameters, out, weights = PROBLEMS[model]()
                for binary in (False, True):
                    inputs = []
                    for name, array in arrays.items():
                        tensor = InferInput(name, list(array.shape), triton_type(array))
                        tensor.set_data_from_numpy(array, binary_data=binary)
                        inputs.append(tensor)
                    outputs = [RequestedOutput(n, {"binary_data": binary}) for n in ("output", "weights")]
                    request = InferRequest(model, inputs, request_id=f"k-{model}", parameters=parameters or None,
                                           request_outputs=outputs)
                    response = await rest.infer(f"http://{args.url}", request, model_name=model)
                    assert response.id == f"k-{model}"
                    by_name = {o.name: o.as_numpy() for o in response.outputs}
                    close(by_name["output"], out, f"kserve {model} output (binary={binary})")
                    close(by_name["weights"], weights, f"kserve {model} weights (binary={binary})")
    asyncio.run(run())


@test
def kserve_outputs_subset_and_error(client, args):
    async def run():
        async with InferenceRESTClient(RESTConfig(protocol="v2")) as rest:
            arrays, _, out, _ = additive_problem()
            inputs = [InferInput(n, list(a.shape), "FP32", a) for n, a in arrays.items()]
            request = InferRequest("additive_attention", inputs, request_outputs=[RequestedOutput("output")])
            response = await rest.infer(f"http://{args.url}", request, model_name="additive_attention")
            assert [o.name for o in response.outputs] == ["output"]
            close(response.outputs[0].as_numpy(), out, "kserve additive output")
            try:
                await rest.infer(f"http://{args.url}", InferRequest("nope", inputs), model_name="nope")
            except Exception as error:  # httpx.HTTPStatusError carrying the server's message
                assert "404" in str(error) and "nope" in str(error), str(error)
            else:
                raise AssertionError("unknown model answered")
    asyncio.run(run())


@test
def triton_family_metadata(client, args):
    for model, outputs in FAMILY_OUTPUTS.items():
        assert client.is_model_ready(model)
        metadata = client.get_model_metadata(model)
        assert [o["name"] for o in metadata["outputs"]] == outputs, metadata
        assert all(d == -1 for t in metadata["inputs"] + metadata["outputs"] for d in t["shape"]), metadata
    assert [i["name"] for i in client.get_model_metadata("positional_encoding")["inputs"]] == ["add_to"]
    decoder = {i["name"]: i["datatype"] for i in client.get_model_metadata("transformer_decoder_layer")["inputs"]}
    assert decoder["memory_mask"] == "BOOL" and decoder["memory_key_lengths"] == "INT32" and decoder["cross_w_q"] == "FP32"


@test
def triton_family_json_and_binary(client, args):
    for problem in FAMILY_PROBLEMS:
        model, arrays, parameters, expected = problem()
        for binary in (False, True):
            outputs = [triton.InferRequestedOutput(n, binary_data=binary) for n in expected]
            result = client.infer(model, triton_inputs(arrays, binary), outputs=outputs, parameters=parameters)
            for name, value in expected.items():
                close(result.as_numpy(name), value, f"{problem.__name__} {name} (binary={binary})")


@test
def triton_positional_encoding_without_inputs(client, args):
    result = client.infer("positional_encoding", [], parameters={"length": 5, "dim": 4})
    close(result.as_numpy("encoding"), ref.sinusoidal(5, 4), "encoding")


@test
def kserve_family_models(client, args):
    async def run():
        async with InferenceRESTClient(RESTConfig(protocol="v2")) as rest:
            for problem in (local_problem, decoder_problem):
                model, arrays, parameters, expected = problem()
                inputs = [InferInput(n, list(a.shape), triton_type(a), a) for n, a in arrays.items()]
                request = InferRequest(model, inputs, parameters=parameters,
                                       request_outputs=[RequestedOutput(n) for n in expected])
                response = await rest.infer(f"http://{args.url}", request, model_name=model)
                by_name = {o.name: o.as_numpy() for o in response.outputs}
                for name, value in expected.items():
                    close(by_name[name], value, f"kserve {model} {name}")
    asyncio.run(run())


@test
def triton_family_errors(client, args):
    def expect(fragment, model, arrays, parameters):
        try:
            client.infer(model, triton_inputs(arrays, True), parameters=parameters)
        except InferenceServerException as error:
            assert "400" in str(error.status()), (error.status(), error.message())
            assert fragment in error.message(), (fragment, error.message())
            return
        raise AssertionError(f"expected 400 with '{fragment}'")

    _, local, local_parameters, _ = local_problem()
    expect("half_window", "local_attention", local, {"alignment": "predictive", "score": "concat"})
    expect("\"monotonic\" or \"predictive\"", "local_attention", local, dict(local_parameters, alignment="diagonal"))
    expect("`w_p` applies only", "local_attention", local, dict(local_parameters, alignment="monotonic"))
    _, sdpa, sdpa_parameters, _ = sdpa_positions_problem()
    expect("alibi_slopes", "scaled_dot_product_attention", dict(sdpa, alibi_slopes=rand(3)),
           {k: v for k, v in sdpa_parameters.items() if k != "alibi"})
    expect("rope = true", "scaled_dot_product_attention", sdpa, dict(sdpa_parameters, rope=False))
    expect("softcap", "scaled_dot_product_attention", sdpa, dict(sdpa_parameters, softcap=-1.0))
    _, decoder, decoder_parameters, _ = decoder_problem()
    expect("cross_w_k", "transformer_decoder_layer", dict(decoder, cross_w_k=rand(7, 8)), decoder_parameters)
    expect("num_heads", "transformer_encoder_layer", encoder_problem()[1], {})


# ---------------------------------------------------------------------------------------
# Raw HTTP: nested data, no Content-Type, binary framing, errors clients never send

def raw(args, method, path, body=None, headers=None):
    host, port = args.url.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data


def infer_raw(args, request, binary=b"", headers=None, model="scaled_dot_product_attention"):
    header = json.dumps(request).encode()
    headers = dict(headers or {})
    if binary:
        headers["Inference-Header-Content-Length"] = str(len(header))
    return raw(args, "POST", f"/v2/models/{model}/infer", header + binary, headers)


def expect_error(answer, status, fragment):
    code, headers, data = answer
    assert code == status, (code, status, data[:300])
    assert headers.get("content-type") == "application/json", headers
    message = json.loads(data)["error"]
    assert fragment in message, (fragment, message)
    return message


@test
def raw_nested_data_without_content_type(client, args):
    q, k, v = rand(2, 3), rand(4, 3), rand(4, 2)
    out, weights = ref.scaled_dot_product(q[None, None], k[None, None], v[None, None])
    request = {"id": "nested", "inputs": [
        {"name": "query", "shape": [2, 3], "datatype": "FP32", "data": q.tolist()},
        {"name": "key", "shape": [4, 3], "datatype": "FP32", "data": k.tolist()},
        {"name": "value", "shape": [4, 2], "datatype": "FP32", "data": v.flatten().tolist()}],
        "outputs": [{"name": "weights"}]}
    status, headers, data = infer_raw(args, request)
    assert status == 200, data
    answer = json.loads(data)
    assert answer["id"] == "nested" and [o["name"] for o in answer["outputs"]] == ["weights"]
    weights_out = answer["outputs"][0]
    assert weights_out["shape"] == [4 // 2, 4] and weights_out["datatype"] == "FP32"
    close(np.array(weights_out["data"]).reshape(weights_out["shape"]), weights[0, 0], "nested weights")


@test
def raw_binary_errors_before_allocation(client, args):
    q = rand(2, 3)
    good = {"name": "query", "shape": [2, 3], "datatype": "FP32", "parameters": {"binary_data_size": 24}}
    rest = [{"name": "key", "shape": [2, 3], "datatype": "FP32", "data": q.flatten().tolist()},
            {"name": "value", "shape": [2, 3], "datatype": "FP32", "data": q.flatten().tolist()}]
    # binary_data_size disagrees with shape × datatype.
    expect_error(infer_raw(args, {"inputs": [dict(good, parameters={"binary_data_size": 20})] + rest}, q.tobytes()[:20]),
                 400, "binary_data_size is 20")
    # An element count that overflows 64 bits.
    huge = dict(good, shape=[2**40, 2**40], parameters={"binary_data_size": 24})
    expect_error(infer_raw(args, {"inputs": [huge] + rest}, q.tobytes()), 400, "overflows")
    # More declared than sent, and bytes left over.
    expect_error(infer_raw(args, {"inputs": [good] + rest}, q.tobytes()[:16]), 400, "only 16 bytes remain")
    expect_error(infer_raw(args, {"inputs": [good] + rest}, q.tobytes() + b"xx"), 400, "declare 24")
    # Header longer than the body.
    status, _, data = raw(args, "POST", "/v2/models/scaled_dot_product_attention/infer", b"{}",
                          {"Inference-Header-Content-Length": "99"})
    assert status == 400 and b"only 2 bytes" in data, data
    # JSON data count disagreeing with the shape.
    expect_error(infer_raw(args, {"inputs": [dict(rest[0], shape=[3, 3])] + rest[1:] + [dict(rest[0], name="query")]}),
                 400, "has 6 elements in data but its shape holds 9")


@test
def raw_protocol_errors(client, args):
    expect_error(raw(args, "POST", "/v2/models/scaled_dot_product_attention/infer", b"{not json"), 400, "not valid JSON")
    expect_error(raw(args, "POST", "/v2/models/scaled_dot_product_attention/infer", b""), 400, "empty")
    expect_error(raw(args, "GET", "/v2/models/nope"), 404, "nope")
    expect_error(raw(args, "GET", "/v2/models/nope/ready"), 404, "nope")
    expect_error(raw(args, "POST", "/v2/models/scaled_dot_product_attention/infer", b"x", {"Content-Encoding": "br"}), 415, "br")
    expect_error(infer_raw(args, {"inputs": [{"name": "query", "shape": [1, 1], "datatype": "BYTES", "data": ["a"]}]}),
                 400, "BYTES")


@test
def raw_decompression_bomb_is_413(client, args):
    # 40 MB of zeros compress to about 40 KB; the server's limit (set by scripts/e2e/v2.sh) is 8 MiB.
    bomb = gzip.compress(b" " * (40 << 20))
    expect_error(raw(args, "POST", "/v2/models/scaled_dot_product_attention/infer", bomb, {"Content-Encoding": "gzip"}),
                 413, "--max-body-bytes")
    bomb = zlib.compress(b" " * (40 << 20))
    expect_error(raw(args, "POST", "/v2/models/scaled_dot_product_attention/infer", bomb, {"Content-Encoding": "deflate"}),
                 413, "--max-body-bytes")


@test
def raw_body_over_the_limit_is_413(client, args):
    # The server answers from the declared length and closes without reading the body,
    # so only the head is sent (a client writing the body would see a broken pipe).
    host, port = args.url.split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(b"POST /v2/models/scaled_dot_product_attention/infer HTTP/1.1\r\n"
                           b"Host: x\r\nContent-Length: %d\r\n\r\n" % (9 << 20))
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    assert b"--max-body-bytes" in body, body


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="127.0.0.1:8080", help="host:port of a running attention-server")
    parser.add_argument("-k", default="", help="run only tests whose name contains this")
    args = parser.parse_args()
    client = triton.InferenceServerClient(url=args.url, network_timeout=60)
    return runner.run(TESTS, client, args, only=args.k)


if __name__ == "__main__":
    sys.exit(main())
