#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (Fuzz/corpus/<target>/), one small file
per seed, named by what it shows. The files are committed; run this after changing it:

    python3 Fuzz/make-corpus.py

Input layouts are those described at the top of each Fuzz/Sources/<target>/main.swift.
Only the standard library is used (json, struct, gzip, zlib).
"""
import gzip
import json
import pathlib
import shutil
import struct
import zlib

ROOT = pathlib.Path(__file__).resolve().parent / "corpus"

TENSOR_JSON = {
    "matrix": "[[1.5, -2e-3], [3, 4]]",
    "rank4": "[[[[1,2],[3,4]],[[5,6],[7,8]]]]",
    "empty": "[]",
    "empty-rows": "[[], []]",
    "bools": "[[true, false], [false, true]]",
    "ragged": "[[1, 2], [3]]",
    "mixed": '[1, "a", [true], {"k": [0.1, 1e400]}, null]',
    "numbers-every-form": "[0, -0, 0.0, -0.0, 7, -12, 3.25, 1e5, 1E5, 1e+5, 1e-5, 2.5E-3, "
                          "3.4028235e38, 3.5e38, 1e400, -1e400, 1e-400, 1.401298464324817e-45, "
                          "12345678901234567890123, 0.000000000000000000000000001, 9007199254740993]",
    "number-alone": "-1.25e-7",
    "strings": r'{"plain": "abc", "escapes": "\" \\ \/ \b \f \n \r \t", "unicode": "\u00e9\u4e2d\ud83d\ude00", "raw": "é中😀"}',
    "object-nested": '{"a": {"b": {"c": [[], [[]], [1]]}}, "d": [{"e": false}]}',
    "literals": '{"t": true, "f": false, "n": null}',
    "whitespace": ' \t\n\r[ 1 ,\n 2 ]\r\n ',
    "depth-64": "[" * 64 + "]" * 64,
    "depth-65": "[" * 65 + "]" * 65,
    "objects-deep": '{"a":' * 40 + "1" + "}" * 40,
    "request-v1": json.dumps({"query": [[1, 0], [0, 1]], "key": [[1, 0], [0, 1], [1, 1]],
                              "value": [[1, 2], [3, 4], [5, 6]], "causal": True, "mask": [[True, False, True]]}),
    "duplicate-key": '{"a": 1, "a": 2}',
    "trailing-comma": "[1, 2,]",
    "leading-zero": "[01]",
    "nan": "[NaN]",
    "lone-surrogate": r'"\ud800"',
    "bad-utf8": b'"\xc3\x28"',
    "control-char": b'"a\x01b"',
}

V1 = {  # endpoint selector byte (Mechanism.all order): 0 attention, 1 multi-head, 2 additive
    "attention-causal": (0, {"query": [[1, 0], [0, 1]], "key": [[1, 0], [0, 1], [1, 1]],
                             "value": [[1, 2], [3, 4], [5, 6]], "causal": True}),
    "attention-options": (0, {"query": [[[1, 0], [0, 1]]], "key": [[[1, 0], [0, 1]]], "value": [[[1, 2], [3, 4]]],
                              "scale": 0.5, "window": [1, 0], "mask": [[True, False], [True, True]],
                              "bias": [[0, -1], [0.5, 0]], "key_lengths": [2], "mode": "hard",
                              "causal_alignment": "bottom_right", "return_weights": False}),
    "attention-typo": (0, {"query": [[1, 0]], "key": [[1, 0]], "value": [[1]], "casual": True}),
    "multi-head": (1, {"query": [[1, 0], [0, 1], [1, 1]], "num_heads": 2, "w_q": [[1, 0], [0, 1]],
                       "w_k": [[1, 0], [0, 1]], "w_v": [[1, 0], [0, 1]], "w_o": [[0.5, 0.5], [0.5, -0.5]],
                       "return_weights": "per_head"}),
    "multi-head-gqa": (1, {"query": [[[1, 0, 1, 0]]], "key": [[[1, 0]]], "value": [[[0, 1]]], "num_heads": 2,
                           "num_kv_heads": 1, "w_q": [[1, 0]] * 4, "w_k": [[1, 0], [0, 1]], "w_v": [[1, 0], [0, 1]],
                           "b_q": [0, 0], "causal": True}),
    "additive": (2, {"query": [[1, 0], [0, 1]], "key": [[1, 0], [0, 1], [1, 1]], "w_query": [[1, 0], [0, 1]],
                     "w_key": [[1, 0], [0, 1]], "v": [1, -1], "bias": [0, 0.5], "value": [[1], [2], [3]]}),
}


def v2_input(name, datatype, shape, data=None, binary_size=None):
    entry = {"name": name, "datatype": datatype, "shape": shape}
    if binary_size is None:
        entry["data"] = data
    else:
        entry["parameters"] = {"binary_data_size": binary_size}
    return entry


def v2_seed(model, request, binary=b"", header=True):
    """model: 0 scaled dot-product, 1 multi-head, 2 additive (Mechanism.all order)."""
    text = json.dumps(request).encode()
    line = str(len(text)).encode() if header else b""
    return bytes([model]) + line + b"\n" + text + binary


def floats(values):
    return struct.pack(f"<{len(values)}f", *values)


def byte_strings(texts):
    """BYTES elements in the binary layout: a 4-byte little-endian length, then the UTF-8 bytes."""
    return b"".join(struct.pack("<I", len(t.encode())) + t.encode() for t in texts)


V2 = {
    "sdpa-json": v2_seed(0, {"id": "1", "inputs": [
        v2_input("query", "FP32", [2, 2], [1, 0, 0, 1]),
        v2_input("key", "FP32", [2, 2], [[1, 0], [0, 1]]),
        v2_input("value", "FP32", [2, 2], [1, 2, 3, 4])],
        "parameters": {"causal": True}, "outputs": [{"name": "output"}]}, header=False),
    "sdpa-binary": v2_seed(0, {"inputs": [
        v2_input("query", "FP32", [2, 2], binary_size=16),
        v2_input("key", "FP32", [2, 2], binary_size=16),
        v2_input("value", "FP32", [2, 2], [1, 2, 3, 4]),
        v2_input("mask", "BOOL", [2, 2], binary_size=4)],
        "parameters": {"binary_data_output": True},
        "outputs": [{"name": "output", "parameters": {"binary_data": False}}, {"name": "weights"}]},
        binary=floats([1, 0, 0, 1]) + floats([1, 0, 0, 1]) + bytes([1, 0, 1, 1])),
    "sdpa-types": v2_seed(0, {"inputs": [
        v2_input("query", "FP64", [1, 2], binary_size=16),
        v2_input("key", "FP16", [1, 2], binary_size=4),
        v2_input("value", "FP32", [1, 2], [1, 2]),
        v2_input("key_lengths", "INT64", [1], binary_size=8)]},
        binary=struct.pack("<2d", 1.0, -2.5) + struct.pack("<2e", 0.5, 1.0) + struct.pack("<q", 1)),
    "multi-head": v2_seed(1, {"model_name": "multi_head_attention", "inputs": [
        v2_input("query", "FP32", [3, 2], [1, 0, 0, 1, 1, 1]),
        v2_input("w_q", "FP32", [2, 2], [1, 0, 0, 1]),
        v2_input("w_k", "FP32", [2, 2], [1, 0, 0, 1]),
        v2_input("w_v", "FP32", [2, 2], [1, 0, 0, 1]),
        v2_input("key_lengths", "INT32", [1], [3])],
        "parameters": {"num_heads": 2, "weights_mode": "per_head"}}, header=False),
    "additive": v2_seed(2, {"inputs": [
        v2_input("query", "FP32", [2, 2], [1, 0, 0, 1]),
        v2_input("key", "FP32", [3, 2], binary_size=24),
        v2_input("w_query", "FP32", [2, 2], [1, 0, 0, 1]),
        v2_input("w_key", "FP32", [2, 2], [1, 0, 0, 1]),
        v2_input("v", "FP32", [2], [1, -1])]},
        binary=floats([1, 0, 0, 1, 1, 1])),
    "binary-short": v2_seed(0, {"inputs": [v2_input("query", "FP32", [2, 2], binary_size=16)]},
                            binary=floats([1, 2])),
    # BYTES (the models' `text`): parsed for any model, then refused by a mechanism's inputs.
    "bytes-json": v2_seed(0, {"inputs": [v2_input("text", "BYTES", [3], ["a sentence", ["é中😀"], ""])]}, header=False),
    "bytes-binary": v2_seed(0, {"inputs": [v2_input("text", "BYTES", [2], binary_size=len(byte_strings(["ab", "c"])))],
                                "outputs": [{"name": "sentence_embedding"}]},
                            binary=byte_strings(["ab", "c"])),
    "bytes-length-past-end": v2_seed(0, {"inputs": [v2_input("text", "BYTES", [2], binary_size=9)]},
                                     binary=struct.pack("<I", 2) + b"ab" + struct.pack("<I", 0xFFFFFFFF)[:3]),
    "bytes-huge-length": v2_seed(0, {"inputs": [v2_input("text", "BYTES", [1], binary_size=5)]},
                                 binary=struct.pack("<I", 0xFFFFFFF0) + b"x"),
    "header-too-long": bytes([0]) + b"999\n{}",
    "header-negative": bytes([0]) + b"-1\n{}",
}

# Bodies for the codings (selector: even gzip, odd deflate; limit 2^(selector/2 mod 21)).
REQUEST = json.dumps({"inputs": [v2_input("query", "FP32", [2, 2], [1, 0, 0, 1])]}).encode()
CODING = {
    "gzip-request": bytes([2 * 20]) + gzip.compress(REQUEST, mtime=0),
    "deflate-request": bytes([2 * 20 + 1]) + zlib.compress(REQUEST),
    "gzip-over-limit": bytes([2 * 6]) + gzip.compress(REQUEST, mtime=0),  # 64-byte limit
    "gzip-bomb": bytes([2 * 16]) + gzip.compress(b"\0" * (1 << 20), mtime=0),  # 1 MiB of zeros, 64 KiB limit
    "deflate-bomb": bytes([2 * 16 + 1]) + zlib.compress(b"0," * (1 << 19), 9),
    "gzip-two-members": bytes([2 * 20]) + gzip.compress(b"[1,", mtime=0) + gzip.compress(b"2]", mtime=0),
    "gzip-truncated": bytes([2 * 20]) + gzip.compress(REQUEST, mtime=0)[:-6],
    "deflate-bad-checksum": bytes([2 * 20 + 1]) + zlib.compress(REQUEST)[:-1] + b"\0",
    "header-values": bytes([2 * 20]) + b"gzip;q=0.5, deflate;q=0, br",
}


# gRPC ModelInferRequest messages, encoded by hand (field numbers of Protos/inference/grpc_predict_v2.proto).
def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def field(number, payload):
    """A length-delimited field (strings, bytes, messages, packed repeated numbers)."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def grpc_input(name, datatype, shape, contents=b""):
    body = field(1, name.encode()) + field(2, datatype.encode()) + field(3, b"".join(varint(d) for d in shape))
    return field(5, body + (field(5, contents) if contents else b""))


