// Every mechanism's fast paths (forward, rows, dense map) against the naive double-precision
// formulas of MATH.md, on fresh random inputs including ragged shapes.
#include <gtest/gtest.h>

#include <sstream>

#include "attnscope/eigen_backend.h"
#include "attnscope/error.h"
#include "attnscope/rng.h"
#include "reference.h"

using namespace attnscope;
using ref::relErr;

namespace {

constexpr double kTol = 1e-4;

MatrixD toD(const MatrixF& m) { return m.cast<double>(); }

/// Compares forward (all heads), three rows and the dense map of head 0 with `refMap(head)`.
template <typename RefMap>
void expectMatches(const MechanismSpec& spec, const Qkv& qkv, RefMap refMap,
                   SoftmaxPath path = SoftmaxPath::Streaming) {
  EigenBackend be(2);
  MechanismSpec s = spec;
  s.softmaxPath = path;
  const auto outs = be.forward(s, qkv, HeadSel::all());
  ASSERT_EQ(static_cast<int>(outs.size()), qkv.numHeads());
  for (int h = 0; h < qkv.numHeads(); ++h) {
    const MatrixD A = refMap(qkv.head(h));
    const MatrixD O = A * toD(qkv.v[h]);
    EXPECT_LT(relErr(toD(outs[h]), O), kTol) << "forward, head " << h;
    if (h > 0) continue;
    auto p = be.prepare(s, qkv.head(h));
    const int n = qkv.n();
    for (int i : {0, n / 2, n - 1}) {
      const Eigen::VectorXd row = p->row(i);
      EXPECT_LT(relErr(row.transpose(), A.row(i)), kTol) << "row " << i;
    }
    EXPECT_LT(relErr(toD(p->matrix()), A), kTol) << "dense map";
  }
}

MatrixD phiOf(const MatrixF& X, const FeatureMapSpec& fs) {
  const FeatureMap fm(fs, static_cast<int>(X.cols()));
  return ref::phi(toD(X), fs.kind, fm.favorMatrix().cast<double>());
}

std::string traceOf(std::uint64_t seed, int n, const char* what) {
  std::ostringstream os;
  os << what << " N=" << n << " seed=" << seed << " (rerun with ATTNSCOPE_TEST_SEED=" << seed << ")";
  return os.str();
}

}  // namespace

TEST(Softmax, StreamingAndMaterialisedMatchReference) {
  const auto seed = ref::freshSeed();
  for (int n : {1, 7, 64, 65, 130, 600}) {
    for (bool causal : {false, true})
      for (double tau : {1.0, 0.5}) {
        SCOPED_TRACE(traceOf(seed, n, causal ? "causal" : "bidirectional"));
        const Qkv qkv = ref::randomQkv(n, 16, 8, 2, seed + n);
        auto refMap = [&](const HeadQKV& h) {
          return ref::softmaxMap(toD(h.Q), toD(h.K), tau, causal);
        };
        expectMatches(MechanismSpec::softmax(causal, tau), qkv, refMap, SoftmaxPath::Streaming);
        expectMatches(MechanismSpec::softmax(causal, tau), qkv, refMap,
                      SoftmaxPath::Materialised);
      }
  }
}

TEST(Softmax, LargeLogitsStayFinite) {
  const auto seed = ref::freshSeed();
  Qkv qkv = ref::randomQkv(200, 16, 8, 1, seed, 30.0);  // logits in the hundreds
  EigenBackend be(2);
  const MatrixF O = be.forward(MechanismSpec::softmax(), qkv, HeadSel::one(0))[0];
  EXPECT_TRUE(O.allFinite());
  const MatrixD A = ref::softmaxMap(toD(qkv.q[0]), toD(qkv.k[0]), 1.0, false);
  EXPECT_LT(relErr(toD(O), A * toD(qkv.v[0])), kTol);
}

