// Rows (hover), dense maps (budget), spectra (dense via cuSOLVER, factored on the host) and device
// timing of the CUDA backend, against the Eigen backend on fresh random inputs.
// Skipped, with the reason, where no CUDA device is usable.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "attnscope/error.h"
#include "attnscope/timing.h"
#include "gpu_test_util.h"

using namespace gputest;

namespace {

struct Case {
  MechanismSpec spec;
  int n;
};

/// favor: q, k of scale 0.5 keep its exponentials in a comfortable float range (as in tests/core).
double scaleFor(const MechanismSpec& spec) {
  return !spec.is(softmaxKind()) && spec.featureMap.kind == FeatureMapKind::Favor ? 0.5
                                                                                              : 1.0;
}

bool paperNormalised(const MechanismSpec& spec) {
  return !(spec.is(mhlaKind()) && spec.normaliser == Normaliser::Official);
}

std::string nameOf(const Case& c) {
  std::ostringstream os;
  os << c.spec.label() << " N=" << c.n;
  if (c.spec.layout) os << " [" << c.spec.layout->describe() << "]";
  return os.str();
}

/// Mechanisms of every kind on ragged shapes, for rows and dense maps.
std::vector<Case> mixedCases(int n, std::uint64_t seed) {
  const int g = static_cast<int>(std::sqrt(double(n)));
  std::vector<Case> c = {
      {MechanismSpec::softmax(), n},
      {MechanismSpec::softmax(true, 0.7), n},
      {MechanismSpec::linear({}), n},
      {MechanismSpec::linear({FeatureMapKind::Elu1}, true), n},
      {MechanismSpec::linear({FeatureMapKind::Favor, 37, seed}), n},
      // M = 9 leaves a short last block; n/3 + 1 blocks of 3 leave a short or empty last one.
      {MechanismSpec::mhla(BlockLayout::oneD(n, 9), MixingInit::Cos, {}), n},
      {MechanismSpec::mhla(BlockLayout::oneD(n, 9), MixingInit::Causal, {}, true), n},
      {MechanismSpec::mhla(BlockLayout::oneD(n, n / 3 + 1), MixingInit::Exp, {}), n},
      {MechanismSpec::mhla(BlockLayout::twoD(g, g + 3, 4, 5), MixingInit::Local,
                           {FeatureMapKind::Softplus}),
       g * (g + 3)},
  };
  // The official normaliser needs equal blocks: 1D with M dividing N, 2D with dividing windows.
  c.push_back({MechanismSpec::mhla(BlockLayout::twoD(12, 20, 3, 5), MixingInit::Gaussian, {}, false,
                                   Normaliser::Official),
               240});
  return c;
}

}  // namespace

class CudaRowsSpectra : public CudaDevice {};

// ---- rows ---------------------------------------------------------------------------------

TEST_F(CudaRowsSpectra, RowsMatchEigenSumToOneAndAreCausal) {
  const auto seed = ref::freshSeed();
  for (const Case& c : mixedCases(1001, seed)) {
    SCOPED_TRACE(traceOf(seed, nameOf(c)));
    const int n = c.n;
    const Qkv qkv = ref::randomQkv(n, 32, 16, 2, seed + n, scaleFor(c.spec));
    for (int i : {0, 1, 63, 64, n / 2, n - 2, n - 1}) {
      const auto got = gpu().attentionRow(c.spec, qkv, HeadSel::all(), i);
      const auto want = eigen().attentionRow(c.spec, qkv, HeadSel::all(), i);
      ASSERT_EQ(got.size(), 2u);
      for (int h = 0; h < 2; ++h) {
        const VectorD& row = got[h];
        ASSERT_EQ(row.size(), n) << "row " << i << ", head " << h;
        ASSERT_TRUE(row.allFinite()) << "row " << i << ", head " << h;
        EXPECT_GE(row.minCoeff(), 0.0) << "row " << i << ", head " << h;
        EXPECT_LT(ref::relErr(row.transpose(), want[h].transpose()), kFp32Tol)
            << "row " << i << ", head " << h;
        // Rows are normalised on the host in double; the entries come from float products.
        if (paperNormalised(c.spec)) {
          EXPECT_NEAR(row.sum(), 1.0, 1e-5) << "row " << i;
        }
        if (c.spec.causal) {
          for (int j = i + 1; j < n; ++j)
            ASSERT_EQ(row[j], 0.0) << "row " << i << " sees key " << j;
        }
      }
    }
  }
}

