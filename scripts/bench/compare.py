"""Run our engine benchmark and its peers on the same machine; print a Markdown table.

    swift build -c release --product engine-bench
    python3 -m scripts.bench.compare [--quick] [--engine-bench PATH] [--threads N]   # from the repository root

Runs, one after the other so they do not compete for the cores:
  1. ``<engine-bench> --json`` (default ``.build/release/engine-bench``), which prints one
     JSON object: ``{"blas_core", "workers", "sgemm": {"n", "threads", "median_ms",
     "gflops"}, "rows": [{"B", "H", "L", "S", "d", "causal", "weights", "median_ms",
     "gflops", "peak_mib"}]}``;
  2. ``scripts/bench/peers.py`` (JAX and NumPy; needs ``pip install 'jax[cpu]'``).
``--quick`` is passed to both. The table has one line per engine row; the peers are
matched on (B, H, d, L, S, causal) and left blank where they did not run that shape.
"NumPy" always materialises the weights; JAX never returns them.
"""

import argparse
import json
import os
import subprocess
import sys

from scripts import ROOT


def run_json(cmd, what):
    """Runs cmd, passes its stderr through, and parses the JSON object on its stdout."""
    print(f"running {what}: {' '.join(cmd)}", file=sys.stderr)
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)  # -m scripts.… from the root
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


def build_table(engine, peers):
    peer_ms = {}
    shape = (peers.get("B", 1), peers.get("H", 8), peers.get("d", 64))
    for r in peers.get("rows", []):
        peer_ms[(r["impl"],) + shape + (r["L"], r["S"], bool(r["causal"]))] = r["median_ms"]

    sgemm = engine.get("sgemm") or {}
    sgemm_rate = sgemm.get("gflops")
    lines = []
    header = [
        f"BLAS core: {engine.get('blas_core', '?')}",
        f"sgemm n={sgemm.get('n', '?')} on {sgemm.get('threads', '?')} threads: "
        f"{fmt(sgemm_rate)} GFLOP/s",
        f"engine workers: {engine.get('workers', '?')}",
        f"JAX {peers.get('jax', '?')}, NumPy {peers.get('numpy', '?')} "
        f"(OpenBLAS {peers.get('numpy_blas_core') or '?'}), "
        f"peer threads: {peers.get('threads', '?')}",
    ]
    if peers.get("load_average"):
        header.append("load average at peer start: "
                      + " ".join(str(x) for x in peers["load_average"]))
    lines.append("**" + " · ".join(header) + "**")
    lines.append("")
    cols = ["B×H×d", "L", "S", "causal", "weights", "ours ms", "ours GFLOP/s",
            "% sgemm", "JAX ms", "NumPy ms", "JAX÷ours", "NumPy÷ours", "peak MiB"]
    lines.append("| " + " | ".join(cols) + " |")
    lines.append("|" + "|".join(["---"] * 3 + [":-:"] * 2 + ["--:"] * 8) + "|")
    rows = sorted(engine.get("rows", []),
                  key=lambda r: (r.get("B", 1), r.get("H", 1), r["d"], r["L"], r["S"],
                                 bool(r["causal"]), bool(r.get("weights"))))
    for r in rows:
        key = (r.get("B", 1), r.get("H", 1), r["d"], r["L"], r["S"], bool(r["causal"]))
        ours = r["median_ms"]
        rate = gflops_of(r)
        jax_ms = peer_ms.get(("jax",) + key)
        np_ms = peer_ms.get(("numpy",) + key)
        pct = 100.0 * rate / sgemm_rate if sgemm_rate else None
        lines.append("| " + " | ".join([
            f"{r.get('B', 1)}×{r.get('H', 1)}×{r['d']}", str(r["L"]), str(r["S"]),
            fmt(bool(r["causal"])), fmt(bool(r.get("weights"))),
            fmt(ours, 3), fmt(rate, 1), fmt(pct, 1), fmt(jax_ms, 3), fmt(np_ms, 3),
            fmt(ratio(jax_ms, ours)), fmt(ratio(np_ms, ours)),
            fmt(r.get("peak_mib"), 1)]) + " |")
    lines.append("")
    lines.append("÷ours > 1: the peer is slower than our engine. NumPy materialises the "
                 "weights; JAX (implementation=\"xla\") returns none. GFLOP/s counts "
                 "4·B·H·L·S·d, halved for causal rows (the work a causal mask leaves).")

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


def main():
    ap = argparse.ArgumentParser(description="Compare engine-bench with JAX and NumPy.")
    ap.add_argument("--engine-bench", default=os.path.join(ROOT, ".build", "release", "engine-bench"),
                    help="path of the engine benchmark binary "
                         "(default .build/release/engine-bench in the repository)")
    ap.add_argument("--quick", action="store_true", help="fewer sizes, passed to both")
    ap.add_argument("--threads", type=int, default=None,
                    help="threads for the peers (scripts/bench/peers.py's default: 2)")
    args = ap.parse_args()

    engine_cmd = [os.path.abspath(args.engine_bench), "--json"] + (["--quick"] if args.quick else [])
    engine = run_json(engine_cmd, "engine benchmark")
    peers_cmd = [sys.executable, "-m", "scripts.bench.peers"]
    if args.quick:
        peers_cmd.append("--quick")
    if args.threads is not None:
        peers_cmd += ["--threads", str(args.threads)]
    peers = run_json(peers_cmd, "peer benchmark")
    print(build_table(engine, peers))


if __name__ == "__main__":
    main()
