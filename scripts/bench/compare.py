"""Run our engine benchmark and its peers on the same machine; print a Markdown table.

    swift build -c release --product engine-bench
    python3 -m scripts.bench.compare [--quick] [--engine-bench PATH] [--threads N]   # from the repository root

    python3 -m scripts.bench.compare --bert [--rounds N]   # the BERT-shaped batches only

Runs, one after the other so they do not compete for the cores:
  1. ``<engine-bench> --json`` (default ``.build/release/engine-bench``), which prints one
     JSON object: ``{"blas_core", "workers", "sgemm": {"n", "threads", "median_ms",
     "gflops"}, "rows": [{"B", "H", "L", "S", "d", "causal", "weights", "median_ms",
     "gflops", "peak_mib"}]}``;
  2. ``<engine-bench> --shape B,H,L,S,d[,causal][,weights]`` for the BERT-shaped batches
     (B×H = 32×12 and 1×12, L=S=128, d=64), one child each;
  3. ``scripts/bench/peers.py`` (JAX and NumPy, and PyTorch when it imports; needs
     ``pip install 'jax[cpu]'``, optionally ``torch``).
``--quick`` is passed to both. The table has one line per engine row; the peers are
matched on (B, H, d, L, S, causal) and left blank where they did not run that shape.
"NumPy" always materialises the weights; JAX never returns them; "PyTorch" is
``scaled_dot_product_attention`` beside rows without weights and its matmul–softmax–matmul
(which returns the weights) beside rows with weights.

``--rounds N`` repeats 2 and 3 N times in alternation (engine, peers, engine, peers, …) and
reports each row's median over the rounds, so that a slow spell of a shared machine falls
on both sides; ``--bert`` runs only 2 and 3.
"""

import argparse
import json
import os
import subprocess
import sys

from scripts import ROOT


def run_json(cmd, what, env=None):
    """Runs cmd (with `env` added to the environment), passes its stderr through, and parses
    the JSON object on its stdout."""
    print(f"running {what}: {' '.join(cmd)}", file=sys.stderr)
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT,  # -m scripts.… from the root
                              env={**os.environ, **env} if env else None)
    except FileNotFoundError:
        sys.exit(f"error: {what} not found: {cmd[0]}")
    except PermissionError:
        sys.exit(f"error: {what} is not executable: {cmd[0]}")
    if proc.returncode != 0:
        sys.exit(f"error: {what} exited with status {proc.returncode}")
    text = proc.stdout.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        # Tolerate log lines before the object: take the last line that parses.
        for line in reversed(text.splitlines()):
            line = line.strip()
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except json.JSONDecodeError:
                    pass
    sys.exit(f"error: {what} printed no JSON object on stdout")


def gflops_of(row):
    """The engine's own rate, else 4·B·H·L·S·d flops (two GEMMs; causal counts all)."""
    if row.get("gflops") is not None:
        return row["gflops"]
    flops = 4.0 * row.get("B", 1) * row.get("H", 1) * row["L"] * row["S"] * row["d"]
    return flops / (row["median_ms"] * 1e6)


def fmt(x, digits=2):
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.{digits}f}"


def ratio(peer_ms, ours_ms):
    if peer_ms is None or not ours_ms:
        return None
    return peer_ms / ours_ms


# BERT-base's attention: 12 heads of 64 features on 128-token sequences, a batch of 32 and one.
BERT_SHAPES = [(32, 12, 128, 128, 64), (1, 12, 128, 128, 64)]
BERT_TARGET = 1.5  # at least this much faster than PyTorch, same run (issue 21)


def peer_times(peers):
    """{(impl, B, H, d, L, S, causal): median ms}; rows without B, H, d take the report's."""
    shape = (peers.get("B", 1), peers.get("H", 8), peers.get("d", 64))
    return {(r["impl"], r.get("B", shape[0]), r.get("H", shape[1]), r.get("d", shape[2]),
             r["L"], r["S"], bool(r["causal"])): r["median_ms"] for r in peers.get("rows", [])}