TEST_F(CudaRowsSpectra, PreparedRowsInAnyOrder) {
  const auto seed = ref::freshSeed();
  for (const Case& c : mixedCases(300, seed)) {
    SCOPED_TRACE(traceOf(seed, nameOf(c)));
    const int n = c.n;
    const Qkv qkv = ref::randomQkv(n, 16, 8, 1, seed + 2 * n, scaleFor(c.spec));
    const auto p = gpu().prepare(c.spec, qkv.head(0));
    const auto e = eigen().prepare(c.spec, qkv.head(0));
    ASSERT_EQ(p->n(), n);
    const std::vector<int> idx = {n - 1, 0, n / 2, n / 2, 5, n - 1};
    const MatrixD got = p->rows(idx);
    ASSERT_EQ(got.rows(), static_cast<Eigen::Index>(idx.size()));
    ASSERT_EQ(got.cols(), n);
    EXPECT_LT(ref::relErr(got, e->rows(idx)), kFp32Tol);
    // The same query twice, or alone, gives the same row (up to the summation order of a batch).
    EXPECT_LT(ref::relErr(got.row(3), got.row(2)), 1e-6);
    EXPECT_LT(ref::relErr(p->row(5).transpose(), got.row(4)), 1e-6);
    EXPECT_THROW(p->row(n), InvalidArgument);
    EXPECT_THROW(p->row(-1), InvalidArgument);
  }
}

TEST_F(CudaRowsSpectra, RowsAtLongSequences) {
  // Hovering must stay O(N·r) per row at any N.
  const auto seed = ref::freshSeed();
  const int n = 65536;
  const Qkv qkv = ref::randomQkv(n, 64, 64, 1, seed);
  for (const auto& spec :
       {MechanismSpec::softmax(), MechanismSpec::softmax(true), MechanismSpec::linear({}),
        MechanismSpec::linear({}, true),
        MechanismSpec::mhla(BlockLayout::oneD(n, 256), MixingInit::Cos, {}),
        MechanismSpec::mhla(BlockLayout::oneD(n, 256), MixingInit::Causal, {}, true)}) {
    SCOPED_TRACE(traceOf(seed, spec.label() + " N=65536"));
    for (int i : {0, 12345, n - 1}) {
      const VectorD got = gpu().attentionRow(spec, qkv, HeadSel::one(0), i)[0];
      const VectorD want = eigen().attentionRow(spec, qkv, HeadSel::one(0), i)[0];
      ASSERT_EQ(got.size(), n);
      EXPECT_LT(ref::relErr(got.transpose(), want.transpose()), kFp32Tol) << "row " << i;
      EXPECT_NEAR(got.sum(), 1.0, 1e-5) << "row " << i;
    }
  }
}

// ---- dense maps -----------------------------------------------------------------------------

TEST_F(CudaRowsSpectra, DenseMapsWithinBudgetMatchEigen) {
  const auto seed = ref::freshSeed();
  for (const Case& c : mixedCases(300, seed)) {
    SCOPED_TRACE(traceOf(seed, nameOf(c)));
    const int n = c.n;
    const Qkv qkv = ref::randomQkv(n, 16, 8, 2, seed + 3 * n, scaleFor(c.spec));
    const auto got = gpu().attentionMatrix(c.spec, qkv, HeadSel::all());
    const auto want = eigen().attentionMatrix(c.spec, qkv, HeadSel::all());
    expectHeadsClose(got, want, kFp32Tol, "dense map");
    ASSERT_EQ(got.size(), 2u);
    for (int h = 0; h < 2; ++h) {
      if (paperNormalised(c.spec)) {
        EXPECT_LT((got[h].cast<double>().rowwise().sum().array() - 1.0).abs().maxCoeff(), 1e-5)
            << "head " << h << ": rows must sum to 1";
      }
      if (c.spec.causal) {
        EXPECT_EQ(MatrixF(got[h].triangularView<Eigen::StrictlyUpper>()).cwiseAbs().maxCoeff(),
                  0.0f)
            << "head " << h << ": causal maps are zero above the diagonal";
      }
    }
  }
}