TEST(Linear, EveryFeatureMapMatchesReference) {
  const auto seed = ref::freshSeed();
  for (auto kind : {FeatureMapKind::Relu, FeatureMapKind::Elu1, FeatureMapKind::Softplus,
                    FeatureMapKind::Favor})
    for (int n : {1, 5, 70, 200, 1100})
      for (bool causal : {false, true}) {
        SCOPED_TRACE(traceOf(seed, n, (toString(kind) + (causal ? " causal" : "")).c_str()));
        FeatureMapSpec fs{kind, 32, seed};
        const double scale = kind == FeatureMapKind::Favor ? 0.5 : 1.0;
        const Qkv qkv = ref::randomQkv(n, 16, 8, 2, seed + n, scale);
        auto refMap = [&](const HeadQKV& h) {
          return ref::mhlaMap(phiOf(h.Q, fs), phiOf(h.K, fs), std::vector<int>(n, 0),
                              MatrixD::Ones(1, 1), causal);
        };
        expectMatches(MechanismSpec::linear(fs, causal), qkv, refMap);
      }
}

TEST(Mhla, OneDimensionalChunksEveryInitMatchReference) {
  const auto seed = ref::freshSeed();
  struct Shape {
    int n, m;
  };
  // Ragged: N not divisible by M, one block, one token per block, long chunked blocks.
  for (Shape sh : {Shape{37, 4}, Shape{37, 5}, Shape{37, 1}, Shape{37, 37}, Shape{10, 4},
                   Shape{1100, 3}, Shape{300, 7}})
    for (MixingInit init : allMixingInits())
      for (bool causal : {false, true}) {
        SCOPED_TRACE(traceOf(seed, sh.n, (toString(init) + (causal ? " causal" : "")).c_str()));
        const FeatureMapSpec fs{};
        const Qkv qkv = ref::randomQkv(sh.n, 16, 8, 1, seed + sh.n * 7 + sh.m);
        const auto spec =
            MechanismSpec::mhla(BlockLayout::oneD(sh.n, sh.m), init, fs, causal, Normaliser::Paper);
        auto refMap = [&](const HeadQKV& h) {
          return ref::mhlaMap(phiOf(h.Q, fs), phiOf(h.K, fs), ref::blocks1D(sh.n, sh.m),
                              spec.mixing, causal);
        };
        expectMatches(spec, qkv, refMap);
      }
}

// The widths the benchmarks time (d_k = d_v = 64) and the forward's chunking edges: blocks of
// 33 tokens with a ragged last one, blocks longer than one 512-token chunk, a ragged 2D grid, every
// elementwise φ and favor, bidirectional and causal, several threads reusing their buffers.
TEST(Mhla, BenchmarkWidthsAndChunkEdgesMatchReference) {
  const auto seed = ref::freshSeed();
  struct Case {
    int n, m;
  };
  for (Case c : {Case{1031, 32}, Case{1100, 2}, Case{513, 1}})
    for (auto kind : {FeatureMapKind::Relu, FeatureMapKind::Elu1, FeatureMapKind::Softplus,
                      FeatureMapKind::Favor})
      for (bool causal : {false, true}) {
        SCOPED_TRACE(traceOf(seed, c.n, (toString(kind) + (causal ? " causal" : "")).c_str()));
        const FeatureMapSpec fs{kind, 96, seed};
        const Qkv qkv = ref::randomQkv(c.n, 64, 64, 1, seed + c.n + c.m, kind == FeatureMapKind::Favor ? 0.4 : 1.0);
        const auto spec = MechanismSpec::mhla(BlockLayout::oneD(c.n, c.m), MixingInit::Cos, fs, causal,
                                              Normaliser::Paper);
        auto refMap = [&](const HeadQKV& h) {
          return ref::mhlaMap(phiOf(h.Q, fs), phiOf(h.K, fs), ref::blocks1D(c.n, c.m), spec.mixing, causal);
        };
        expectMatches(spec, qkv, refMap);
      }
  // 2D windows (tokens reordered into blocks and back) at d = 64.
  const FeatureMapSpec fs{};
  const Qkv qkv = ref::randomQkv(31 * 29, 64, 64, 1, seed + 7);
  const auto spec = MechanismSpec::mhla(BlockLayout::twoD(31, 29, 6, 5), MixingInit::Cos, fs);
  expectMatches(spec, qkv, [&](const HeadQKV& h) {
    return ref::mhlaMap(phiOf(h.Q, fs), phiOf(h.K, fs), ref::blocks2D(31, 29, 6, 5), spec.mixing, false);
  });
}