def torch_impl(weights):
    """PyTorch's peer of an engine row: SDPA without weights, matmul–softmax–matmul with."""
    return "torch_weights" if weights else "torch"


def peers_header(peers):
    torch = peers.get("torch")
    return (f"JAX {peers.get('jax', '?')}, NumPy {peers.get('numpy', '?')} "
            f"(OpenBLAS {peers.get('numpy_blas_core') or '?'}), "
            + (f"PyTorch {torch}, " if torch else "PyTorch absent, ")
            + f"peer threads: {peers.get('threads', '?')}")


def build_table(engine, peers):
    peer_ms = peer_times(peers)

    sgemm = engine.get("sgemm") or {}
    sgemm_rate = sgemm.get("gflops")
    lines = []
    header = [
        f"BLAS core: {engine.get('blas_core', '?')}",
        f"sgemm n={sgemm.get('n', '?')} on {sgemm.get('threads', '?')} threads: "
        f"{fmt(sgemm_rate)} GFLOP/s",
        f"engine workers: {engine.get('workers', '?')}",
        peers_header(peers),
    ]
    if peers.get("load_average"):
        header.append("load average at peer start: "
                      + " ".join(str(x) for x in peers["load_average"]))
    lines.append("**" + " · ".join(header) + "**")
    lines.append("")
    cols = ["B×H×d", "L", "S", "causal", "weights", "ours ms", "ours GFLOP/s",
            "% sgemm", "JAX ms", "NumPy ms", "PyTorch ms", "JAX÷ours", "NumPy÷ours", "PyTorch÷ours", "peak MiB"]
    lines.append("| " + " | ".join(cols) + " |")
    lines.append("|" + "|".join(["---"] * 3 + [":-:"] * 2 + ["--:"] * 10) + "|")
    rows = sorted(engine.get("rows", []),
                  key=lambda r: (r.get("B", 1), r.get("H", 1), r["d"], r["L"], r["S"],
                                 bool(r["causal"]), bool(r.get("weights"))))
    for r in rows:
        key = (r.get("B", 1), r.get("H", 1), r["d"], r["L"], r["S"], bool(r["causal"]))
        ours = r["median_ms"]
        rate = gflops_of(r)
        jax_ms = peer_ms.get(("jax",) + key)
        np_ms = peer_ms.get(("numpy",) + key)
        torch_ms = peer_ms.get((torch_impl(bool(r.get("weights"))),) + key)
        pct = 100.0 * rate / sgemm_rate if sgemm_rate else None
        lines.append("| " + " | ".join([
            f"{r.get('B', 1)}×{r.get('H', 1)}×{r['d']}", str(r["L"]), str(r["S"]),
            fmt(bool(r["causal"])), fmt(bool(r.get("weights"))),
            fmt(ours, 3), fmt(rate, 1), fmt(pct, 1), fmt(jax_ms, 3), fmt(np_ms, 3), fmt(torch_ms, 3),
            fmt(ratio(jax_ms, ours)), fmt(ratio(np_ms, ours)), fmt(ratio(torch_ms, ours)),
            fmt(r.get("peak_mib"), 1)]) + " |")
    lines.append("")
    lines.append("÷ours > 1: the peer is slower than our engine. NumPy materialises the "
                 "weights; JAX (implementation=\"xla\") returns none; PyTorch is "
                 "scaled_dot_product_attention without weights and matmul–softmax–matmul with them. "
                 "GFLOP/s counts 4·B·H·L·S·d, halved for causal rows (the work a causal mask leaves).")

    # The targets, from this same run.
    def find(L, causal, weights):
        return next((r for r in rows if r["L"] == L and bool(r["causal"]) == causal
                     and bool(r.get("weights")) == weights), None)
    lines.append("")
    lines.append("| L | non-causal % of sgemm | causal speed-up vs non-causal | causal vs JAX causal | peak MiB (no weights) |")
    lines.append("|--:|--:|--:|--:|--:|")
    for L in sorted({r["L"] for r in rows}):
        full, causal = find(L, False, False), find(L, True, False)
        if not full or not causal:
            continue
        key = (full.get("B", 1), full.get("H", 1), full["d"], L, full["S"], True)
        jax_causal = peer_ms.get(("jax",) + key)
        pct = 100.0 * gflops_of(full) / sgemm_rate if sgemm_rate else None
        lines.append(f"| {L} | {fmt(pct, 1)} | {fmt(ratio(full['median_ms'], causal['median_ms']))} "
                     f"| {fmt(ratio(jax_causal, causal['median_ms']))} | {fmt(full.get('peak_mib'), 1)} |")

    masked = engine.get("masked_rows", [])
    if masked:
        lines.append("")
        lines.append("Sparse masks (B=1, H=8, d=64, no weights): the cost follows the keys each query sees.")
        lines.append("")
        lines.append("| L | masking | keys per query | ours ms | peak MiB |")
        lines.append("|--:|:--|--:|--:|--:|")
        for m in masked:
            lines.append(f"| {m['L']} | {m['masking']} | {fmt(m['visible_keys_per_query'], 1)} "
                         f"| {fmt(m['median_ms'], 2)} | {fmt(m.get('peak_mib'), 1)} |")
    return "\n".join(lines)


