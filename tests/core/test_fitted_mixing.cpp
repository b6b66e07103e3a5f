// The fitted mixing matrix (MATH.md "Fitted mixing") against an independent solver on naive dense
// double-precision maps: the fit reaches the optimum, beats every initialisation, recovers a planted
// 𝓜 up to row scale, and its KL statistics equal the dense KL.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "attnscope/error.h"
#include "attnscope/fitted_mixing.h"
#include "attnscope/mechanism.h"
#include "attnscope/mixing.h"
#include "attnscope/rng.h"
#include "reference.h"

using namespace attnscope;

namespace {

/// mean_t KL(P_t ‖ A_t) over dense maps, entry by entry (+inf where A misses a key P uses).
double denseMeanKl(const MatrixD& P, const MatrixD& A) {
  double total = 0;
  for (int t = 0; t < P.rows(); ++t)
    for (int j = 0; j < P.cols(); ++j) {
      if (P(t, j) <= 0) continue;
      if (!(A(t, j) > 0)) return std::numeric_limits<double>::infinity();
      total += P(t, j) * std::log(P(t, j) / A(t, j));
    }
  return total / P.rows();
}

struct Case {
  const char* name;
  MechanismSpec mhla;
  std::vector<int> blockOf;
  bool causal;
};

/// An independent solver on the dense maps: block statistics summed from the dense kernel and
/// softmax maps, then gradient descent on w = log m (Barzilai–Borwein steps with a monotone
/// backtracking safeguard) to a gradient of 1e-9 — a different method from the library's Newton.
MatrixD independentFit(const MatrixD& P, const MatrixD& kernel, const std::vector<int>& blockOf, int m) {
  const int n = static_cast<int>(P.rows());
  MatrixD out = MatrixD::Zero(m, m);
  for (int a = 0; a < m; ++a) {
    std::vector<int> ts;
    for (int t = 0; t < n; ++t)
      if (blockOf[t] == a) ts.push_back(t);
    MatrixD S = MatrixD::Zero(ts.size(), m), Pb = MatrixD::Zero(ts.size(), m);
    for (std::size_t i = 0; i < ts.size(); ++i)
      for (int j = 0; j < n; ++j) {
        S(i, blockOf[j]) += kernel(ts[i], j);
        Pb(i, blockOf[j]) += P(ts[i], j);
      }
    std::vector<int> vis;
    for (int b = 0; b < m; ++b)
      if (Pb.col(b).sum() > 0) vis.push_back(b);
    const int k = static_cast<int>(vis.size());
    auto f = [&](const VectorD& w, VectorD* g) {
      double val = 0;
      if (g) *g = VectorD::Zero(k);
      for (int i = 0; i < S.rows(); ++i) {
        double d = 0;
        for (int j = 0; j < k; ++j) d += std::exp(w[j]) * S(i, vis[j]);
        val += std::log(d);
        for (int j = 0; j < k; ++j) {
          val -= Pb(i, vis[j]) * w[j];
          if (g) (*g)[j] += std::exp(w[j]) * S(i, vis[j]) / d - Pb(i, vis[j]);
        }
      }
      return val;
    };
    VectorD w = VectorD::Zero(k), g, gOld, wOld;
    double fw = f(w, &g), step = 1.0 / std::max<double>(1, ts.size());
    for (int it = 0; it < 20000 && g.cwiseAbs().maxCoeff() > 1e-9; ++it) {
      if (it > 0) {
        const VectorD s = w - wOld, y = g - gOld;
        const double sy = s.dot(y);
        if (sy > 0) step = s.squaredNorm() / sy;
      }
      VectorD gn;
      double t = step, fn = 0;
      VectorD wn;
      for (int h = 0; h < 80; ++h, t *= 0.5) {
        wn = w - t * g;
        fn = f(wn, &gn);
        if (fn <= fw - 1e-4 * t * g.squaredNorm()) break;
      }
      wOld = w;
      gOld = g;
      w = wn;
      g = gn;
      fw = fn;
    }
    for (int j = 0; j < k; ++j) out(a, vis[j]) = std::exp(w[j] - w.maxCoeff());
  }
  return out;
}

Case case1D(int n, int m, FeatureMapKind phi, bool causal) {
  FeatureMapSpec fs;
  fs.kind = phi;
  const BlockLayout layout = BlockLayout::oneD(n, m);
  MatrixD init = makeMixing(layout, causal ? MixingInit::Causal : MixingInit::Cos);
  return {causal ? "1D causal" : "1D", MechanismSpec::mhla(layout, init, fs, causal), ref::blocks1D(n, m), causal};
}

}  // namespace

