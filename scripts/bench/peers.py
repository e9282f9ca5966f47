"""Time our engine's peers on the engine benchmark's shapes; print JSON to stdout.

    pip install 'jax[cpu]'          # NumPy comes with it
    python3 -m scripts.bench.peers [--quick] [--threads N]     # from the repository root

Shapes: B=1, H=8, d=64, L=S in {128, 512, 1024, 4096} ({128, 1024} with --quick),
causal false/true, float32. Peers:
  jax    jitted jax.nn.dot_product_attention(..., is_causal=..., implementation="xla"),
         layout [B,T,N,H]; timed after a compiling warm-up, with block_until_ready.
  numpy  scores = q·kᵀ·scale, causal mask, row-max-subtracted softmax, ·v, in float32;
         it materialises the [B,H,L,S] weights, like the engine with weights requested.
Reports the median wall time of several repetitions (fewer at L=4096). The whole run
takes well under 3 minutes on 2 cores.

--threads N sets XLA, OpenBLAS and OpenMP thread counts before NumPy or JAX load
(default 2). Progress goes to stderr; only the JSON goes to stdout:
  {"jax": "...", "numpy": "...", "threads": 2, "numpy_blas_core": "...",
   "load_average": [1, 5, 15 min], "B": 1, "H": 8, "d": 64, "dtype": "float32",
   "rows": [{"impl": "jax"|"numpy", "L": .., "S": .., "causal": false, "median_ms": ..}]}
"""

import argparse
import json
import os
import sys
import time

SIZES = [128, 512, 1024, 4096]
QUICK_SIZES = [128, 1024]
B, H, D = 1, 8, 64


def repetitions(L):
    """Enough runs for a stable median; few at L=4096, where one run takes ~1 s."""
    return {128: 30, 512: 15, 1024: 7}.get(L, 3)


def set_thread_env(threads):
    """Must run before NumPy or JAX is imported: the libraries read these once."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    flags = os.environ.get("XLA_FLAGS", "")
    if threads == 1:
        flags += " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    else:
        flags += f" --xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads={threads}"
    os.environ["XLA_FLAGS"] = flags.strip()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")


def median_ms(fn, reps):
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


def main():
    ap = argparse.ArgumentParser(description="Benchmark JAX and NumPy attention.")
    ap.add_argument("--quick", action="store_true", help="L in {128, 1024} only")
    ap.add_argument("--threads", type=int, default=2, help="threads per library (2)")
    args = ap.parse_args()
    set_thread_env(args.threads)

    import numpy as np
    import jax
    import jax.numpy as jnp

    def numpy_attention(q, k, v, causal):
        # q, k, v: [B, H, L, d] float32; every intermediate stays float32.
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

    jitted = {c: jax.jit(lambda q, k, v, c=c: jax.nn.dot_product_attention(
        q, k, v, is_causal=c, implementation="xla")) for c in (False, True)}

    # Other processes sharing the cores distort these timings (multi-threaded BLAS
    # suffers most), so the report says how busy the machine was.
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    rng = np.random.default_rng(0)
    rows = []
    for L in (QUICK_SIZES if args.quick else SIZES):
        S = L
        reps = repetitions(L)
        q = rng.standard_normal((B, H, L, D), dtype=np.float32)
        k = rng.standard_normal((B, H, S, D), dtype=np.float32)
        v = rng.standard_normal((B, H, S, D), dtype=np.float32)
        # JAX's layout is [B, T, N, H]: sequence before heads.
        jq, jk, jv = (jnp.asarray(np.ascontiguousarray(np.transpose(t, (0, 2, 1, 3))))
                      for t in (q, k, v))
        for causal in (False, True):
            fn = jitted[causal]
            out = fn(jq, jk, jv).block_until_ready()   # compile + warm-up
            ref = numpy_attention(q, k, v, causal)
            # Same problem for both: a cheap agreement check, not a test.
            err = float(np.max(np.abs(np.transpose(np.asarray(out), (0, 2, 1, 3)) - ref)))
            if err > 1e-3:
                print(f"warning: jax and numpy differ by {err:g} at L={L}", file=sys.stderr)
            ms = median_ms(lambda: fn(jq, jk, jv).block_until_ready(), reps)
            rows.append({"impl": "jax", "L": L, "S": S, "causal": causal,
                         "median_ms": round(ms, 4)})
            print(f"jax   L={L:5d} causal={causal!s:5}: {ms:9.3f} ms", file=sys.stderr)
            ms = median_ms(lambda: numpy_attention(q, k, v, causal), reps)
            rows.append({"impl": "numpy", "L": L, "S": S, "causal": causal,
                         "median_ms": round(ms, 4)})
            print(f"numpy L={L:5d} causal={causal!s:5}: {ms:9.3f} ms", file=sys.stderr)
            del out, ref

    json.dump({"jax": jax.__version__, "numpy": np.__version__, "threads": args.threads,
               "numpy_blas_core": numpy_blas_core(np), "B": B, "H": H, "d": D,
               "dtype": "float32", "load_average": load_at_start, "rows": rows},
              sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
