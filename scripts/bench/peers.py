"""Time our engine's peers on the engine benchmark's shapes; print JSON to stdout.

    pip install 'jax[cpu]'          # NumPy comes with it; PyTorch is optional: pip install torch
    python3 -m scripts.bench.peers [--quick] [--bert] [--threads N]     # from the repository root

Shapes: B=1, H=8, d=64, L=S in {128, 512, 1024, 4096} ({128, 1024} with --quick), then the
BERT-shaped batches B×H = 32×12 and 1×12 at L=S=128, d=64 (with --bert only those);
causal false/true, float32. Peers:
  jax    jitted jax.nn.dot_product_attention(..., is_causal=..., implementation="xla"),
         layout [B,T,N,H]; timed after a compiling warm-up, with block_until_ready.
  numpy  scores = q·kᵀ·scale, causal mask, row-max-subtracted softmax, ·v, in float32;
         it materialises the [B,H,L,S] weights, like the engine with weights requested.
  torch  torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=...), layout
         [B,H,L,d], under torch.inference_mode(), torch.set_num_threads(N): no weights.
  torch_weights  PyTorch's matmul–softmax–matmul (q·kᵀ·scale, masked_fill of the causal
         mask, torch.softmax, ·v), which returns the weights: the peer of the engine's
         rows with weights.
PyTorch is imported only if present: without it the torch rows are left out and a note
says so. Reports the median wall time of several repetitions (fewer at L=4096). The whole
run takes well under 3 minutes on 2 cores.

--threads N sets XLA, OpenBLAS, OpenMP and MKL thread counts before NumPy, JAX or PyTorch
load, and torch.set_num_threads(N) (default 2). Progress goes to stderr; only the JSON
goes to stdout:
  {"jax": "...", "numpy": "...", "torch": "..." | null, "threads": 2, "numpy_blas_core": "...",
   "load_average": [1, 5, 15 min], "B": 1, "H": 8, "d": 64, "dtype": "float32", "notes": [..],
   "rows": [{"impl": "jax"|"numpy"|"torch"|"torch_weights", "B": .., "H": .., "d": ..,
             "L": .., "S": .., "causal": false, "median_ms": ..}]}
(the top-level B, H, d are those of the first shapes, for older readers).
"""

import argparse
import json
import os
import subprocess
import sys
import time

SIZES = [128, 512, 1024, 4096]
QUICK_SIZES = [128, 1024]
B, H, D = 1, 8, 64
# BERT-base's attention: 12 heads of 64 features on 128-token sequences, a batch of 32 and one.
BERT_SHAPES = [(32, 12, 128, 128, 64), (1, 12, 128, 128, 64)]


def repetitions(B, H, L, S):
    """Enough runs for a stable median; few where one run takes ~1 s (L=4096)."""
    work = B * H * L * S
    if work <= 12 * 128 * 128:
        return 101  # well under a millisecond each
    if work <= 8 * 512 * 512:
        return 15 if work > 12 * 128 * 128 * 4 else 30
    if work <= 32 * 12 * 128 * 128:
        return 21
    if work <= 8 * 1024 * 1024:
        return 7
    return 3


def set_thread_env(threads):
    """Must run before NumPy or JAX is imported: the libraries read these once."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # NumPy, PyTorch
        os.environ[var] = str(threads)
    flags = os.environ.get("XLA_FLAGS", "")
    if threads == 1:
        flags += " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    else:
        flags += f" --xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads={threads}"
    os.environ["XLA_FLAGS"] = flags.strip()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")


def median_ms(fn, reps):
    fn()  # a warm-up run of its own: first-call allocations and thread start-up are not timed
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    n = len(times)
    return times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])


def numpy_blas_core(np):
    """Which kernel NumPy's bundled OpenBLAS picked (e.g. Haswell), best effort."""
    import ctypes
    import glob
    libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in glob.glob(os.path.join(libs, "*openblas*")):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename",
                     "openblas_get_corename64_", "openblas_get_corename"):
            if hasattr(lib, name):
                fn = getattr(lib, name)
                fn.restype = ctypes.c_char_p
                return fn().decode()
    return None


def numpy_attention(np, q, k, v, causal):
    """q, k, v: [B, H, L, d] float32; every intermediate stays float32."""
    scale = np.float32(1.0 / np.sqrt(q.shape[-1]))
    s = q @ np.swapaxes(k, -1, -2)
    s *= scale
    if causal:
        L, S = s.shape[-2:]
        s[..., ~np.tri(L, S, dtype=bool)] = -np.inf
    s -= s.max(axis=-1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=-1, keepdims=True)
    return s @ v


def inputs(np, shape):
    """The same seeded Q, K, V for a shape in every process: [B, H, L, d], [B, H, S, d] twice."""
    b, h, L, S, d = shape
    rng = np.random.default_rng(0)
    return (rng.standard_normal((b, h, L, d), dtype=np.float32),
            rng.standard_normal((b, h, S, d), dtype=np.float32),
            rng.standard_normal((b, h, S, d), dtype=np.float32))


def row(impl, shape, causal, ms):
    b, h, L, S, d = shape
    print(f"{impl:13} {b}×{h}×{d} L={L:5d} causal={causal!s:5}: {ms:9.3f} ms", file=sys.stderr)
    return {"impl": impl, "B": b, "H": h, "d": d, "L": L, "S": S, "causal": causal, "median_ms": round(ms, 4)}