def grpc_parameter(key, value):
    """A map entry: key = 1, value = InferParameter (bool 1, int64 2, string 3, double 4)."""
    if isinstance(value, bool):
        choice = varint(1 << 3) + varint(int(value))
    elif isinstance(value, int):
        choice = varint(2 << 3) + varint(value)
    elif isinstance(value, float):
        choice = varint(4 << 3 | 1) + struct.pack("<d", value)
    else:
        choice = field(3, value.encode())
    return field(4, field(1, key.encode()) + field(2, choice))


def grpc_seed(model, inputs, raw=(), parameters=(), outputs=()):
    message = field(1, b"model") + field(3, b"id-1") + b"".join(grpc_parameter(k, v) for k, v in parameters)
    message += b"".join(inputs) + b"".join(field(6, field(1, name.encode())) for name in outputs)
    message += b"".join(field(7, blob) for blob in raw)
    return bytes([model]) + message


GRPC = {
    "sdpa-raw": grpc_seed(0, [grpc_input("query", "FP32", [1, 2]), grpc_input("key", "FP32", [2, 2]),
                              grpc_input("value", "FP32", [2, 1])],
                          raw=[floats([1, 0]), floats([1, 0, 0, 1]), floats([1, 2])], parameters=[("causal", True)]),
    "sdpa-typed": grpc_seed(0, [grpc_input("query", "FP32", [1, 2], field(6, floats([1, 0]))),
                                grpc_input("key", "FP32", [2, 2], field(6, floats([1, 0, 0, 1]))),
                                grpc_input("value", "FP32", [2, 1], field(6, floats([1, 2])))],
                            outputs=["output"]),
    "sdpa-mask-lengths": grpc_seed(0, [grpc_input("query", "FP32", [1, 2]), grpc_input("key", "FP32", [2, 2]),
                                       grpc_input("value", "FP32", [2, 1]), grpc_input("mask", "BOOL", [1, 2]),
                                       grpc_input("key_lengths", "INT64", [1])],
                                   raw=[floats([1, 0]), floats([1, 0, 0, 1]), floats([1, 2]), b"\x01\x00",
                                        struct.pack("<q", 2)], parameters=[("window_left", 1), ("scale", 0.5)]),
    "mha-parameters": grpc_seed(1, [grpc_input("query", "FP64", [2, 2], field(7, struct.pack("<4d", 1, 0, 0, 1))),
                                    grpc_input("w_q", "FP32", [2, 2]), grpc_input("w_k", "FP32", [2, 2]),
                                    grpc_input("w_v", "FP32", [2, 2])],
                                raw=[], parameters=[("num_heads", 2), ("weights_mode", "per_head")]),
    "positional": grpc_seed(4, [], parameters=[("length", 4), ("dim", 6), ("base", 100.0)]),
    "huge-shape": grpc_seed(0, [grpc_input("query", "FP32", [1 << 40, 1 << 40])], raw=[b"\x00" * 8]),
    # BYTES: typed bytes_contents (field 8, one per element) and raw contents with length prefixes.
    "bytes-typed": grpc_seed(0, [grpc_input("text", "BYTES", [2], field(8, b"a sentence") + field(8, "é中".encode()))],
                             outputs=["sentence_embedding"]),
    "bytes-raw": grpc_seed(0, [grpc_input("text", "BYTES", [2])], raw=[byte_strings(["ab", ""])]),
    "bytes-raw-bad-length": grpc_seed(0, [grpc_input("text", "BYTES", [2])],
                                      raw=[struct.pack("<I", 1) + b"a" + struct.pack("<I", 1 << 31)]),
}