TEST_F(CudaRowsSpectra, DenseMapAboveBudgetIsRefusedRowsStillWork) {
  const auto seed = ref::freshSeed();
  const int n = 300;
  const Qkv qkv = ref::randomQkv(n, 16, 8, 2, seed);
  for (const auto& spec : {MechanismSpec::softmax(), MechanismSpec::linear({}),
                           MechanismSpec::mhla(BlockLayout::oneD(n, 7), MixingInit::Cos, {})}) {
    SCOPED_TRACE(spec.label());
    gpu().setMatrixBudget(std::size_t(n) * n * 4 - 1);
    try {
      gpu().attentionMatrix(spec, qkv, HeadSel::one(0));
      ADD_FAILURE() << "expected BudgetExceeded";
    } catch (const BudgetExceeded& e) {
      EXPECT_NE(std::string(e.what()).find("memory budget"), std::string::npos) << e.what();
    }
    EXPECT_EQ(gpu().attentionRow(spec, qkv, HeadSel::one(0), 5)[0].size(), n);
    EXPECT_NO_THROW(gpu().forward(spec, qkv, HeadSel::all()));
    // Exactly one map fits; two heads need twice that.
    gpu().setMatrixBudget(std::size_t(n) * n * 4);
    EXPECT_EQ(gpu().attentionMatrix(spec, qkv, HeadSel::one(1)).size(), 1u);
    EXPECT_THROW(gpu().attentionMatrix(spec, qkv, HeadSel::all()), BudgetExceeded);
    gpu().setMatrixBudget(std::size_t(n) * n * 4 * 2);
    EXPECT_EQ(gpu().attentionMatrix(spec, qkv, HeadSel::all()).size(), 2u);
    // A tiny budget.
    gpu().setMatrixBudget(1024);
    EXPECT_THROW(gpu().attentionMatrix(spec, qkv, HeadSel::one(0)), BudgetExceeded);
    gpu().setMatrixBudget(kDefaultMatrixBudgetBytes);
  }
}

// ---- spectra ------------------------------------------------------------------------------

namespace {

/// σ_k within kSigmaTol·σ_1 of Eigen's, the same kind of spectrum, equal numerical rank unless an
/// Eigen σ lies within that tolerance of the rank threshold relTol·σ_1 (then each such σ may fall
/// either side).
void expectSameSpectrum(const Spectrum& got, const Spectrum& want, int n) {
  EXPECT_EQ(got.factored, want.factored);
  EXPECT_EQ(got.rankBound, want.rankBound);
  EXPECT_EQ(got.relTol, want.relTol);
  ASSERT_GT(want.sigma.size(), 0);
  ASSERT_GT(got.sigma.size(), 0);
  ASSERT_TRUE(got.sigma.allFinite());
  if (!want.factored) {
    EXPECT_EQ(got.sigma.size(), n) << "a dense spectrum has N values";
    EXPECT_EQ(want.sigma.size(), n);
  }
  const double s1 = want.sigma[0];
  ASSERT_GT(s1, 0.0);
  const double tol = kSigmaTol * s1;
  for (Eigen::Index k = 1; k < got.sigma.size(); ++k) {
    ASSERT_LE(got.sigma[k], got.sigma[k - 1]) << "σ must be sorted descending (k = " << k << ")";
  }
  EXPECT_GE(got.sigma.minCoeff(), -tol);
  const Eigen::Index common = std::min(got.sigma.size(), want.sigma.size());
  double worst = 0;
  Eigen::Index worstK = 0;
  for (Eigen::Index k = 0; k < common; ++k) {
    const double d = std::abs(got.sigma[k] - want.sigma[k]);
    if (d > worst) {
      worst = d;
      worstK = k;
    }
  }
  EXPECT_LE(worst, tol) << "largest |σ_k − σ_k(Eigen)| at k = " << worstK << ": " << worst
                        << " (σ_1 = " << s1 << ")";
  // A factored form may keep a few more (or fewer) values that are zero up to rounding.
  for (Eigen::Index k = common; k < got.sigma.size(); ++k)
    EXPECT_LE(got.sigma[k], tol) << "extra σ_" << k;
  for (Eigen::Index k = common; k < want.sigma.size(); ++k)
    EXPECT_LE(want.sigma[k], tol) << "σ_" << k << " missing on the GPU";
  const double threshold = want.relTol * s1;
  int nearThreshold = 0;
  for (Eigen::Index k = 0; k < want.sigma.size(); ++k)
    if (std::abs(want.sigma[k] - threshold) <= 2 * tol) ++nearThreshold;
  EXPECT_LE(std::abs(got.numericalRank - want.numericalRank), nearThreshold)
      << "numerical rank " << got.numericalRank << " vs " << want.numericalRank;
  EXPECT_NEAR(got.effectiveRank, want.effectiveRank, 1e-3 * want.effectiveRank);
}

}  // namespace

