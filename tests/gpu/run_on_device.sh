#!/usr/bin/env bash
# The first minutes on a machine with an NVIDIA GPU, in one command from the repository root:
#   tests/gpu/run_on_device.sh [REPORT_DIR]
# builds attnscope with the CUDA backend (for this GPU's architecture only, to build fast), runs
# every CUDA test (a device test that SKIPS on a machine with a device counts as a failure), the
# GPU benchmarks (`attnscope bench --backend cuda --calibrate`, fp32/tf32 softmax, linear and MHLA
# up to N = 1M) and PyTorch's SDPA and einsum peers (tests/bench/sdpa_reference.py) in the same
# run, and writes one report, REPORT_DIR/gpu_report.md (default: $OUT if set, else
# build/gpu-report), with every log and JSON beside it. It needs cmake, nvcc, a C++ compiler, the
# Debian packages of .ci/install-deps and PyTorch with CUDA for the peer (skipped with a note if
# absent); no network. Each step has a time limit; a failed step is recorded and the next one runs.
# Environment: BUILD_DIR (default build/gpu), CUDA_ARCH (default native), JOBS (default nproc),
# QUICK=1 (fewer sizes and repeats, for a machine lent for a few minutes).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
REPORT_DIR=${1:-${OUT:-build/gpu-report}}
BUILD=${BUILD_DIR:-build/gpu}
JOBS=${JOBS:-$(nproc)}
ARCH=${CUDA_ARCH:-native}
QUICK=${QUICK:-0}
mkdir -p "$REPORT_DIR/logs"
REPORT=$REPORT_DIR/gpu_report.md
BIN=$BUILD/app/attnscope
FAILED=0

{
  echo "# attnscope GPU report"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
  echo "- host CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
  echo
  echo "| step | result | seconds | log |"
  echo "|---|---|---|---|"
} >"$REPORT"

# step NAME LIMIT_SECONDS COMMAND...: runs it with a time limit, logs to logs/NAME.log, adds a row.
step() {
  local name=$1 limit=$2 start=$SECONDS rc
  shift 2
  echo "=== $name (limit ${limit} s)"
  timeout --kill-after=10 "$limit" "$@" >"$REPORT_DIR/logs/$name.log" 2>&1
  rc=$?
  local result="ok"
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then result="TIMED OUT"; elif [ $rc -ne 0 ]; then result="FAILED (exit $rc)"; fi
  [ "$result" = ok ] || FAILED=$((FAILED + 1))
  echo "| $name | $result | $((SECONDS - start)) | logs/$name.log |" >>"$REPORT"
  tail -n 5 "$REPORT_DIR/logs/$name.log"
  return $rc
}

step device 60 bash -c 'nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.memory,driver_version \
  --format=csv && nvcc --version | tail -n 2'

BENCH_FLAG=OFF
pkg-config --exists benchmark 2>/dev/null && BENCH_FLAG=ON
step configure 300 cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DATTNSCOPE_CUDA=ON \
  -DATTNSCOPE_GUI=OFF -DATTNSCOPE_NATIVE=ON -DATTNSCOPE_BENCH="$BENCH_FLAG" \
  -DCMAKE_CUDA_ARCHITECTURES="$ARCH"
step build 1200 cmake --build "$BUILD" -j"$JOBS" --target attnscope attnscope_gpu_tests attnscope_core_tests

# Every CUDA test, with its XML; skipped device tests on a machine with a device are failures.
step gpu-tests 600 bash -c "'$BUILD/tests/gpu/attnscope_gpu_tests' --gtest_output=xml:'$REPORT_DIR/gpu_tests.xml'"
skipped=$(grep -c '<skipped' "$REPORT_DIR/gpu_tests.xml" 2>/dev/null || true)
if [ "${skipped:-0}" != 0 ]; then
  echo "| gpu-tests skipped | FAILED: $skipped device tests skipped with a device present | - | gpu_tests.xml |" >>"$REPORT"
  FAILED=$((FAILED + 1))
fi
step core-tests 600 "$BUILD/tests/core/attnscope_core_tests" --gtest_brief=1
step info 30 "$BIN" info

