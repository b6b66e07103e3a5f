#!/usr/bin/env python3
"""PyTorch (CPU) reference timings for attnscope's Eigen backend (not part of the build).

Times, on the CPU, with the same shapes as `attnscope bench --blocks sqrt` (d = 64, one head,
batch 1, FP32, relu + 1e-6 feature map, 1D blocks, M = round(sqrt(N)), cos mixing):
  * softmax attention written in plain PyTorch over query tiles of 1024 rows
    (softmax(Q_t K^T / sqrt(d)) V; no N x N matrix), at --softmax-n tokens;
  * linear attention: S = phi(K)^T V, z = sum phi(K), o = phi(Q) S / phi(Q) z;
  * MHLA: per-block summaries with one batched matmul, the mixing as one (M x M)(M x r*d) matmul,
    outputs with one batched matmul (the "six-line einsum" peer);
  * the sgemm rate of the same run: a square FP32 matmul of --sgemm-n (2 n^3 FLOPs).
For each thread count of --threads (torch.set_num_threads and the BLAS's own thread count).

GFLOP/s use attnscope's MATH.md counts per head: softmax 4*N^2*d, linear 4*N*r*d,
MHLA 4*N*r*d + 2*M^2*r*d (r = d). Each entry: --warmup untimed runs, then the median of --repeats.

It prints the BLAS library torch's matmul runs on (from the process's mapped libraries) and refuses
to run over the reference (netlib) BLAS, whose sgemm is 10-50x slower than a tuned one: timings
against it say nothing about attnscope. Run it with the Python that has torch, e.g.
  /usr/bin/python3 tests/bench/torch_cpu_reference.py --json torch_cpu.json
  /usr/bin/python3 tests/bench/torch_cpu_reference.py --threads 1 --n 4096 16384
"""

import argparse
import ctypes
import json
import math
import os
import platform
import re
import statistics
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--n", type=int, nargs="+", default=[4096, 16384, 65536],
                   help="token counts for linear attention and MHLA (default: 4096 16384 65536)")
    p.add_argument("--softmax-n", type=int, nargs="*", default=[4096, 16384],
                   help="token counts for softmax (default: 4096 16384; none to skip)")
    p.add_argument("--d", type=int, default=64, help="head width d_k = d_v (default: 64)")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                   help="thread counts (default: 1 2)")
    p.add_argument("--repeats", type=int, default=7, help="timed runs per entry (default: 7)")
    p.add_argument("--warmup", type=int, default=2, help="untimed runs first (default: 2)")
    p.add_argument("--sgemm-n", type=int, default=2048,
                   help="square matmul size of the sgemm rate (default: 2048)")
    p.add_argument("--seed", type=int, default=0, help="torch.manual_seed (default: 0)")
    p.add_argument("--json", metavar="PATH", help="also write all results as JSON to PATH")
    return p.parse_args(argv)


