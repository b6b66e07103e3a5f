#!/usr/bin/env python3
"""PyTorch reference timings for the CUDA backend's numbers (not part of the build).

Times, on one GPU, with CUDA events (warm-up, then the median of --repeats runs):
  * torch.nn.functional.scaled_dot_product_attention in FP32 (PyTorch's own dispatch, and the
    memory-efficient kernel forced) at --fp32-n tokens;
  * SDPA in BF16 with the FlashAttention backend forced, at --bf16-n tokens;
  * linear attention written in plain PyTorch (phi = relu + 1e-6, S = phi(K)^T V, z = sum phi(K),
    o = phi(Q) S / phi(Q) z) and MHLA written with einsum/matmul (1D blocks, M = sqrt(N) by default,
    uniform, identity, cos or a CSV mixing matrix), FP32, at --linear-n tokens;
  * device-to-device copy bandwidth (copy_ of a --copy-gib GiB tensor; (read + write) bytes / time,
    as attnscope's calibrateCuda counts it) and square matmul TFLOP/s (FP32, TF32, BF16).

GFLOP/s use attnscope's MATH.md counts per head: softmax 4*N^2*d (causal: half), linear 4*N*r*d,
MHLA 4*N*r*d + 2*M^2*r*d (r = d here).

Needs only PyTorch with CUDA. Entries that run out of memory or have no kernel are skipped with a
message. Example:
  python3 tests/bench/sdpa_reference.py --json sdpa_h100.json
  python3 tests/bench/sdpa_reference.py --heads 8 --bf16-n 8192 32768 131072 --causal both
"""

import argparse
import contextlib
import json
import math
import platform
import statistics
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--device", default="cuda", help="torch device (default: cuda)")
    p.add_argument("--d", type=int, default=64, help="head width d_k = d_v (default: 64)")
    p.add_argument("--batch", type=int, default=1, help="batch size (default: 1)")
    p.add_argument("--heads", type=int, nargs="+", default=[1, 8],
                   help="head counts for the SDPA entries (default: 1 8)")
    p.add_argument("--fp32-n", type=int, nargs="*", default=[16384],
                   help="token counts for FP32 SDPA (default: 16384; none to skip)")
    p.add_argument("--bf16-n", type=int, nargs="*", default=[4096, 16384, 32768, 65536, 131072],
                   help="token counts for BF16 flash SDPA (default: 4096 16384 32768 65536 131072)")
    p.add_argument("--linear-n", type=int, nargs="*", default=[16384, 65536, 262144, 1048576],
                   help="token counts for linear attention and MHLA (default: 16384 ... 1048576)")
    p.add_argument("--linear-heads", type=int, default=8,
                   help="heads for linear attention and MHLA (default: 8)")
    p.add_argument("--blocks", type=int, default=0,
                   help="MHLA blocks M (default 0: the divisor of N nearest sqrt(N))")
    p.add_argument("--mixing", default="uniform",
                   help="MHLA mixing: uniform | identity | cos | PATH.csv (M x M) (default: uniform)")
    p.add_argument("--causal", choices=["no", "yes", "both"], default="no",
                   help="SDPA masking (default: no)")
    p.add_argument("--repeats", type=int, default=10, help="timed runs per entry (default: 10)")
    p.add_argument("--warmup", type=int, default=3, help="untimed runs first (default: 3)")
    p.add_argument("--copy-gib", type=float, default=1.0,
                   help="GiB copied for the bandwidth entry (default: 1; 0 skips)")
    p.add_argument("--matmul-n", type=int, default=8192,
                   help="square matmul size for TFLOP/s (default: 8192; 0 skips)")
    p.add_argument("--no-self-check", action="store_true",
                   help="skip the quick numerical checks of the linear/MHLA code")
    p.add_argument("--seed", type=int, default=0, help="torch.manual_seed (default: 0)")
    p.add_argument("--json", metavar="PATH", help="also write all results as JSON to PATH")
    return p.parse_args(argv)


# --------------------------------------------------------------------------------------------
# Helpers