TEST(Mhla, TwoDimensionalWindowsMatchReference) {
  const auto seed = ref::freshSeed();
  struct Grid {
    int gr, gc, wr, wc;
  };
  // Odd grids with ragged edge windows, 1×N and N×1 grids, one window, one patch per window.
  for (Grid g : {Grid{5, 7, 2, 3}, Grid{7, 7, 3, 3}, Grid{1, 9, 1, 4}, Grid{9, 1, 2, 1},
                 Grid{4, 6, 4, 6}, Grid{3, 5, 1, 1}, Grid{24, 17, 5, 4}})
    for (MixingInit init : {MixingInit::Cos, MixingInit::Local, MixingInit::Gaussian,
                            MixingInit::Identity, MixingInit::Exp}) {
      const int n = g.gr * g.gc;
      SCOPED_TRACE(traceOf(seed, n, toString(init).c_str()));
      for (auto kind : {FeatureMapKind::Relu, FeatureMapKind::Favor}) {
        const FeatureMapSpec fs{kind, 24, seed};
        const Qkv qkv = ref::randomQkv(n, 16, 8, 1, seed + n, 0.7);
        const auto spec = MechanismSpec::mhla(BlockLayout::twoD(g.gr, g.gc, g.wr, g.wc), init, fs);
        auto refMap = [&](const HeadQKV& h) {
          return ref::mhlaMap(phiOf(h.Q, fs), phiOf(h.K, fs),
                              ref::blocks2D(g.gr, g.gc, g.wr, g.wc), spec.mixing, false);
        };
        expectMatches(spec, qkv, refMap);
      }
    }
}

TEST(Mhla, TwoDimensionalWindowsWithOffGridTokensMatchReference) {
  // CLS and registers before the grid join the window of the centre patch.
  const auto seed = ref::freshSeed();
  struct Case {
    int gr, gc, wr, wc, prefix;
  };
  for (Case c : {Case{5, 7, 2, 3, 1}, Case{4, 4, 2, 2, 5}, Case{3, 8, 3, 3, 2}, Case{1, 6, 1, 4, 1}}) {
    const std::vector<int> grid = ref::blocks2D(c.gr, c.gc, c.wr, c.wc);
    std::vector<int> blockOf(c.prefix, grid[(c.gr / 2) * c.gc + c.gc / 2]);
    blockOf.insert(blockOf.end(), grid.begin(), grid.end());
    const int n = c.prefix + c.gr * c.gc;
    SCOPED_TRACE(traceOf(seed, n, "off-grid"));
    const BlockLayout layout = BlockLayout::twoD(c.gr, c.gc, c.wr, c.wc).withOffGridTokens(c.prefix);
    ASSERT_EQ(layout.n(), n);
    EXPECT_EQ(layout.offGridTokens(), c.prefix);
    EXPECT_EQ(layout.blockOfAll(), blockOf);
    const FeatureMapSpec fs{FeatureMapKind::Relu, 24, seed};
    const Qkv qkv = ref::randomQkv(n, 16, 8, 1, seed + n, 0.7);
    const auto spec = MechanismSpec::mhla(layout, MixingInit::Cos, fs);
    expectMatches(spec, qkv, [&](const HeadQKV& h) {
      return ref::mhlaMap(phiOf(h.Q, fs), phiOf(h.K, fs), blockOf, spec.mixing, false);
    });
  }
  EXPECT_THROW(BlockLayout::oneD(9, 3).withOffGridTokens(1), InvalidArgument);
}

TEST(Mhla, UserSuppliedMixingMatrixMatchesReference) {
  const auto seed = ref::freshSeed();
  Rng rng(seed);
  for (bool causal : {false, true}) {
    const int n = 50, m = 6;
    MatrixD mix(m, m);
    for (int a = 0; a < m; ++a)
      for (int b = 0; b < m; ++b) mix(a, b) = rng.uniform() < 0.3 ? 0.0 : rng.uniform();
    for (int a = 0; a < m; ++a) mix(a, a) = 0.5 + rng.uniform();
    const Qkv qkv = ref::randomQkv(n, 16, 8, 2, seed + 1);
    const auto spec = MechanismSpec::mhla(BlockLayout::oneD(n, m), mix, {}, causal);
    auto refMap = [&](const HeadQKV& h) {
      return ref::mhlaMap(phiOf(h.Q, {}), phiOf(h.K, {}), ref::blocks1D(n, m), mix, causal);
    };
    expectMatches(spec, qkv, refMap);
  }
}