def bert_engine_rows(engine_bench):
    """engine-bench --shape for every BERT shape, causal or not, with or without weights."""
    rows = []
    for (b, h, L, S, d) in BERT_SHAPES:
        for causal in (False, True):
            for weights in (False, True):
                spec = ",".join([str(x) for x in (b, h, L, S, d)] + (["causal"] if causal else [])
                                + (["weights"] if weights else []))
                rows.append(run_json([engine_bench, "--shape", spec], "engine benchmark",
                                     env={"OPENBLAS_NUM_THREADS": "1"}))
    return rows


def median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else 0.5 * (values[n // 2 - 1] + values[n // 2])


def merge_rounds(rounds, key, fields):
    """One row per key: the first round's row with each field the median over the rounds."""
    merged = {}
    for rows in rounds:
        for r in rows:
            merged.setdefault(key(r), []).append(r)
    out = []
    for rows in merged.values():
        row = dict(rows[0])
        for field in fields:
            row[field] = median([r[field] for r in rows])
        row["rounds"] = len(rows)
        out.append(row)
    return out


def build_bert_table(engine_rows, peers, workers):
    """The BERT-shaped batches against PyTorch (and JAX, NumPy), with the issue's target."""
    peer_ms = peer_times(peers)
    rounds = max([r.get("rounds", 1) for r in engine_rows] or [1])
    lines = [f"**BERT-shaped batches · engine workers: {workers} · {peers_header(peers)}"
             + (f" · load average at peer start: {' '.join(str(x) for x in peers['load_average'])}"
                if peers.get("load_average") else "")
             + (f" · median of {rounds} alternated rounds" if rounds > 1 else "") + "**", ""]
    lines.append("| B×H×d | L | S | causal | weights | ours ms | PyTorch ms | PyTorch÷ours | "
                 f"≥ {BERT_TARGET} | JAX ms | NumPy ms | JAX÷ours | NumPy÷ours | peak MiB |")
    lines.append("|---|--:|--:|:-:|:-:|--:|--:|--:|:-:|--:|--:|--:|--:|--:|")
    for r in sorted(engine_rows, key=lambda r: (-r["B"], r["H"], r["d"], r["L"], r["S"],
                                               bool(r["causal"]), bool(r["weights"]))):
        key = (r["B"], r["H"], r["d"], r["L"], r["S"], bool(r["causal"]))
        ours = r["median_ms"]
        torch_ms = peer_ms.get((torch_impl(bool(r["weights"])),) + key)
        jax_ms = None if r["weights"] else peer_ms.get(("jax",) + key)  # JAX returns no weights
        np_ms = peer_ms.get(("numpy",) + key)
        speedup = ratio(torch_ms, ours)
        lines.append("| " + " | ".join([
            f"{r['B']}×{r['H']}×{r['d']}", str(r["L"]), str(r["S"]), fmt(bool(r["causal"])),
            fmt(bool(r["weights"])), fmt(ours, 3), fmt(torch_ms, 3), fmt(speedup),
            "—" if speedup is None else ("met" if speedup >= BERT_TARGET else "**not met**"),
            fmt(jax_ms, 3), fmt(np_ms, 3), fmt(ratio(jax_ms, ours)), fmt(ratio(np_ms, ours)),
            fmt(r.get("peak_mib"), 1)]) + " |")
    lines.append("")
    lines.append("PyTorch: scaled_dot_product_attention for rows without weights, matmul–softmax–matmul "
                 "(returning the weights) for rows with weights, torch.set_num_threads as the peers' threads. "
                 "JAX is left out of rows with weights (it returns none); NumPy always materialises them.")
    for note in peers.get("notes", []):
        lines.append("")
        lines.append(f"Note: {note}")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description="Compare engine-bench with JAX, NumPy and PyTorch.")
    ap.add_argument("--engine-bench", default=os.path.join(ROOT, ".build", "release", "engine-bench"),
                    help="path of the engine benchmark binary "
                         "(default .build/release/engine-bench in the repository)")
    ap.add_argument("--quick", action="store_true", help="fewer sizes, passed to both")
    ap.add_argument("--bert", action="store_true", help="only the BERT-shaped batches")
    ap.add_argument("--rounds", type=int, default=1,
                    help="alternated rounds of the BERT shapes' engine and peer runs (1)")
    ap.add_argument("--threads", type=int, default=None,
                    help="threads for the peers (scripts/bench/peers.py's default: 2)")
    args = ap.parse_args()
    engine_bench = os.path.abspath(args.engine_bench)

    peers_cmd = [sys.executable, "-m", "scripts.bench.peers"]
    if args.threads is not None:
        peers_cmd += ["--threads", str(args.threads)]
    if not args.bert:
        engine_cmd = [engine_bench, "--json"] + (["--quick"] if args.quick else [])
        engine = run_json(engine_cmd, "engine benchmark")
        peers = run_json(peers_cmd + (["--quick"] if args.quick else []), "peer benchmark")
        print(build_table(engine, peers))
        print()
        workers = engine.get("workers", "?")
    else:
        workers = None

    engine_rounds, peer_rounds = [], []
    for _ in range(max(1, args.rounds) if args.bert or args.rounds > 1 else 0):
        engine_rounds.append(bert_engine_rows(engine_bench))
        peer_rounds.append(run_json(peers_cmd + ["--bert"], "peer benchmark"))
    if engine_rounds:
        bert_peers = dict(peer_rounds[-1])
        bert_peers["rows"] = merge_rounds([p["rows"] for p in peer_rounds],
                                          lambda r: (r["impl"], r["B"], r["H"], r["d"], r["L"], r["S"], r["causal"]),
                                          ["median_ms"])
        bert_peers["load_average"] = peer_rounds[0].get("load_average")
        rows = merge_rounds(engine_rounds, lambda r: (r["B"], r["H"], r["d"], r["L"], r["S"], r["causal"], r["weights"]),
                            ["median_ms", "gflops", "peak_mib"])
    else:
        # One round: the BERT shapes of the peers' full run.
        bert_peers = peers
        rows = bert_engine_rows(engine_bench)
    print(build_bert_table(rows, bert_peers, workers or os.cpu_count()))


if __name__ == "__main__":
    main()