def is_oom(exc):
    import torch
    oom_type = getattr(torch.cuda, "OutOfMemoryError", None)
    if oom_type is not None and isinstance(exc, oom_type):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def free_memory():
    import gc
    import torch
    gc.collect()
    torch.cuda.empty_cache()


def time_cuda(fn, warmup, repeats):
    """Milliseconds of each of `repeats` calls of fn(), timed with CUDA events after `warmup` calls."""
    import torch
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return times


def sdpa_backend_context(name):
    """Context manager forcing one SDPA backend ('flash', 'efficient', 'math'); None: default."""
    import torch
    if name is None:
        return contextlib.nullcontext()
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel  # torch >= 2.3
        backend = {"flash": SDPBackend.FLASH_ATTENTION,
                   "efficient": SDPBackend.EFFICIENT_ATTENTION,
                   "math": SDPBackend.MATH}[name]
        return sdpa_kernel(backend)
    except ImportError:  # torch 2.0 - 2.2
        return torch.backends.cuda.sdp_kernel(enable_flash=name == "flash",
                                              enable_mem_efficient=name == "efficient",
                                              enable_math=name == "math")


@contextlib.contextmanager
def allow_tf32(on):
    """FP32 matmuls on TF32 tensor cores (on) or in full FP32 (off) inside the block."""
    import torch
    old = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = on
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = old


class Runner:
    """Runs entries, catching out-of-memory and missing-kernel errors, and collects results."""

    def __init__(self, args):
        self.args = args
        self.results = []

    def run(self, entry, make_fn, flops=None, bytes_moved=None, context=None):
        """entry: dict describing the case; make_fn() builds the inputs and returns the callable;
        context: a factory of the context manager the timed calls run in (backend choice)."""
        import torch
        label = entry["name"]
        reason = None
        try:
            fn = make_fn()
            with (context or contextlib.nullcontext)():
                times = time_cuda(fn, self.args.warmup, self.args.repeats)
            del fn
        except Exception as exc:  # noqa: BLE001 - every failure becomes a skipped entry
            reason = "out of memory" if is_oom(exc) else f"{type(exc).__name__}: {exc}"
            reason = (reason.strip().splitlines() or ["?"])[0][:200]
        # Outside the except block, so the traceback no longer holds the inputs.
        free_memory()
        if reason is not None:
            print(f"  skipped {label} {self._shape(entry)}: {reason}", flush=True)
            self.results.append(dict(entry, status="skipped", reason=reason))
            return None
        med = statistics.median(times)
        out = dict(entry, status="ok", median_ms=med, min_ms=min(times), max_ms=max(times),
                   times_ms=times)
        if flops is not None:
            out["flops"] = flops
            out["gflops"] = flops / (med * 1e-3) / 1e9
        if bytes_moved is not None:
            out["bytes"] = bytes_moved
            out["gbps"] = bytes_moved / (med * 1e-3) / 1e9
        self.results.append(out)
        print(f"  {label:<34} {self._shape(entry):<40} {med:10.3f} ms  {self._rate(out)}",
              flush=True)
        torch.cuda.synchronize()
        return out

    @staticmethod
    def _shape(e):
        parts = []
        for key in ("dtype", "n", "heads", "d", "blocks"):
            if key in e and e[key] is not None:
                parts.append(f"{key}={e[key]}")
        if e.get("causal"):
            parts.append("causal")
        return " ".join(parts)

    @staticmethod
    def _rate(r):
        if "gflops" in r:
            g = r["gflops"]
            return f"{g / 1000:8.2f} TFLOP/s" if g >= 1000 else f"{g:8.1f} GFLOP/s"
        if "gbps" in r:
            return f"{r['gbps']:8.1f} GB/s"
        return ""


# --------------------------------------------------------------------------------------------
# Mechanisms in plain PyTorch


def phi_relu(x):
    import torch
    return torch.relu(x) + 1e-6