if [ "$QUICK" = 1 ]; then REP=3; NS=4096,32768; LNS=65536,1048576; BF16="4096 32768"; LIN="65536 1048576"
else REP=10; NS=4096,16384,32768,65536; LNS=65536,262144,1048576; BF16="4096 16384 32768 65536 131072"; LIN="16384 65536 262144 1048576"; fi
step bench-cuda 600 "$BIN" bench --backend cuda --calibrate --n "$NS" --blocks sqrt --repeats "$REP" \
  --max-seconds 120 --json "$REPORT_DIR/bench_cuda.json"
step bench-cuda-tf32 300 "$BIN" bench --backend cuda --mechanisms softmax --softmax-precision tf32 \
  --n "$NS" --repeats "$REP" --json "$REPORT_DIR/bench_cuda_tf32.json"
step bench-cuda-large 600 "$BIN" bench --backend cuda --mechanisms linear,mhla --n "$LNS" --blocks sqrt \
  --repeats "$REP" --json "$REPORT_DIR/bench_cuda_large.json"
step bench-cuda-8heads 300 "$BIN" bench --backend cuda --mechanisms linear,mhla --n 65536 --heads 8 \
  --blocks sqrt --repeats "$REP" --json "$REPORT_DIR/bench_cuda_8heads.json"

if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  # shellcheck disable=SC2086
  step sdpa-reference 900 python3 tests/bench/sdpa_reference.py --heads 1 8 --bf16-n $BF16 \
    --linear-n $LIN --linear-heads 1 --repeats "$REP" --json "$REPORT_DIR/sdpa.json"
else
  echo "| sdpa-reference | not run: no PyTorch with CUDA for $(command -v python3) | - | - |" >>"$REPORT"
fi

# The issue's targets from the JSON files of this run.
python3 - "$REPORT_DIR" >>"$REPORT" <<'EOF'
import json, os, sys
d = sys.argv[1]
def load(name):
    try:
        with open(os.path.join(d, name)) as f:
            j = json.load(f)
        return j.get("results", j) if isinstance(j, dict) else j
    except (OSError, ValueError):
        return []
rows = load("bench_cuda.json") + load("bench_cuda_large.json")
torch_rows = [r for r in load("sdpa.json") if r.get("status") == "ok"]
print("\n## attnscope (CUDA backend, device time)\n")
print("| mechanism | N | heads | M | median ms | GFLOP/s |\n|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['mechanism']} | {r['n']} | {r['heads']} | {r['blocks']} | {r['median_ms']:.3f} | {r['gflops']:.1f} |")
print("\n## Targets\n")
copy = [r for r in torch_rows if r.get("kind") == "copy"]
bw = copy[0]["gbps"] if copy else None
mhla1m = [r for r in rows if r["mechanism"] == "mhla" and r["n"] == 1048576 and r["heads"] == 1]
if mhla1m and bw:
    r = mhla1m[0]
    moved = 4 * r["n"] * r["d"] * 4  # Q, K, V read and O written once, float32
    gbps = moved / (r["median_ms"] * 1e-3) / 1e9
    print(f"- MHLA N=1M: {r['median_ms']:.3f} ms, {gbps:.0f} GB/s of Q/K/V/O traffic = "
          f"{100 * gbps / bw:.0f} % of the copy bandwidth ({bw:.0f} GB/s); target >= 60 %")
else:
    print("- MHLA N=1M vs HBM bandwidth: missing (no MHLA N=1048576 row or no copy entry)")
flash = [r for r in torch_rows if r.get("kind") == "sdpa" and r.get("dtype") == "bfloat16"
         and r.get("n") == 32768 and r.get("heads") == 1]
m32 = [r for r in rows if r["mechanism"] == "mhla" and r["n"] == 32768 and r["heads"] == 1]
if flash and m32:
    ratio = flash[0]["median_ms"] / m32[0]["median_ms"]
    print(f"- N=32k: SDPA bf16 flash {flash[0]['median_ms']:.3f} ms, attnscope MHLA (fp32) "
          f"{m32[0]['median_ms']:.3f} ms: {ratio:.1f}x faster; target >= 10x")
else:
    print("- N=32k vs SDPA bf16 flash: missing (no flash entry at N=32768, 1 head, or no MHLA row)")
EOF
echo >>"$REPORT"
echo "$FAILED step(s) failed." >>"$REPORT"
echo "report: $REPORT ($FAILED step(s) failed)"
[ "$FAILED" -eq 0 ]
