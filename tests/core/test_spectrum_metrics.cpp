// Spectra (factored vs dense, rank bounds) and metrics.
#include <gtest/gtest.h>

#include <Eigen/SVD>
#include <cmath>

#include "attnscope/eigen_backend.h"
#include "attnscope/error.h"
#include "attnscope/metrics.h"
#include "attnscope/rng.h"
#include "reference.h"

using namespace attnscope;

namespace {
Spectrum spectrumOf(const MechanismSpec& s, const HeadQKV& h, SpectrumOptions o = {}) {
  EigenBackend be(2);
  return be.prepare(s, h)->spectrum(o);
}
}  // namespace

TEST(Spectrum, RanksFromSingularValues) {
  VectorD s(4);
  s << 1.0, 0.5, 1e-3, 1e-6;
  EXPECT_EQ(numericalRank(s, 1e-4), 3);
  EXPECT_EQ(numericalRank(s, 1e-2), 2);
  VectorD flat = VectorD::Ones(8);
  EXPECT_NEAR(effectiveRank(flat), 8.0, 1e-12);
  VectorD one = VectorD::Zero(5);
  one[0] = 3;
  EXPECT_NEAR(effectiveRank(one), 1.0, 1e-12);
}

TEST(Spectrum, EverySvdPathAgreesWithJacobi) {
  const auto seed = ref::freshSeed();
  SCOPED_TRACE(seed);
  Rng rng(seed);
  // Matrices with a wide range of singular values, like attention maps, of each size class.
  for (int n : {kJacobiThreshold + 40, kGramThreshold + 40}) {
    MatrixD a = rng.normalMatrixD(n, n);
    for (int j = 0; j < n; ++j) a.col(j) *= std::pow(10.0, -6.0 * j / n);
    Eigen::JacobiSVD<Eigen::MatrixXd> jac(a);
    const VectorD ref = jac.singularValues();
    const VectorD fast = singularValues(a, false);
    const VectorD exact = singularValues(a, true);
    ASSERT_EQ(fast.size(), n);
    ASSERT_EQ(exact.size(), n);
    for (int k = 0; k < n; ++k) {
      EXPECT_NEAR(exact[k], ref[k], 1e-12 * ref[0]) << "n=" << n << " k=" << k;
      EXPECT_NEAR(fast[k], ref[k], (n > kGramThreshold ? 1e-7 : 1e-12) * ref[0]) << k;
    }
    EXPECT_EQ(numericalRank(fast, 1e-4), numericalRank(ref, 1e-4));
    // Wide matrices use the smaller side.
    const MatrixD wide = a.topRows(n - 30);
    EXPECT_EQ(singularValues(wide).size(), n - 30);
    EXPECT_NEAR(singularValues(wide)[0], singularValues(wide, true)[0], 1e-9 * ref[0]);
  }
}

TEST(Spectrum, FactoredEqualsDenseAndRespectsBounds) {
  const auto seed = ref::freshSeed();
  SCOPED_TRACE(seed);
  const int n = 120;
  const Qkv q = ref::randomQkv(n, 8, 8, 1, seed);
  std::vector<MechanismSpec> specs = {
      MechanismSpec::linear({}),
      MechanismSpec::linear({FeatureMapKind::Softplus}),
      MechanismSpec::linear({FeatureMapKind::Favor, 16, seed}),
      MechanismSpec::mhla(BlockLayout::oneD(n, 6), MixingInit::Cos, {}),
      MechanismSpec::mhla(BlockLayout::oneD(n, 7), MixingInit::Identity, {}),
      MechanismSpec::mhla(BlockLayout::oneD(n, 40), MixingInit::Local, {}),  // blocks of 3 < r
      MechanismSpec::mhla(BlockLayout::twoD(10, 12, 3, 5), MixingInit::Gaussian, {}),
      MechanismSpec::mhla(BlockLayout::oneD(n, 6), MixingInit::Linear, {}, false,
                          Normaliser::Official)};
  for (const auto& s : specs) {
    SCOPED_TRACE(s.label());
    const Spectrum f = spectrumOf(s, q.head(0));
    SpectrumOptions dense;
    dense.forceDense = true;
    const Spectrum d = spectrumOf(s, q.head(0), dense);
    EXPECT_TRUE(f.factored);
    EXPECT_FALSE(d.factored);
    ASSERT_GE(d.sigma.size(), f.sigma.size());
    const double s1 = d.sigma[0];
    // The dense map's entries come from float products (rows() is the hover path), so the dense
    // spectrum carries float rounding, about 1e-7·σ_1; the factored one is double throughout.
    for (Eigen::Index k = 0; k < f.sigma.size(); ++k)
      EXPECT_NEAR(f.sigma[k], d.sigma[k], 1e-6 * s1) << "σ_" << k;
    for (Eigen::Index k = f.sigma.size(); k < d.sigma.size(); ++k)
      EXPECT_LT(d.sigma[k], 1e-6 * s1) << "dense σ beyond the factored ones";
    EXPECT_EQ(f.numericalRank, d.numericalRank);
    EXPECT_NEAR(f.effectiveRank, d.effectiveRank, 1e-4 * f.effectiveRank);
    EXPECT_LE(d.numericalRank, d.rankBound);
    EXPECT_EQ(f.rankBound, rankBound(s, n, 8));
  }
}