def linear_attention(q, k, v):
    """q, k: (B, H, N, d); v: (B, H, N, dv). Bidirectional linear attention, relu feature map."""
    import torch
    pq, pk = phi_relu(q), phi_relu(k)
    s = torch.matmul(pk.transpose(-1, -2), v)          # (B, H, r, dv)
    z = pk.sum(dim=-2)                                  # (B, H, r)
    num = torch.matmul(pq, s)                           # (B, H, N, dv)
    den = torch.matmul(pq, z.unsqueeze(-1))             # (B, H, N, 1)
    return num / den


def mhla(q, k, v, mix):
    """MHLA with 1D blocks (MATH.md): M = mix.shape[0] equal blocks of N/M tokens, paper normaliser.
    S_b = phi(K_b)^T V_b, z_b = sum phi(K_b); S~ = mix S, z~ = mix z; o_t = phi(q_t) S~_a / phi(q_t) z~_a."""
    import torch
    b, h, n, d = q.shape
    dv = v.shape[-1]
    m = mix.shape[0]
    nb = n // m
    pq = phi_relu(q).reshape(b, h, m, nb, d)
    pk = phi_relu(k).reshape(b, h, m, nb, d)
    vb = v.reshape(b, h, m, nb, dv)
    s = torch.einsum("bhmnr,bhmnd->bhmrd", pk, vb)      # (B, H, M, r, dv)
    z = pk.sum(dim=3)                                   # (B, H, M, r)
    st = torch.matmul(mix, s.reshape(b, h, m, d * dv)).reshape(b, h, m, d, dv)
    zt = torch.matmul(mix, z)                           # (B, H, M, r)
    num = torch.einsum("bhanr,bhard->bhand", pq, st)
    den = torch.einsum("bhanr,bhar->bhan", pq, zt).unsqueeze(-1)
    return (num / den).reshape(b, h, n, dv)


def blocks_for(n, wanted):
    """wanted > 0: that M (must divide N); else the divisor of N nearest sqrt(N)."""
    if wanted > 0:
        if n % wanted:
            raise ValueError(f"--blocks {wanted} does not divide N = {n}")
        return wanted
    root = math.sqrt(n)
    best = 1
    for m in range(1, int(root) + 2):
        if n % m == 0 and abs(m - root) <= abs(best - root):
            best = m
    other = n // best  # the partner divisor may be nearer
    return other if abs(other - root) < abs(best - root) else best