def time_jax_numpy(shapes):
    """JAX's and NumPy's rows, and the two libraries' versions."""
    import numpy as np
    import jax
    import jax.numpy as jnp
    jitted = {c: jax.jit(lambda q, k, v, c=c: jax.nn.dot_product_attention(
        q, k, v, is_causal=c, implementation="xla")) for c in (False, True)}
    rows = []
    for shape in shapes:
        reps = repetitions(*shape[:4])
        q, k, v = inputs(np, shape)
        # JAX's layout is [B, T, N, H]: sequence before heads.
        jq, jk, jv = (jnp.asarray(np.ascontiguousarray(np.transpose(t, (0, 2, 1, 3))))
                      for t in (q, k, v))
        for causal in (False, True):
            fn = jitted[causal]
            out = fn(jq, jk, jv).block_until_ready()   # compile + warm-up
            ref = numpy_attention(np, q, k, v, causal)
            # Same problem for both: a cheap agreement check, not a test.
            err = float(np.max(np.abs(np.transpose(np.asarray(out), (0, 2, 1, 3)) - ref)))
            if err > 1e-3:
                print(f"warning: jax and numpy differ by {err:g} at {shape}", file=sys.stderr)
            rows.append(row("jax", shape, causal, median_ms(lambda: fn(jq, jk, jv).block_until_ready(), reps)))
            rows.append(row("numpy", shape, causal, median_ms(lambda: numpy_attention(np, q, k, v, causal), reps)))
            del out, ref
    return {"jax": jax.__version__, "numpy": np.__version__, "numpy_blas_core": numpy_blas_core(np)}, rows, []


def time_torch(shapes, threads):
    """PyTorch's rows (SDPA, and matmul–softmax–matmul with weights), or none and a note."""
    try:
        import torch
    except ImportError as error:
        return {"torch": None}, [], [f"PyTorch not installed ({error}): its rows skipped (pip install torch)"]
    import numpy as np
    torch.set_num_threads(threads)
    rows = []
    for shape in shapes:
        reps = repetitions(*shape[:4])
        q, k, v = (torch.from_numpy(t) for t in inputs(np, shape))
        L, S = shape[2], shape[3]
        scale = 1.0 / float(np.sqrt(shape[4]))
        for causal in (False, True):
            hidden = ~torch.ones(L, S, dtype=torch.bool).tril() if causal else None

            def sdpa():
                with torch.inference_mode():
                    return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)

            def with_weights():
                with torch.inference_mode():
                    s = torch.matmul(q, k.transpose(-1, -2)).mul_(scale)
                    if hidden is not None:
                        s.masked_fill_(hidden, float("-inf"))
                    w = torch.softmax(s, dim=-1)
                    return torch.matmul(w, v), w
            # The two PyTorch paths agree (a cheap check, not a test; NumPy's BLAS stays out of
            # this process, whose threads would compete with PyTorch's).
            err = float((sdpa() - with_weights()[0]).abs().max())
            if err > 1e-3:
                print(f"warning: torch's SDPA and matmul paths differ by {err:g} at {shape}", file=sys.stderr)
            rows.append(row("torch", shape, causal, median_ms(sdpa, reps)))
            rows.append(row("torch_weights", shape, causal, median_ms(with_weights, reps)))
    return {"torch": torch.__version__}, rows, []


def main():
    ap = argparse.ArgumentParser(description="Benchmark JAX, NumPy and PyTorch attention.")
    ap.add_argument("--quick", action="store_true", help="L in {128, 1024} only")
    ap.add_argument("--bert", action="store_true", help="the BERT-shaped batches only")
    ap.add_argument("--threads", type=int, default=2, help="threads per library (2)")
    ap.add_argument("--libs", default=None, choices=["jax", "torch"],
                    help="time one group in this process (what the parent runs in each child)")
    args = ap.parse_args()
    shapes = [] if args.bert else [(B, H, L, L, D) for L in (QUICK_SIZES if args.quick else SIZES)]
    shapes += BERT_SHAPES

    if args.libs:
        set_thread_env(args.threads)
        if args.libs == "jax":
            versions, rows, notes = time_jax_numpy(shapes)
        else:
            versions, rows, notes = time_torch(shapes, args.threads)
        json.dump({**versions, "rows": rows, "notes": notes}, sys.stdout)
        sys.stdout.write("\n")
        return

    # Each library group in a process of its own, one after the other: the thread pools of
    # NumPy's OpenBLAS, XLA and PyTorch's OpenMP spin for a while after each call, and in one
    # process on 2 cores they took turns slowing each other down (PyTorch's SDPA at 1×12×128×64
    # went from 0.5 to 4–12 ms after JAX and NumPy had run there).
    # Other processes sharing the cores distort these timings (multi-threaded BLAS
    # suffers most), so the report says how busy the machine was.
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    report = {"threads": args.threads, "B": B, "H": H, "d": D, "dtype": "float32",
              "load_average": load_at_start, "notes": [], "rows": []}
    for libs in ("jax", "torch"):
        command = [sys.executable, "-m", "scripts.bench.peers", "--libs", libs, "--threads", str(args.threads)]
        command += [flag for flag, on in (("--quick", args.quick), ("--bert", args.bert)) if on]
        child = subprocess.run(command, stdout=subprocess.PIPE, text=True)
        if child.returncode != 0:
            sys.exit(f"error: {' '.join(command)} exited with status {child.returncode}")
        part = json.loads(child.stdout.strip().splitlines()[-1])
        report["rows"] += part.pop("rows")
        report["notes"] += part.pop("notes")
        report.update(part)
    for note in report["notes"]:
        print("note: " + note, file=sys.stderr)
    report.setdefault("torch", None)
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
