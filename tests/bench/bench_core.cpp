// Core benchmarks (issue #2 targets), d = 64, one head, all cores. Run:
//   build/release/tests/bench/attnscope_bench --benchmark_counters_tabular=true
// GFLOP/s counters use MATH.md's FLOP counts; compare softmax with BM_Sgemm from the same run.
#include <benchmark/benchmark.h>

#include <cmath>
#include <numeric>

#include "attnscope/blas_library.h"
#include "attnscope/eigen_backend.h"
#include "attnscope/gemm.h"
#include "attnscope/fitted_mixing.h"
#include "attnscope/rng.h"

using namespace attnscope;

namespace {
constexpr int kD = 64;

const Qkv& inputs(int n) {
  static std::map<int, Qkv> cache;
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  Rng rng(12345 + n);
  Qkv q;
  q.addHead({rng.normalMatrix(n, kD), rng.normalMatrix(n, kD), rng.normalMatrix(n, kD)});
  return cache.emplace(n, std::move(q)).first->second;
}

int blocksFor(int n) { return std::max(1, static_cast<int>(std::lround(std::sqrt(double(n))))); }

MechanismSpec specFor(int kind, int n) {
  switch (kind) {
    case 0: return MechanismSpec::softmax();
    case 1: return MechanismSpec::linear({});
    default: return MechanismSpec::mhla(BlockLayout::oneD(n, blocksFor(n)), MixingInit::Cos, {});
  }
}

void setRate(benchmark::State& st, double flops) {
  st.counters["GFLOP/s"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
}  // namespace

// sgemm of the shape softmax's tiles use: (N×64)·(64×N), counted 2·N²·64, on Eigen (engine 0) or
// through gemm() (engine 1: the BLAS when loaded).
static void BM_Sgemm(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0));
  const bool viaGemm = st.range(1) != 0;
  EigenBackend be(0);
  setLinearAlgebraThreads(be.threads());
  Rng rng(1);
  const MatrixF a = rng.normalMatrix(n, kD), b = rng.normalMatrix(kD, n);
  MatrixF c(n, n);
  for (auto _ : st) {
    if (viaGemm)
      gemm(c, a, b);
    else
      c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  setRate(st, 2.0 * n * n * kD);
  st.SetLabel(viaGemm ? (gemmUsesBlas(n, n, kD) ? "blas" : "eigen (no blas)") : "eigen");
}
BENCHMARK(BM_Sgemm)->ArgsProduct({{4096, 8192}, {0, 1}})->Unit(benchmark::kMillisecond)->UseRealTime();

// One thread, the kernels' own product shapes (m, n, k): the measurement behind kGemmBlasMinWork
// (engine 0 Eigen, 1 BLAS). Softmax tiles 64×512×64 and 64×64×512, linear chunk summaries
// 64×64×512, outputs 512×64×64, small causal chunks 16×64×16, a GPT-2 projection 1024×2304×768.
static void BM_GemmShape(benchmark::State& st) {
  const int m = static_cast<int>(st.range(0)), n = static_cast<int>(st.range(1)), k = static_cast<int>(st.range(2));
  const bool blas = st.range(3) != 0;
  if (blas && !blasInfo().loaded) {
    st.SkipWithError("no BLAS loaded");
    return;
  }
  setLinearAlgebraThreads(1);
  Rng rng(2);
  const MatrixF a = rng.normalMatrix(m, k), b = rng.normalMatrix(k, n);
  MatrixF c(m, n);
  for (auto _ : st) {
    if (blas)
      sgemmOnBlas(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
    else
      sgemmEigen(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
    benchmark::DoNotOptimize(c.data());
  }
  setRate(st, 2.0 * m * double(n) * k);
  st.SetLabel(blas ? "blas " + blasInfo().kernel : std::string("eigen"));
}
BENCHMARK(BM_GemmShape)
    ->ArgsProduct({{16}, {64}, {16}, {0, 1}})
    ->ArgsProduct({{64}, {512}, {64}, {0, 1}})
    ->ArgsProduct({{64}, {64}, {512}, {0, 1}})
    ->ArgsProduct({{512}, {64}, {64}, {0, 1}})
    ->ArgsProduct({{1024}, {2304}, {768}, {0, 1}})
    ->UseRealTime();

static void BM_Forward(benchmark::State& st) {
  const int kind = static_cast<int>(st.range(0));
  const int n = static_cast<int>(st.range(1));
  EigenBackend be(0);
  const auto spec = specFor(kind, n);
  const auto& q = inputs(n);
  for (auto _ : st) {
    MatrixF o = be.forwardHead(spec, q.head(0));
    benchmark::DoNotOptimize(o.data());
  }
  setRate(st, forwardFlops(spec, n, kD, kD));
  st.counters["M"] = spec.blocks();
  st.SetLabel(spec.kindId());
}
static void forwardArgs(benchmark::internal::Benchmark* b) {
  for (int n = 256; n <= 16384; n *= 2) b->Args({0, n});
  for (int kind : {1, 2})
    for (int n = 256; n <= 65536; n *= 2) b->Args({kind, n});
}
BENCHMARK(BM_Forward)->Apply(forwardArgs)->Unit(benchmark::kMillisecond)->UseRealTime();

// One attention row (hover) for all three mechanisms, on prepared maps.
static void BM_RowAllThree(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0));
  EigenBackend be(0);
  const auto& q = inputs(n);
  std::vector<std::unique_ptr<PreparedAttention>> p;
  for (int kind = 0; kind < 3; ++kind) p.push_back(be.prepare(specFor(kind, n), q.head(0)));
  int i = 0;
  for (auto _ : st) {
    for (auto& m : p) {
      VectorD r = m->row(i);
      benchmark::DoNotOptimize(r.data());
    }
    i = (i + 7919) % n;
  }
}
BENCHMARK(BM_RowAllThree)->Arg(16384)->Arg(65536)->Unit(benchmark::kMillisecond)->UseRealTime();

// Spectra: kind 3 = all three at once (softmax dense, linear and MHLA factored).
static void BM_Spectrum(benchmark::State& st) {
  const int kind = static_cast<int>(st.range(0));
  const int n = static_cast<int>(st.range(1));
  const int m = static_cast<int>(st.range(2));
  EigenBackend be(0);
  const auto& q = inputs(n);
  std::vector<MechanismSpec> specs;
  if (kind == 3) {
    specs = {specFor(0, n), specFor(1, n),
             MechanismSpec::mhla(BlockLayout::oneD(n, m), MixingInit::Cos, {})};
  } else if (kind == 1) {
    specs = {specFor(1, n)};
  } else {
    specs = {MechanismSpec::mhla(BlockLayout::oneD(n, m), MixingInit::Cos, {})};
  }
  std::vector<std::unique_ptr<PreparedAttention>> p;
  for (const auto& s : specs) p.push_back(be.prepare(s, q.head(0)));
  for (auto _ : st)
    for (auto& x : p) {
      Spectrum s = x->spectrum();
      benchmark::DoNotOptimize(s.sigma.data());
    }
  st.counters["M"] = m;
}
BENCHMARK(BM_Spectrum)
    ->Args({3, 1024, 32})
    ->Args({1, 16384, 1})
    ->Args({2, 16384, 16})
    ->Args({2, 16384, 32})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);

BENCHMARK_MAIN();

// The fitted 𝓜 (MATH.md "Fitted mixing") of one head: statistics (two N×N double products) and the
// Newton solve of every row. Args: N, M (1D blocks), relu φ.
static void BM_FitMixing(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0)), m = static_cast<int>(st.range(1));
  const Qkv& qkv = inputs(n);
  const MechanismSpec mhla = MechanismSpec::mhla(BlockLayout::oneD(n, m), MixingInit::Cos, {});
  const MechanismSpec soft = MechanismSpec::softmax();
  int steps = 0;
  for (auto _ : st) {
    const MixingFit fit = fitHeadMixing(mhla, soft, qkv.head(0));
    steps = fit.iterations;
    benchmark::DoNotOptimize(fit.meanKl);
  }
  st.counters["newton_steps"] = steps;
}
BENCHMARK(BM_FitMixing)->Args({1024, 16})->Args({4096, 64})->Unit(benchmark::kMillisecond)->UseRealTime();