class FittedMixing : public ::testing::TestWithParam<int> {};

TEST_P(FittedMixing, ReachesTheOptimumOfAnIndependentSolverAndBeatsEveryInit) {
  const std::uint64_t seed = ref::freshSeed() + GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::vector<Case> cases;
  cases.push_back(case1D(37, 5, FeatureMapKind::Relu, false));         // ragged: 8,8,8,8,5
  cases.push_back(case1D(41, 6, FeatureMapKind::Elu1, true));          // causal, ragged
  {
    FeatureMapSpec fs;
    fs.kind = FeatureMapKind::Elu1;
    const BlockLayout layout = BlockLayout::twoD(6, 7, 3, 3);  // 2×3 windows, ragged right column
    cases.push_back({"2D", MechanismSpec::mhla(layout, MixingInit::Cos, fs), ref::blocks2D(6, 7, 3, 3), false});
  }
  {
    FeatureMapSpec fs;
    fs.kind = FeatureMapKind::Softplus;
    const BlockLayout grid = BlockLayout::twoD(4, 6, 2, 3).withOffGridTokens(1);  // a CLS token first
    std::vector<int> blockOf(grid.n());
    for (int t = 0; t < grid.n(); ++t) blockOf[t] = grid.blockOf(t);
    cases.push_back({"2D + CLS", MechanismSpec::mhla(grid, MixingInit::Cos, fs), blockOf, false});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const int n = static_cast<int>(c.blockOf.size()), m = c.mhla.layout->m(), dk = 8;
    const Qkv qkv = ref::randomQkv(n, dk, 4, 1, seed, 1.3);
    const MechanismSpec soft = MechanismSpec::softmax(c.causal, 0.8);
    const MixingFit fit = fitHeadMixing(c.mhla, soft, qkv.head(0));
    EXPECT_TRUE(fit.converged) << "gradient " << fit.gradient;
    EXPECT_LE(fit.gradient, 1e-10);

    const MatrixD Q = qkv.q[0].cast<double>(), K = qkv.k[0].cast<double>();
    const MatrixD P = ref::softmaxMap(Q, K, 0.8, c.causal);
    const MatrixD phiQ = ref::phi(Q, c.mhla.featureMap.kind, MatrixD());
    const MatrixD phiK = ref::phi(K, c.mhla.featureMap.kind, MatrixD());
    MatrixD kernel = phiQ * phiK.transpose();
    if (c.causal) kernel.triangularView<Eigen::StrictlyUpper>().setZero();
    const MatrixD other = independentFit(P, kernel, c.blockOf, m);
    const double klFit = denseMeanKl(P, ref::mhlaMap(phiQ, phiK, c.blockOf, fit.mixing, c.causal));
    const double klOther = denseMeanKl(P, ref::mhlaMap(phiQ, phiK, c.blockOf, other, c.causal));
    EXPECT_NEAR(klFit, klOther, 1e-6);
    EXPECT_LE(klFit, klOther + 1e-9);
    // The statistics' KL is the dense KL (to the float φ the MHLA forward uses).
    EXPECT_NEAR(fit.meanKl, klFit, 1e-7 * std::max(1.0, klFit));
    const MixingFitData data = mixingFitData(c.mhla, soft, qkv.head(0));
    // Rows scaled to max 1, non-negative; causal: nothing above the diagonal.
    for (int a = 0; a < m; ++a) {
      EXPECT_NEAR(fit.mixing.row(a).maxCoeff(), 1.0, 1e-15);
      EXPECT_GE(fit.mixing.row(a).minCoeff(), 0.0);
      if (c.causal) {
        for (int b = a + 1; b < m; ++b) EXPECT_EQ(fit.mixing(a, b), 0.0);
      }
    }
    // ≤ every initialisation's KL (dense), and meanKlOfMixing agrees with the dense KL.
    for (MixingInit init : allMixingInits()) {
      if (init == MixingInit::Causal && c.mhla.layout->kind() != BlockLayout::Kind::OneD) continue;
      const MatrixD mix = makeMixing(*c.mhla.layout, init);
      const double kl = denseMeanKl(P, ref::mhlaMap(phiQ, phiK, c.blockOf, mix, c.causal));
      SCOPED_TRACE(toString(init));
      EXPECT_LE(klFit, kl + 1e-12);
      if (std::isfinite(kl)) {
        EXPECT_NEAR(meanKlOfMixing(data, mix), kl, 1e-7 * std::max(1.0, kl));
      } else {
        EXPECT_TRUE(std::isinf(meanKlOfMixing(data, mix)));
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, FittedMixing, ::testing::Values(0, 1, 2));

TEST(FittedMixingPlanted, RecoversAPlantedMatrixUpToRowScale) {
  // Attention made by MHLA itself with a known 𝓜 (the planted optimum has KL 0): the fit returns
  // it, rows scaled to max 1.
  const std::uint64_t seed = ref::freshSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const int n = 30, m = 4, dk = 6;
  const Qkv qkv = ref::randomQkv(n, dk, 3, 1, seed);
  FeatureMapSpec fs;
  fs.kind = FeatureMapKind::Elu1;
  const BlockLayout layout = BlockLayout::oneD(n, m);
  Rng rng(seed ^ 0x5eed);
  MatrixD planted(m, m);
  for (int a = 0; a < m; ++a)
    for (int b = 0; b < m; ++b) planted(a, b) = 0.05 + rng.uniform();
  const std::vector<int> blockOf = ref::blocks1D(n, m);
  const MatrixD phiQ = ref::phi(qkv.q[0].cast<double>(), fs.kind, MatrixD());
  const MatrixD phiK = ref::phi(qkv.k[0].cast<double>(), fs.kind, MatrixD());
  const MatrixD P = ref::mhlaMap(phiQ, phiK, blockOf, planted, false);
  // Statistics from the planted map directly (the softmax path is tested above).
  MixingFitData data;
  data.m = m;
  data.block = blockOf;
  data.S = MatrixD::Zero(n, m);
  data.P = MatrixD::Zero(n, m);
  data.constant = VectorD::Zero(n);
  const MatrixD kernel = phiQ * phiK.transpose();
  for (int t = 0; t < n; ++t)
    for (int j = 0; j < n; ++j) {
      data.S(t, blockOf[j]) += kernel(t, j);
      data.P(t, blockOf[j]) += P(t, j);
      data.constant[t] += P(t, j) * std::log(P(t, j) / kernel(t, j));
    }
  const MixingFit fit = fitMixing(data);
  ASSERT_TRUE(fit.converged);
  for (int a = 0; a < m; ++a) {
    const VectorD want = planted.row(a).transpose() / planted.row(a).maxCoeff();
    for (int b = 0; b < m; ++b) EXPECT_NEAR(fit.mixing(a, b), want[b], 1e-7) << a << "," << b;
  }
  EXPECT_NEAR(fit.meanKl, 0.0, 1e-12);
}

TEST(FittedMixingPlanted, RefusesWhatIsNotTheConvexProblem) {
  const Qkv qkv = ref::randomQkv(16, 4, 4, 1, 7);
  const BlockLayout layout = BlockLayout::oneD(16, 4);
  const MechanismSpec soft = MechanismSpec::softmax();
  MechanismSpec official = MechanismSpec::mhla(layout, MixingInit::Cos, {}, false, Normaliser::Official);
  EXPECT_THROW(fitHeadMixing(official, soft, qkv.head(0)), InvalidArgument);
  EXPECT_THROW(fitHeadMixing(MechanismSpec::linear(), soft, qkv.head(0)), InvalidArgument);
  const MechanismSpec mhlaCausal = MechanismSpec::mhla(layout, MixingInit::Causal, {}, true);
  EXPECT_THROW(fitHeadMixing(mhlaCausal, soft, qkv.head(0)), InvalidArgument);  // softmax not causal
  JobControl job;
  job.cancel.cancel();
  EXPECT_THROW(fitHeadMixing(MechanismSpec::mhla(layout, MixingInit::Cos), soft, qkv.head(0), {}, job), Cancelled);
}