TEST(Mhla, OfficialNormaliserMatchesReference) {
  const auto seed = ref::freshSeed();
  for (auto kind : {FeatureMapKind::Relu, FeatureMapKind::Elu1}) {
    const FeatureMapSpec fs{kind};
    // 1D with equal blocks, 2D with equal windows.
    std::vector<MechanismSpec> specs = {
        MechanismSpec::mhla(BlockLayout::oneD(40, 4), MixingInit::Cos, fs, false,
                            Normaliser::Official),
        MechanismSpec::mhla(BlockLayout::twoD(6, 8, 3, 4), MixingInit::Exp, fs, false,
                            Normaliser::Official)};
    for (const auto& spec : specs) {
      const int n = spec.layout->n();
      SCOPED_TRACE(traceOf(seed, n, spec.layout->describe().c_str()));
      const Qkv qkv = ref::randomQkv(n, 16, 8, 1, seed + n);
      std::vector<int> blockOf = spec.layout->kind() == BlockLayout::Kind::OneD
                                     ? ref::blocks1D(n, 4)
                                     : ref::blocks2D(6, 8, 3, 4);
      auto refMap = [&](const HeadQKV& h) {
        return ref::mhlaOfficialMap(phiOf(h.Q, fs), phiOf(h.K, fs), blockOf, spec.mixing,
                                    kOfficialEpsilon);
      };
      expectMatches(spec, qkv, refMap);
    }
  }
}

TEST(Mhla, OfficialNormaliserIsRefusedWhereUndefined) {
  EigenBackend be(1);
  const Qkv qkv = ref::randomQkv(10, 4, 4, 1, 1);
  const auto ragged = MechanismSpec::mhla(BlockLayout::oneD(10, 4), MixingInit::Cos, {}, false,
                                          Normaliser::Official);
  EXPECT_THROW(be.forward(ragged, qkv, HeadSel::one(0)), InvalidArgument);
  const auto causal = MechanismSpec::mhla(BlockLayout::oneD(10, 5), MixingInit::Cos, {}, true,
                                          Normaliser::Official);
  EXPECT_THROW(be.forward(causal, qkv, HeadSel::one(0)), InvalidArgument);
}

TEST(Mhla, CausalTwoDimensionalIsRefused) {
  EigenBackend be(1);
  const Qkv qkv = ref::randomQkv(12, 4, 4, 1, 1);
  const auto spec = MechanismSpec::mhla(BlockLayout::twoD(3, 4, 2, 2), MixingInit::Cos, {}, true);
  try {
    be.forward(spec, qkv, HeadSel::one(0));
    FAIL() << "expected an error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("1D"), std::string::npos) << e.what();
  }
}

// The spec's key (the analysis cache's key) changes with every field a number depends on, and only
// with the spec: a field left out of it would silently reuse stale numbers.
TEST(MechanismSpecKey, ChangesWithEveryField) {
  const MechanismSpec base = MechanismSpec::mhla(BlockLayout::oneD(64, 4), MixingInit::Cos);
  EXPECT_EQ(base.key(), MechanismSpec::mhla(BlockLayout::oneD(64, 4), MixingInit::Cos).key());
  std::vector<MechanismSpec> changed(11, base);
  changed[0].kind = linearKind();
  changed[1].causal = true;
  changed[2].temperature = 2.0;
  changed[3].softmaxPath = SoftmaxPath::Materialised;
  changed[4].featureMap.kind = FeatureMapKind::Favor;
  changed[5].featureMap.favorFeatures = 17;
  changed[6].featureMap.seed = 5;
  changed[7].layout = std::make_shared<const BlockLayout>(BlockLayout::oneD(64, 8));
  changed[8].mixing(1, 2) += 1e-9;
  changed[9].normaliser = Normaliser::Official;
  changed[10].params["window"] = 3;
  for (std::size_t i = 0; i < changed.size(); ++i)
    EXPECT_NE(changed[i].key(), base.key()) << "field " << i << " is not in the key";
  // The same field values in another order of construction give the same key.
  MechanismSpec a = base, b = base;
  a.params["x"] = 1;
  a.params["y"] = 2;
  b.params["y"] = 2;
  b.params["x"] = 1;
  EXPECT_EQ(a.key(), b.key());
}