TEST_F(CudaRowsSpectra, DenseSpectraMatchEigen) {
  // Softmax and causal maps have no factored form: the dense map's SVD (cuSOLVER, double).
  const auto seed = ref::freshSeed();
  std::vector<Case> cases = {
      {MechanismSpec::softmax(), 256},
      {MechanismSpec::softmax(true, 0.5), 256},
      {MechanismSpec::softmax(false, 2.0), 129},
      {MechanismSpec::linear({}, true), 256},
      {MechanismSpec::linear({FeatureMapKind::Favor, 37, seed}, true), 200},
      {MechanismSpec::mhla(BlockLayout::oneD(250, 7), MixingInit::Causal, {}, true), 250},
      {MechanismSpec::softmax(), 1}};
  for (const Case& c : cases) {
    SCOPED_TRACE(traceOf(seed, nameOf(c)));
    const Qkv qkv = ref::randomQkv(c.n, 16, 8, 2, seed + c.n, scaleFor(c.spec));
    const auto got = gpu().spectrum(c.spec, qkv, HeadSel::all());
    const auto want = eigen().spectrum(c.spec, qkv, HeadSel::all());
    ASSERT_EQ(got.size(), 2u);
    for (int h = 0; h < 2; ++h) {
      SCOPED_TRACE("head " + std::to_string(h));
      EXPECT_FALSE(got[h].factored);
      expectSameSpectrum(got[h], want[h], c.n);
    }
  }
  // Forced dense on a map that has a factored form, and another rank tolerance.
  const int n = 300;
  const Qkv qkv = ref::randomQkv(n, 16, 8, 1, seed + 17);
  SpectrumOptions opts;
  opts.forceDense = true;
  opts.relTol = 1e-3;
  const auto spec = MechanismSpec::mhla(BlockLayout::oneD(n, 6), MixingInit::Cos, {});
  const Spectrum got = gpu().spectrum(spec, qkv, HeadSel::one(0), opts)[0];
  EXPECT_FALSE(got.factored);
  EXPECT_EQ(got.relTol, 1e-3);
  expectSameSpectrum(got, eigen().spectrum(spec, qkv, HeadSel::one(0), opts)[0], n);
}

TEST_F(CudaRowsSpectra, FactoredSpectraMatchEigen) {
  // Bidirectional linear attention and MHLA: thin QR of the factors on the host, at any N.
  const auto seed = ref::freshSeed();
  std::vector<Case> cases = {
      {MechanismSpec::linear({}), 2000},
      {MechanismSpec::linear({FeatureMapKind::Favor, 37, seed}), 1000},
      {MechanismSpec::mhla(BlockLayout::oneD(1001, 40), MixingInit::Cos, {}), 1001},
      {MechanismSpec::mhla(BlockLayout::oneD(4099, 3), MixingInit::Identity,
                           {FeatureMapKind::Softplus}),
       4099},
      {MechanismSpec::mhla(BlockLayout::twoD(13, 17, 4, 5), MixingInit::Exp, {}), 221},
      {MechanismSpec::mhla(BlockLayout::oneD(1024, 16), MixingInit::Cos, {FeatureMapKind::Elu1},
                           false, Normaliser::Official),
       1024},
      // N = 65536: a 1024×1024 core (M·r), seconds of host SVD at most.
      {MechanismSpec::mhla(BlockLayout::oneD(65536, 64), MixingInit::Cos, {}), 65536}};
  for (const Case& c : cases) {
    SCOPED_TRACE(traceOf(seed, nameOf(c)));
    const Qkv qkv = ref::randomQkv(c.n, 16, 8, 1, seed + c.n, scaleFor(c.spec));
    const Spectrum got = gpu().spectrum(c.spec, qkv, HeadSel::one(0))[0];
    const Spectrum want = eigen().spectrum(c.spec, qkv, HeadSel::one(0))[0];
    EXPECT_TRUE(got.factored);
    expectSameSpectrum(got, want, c.n);
    EXPECT_LE(got.numericalRank, got.rankBound);
  }
}

