"""The official `openai` client against POST /v1/embeddings: its answers equal the
sentence-transformers reference (Tests/AttentionModelsTests/Fixtures/bert.json) within 1e-4,
cosine >= 0.99999, in its default base64 encoding and in float; an unknown model raises the
client's NotFoundError. Run by scripts/e2e/embeddings.sh."""

import argparse
import array
import base64
import json

import openai

from scripts.e2e.embedding_reference import FIXTURE, compare


def floats(embedding):
    """The numbers of an embedding: asked for explicitly, base64 comes back as the string sent."""
    if isinstance(embedding, str):
        values = array.array("f")
        values.frombytes(base64.b64decode(embedding))  # little-endian, as this machine
        return values.tolist()
    return embedding


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="the base URL, e.g. http://127.0.0.1:8080/v1")
    args = parser.parse_args()
    client = openai.OpenAI(base_url=args.url, api_key="unused")
    cases = json.loads(FIXTURE.read_text())["cases"]
    batches = [[s for s in case["sequences"]] for case in cases if all(s["pair"] is None for s in case["sequences"])]
    worst = 0.0
    for encoding in ("base64", "float"):
        for sequences in batches:
            texts = [s["text"] for s in sequences]
            answer = client.embeddings.create(model="minilm", input=texts, encoding_format=encoding)
            assert answer.model == "minilm" and len(answer.data) == len(texts)
            assert answer.usage.prompt_tokens == sum(len(s["ids"]) for s in sequences), answer.usage
            for item, sequence in zip(answer.data, sequences):
                worst = max(worst, compare(floats(item.embedding), sequence["sentence_embedding"], f"{encoding} {sequence['text']!r}"))
    # The client's default (no encoding_format): it asks for base64 and decodes it itself.
    single = client.embeddings.create(model="minilm", input=batches[0][0]["text"])
    compare(single.data[0].embedding, batches[0][0]["sentence_embedding"], "default encoding")
    try:
        client.embeddings.create(model="no-such-model", input="x")
        raise AssertionError("an unknown model was accepted")
    except openai.NotFoundError as error:
        assert error.status_code == 404
    print(f"ok   openai {openai.__version__}: {len(batches)} batches in base64 and float, largest difference {worst:.2e}")


if __name__ == "__main__":
    main()