def safetensors(entries, metadata=None, pad=True):
    """A safetensors file: [(name, dtype, shape, data bytes)] laid out in order."""
    header, offset, data = {}, 0, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        data += raw
    text = json.dumps(header).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def raw_header(text, data=b""):
    return struct.pack("<Q", len(text)) + text.encode() + data


F32 = struct.pack("<4f", 1.0, -2.5, 0.125, 3e38)
SAFETENSORS = {
    "f32-matrix": safetensors([("w", "F32", [2, 2], F32)], {"format": "pt"}),
    "every-float-dtype": safetensors([("a", "F32", [4], F32), ("b", "F16", [2], struct.pack("<2e", 1.5, -0.25)),
                                      ("c", "BF16", [2], b"\x80\x3f\x00\xc0"), ("ids", "I64", [1, 2], bytes(16))]),
    "bert-like": safetensors([("embeddings.position_ids", "I64", [1, 4], bytes(32)),
                              ("embeddings.LayerNorm.weight", "F32", [4], F32),
                              ("encoder.layer.0.attention.self.query.weight", "F32", [2, 2], F32)], {"format": "pt"}),
    "empty-tensor": safetensors([("e", "F32", [0, 3], b""), ("s", "F32", [], F32[:4])]),
    "no-tensors": safetensors([], {}),
    "unpadded": safetensors([("w", "F32", [1], F32[:4])], pad=False),
    "nan": safetensors([("w", "F32", [1], struct.pack("<f", float("nan")))]),
    "f16-inf": safetensors([("w", "F16", [1], b"\x00\x7c")]),
    "truncated": safetensors([("w", "F32", [2, 2], F32)])[:-5],
    "header-past-end": struct.pack("<Q", 1 << 20) + b"{}",
    "huge-header-length": struct.pack("<Q", 1 << 62) + b"{}",
    "short": b"\x02\x00\x00",
    "bad-json": raw_header('{"w": {"dtype": "F32",}}'),
    "unknown-dtype": raw_header('{"w":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}}', b"\0"),
    "shape-mismatch": raw_header('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', bytes(8)),
    "overlap": raw_header('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', bytes(8)),
    "hole": raw_header('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', bytes(12)),
    "offsets-past-end": raw_header('{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', bytes(4)),
    "big-offsets": raw_header('{"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,18446744073709551615]}}'),
    "duplicate": raw_header('{"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}', bytes(4)),
}