def mixing_matrix(kind, m, device):
    """M x M mixing matrix (MATH.md, 1D block centres i + 1/2), float32 on `device`."""
    import torch
    if kind == "uniform":
        return torch.full((m, m), 1.0 / m, device=device)
    if kind == "identity":
        return torch.eye(m, device=device)
    if kind == "cos":
        c = torch.arange(m, dtype=torch.float64) + 0.5
        dist = (c[:, None] - c[None, :]).abs()
        dmax = dist.max().item()
        w = torch.cos(dist / dmax * math.pi / 4) if dmax > 0 else torch.ones(m, m, dtype=torch.float64)
        w = w / w.sum(dim=0, keepdim=True)  # each column sums to 1
        return w.to(device=device, dtype=torch.float32)
    # A CSV file (commas, semicolons, tabs or spaces; '#' comments), like attnscope's loader.
    rows = []
    with open(kind, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                rows.append([float(x) for x in line.replace(",", " ").replace(";", " ").split()])
    if len(rows) != m or any(len(r) != m for r in rows):
        raise ValueError(f"{kind}: the mixing matrix must be {m}x{m} for M = {m}")
    if any(x < 0 or not math.isfinite(x) for r in rows for x in r):
        raise ValueError(f"{kind}: mixing weights must be finite and non-negative")
    return torch.tensor(rows, dtype=torch.float32, device=device)


def self_check(device):
    """MATH.md identities on small inputs, against a dense float64 map."""
    import torch
    g = torch.Generator(device="cpu").manual_seed(1)
    n, d, m = 1024, 32, 16
    q, k, v = (torch.randn(1, 2, n, d, generator=g, dtype=torch.float64) for _ in range(3))
    pq, pk = phi_relu(q), phi_relu(k)
    dense = pq @ pk.transpose(-1, -2)
    ref_lin = (dense / dense.sum(-1, keepdim=True)) @ v
    blk = torch.arange(n) // (n // m)
    mix = mixing_matrix("cos", m, "cpu").double()
    w = mix[blk][:, blk]
    ref_mhla = ((dense * w) / (dense * w).sum(-1, keepdim=True)) @ v
    qd, kd, vd = (x.float().to(device) for x in (q, k, v))
    err_lin = ((linear_attention(qd, kd, vd).double().cpu() - ref_lin).norm() / ref_lin.norm()).item()
    err_mhla = ((mhla(qd, kd, vd, mix.float().to(device)).double().cpu() - ref_mhla).norm()
                / ref_mhla.norm()).item()
    uni = mhla(qd, kd, vd, mixing_matrix("uniform", m, device))
    err_uni = ((uni - linear_attention(qd, kd, vd)).norm() / uni.norm()).item()
    checks = {"linear_vs_dense": err_lin, "mhla_cos_vs_dense": err_mhla,
              "mhla_uniform_vs_linear": err_uni}
    ok = all(e < 1e-4 for e in checks.values())
    print("self-check (relative errors, must be < 1e-4): " +
          ", ".join(f"{k} {e:.1e}" for k, e in checks.items()) + (" OK" if ok else " FAILED"))
    return dict(checks, ok=ok)


# --------------------------------------------------------------------------------------------


def main(argv=None):
    args = parse_args(argv)
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        print("PyTorch is not installed: pip install torch (with CUDA)", file=sys.stderr)
        return 2
    if not torch.cuda.is_available():
        print("no CUDA device visible to PyTorch", file=sys.stderr)
        return 2
    dev = torch.device(args.device)
    torch.manual_seed(args.seed)
    props = torch.cuda.get_device_properties(dev)
    info = {
        "torch": torch.__version__, "cuda": torch.version.cuda, "python": platform.python_version(),
        "gpu": props.name, "gpu_memory_gib": props.total_memory / 2**30,
        "compute_capability": f"{props.major}.{props.minor}",
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    print(f"torch {info['torch']} (CUDA {info['cuda']}), {info['gpu']} "
          f"(sm_{props.major}{props.minor}, {info['gpu_memory_gib']:.0f} GiB)")
    print(f"timing: {args.warmup} warm-up runs, median of {args.repeats} (CUDA events)\n")
    run = Runner(args)
    causal_opts = {"no": [False], "yes": [True], "both": [False, True]}[args.causal]
    d, bsz = args.d, args.batch
    out = {"info": info, "args": vars(args), "results": run.results}

    if not args.no_self_check:
        try:
            with torch.inference_mode():
                out["self_check"] = self_check(dev)
        except Exception as exc:  # noqa: BLE001
            print(f"self-check skipped: {exc}")

    def attn_flops(n, heads, causal):
        return bsz * heads * (2.0 if causal else 4.0) * n * n * d

    with torch.inference_mode():
        # ---- FP32 SDPA: PyTorch's dispatch, and the memory-efficient kernel forced ---------
        print("FP32 scaled_dot_product_attention")
        for n in args.fp32_n:
            for heads in args.heads:
                for causal in causal_opts:
                    for backend in (None, "efficient"):
                        def make(n=n, heads=heads, causal=causal):
                            q, k, v = (torch.randn(bsz, heads, n, d, device=dev) for _ in range(3))
                            return lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal)
                        run.run({"name": f"sdpa fp32 ({backend or 'default dispatch'})",
                                 "kind": "sdpa", "dtype": "float32", "backend": backend or "default",
                                 "n": n, "heads": heads, "d": d, "batch": bsz, "causal": causal},
                                make, flops=attn_flops(n, heads, causal),
                                context=lambda backend=backend: sdpa_backend_context(backend))

        # ---- BF16 SDPA, FlashAttention forced ------------------------------------------------
        print("\nBF16 scaled_dot_product_attention, FLASH_ATTENTION backend")
        for n in args.bf16_n:
            for heads in args.heads:
                for causal in causal_opts:
                    def make(n=n, heads=heads, causal=causal):
                        q, k, v = (torch.randn(bsz, heads, n, d, device=dev, dtype=torch.bfloat16)
                                   for _ in range(3))
                        return lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal)
                    run.run({"name": "sdpa bf16 (flash)", "kind": "sdpa", "dtype": "bfloat16",
                             "backend": "flash", "n": n, "heads": heads, "d": d, "batch": bsz,
                             "causal": causal},
                            make, flops=attn_flops(n, heads, causal),
                            context=lambda: sdpa_backend_context("flash"))

        # ---- linear attention and MHLA in plain PyTorch (FP32) ---------------------------
        heads = args.linear_heads
        print(f"\nlinear attention and MHLA in PyTorch (fp32, relu feature map, mixing={args.mixing})")
        for n in args.linear_n:
            def make_lin(n=n):
                q, k, v = (torch.randn(bsz, heads, n, d, device=dev) for _ in range(3))
                return lambda: linear_attention(q, k, v)
            run.run({"name": "linear (torch)", "kind": "linear", "dtype": "float32", "n": n,
                     "heads": heads, "d": d, "batch": bsz, "causal": False},
                    make_lin, flops=bsz * heads * 4.0 * n * d * d)
            try:
                m = blocks_for(n, args.blocks)
            except ValueError as exc:
                print(f"  skipped MHLA n={n}: {exc}")
                run.results.append({"name": "mhla (torch)", "kind": "mhla", "n": n,
                                    "status": "skipped", "reason": str(exc)})
                continue

            def make_mhla(n=n, m=m):
                mix = mixing_matrix(args.mixing, m, dev)
                q, k, v = (torch.randn(bsz, heads, n, d, device=dev) for _ in range(3))
                return lambda: mhla(q, k, v, mix)
            run.run({"name": f"mhla (torch, {args.mixing if len(args.mixing) < 12 else 'file'})",
                     "kind": "mhla", "dtype": "float32", "n": n, "heads": heads, "d": d,
                     "batch": bsz, "blocks": m, "mixing": args.mixing, "causal": False},
                    make_mhla, flops=bsz * heads * (4.0 * n * d * d + 2.0 * m * m * d * d))

        # ---- device yardsticks ---------------------------------------------------------------
        print("\ndevice yardsticks")
        if args.copy_gib > 0:
            nbytes = int(args.copy_gib * 2**30)

            def make_copy():
                src = torch.ones(nbytes, dtype=torch.uint8, device=dev)
                dst = torch.empty_like(src)
                return lambda: dst.copy_(src)
            run.run({"name": "device copy_", "kind": "copy", "bytes_copied": nbytes},
                    make_copy, bytes_moved=2 * nbytes)
        if args.matmul_n > 0:
            mn = args.matmul_n
            for label, dtype, tf32 in (("matmul fp32", torch.float32, False),
                                       ("matmul tf32", torch.float32, True),
                                       ("matmul bf16", torch.bfloat16, False)):
                def make_mm(dtype=dtype):
                    a = torch.randn(mn, mn, device=dev, dtype=dtype)
                    b = torch.randn(mn, mn, device=dev, dtype=dtype)
                    return lambda: a @ b
                run.run({"name": label, "kind": "matmul", "dtype": str(dtype).replace("torch.", ""),
                         "tf32": tf32, "n": mn}, make_mm, flops=2.0 * mn ** 3,
                        context=lambda tf32=tf32: allow_tf32(tf32))

    ok = [r for r in run.results if r.get("status") == "ok"]
    skipped = [r for r in run.results if r.get("status") != "ok"]
    print("\nsummary")
    print(f"  {'entry':<34} {'shape':<40} {'median ms':>13}  {'rate':>14}")
    for r in run.results:
        if r.get("status") == "ok":
            print(f"  {r['name']:<34} {Runner._shape(r):<40} {r['median_ms']:13.3f}  "
                  f"{Runner._rate(r):>14}")
        else:
            print(f"  {r['name']:<34} {Runner._shape(r):<40} {'skipped':>13}  {r.get('reason', '')}")
    print(f"\n{len(ok)} entries timed, {len(skipped)} skipped")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=2)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
