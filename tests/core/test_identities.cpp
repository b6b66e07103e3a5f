// MATH.md's identities, checked on fresh random inputs.
#include <gtest/gtest.h>

#include "attnscope/eigen_backend.h"
#include "reference.h"

using namespace attnscope;
using ref::relErr;

namespace {
MatrixD denseMap(const MechanismSpec& spec, const HeadQKV& h) {
  EigenBackend be(2);
  return be.prepare(spec, h)->matrix().cast<double>();
}
MatrixD out(const MechanismSpec& spec, const Qkv& q) {
  EigenBackend be(2);
  return be.forward(spec, q, HeadSel::one(0))[0].cast<double>();
}
}  // namespace

TEST(Identities, OneBlockIsLinearAttention) {
  const auto seed = ref::freshSeed();
  SCOPED_TRACE(seed);
  for (bool causal : {false, true}) {
    const Qkv q = ref::randomQkv(77, 16, 8, 1, seed);
    const auto lin = MechanismSpec::linear({}, causal);
    for (MixingInit init : {MixingInit::Cos, MixingInit::Identity, MixingInit::Gaussian}) {
      const auto mhla = MechanismSpec::mhla(BlockLayout::oneD(77, 1), init, {}, causal);
      EXPECT_LT(relErr(out(mhla, q), out(lin, q)), 1e-5);
      EXPECT_LT(relErr(denseMap(mhla, q.head(0)), denseMap(lin, q.head(0))), 1e-5);
    }
  }
}

TEST(Identities, AllOnesMixingIsLinearAttentionForAnyM) {
  const auto seed = ref::freshSeed();
  SCOPED_TRACE(seed);
  const Qkv q = ref::randomQkv(90, 16, 8, 1, seed);
  const auto lin = MechanismSpec::linear({});
  for (int m : {2, 7, 13, 90}) {
    const auto mhla = MechanismSpec::mhla(BlockLayout::oneD(90, m), MatrixD::Ones(m, m), {});
    EXPECT_LT(relErr(out(mhla, q), out(lin, q)), 1e-5) << "M=" << m;
  }
  // 2D windows too, and the 'uniform' initialisation (columns normalised: a row scale).
  const auto uni2d = MechanismSpec::mhla(BlockLayout::twoD(9, 10, 4, 3), MixingInit::Uniform, {});
  EXPECT_LT(relErr(out(uni2d, q), out(lin, q)), 1e-5);
}

TEST(Identities, IdentityMixingIsBlockDiagonalLinearAttention) {
  const auto seed = ref::freshSeed();
  SCOPED_TRACE(seed);
  const int n = 45, m = 4;
  const Qkv q = ref::randomQkv(n, 16, 8, 1, seed);
  const auto spec = MechanismSpec::mhla(BlockLayout::oneD(n, m), MixingInit::Identity, {});
  const MatrixD A = denseMap(spec, q.head(0));
  const auto& L = *spec.layout;
  for (int t = 0; t < n; ++t)
    for (int j = 0; j < n; ++j)
      if (L.blockOf(t) != L.blockOf(j)) {
        ASSERT_EQ(A(t, j), 0.0) << t << "," << j;
      }
  // Inside a block it is linear attention on that block's tokens alone.
  for (int b = 0; b < m; ++b) {
    const int o = L.offsets()[b], k = L.blockSize(b);
    Qkv sub;
    sub.addHead({q.q[0].middleRows(o, k), q.k[0].middleRows(o, k),
                         q.v[0].middleRows(o, k)});
    const MatrixD Ab = denseMap(MechanismSpec::linear({}), sub.head(0));
    EXPECT_LT(relErr(A.block(o, o, k, k), Ab), 1e-5) << "block " << b;
  }
}

TEST(Identities, RowsSumToOneAndCausalMapsAreLowerTriangular) {
  const auto seed = ref::freshSeed();
  SCOPED_TRACE(seed);
  const int n = 60;
  const Qkv q = ref::randomQkv(n, 16, 8, 1, seed);
  for (bool causal : {false, true}) {
    std::vector<MechanismSpec> specs = {
        MechanismSpec::softmax(causal), MechanismSpec::linear({}, causal),
        MechanismSpec::linear({FeatureMapKind::Favor, 64, seed}, causal),
        MechanismSpec::mhla(BlockLayout::oneD(n, 7), MixingInit::Cos, {}, causal),
        MechanismSpec::mhla(BlockLayout::oneD(n, 6), MixingInit::Causal, {}, causal)};
    for (const auto& s : specs) {
      const MatrixD A = denseMap(s, q.head(0));
      SCOPED_TRACE(s.label());
      for (int i = 0; i < n; ++i) {
        EXPECT_NEAR(A.row(i).sum(), 1.0, 1e-6);
        EXPECT_GE(A.row(i).minCoeff(), 0.0);
        if (causal) {
          for (int j = i + 1; j < n; ++j) ASSERT_EQ(A(i, j), 0.0) << i << "," << j;
        }
      }
    }
  }
}

TEST(Identities, ScalingAMixingRowChangesNothingAColumnDoes) {
  const auto seed = ref::freshSeed();
  SCOPED_TRACE(seed);
  const int n = 40, m = 5;
  const Qkv q = ref::randomQkv(n, 16, 8, 1, seed);
  const auto base = MechanismSpec::mhla(BlockLayout::oneD(n, m), MixingInit::Cos, {});
  auto rowScaled = base;
  rowScaled.mixing.row(2) *= 7.0;
  auto colScaled = base;
  colScaled.mixing.col(2) *= 7.0;
  EXPECT_LT(relErr(out(rowScaled, q), out(base, q)), 1e-5);
  EXPECT_GT(relErr(out(colScaled, q), out(base, q)), 1e-3);
}

TEST(Identities, FavorApproximatesSoftmaxBetterAsFeaturesGrow) {
  const auto seed = ref::freshSeed();
  SCOPED_TRACE(seed);
  const int n = 64, d = 8;
  // Average over several inputs and feature draws so the trend is not luck.
  std::vector<double> err;
  for (int r : {8, 64, 1024}) {
    double e = 0;
    for (int trial = 0; trial < 6; ++trial) {
      const Qkv q = ref::randomQkv(n, d, 8, 1, seed + trial, 0.6);
      const MatrixD soft = denseMap(MechanismSpec::softmax(), q.head(0));
      const MatrixD fav = denseMap(
          MechanismSpec::linear({FeatureMapKind::Favor, r, seed * 31 + trial}), q.head(0));
      e += relErr(fav, soft);
    }
    err.push_back(e / 6);
  }
  EXPECT_LT(err[1], err[0]);
  EXPECT_LT(err[2], err[1]);
  EXPECT_LT(err[2], 0.5 * err[0]);
}
