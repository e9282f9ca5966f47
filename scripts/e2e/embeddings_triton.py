"""tritonclient against a loaded model as an Open Inference Protocol model: input `text`
(BYTES, a NumPy object array of str), output `sentence_embedding` equal to the
sentence-transformers reference (Tests/AttentionModelsTests/Fixtures/bert.json) within 1e-4,
cosine >= 0.99999, as /v1/embeddings; `token_ids` (INT64) equal to the reference's ids;
model metadata listing `text` as BYTES; an empty text refused naming it.

--protocol http uses tritonclient.http (JSON and binary tensors); --protocol grpc uses
tritonclient.grpc, in a process of its own (its protobuf `inference` package clashes with
the KServe SDK's). Run by scripts/e2e/embeddings.sh."""

import argparse
import json
import pathlib

import numpy as np

from scripts.e2e.embedding_reference import FIXTURE, compare


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="host:port of the HTTP or gRPC port")
    parser.add_argument("--protocol", choices=["http", "grpc"], required=True)
    args = parser.parse_args()
    if args.protocol == "http":
        import tritonclient.http as client_module
        from tritonclient.utils import InferenceServerException
    else:
        import tritonclient.grpc as client_module
        from tritonclient.utils import InferenceServerException
    client = client_module.InferenceServerClient(url=args.url)

    assert client.is_model_ready("minilm")
    metadata = client.get_model_metadata("minilm")
    inputs = metadata["inputs"] if isinstance(metadata, dict) else [
        {"name": i.name, "datatype": i.datatype, "shape": list(i.shape)} for i in metadata.inputs]
    assert [(i["name"], i["datatype"], list(i["shape"])) for i in inputs] == [("text", "BYTES", [-1])], inputs

    cases = json.loads(pathlib.Path(FIXTURE).read_text())["cases"]
    batches = [case["sequences"] for case in cases if all(s["pair"] is None for s in case["sequences"])]
    worst = 0.0
    binary_modes = [True, False] if args.protocol == "http" else [True]
    for binary in binary_modes:
        for sequences in batches:
            texts = np.array([s["text"] for s in sequences], dtype=object)
            text = client_module.InferInput("text", list(texts.shape), "BYTES")
            if args.protocol == "http":
                text.set_data_from_numpy(texts, binary_data=binary)
                outputs = [client_module.InferRequestedOutput(name, binary_data=binary)
                           for name in ("sentence_embedding", "token_ids")]
            else:
                text.set_data_from_numpy(texts)
                outputs = [client_module.InferRequestedOutput(name) for name in ("sentence_embedding", "token_ids")]
            result = client.infer("minilm", [text], outputs=outputs)
            embeddings = result.as_numpy("sentence_embedding")
            ids = result.as_numpy("token_ids")
            assert embeddings.dtype == np.float32 and embeddings.shape == (len(sequences), 384), embeddings.shape
            assert ids.dtype == np.int64 and ids.shape[0] == len(sequences), ids.dtype
            for row, id_row, sequence in zip(embeddings, ids, sequences):
                worst = max(worst, compare(row.tolist(), sequence["sentence_embedding"], f"binary={binary} {sequence['text']!r}"))
                n = len(sequence["ids"])
                assert id_row[:n].tolist() == sequence["ids"] and not id_row[n:].any(), (id_row, sequence["ids"])

    empty = client_module.InferInput("text", [2], "BYTES")
    empty.set_data_from_numpy(np.array(["a", ""], dtype=object))
    try:
        client.infer("minilm", [empty])
        raise AssertionError("an empty text was accepted")
    except InferenceServerException as error:
        assert "`text.1` is empty" in str(error), error
    print(f"ok   tritonclient.{args.protocol}: {len(batches)} batches of BYTES texts, "
          f"sentence_embedding within {worst:.2e} of sentence-transformers, token_ids equal")


if __name__ == "__main__":
    main()