def loaded_blas():
    """Paths of the BLAS/LAPACK libraries mapped into this process."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            if re.search(r"(blas|lapack|mkl|blis)[^/]*\.so", path):
                libs.add(path)
    return sorted(libs)


def is_reference_blas(libs):
    tuned = [p for p in libs if re.search(r"openblas|mkl|blis|atlas|nvpl|armpl", p)]
    return not tuned


class BlasThreads:
    """Sets the thread count of OpenBLAS (which ignores torch.set_num_threads) when it is loaded."""

    def __init__(self, libs):
        self.lib = None
        for path in libs:
            if "openblas" in path:
                try:
                    lib = ctypes.CDLL(path)
                    lib.openblas_set_num_threads
                    self.lib = lib
                    break
                except (OSError, AttributeError):
                    pass

    def set(self, t):
        if self.lib is not None:
            self.lib.openblas_set_num_threads(ctypes.c_int(t))

    def get(self):
        return self.lib.openblas_get_num_threads() if self.lib is not None else None


def median_ms(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    ms = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ms), min(ms), max(ms)


def phi(x):
    import torch
    return torch.relu(x) + 1e-6


def softmax_attention(q, k, v, tile=1024):
    import torch
    s = 1.0 / math.sqrt(q.shape[1])
    out = torch.empty_like(v)
    for t in range(0, q.shape[0], tile):
        a = torch.softmax((q[t:t + tile] @ k.T) * s, dim=1)
        torch.matmul(a, v, out=out[t:t + tile])
    return out


def linear_attention(q, k, v):
    pq, pk = phi(q), phi(k)
    S = pk.T @ v
    z = pk.sum(0)
    return (pq @ S) / (pq @ z)[:, None]


def cos_mixing(m):
    """MATH.md `cos`: w_ab = cos(dist/D * pi/4) over 1D block centres, columns summing to 1."""
    import torch
    c = torch.arange(m, dtype=torch.float64) + 0.5
    dist = (c[:, None] - c[None, :]).abs()
    D = dist.max().clamp(min=1e-12)
    w = torch.cos(dist / D * (math.pi / 4))
    return (w / w.sum(0, keepdim=True)).float()


def mhla(q, k, v, mix):
    m = mix.shape[0]
    n, d = q.shape
    nb = n // m
    pq, pk = phi(q).view(m, nb, d), phi(k).view(m, nb, d)
    S = pk.transpose(1, 2) @ v.view(m, nb, -1)           # M x r x d
    z = pk.sum(1)                                          # M x r
    St = (mix @ S.reshape(m, -1)).view_as(S)               # one (M x M)(M x r*d) product
    Zt = mix @ z
    return ((pq @ St) / (pq @ Zt[:, :, None])).reshape(n, -1)


def self_check(torch):
    """The linear/MHLA code above against dense float64 maps (MATH.md) on a small case."""
    torch.manual_seed(1)
    n, d, m = 96, 8, 6
    q, k, v = (torch.randn(n, d, dtype=torch.float64) for _ in range(3))
    pq, pk = phi(q), phi(k)
    w = pq @ pk.T
    lin = (w / w.sum(1, keepdim=True)) @ v
    mix = cos_mixing(m).double()
    blk = torch.arange(n) // (n // m)
    wm = w * mix[blk][:, blk]
    ref = (wm / wm.sum(1, keepdim=True)) @ v
    err_l = (linear_attention(q, k, v) - lin).norm() / lin.norm()
    err_m = (mhla(q, k, v, mix) - ref).norm() / ref.norm()
    if err_l > 1e-10 or err_m > 1e-10:
        sys.exit(f"self-check failed: linear {err_l:.2e}, MHLA {err_m:.2e}")


def main(argv=None):
    args = parse_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import blas_env  # noqa: F401  (the same OpenBLAS kernel as attnscope's, before torch loads it)
    # The same OpenMP waiting as attnscope (which sets it at start-up): spinning waiters on a loaded
    # machine lose whole scheduler slices at every barrier, which would flatter attnscope.
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    import torch

    # One matmul first so that the BLAS is loaded, then look at what is mapped.
    torch.ones(8, 8) @ torch.ones(8, 8)
    libs = loaded_blas()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
               platform.processor())
    print(f"torch {torch.__version__}, CPU: {cpu}, {os.cpu_count()} logical cores, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}")
    print("BLAS libraries loaded: " + (", ".join(libs) if libs else "none found") +
          f"; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset (OpenBLAS detects)')}")
    if is_reference_blas(libs):
        sys.exit("refusing to run: torch's matmul is on the reference (netlib) BLAS or an unknown one; "
                 "install a tuned BLAS (e.g. Debian's libopenblas0-pthread, which update-alternatives "
                 "makes libblas.so.3) and run again")
    blas_threads = BlasThreads(libs)
    self_check(torch)

    torch.manual_seed(args.seed)
    d = args.d
    results = []
    header = f"{'mechanism':<9} {'threads':>7} {'N':>7} {'M':>5} {'median ms':>11} {'min ms':>9} {'GFLOP/s':>9}"
    print(header)
    for t in args.threads:
        torch.set_num_threads(t)
        blas_threads.set(t)

        def record(name, n, m, flops, fn):
            med, lo, hi = median_ms(fn, args.warmup, args.repeats)
            g = flops / (med * 1e-3) / 1e9
            print(f"{name:<9} {t:>7} {n:>7} {m:>5} {med:>11.3f} {lo:>9.3f} {g:>9.2f}", flush=True)
            results.append({"mechanism": name, "threads": t, "n": n, "d": d, "blocks": m,
                            "median_ms": med, "min_ms": lo, "max_ms": hi, "gflops": g})

        a = torch.randn(args.sgemm_n, args.sgemm_n)
        b = torch.randn(args.sgemm_n, args.sgemm_n)
        c = torch.empty(args.sgemm_n, args.sgemm_n)
        record("sgemm", args.sgemm_n, 1, 2.0 * args.sgemm_n ** 3, lambda: torch.matmul(a, b, out=c))
        del a, b, c
        with torch.no_grad():
            for n in sorted(set(args.n) | set(args.softmax_n or [])):
                q, k, v = (torch.randn(n, d) for _ in range(3))
                if n in (args.softmax_n or []):
                    record("softmax", n, 1, 4.0 * n * n * d, lambda: softmax_attention(q, k, v))
                if n in args.n:
                    record("linear", n, 1, 4.0 * n * d * d, lambda: linear_attention(q, k, v))
                    m = max(1, round(math.sqrt(n)))
                    if n % m:
                        print(f"mhla: N={n} is not a multiple of M={m}; skipped")
                    else:
                        mix = cos_mixing(m)
                        record("mhla", n, m, 4.0 * n * d * d + 2.0 * m * m * d * d,
                               lambda: mhla(q, k, v, mix))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": torch.__version__, "cpu": cpu, "blas": libs,
                       "blas_threads_settable": blas_threads.lib is not None,
                       "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