TEST(Spectrum, LinearCollapsesRankMhlaRestoresIt) {
  const auto seed = ref::freshSeed();
  SCOPED_TRACE(seed);
  const int n = 256, d = 16;
  const Qkv q = ref::randomQkv(n, d, 16, 1, seed);
  const Spectrum lin = spectrumOf(MechanismSpec::linear({}), q.head(0));
  const Spectrum mh =
      spectrumOf(MechanismSpec::mhla(BlockLayout::oneD(n, 16), MixingInit::Cos, {}), q.head(0));
  // cos mixing is nearly flat (weights between cos(π/4) and 1): rank rises, but far less than with
  // local mixing, whose blocks only see their neighbours.
  const Spectrum local =
      spectrumOf(MechanismSpec::mhla(BlockLayout::oneD(n, 16), MixingInit::Local, {}), q.head(0));
  const Spectrum soft = spectrumOf(MechanismSpec::softmax(), q.head(0));
  EXPECT_LE(lin.numericalRank, d);
  EXPECT_EQ(lin.rankBound, d);
  EXPECT_EQ(mh.rankBound, 16 * d);
  EXPECT_GT(mh.numericalRank, lin.numericalRank);
  EXPECT_GT(local.numericalRank, 4 * lin.numericalRank);
  EXPECT_GT(local.effectiveRank, mh.effectiveRank);
  EXPECT_GT(mh.effectiveRank, lin.effectiveRank);
  EXPECT_LE(mh.numericalRank, mh.rankBound);
  EXPECT_LE(local.numericalRank, local.rankBound);
  EXPECT_EQ(soft.rankBound, n);
  EXPECT_GT(soft.numericalRank, lin.numericalRank);
}

TEST(Spectrum, CausalMapsUseTheDenseSpectrum) {
  const Qkv q = ref::randomQkv(50, 8, 8, 1, 3);
  const Spectrum s = spectrumOf(MechanismSpec::linear({}, true), q.head(0));
  EXPECT_FALSE(s.factored);
  EXPECT_EQ(s.rankBound, 50);
  // Lower-triangular with a positive diagonal: the causal mask lifts the rank far above r = 8.
  EXPECT_GT(s.numericalRank, 3 * 8);
  EXPECT_LE(s.numericalRank, 50);
}

TEST(Spectrum, DenseSpectrumAboveLimitIsRefusedButFactoredWorks) {
  const Qkv q = ref::randomQkv(300, 8, 8, 1, 4);
  SpectrumOptions o;
  o.maxDenseN = 200;
  EXPECT_THROW(spectrumOf(MechanismSpec::softmax(), q.head(0), o), BudgetExceeded);
  EXPECT_NO_THROW(spectrumOf(MechanismSpec::linear({}), q.head(0), o));
}

TEST(Spectrum, CancelStopsLongWorkAndProgressIsReported) {
  const Qkv q = ref::randomQkv(700, 8, 8, 1, 5);
  EigenBackend be(2);
  auto p = be.prepare(MechanismSpec::softmax(), q.head(0));
  std::vector<double> seen;
  JobControl job;
  job.progress = [&](double f) {
    seen.push_back(f);
    if (f > 0.2) job.cancel.cancel();
  };
  EXPECT_THROW(p->spectrum({}, job), Cancelled);
  ASSERT_FALSE(seen.empty());
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i], seen[i - 1]);
  // Without cancel it completes and ends at 1.
  std::vector<double> done;
  JobControl ok;
  ok.progress = [&](double f) { done.push_back(f); };
  const Spectrum s = p->spectrum({}, ok);
  EXPECT_EQ(s.sigma.size(), 700);
  EXPECT_DOUBLE_EQ(done.back(), 1.0);
}

