#!/usr/bin/env python3
"""Regenerates the CPU performance table of docs/performance.md in one run (not part of the build).

For each thread count it runs `attnscope bench --sgemm` (softmax at the --softmax-n sizes, linear and
MHLA at every --n; d = 64, one head, M = round(sqrt(N)), cos mixing) and then
tests/bench/torch_cpu_reference.py with the same shapes and threads, and prints a Markdown table:
per mechanism the median ms, GFLOP/s (MATH.md counts), the fraction of the best sgemm rate measured in
the same attnscope run (the faster of its BLAS and Eigen), and the speed-up over PyTorch; then MHLA / linear time. Usage:
  python3 tests/bench/perf_table.py --attnscope build/release/app/attnscope
(the peer needs a Python with torch: --torch-python /usr/bin/python3 by default). The JSON of every
run is kept with --keep DIR.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--attnscope", default="build/release/app/attnscope", help="the attnscope binary")
    p.add_argument("--torch-python", default="/usr/bin/python3", help="a Python with torch (CPU)")
    p.add_argument("--n", type=int, nargs="+", default=[4096, 16384, 65536])
    p.add_argument("--softmax-n", type=int, nargs="*", default=[4096, 16384])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--repeats", type=int, default=11)
    p.add_argument("--keep", metavar="DIR", help="keep the JSON files of every run in DIR")
    return p.parse_args()


def run(cmd):
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, stdout=sys.stderr)


def cpu_name():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def main():
    a = parse_args()
    work = a.keep or tempfile.mkdtemp(prefix="attnscope_perf_")
    os.makedirs(work, exist_ok=True)
    ours, peer, sgemm = {}, {}, {}
    for t in a.threads:
        for part, mechs, ns in (("softmax", "softmax", a.softmax_n), ("linear", "linear,mhla", a.n)):
            if not ns:
                continue
            path = os.path.join(work, f"attnscope_{part}_t{t}.json")
            run([a.attnscope, "bench", "--sgemm", "--threads", str(t), "--mechanisms", mechs,
                 "--n", ",".join(map(str, ns)), "--blocks", "sqrt", "--repeats", str(a.repeats),
                 "--max-seconds", "0", "--json", path])
            with open(path) as f:
                for r in json.load(f):
                    ours[(r["mechanism"], t, r["n"])] = r
                    sgemm.setdefault(t, (r["sgemm_gflops"], r.get("sgemm_engine", "eigen")))
        path = os.path.join(work, f"torch_t{t}.json")
        run([a.torch_python, os.path.join(HERE, "torch_cpu_reference.py"), "--threads", str(t),
             "--n", *map(str, a.n), "--softmax-n", *map(str, a.softmax_n),
             "--repeats", str(a.repeats), "--json", path])
        with open(path) as f:
            tj = json.load(f)
        for r in tj["results"]:
            peer[(r["mechanism"], t, r["n"])] = r
        blas = ", ".join(os.path.basename(b) for b in tj["blas"])

    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores; PyTorch {tj['torch']} over {blas}. "
          f"d = 64, one head, M = round(sqrt(N)); {a.repeats} runs after a warm-up.")
    # Two tables from the same runs: the median, and the minimum (what the code can do when no
    # other process takes the cores; on a shared machine the median carries its load).
    for stat in ("median", "min"):
        key = f"{stat}_ms"
        print(f"\n{stat.capitalize()} of the runs:\n")
        print(f"| threads | best sgemm GFLOP/s (ours / torch) | N | softmax {stat} ms (GFLOP/s, % sgemm, × torch) "
              "| linear (…) | MHLA (…) | MHLA / linear |")
        print("|---|---|---|---|---|---|---|")
        for t in a.threads:
            ts = peer.get(("sgemm", t, 2048), {}).get("gflops")
            for n in sorted(set(a.n) | set(a.softmax_n)):
                cells = []
                for mech in ("softmax", "linear", "mhla"):
                    r = ours.get((mech, t, n))
                    if not r:
                        cells.append("–")
                        continue
                    # GFLOP/s and the sgemm fraction for this statistic (bench reports the median's).
                    g = r["gflops"] * r["median_ms"] / r[key]
                    p = peer.get((mech, t, n))
                    speed = f", {p[key] / r[key]:.1f}×" if p else ""
                    cells.append(f"{r[key]:.2f} ({g:.0f}, {100 * g / r['sgemm_gflops']:.0f} %{speed})")
                lin, mh = ours.get(("linear", t, n)), ours.get(("mhla", t, n))
                ratio = f"{mh[key] / lin[key]:.2f}" if lin and mh else "–"
                tsg = f"{ts:.0f}" if ts else "?"
                print(f"| {t} | {sgemm[t][0]:.0f} {sgemm[t][1]} / {tsg} | {n} | " + " | ".join(cells) + f" | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