TEST_F(CudaRowsSpectra, DenseSpectrumAboveLimitIsRefused) {
  const Qkv qkv = ref::randomQkv(256, 16, 8, 1, 3);
  SpectrumOptions opts;
  opts.maxDenseN = 100;
  for (const auto& spec : {MechanismSpec::softmax(), MechanismSpec::linear({}, true)}) {
    SCOPED_TRACE(spec.label());
    EXPECT_THROW(eigen().spectrum(spec, qkv, HeadSel::one(0), opts), BudgetExceeded);
    EXPECT_THROW(gpu().spectrum(spec, qkv, HeadSel::one(0), opts), BudgetExceeded);
  }
  // The factored form has no such limit.
  EXPECT_NO_THROW(gpu().spectrum(MechanismSpec::linear({}), qkv, HeadSel::one(0), opts));
}

// ---- timing -------------------------------------------------------------------------------

TEST_F(CudaRowsSpectra, TimeRunsReturnsDeviceTimes) {
  const auto seed = ref::freshSeed();
  const int n = 2048;
  const Qkv qkv = ref::randomQkv(n, 64, 64, 2, seed);
  EXPECT_FALSE(gpu().timesIncludeTransfers());
  for (const auto& spec :
       {MechanismSpec::softmax(), MechanismSpec::softmax(true), MechanismSpec::linear({}),
        MechanismSpec::linear({}, true),
        MechanismSpec::mhla(BlockLayout::oneD(n, 32), MixingInit::Cos, {}),
        MechanismSpec::mhla(BlockLayout::oneD(n, 32), MixingInit::Causal, {}, true),
        MechanismSpec::mhla(BlockLayout::twoD(32, 64, 8, 8), MixingInit::Cos, {})}) {
    SCOPED_TRACE(spec.label());
    for (int repeats : {1, 4}) {
      const std::vector<double> ms = gpu().timeRuns(spec, qkv, repeats, {});
      ASSERT_EQ(static_cast<int>(ms.size()), repeats);
      for (double t : ms) {
        EXPECT_TRUE(std::isfinite(t));
        EXPECT_GT(t, 0.0);
        EXPECT_LT(t, 10000.0) << "a 2048-token forward should not take 10 s";
      }
    }
    const TimingResult r = timeForward(gpu(), spec, qkv, 3);
    EXPECT_EQ(r.backend, "cuda");
    EXPECT_EQ(r.repeats, 3);
    EXPECT_EQ(r.heads, 2);
    EXPECT_FALSE(r.includesTransfers);
    EXPECT_GT(r.minMs, 0.0);
    EXPECT_LE(r.minMs, r.medianMs);
    EXPECT_LE(r.medianMs, r.maxMs);
    EXPECT_GT(r.gflops, 0.0);
  }
  gpu().setSoftmaxPrecision(SoftmaxPrecision::Tf32);
  const std::vector<double> ms = gpu().timeRuns(MechanismSpec::softmax(), qkv, 2, {});
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_GT(ms[0], 0.0);
  // Timing leaves the backend usable and correct.
  gpu().setSoftmaxPrecision(SoftmaxPrecision::Fp32);
  expectHeadsClose(gpu().forward(MechanismSpec::linear({}), qkv, HeadSel::all()),
                   eigen().forward(MechanismSpec::linear({}), qkv, HeadSel::all()), kFp32Tol,
                   "forward after timing");
}

TEST_F(CudaRowsSpectra, TimingStopsWhenCancelled) {
  // DESIGN.md: GPU runs take a cancel token; a cancelled job throws Cancelled at its next check.
  const Qkv qkv = ref::randomQkv(1024, 64, 64, 1, 4);
  JobControl job;
  job.cancel.cancel();
  EXPECT_THROW(timeForward(gpu(), MechanismSpec::softmax(), qkv, 3, job), Cancelled);
  EXPECT_THROW(gpu().timeRuns(MechanismSpec::linear({}), qkv, 3, job), Cancelled);
}

TEST_F(CudaRowsSpectra, CalibrationIsPlausible) {
  const CudaCalibration cal = calibrateCuda();
  EXPECT_TRUE(std::isfinite(cal.copyGBps));
  EXPECT_GT(cal.copyGBps, 0.0);
  EXPECT_GT(cal.sgemmTflops, 0.0);
  EXPECT_GT(cal.tf32GemmTflops, 0.0);
  EXPECT_TRUE(std::isfinite(cal.sgemmTflops));
  EXPECT_TRUE(std::isfinite(cal.tf32GemmTflops));
  std::cout << "[ INFO     ] copy " << cal.copyGBps << " GB/s, SGEMM " << cal.sgemmTflops
            << " TFLOP/s, TF32 GEMM " << cal.tf32GemmTflops << " TFLOP/s\n";
}