TEST(Metrics, UniformMapIsCollapsedOneHotIsNot) {
  const int n = 64;
  Qkv uniform;
  uniform.addHead({MatrixF::Zero(n, 8), MatrixF::Random(n, 8), MatrixF::Random(n, 8)});
  EigenBackend be(1);
  const MapMetrics u = mapMetrics(*be.prepare(MechanismSpec::softmax(), uniform.head(0)));
  EXPECT_NEAR(u.meanEntropy, std::log(double(n)), 1e-9);
  EXPECT_NEAR(u.meanNormalisedEntropy, 1.0, 1e-9);
  EXPECT_NEAR(u.rowDiversity, 1.0, 1e-9);
  EXPECT_EQ(u.rowsUsed, n);
  EXPECT_FALSE(u.sampled);

  // Orthogonal, large keys equal to the queries: each query attends (almost) only to itself.
  Qkv sharp;
  MatrixF E = MatrixF::Identity(n, n) * 100.0f;
  sharp.addHead({E, E, MatrixF::Random(n, 4)});
  const MapMetrics s = mapMetrics(*be.prepare(MechanismSpec::softmax(), sharp.head(0)));
  EXPECT_LT(s.meanNormalisedEntropy, 0.01);
  EXPECT_LT(s.rowDiversity, 0.01);
}

TEST(Metrics, CausalNormalisedEntropyUsesAllowedKeys) {
  const int n = 30;
  Qkv q;
  q.addHead({MatrixF::Zero(n, 4), MatrixF::Random(n, 4), MatrixF::Random(n, 4)});
  EigenBackend be(1);
  const MapMetrics m = mapMetrics(*be.prepare(MechanismSpec::softmax(true), q.head(0)));
  EXPECT_NEAR(m.meanNormalisedEntropy, 1.0, 1e-9);  // uniform over j ≤ i
}

TEST(Metrics, KlAndOutputErrorAgainstReference) {
  const auto seed = ref::freshSeed();
  SCOPED_TRACE(seed);
  const int n = 80;
  const Qkv q = ref::randomQkv(n, 8, 8, 1, seed);
  EigenBackend be(2);
  auto soft = be.prepare(MechanismSpec::softmax(), q.head(0));
  auto lin = be.prepare(MechanismSpec::linear({}), q.head(0));
  EXPECT_NEAR(meanKlFromSoftmax(*soft, *soft), 0.0, 1e-12);
  const MatrixD P = soft->matrix().cast<double>(), Qm = lin->matrix().cast<double>();
  double kl = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) kl += P(i, j) * std::log(P(i, j) / Qm(i, j));
  EXPECT_NEAR(meanKlFromSoftmax(*soft, *lin), kl / n, 1e-5 * std::abs(kl / n));
  // Identity mixing leaves keys that softmax uses at zero weight: KL is infinite, honestly.
  auto ident = be.prepare(MechanismSpec::mhla(BlockLayout::oneD(n, 4), MixingInit::Identity, {}),
                          q.head(0));
  EXPECT_TRUE(std::isinf(meanKlFromSoftmax(*soft, *ident)));

  const MatrixF os = be.forward(MechanismSpec::softmax(), q, HeadSel::one(0))[0];
  const MatrixF ol = be.forward(MechanismSpec::linear({}), q, HeadSel::one(0))[0];
  EXPECT_EQ(outputRelativeError(os, os), 0.0);
  const double e = outputRelativeError(ol, os);
  EXPECT_NEAR(e, (ol - os).norm() / os.norm(), 1e-5);
  EXPECT_GT(e, 0.0);
}

TEST(Metrics, SamplingAboveTheRowLimitIsSeededAndReported) {
  const auto rows = sampleRows(1000, 10, 42);
  EXPECT_EQ(rows.size(), 10u);
  EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end()));
  EXPECT_EQ(rows, sampleRows(1000, 10, 42));
  EXPECT_NE(rows, sampleRows(1000, 10, 43));
  const Qkv q = ref::randomQkv(300, 8, 8, 1, 6);
  EigenBackend be(1);
  MetricsOptions o;
  o.maxRows = 100;
  o.diversityRows = 50;
  const MapMetrics m = mapMetrics(*be.prepare(MechanismSpec::linear({}), q.head(0)), o);
  EXPECT_EQ(m.rowsUsed, 100);
  EXPECT_TRUE(m.sampled);
}