# Tokenizer: byte 0 options (bit 0 lower case, bits 1-2 strip accents, bit 3 no CJK split),
# byte 1 max length (0 none), then the text, 0xFF before the pair.
TOKENIZER = {
    "plain": b"\x01\x00abc ab, c!",
    "pair": b"\x01\x00abc\xffb c a",
    "truncated-pair": b"\x01\x05abc abc abc\xffa b c a b c",
    "accents": "\x01\x00École é e\u0301 ÉÉ".encode(),
    "no-lowercase-no-strip": "\x04\x00Éé abc".encode(),
    "cjk": "\x01\x00日本語abc本".encode(),
    "cjk-off": "\x09\x00日本abc".encode(),
    "special-tokens": b"\x01\x00a[SEP]b [MASK] [CLS][PAD][UNK] [sep]",
    "controls": b"\x01\x00a\x00b\x07c\xe2\x80\x8bab\xef\xbf\xbd\t\r\nc",
    "long-word": b"\x01\x00" + b"ab" * 30,
    "sigma": "\x01\x00ΣΣ İ".encode(),
    "invalid-utf8": b"\x01\x00a\xc3\x28b\xed\xa0\x80c",
    "numbers": b"\x01\x0312 1.2 121212",
}


# Byte 0: bit 0 picks the endpoint (0 embeddings, 1 attention), bit 1 Accept: image/svg+xml.
MODEL = {
    "embeddings-one": b"\x00" + json.dumps({"model": "minilm", "input": "A cat sat on the mat."}).encode(),
    "embeddings-many": b"\x00" + json.dumps({"model": "minilm", "input": ["Héllo wörld", "日本語のテキスト", "x" * 40],
                                             "encoding_format": "base64", "user": "u", "dimensions": 384}).encode(),
    "embeddings-truncate": b"\x00" + json.dumps({"model": "minilm", "input": "word " * 300, "truncate": True}).encode(),
    "embeddings-too-long": b"\x00" + json.dumps({"model": "minilm", "input": "word " * 300}).encode(),
    "embeddings-token-ids": b"\x00" + json.dumps({"model": "minilm", "input": [[1, 2, 3]]}).encode(),
    "embeddings-unknown-model": b"\x00" + json.dumps({"model": "gpt", "input": "a"}).encode(),
    "embeddings-empty": b"\x00" + json.dumps({"model": "minilm", "input": ["", "a"]}).encode(),
    "attention-json": b"\x01" + json.dumps({"text": "The cat sat.", "text_pair": "It slept.", "layers": [0, 5], "heads": [1, 11]}).encode(),
    "attention-model-view": b"\x01" + json.dumps({"text": "<b>&amp;</b>", "format": "svg"}).encode(),
    "attention-head-view": b"\x03" + json.dumps({"text": "Emoji 🙂 and control \u0007.", "view": "head", "layer": 2}).encode(),
    "attention-out-of-range": b"\x01" + json.dumps({"text": "a", "layers": [6], "heads": [-1]}).encode(),
    "attention-view-without-svg": b"\x01" + json.dumps({"text": "a", "view": "head"}).encode(),
    "not-json": b"\x00{\"model\": ",
    # Selector 4: the model as a v2 model (text BYTES [N]); a line with the binary header's value, then the body.
    "v2-text-json": b"\x04\n" + json.dumps({"inputs": [v2_input("text", "BYTES", [2], ["The cat sat.", "日本語 🙂"])],
                                             "outputs": [{"name": "sentence_embedding"}, {"name": "token_ids"}]}).encode(),
    "v2-text-binary": b"\x04" + v2_seed(0, {"inputs": [v2_input("text", "BYTES", [2], binary_size=len(byte_strings(["ab", "c d"])))],
                                            "parameters": {"truncate": True, "binary_data_output": True}},
                                        binary=byte_strings(["ab", "c d"]))[1:],
    "v2-text-attentions": b"\x04\n" + json.dumps({"inputs": [v2_input("text", "BYTES", [1], ["word " * 300])],
                                                   "parameters": {"truncate": True}, "outputs": [{"name": "attentions"}]}).encode(),
    "v2-text-empty": b"\x04\n" + json.dumps({"inputs": [v2_input("text", "BYTES", [2], ["a", ""])]}).encode(),
    "v2-text-wrong-type": b"\x04\n" + json.dumps({"inputs": [v2_input("text", "FP32", [1], [1.0])]}).encode(),
}

def write(target, seeds):
    folder = ROOT / target
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, content in seeds.items():
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode())


write("fuzz-tensor-json", TENSOR_JSON)
write("fuzz-v1-request", {name: bytes([endpoint]) + json.dumps(body).encode() for name, (endpoint, body) in V1.items()})
write("fuzz-v2-request", V2)
write("fuzz-grpc-request", GRPC)
write("fuzz-content-coding", CODING)
write("fuzz-safetensors", SAFETENSORS)
write("fuzz-tokenizer", TOKENIZER)
write("fuzz-model-request", MODEL)
