// CudaBackend::forward against the Eigen backend (the reference, itself checked against the naive
// double formulas in tests/core) and, for small N, directly against those double references, on
// fresh random inputs (ATTNSCOPE_TEST_SEED reproduces a run; every trace prints the seed).
// Outputs are NaN-poisoned before each kernel, so an entry a kernel forgot is caught as non-finite.
// Skipped, with the reason, where no CUDA device is usable.
#include <gtest/gtest.h>

#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "attnscope/error.h"
#include "attnscope/rng.h"
#include "gpu_test_util.h"

using namespace gputest;

namespace {

const char* precisionName(SoftmaxPrecision p) {
  return p == SoftmaxPrecision::Fp32   ? "fp32"
         : p == SoftmaxPrecision::Tf32 ? "tf32"
                                       : "fp32-blocked";
}

double toleranceOf(SoftmaxPrecision p) {
  return p == SoftmaxPrecision::Tf32 ? kTf32Tol : kFp32Tol;
}

std::string caseName(const MechanismSpec& spec, int n, int dk, int dv, int heads) {
  std::ostringstream os;
  os << spec.label() << " N=" << n << " d_k=" << dk << " d_v=" << dv << " H=" << heads;
  if (spec.layout) os << " [" << spec.layout->describe() << "]";
  return os.str();
}

/// Double-precision outputs A·V of every head for a map built by `refMap(head)`.
template <typename RefMap>
std::vector<MatrixD> referenceOutputs(const Qkv& qkv, RefMap refMap) {
  std::vector<MatrixD> out;
  for (const auto& h : qkv.heads()) out.push_back(refMap(h) * toD(h.V));
  return out;
}

/// The reference map of a linear or MHLA spec with the paper normaliser.
MatrixD linearFamilyMap(const MechanismSpec& spec, const HeadQKV& h) {
  const int n = static_cast<int>(h.Q.rows());
  const MatrixD pq = phiOf(h.Q, spec.featureMap), pk = phiOf(h.K, spec.featureMap);
  if (spec.is(linearKind()))
    return ref::mhlaMap(pq, pk, std::vector<int>(n, 0), MatrixD::Ones(1, 1), spec.causal);
  if (spec.normaliser == Normaliser::Official)
    return ref::mhlaOfficialMap(pq, pk, spec.layout->blockOfAll(), spec.mixing, kOfficialEpsilon);
  return ref::mhlaMap(pq, pk, spec.layout->blockOfAll(), spec.mixing, spec.causal);
}

}  // namespace

class CudaForward : public CudaDevice {
 protected:
  /// GPU forward (all heads) against Eigen, and against the double reference when N ≤ refMaxN.
  void checkLinearFamily(const MechanismSpec& spec, const Qkv& qkv, int refMaxN = 130) {
    const std::string what = caseName(spec, qkv.n(), qkv.dk(), qkv.dv(), qkv.numHeads());
    const auto want = eigen().forward(spec, qkv, HeadSel::all());
    const auto got = gpu().forward(spec, qkv, HeadSel::all());
    expectHeadsClose(got, want, kFp32Tol, what + " vs Eigen");
    if (qkv.n() <= refMaxN)
      expectHeadsCloseD(
          got, referenceOutputs(qkv, [&](const HeadQKV& h) { return linearFamilyMap(spec, h); }),
          kFp32Tol, what + " vs double reference");
  }

  /// Softmax in every precision against one Eigen result (and the double reference, small N).
  void checkSoftmax(const MechanismSpec& spec, const Qkv& qkv, int refMaxN = 129,
                    std::vector<SoftmaxPrecision> precisions = {SoftmaxPrecision::Fp32,
                                                                SoftmaxPrecision::Fp32Blocked,
                                                                SoftmaxPrecision::Tf32}) {
    const std::string what = caseName(spec, qkv.n(), qkv.dk(), qkv.dv(), qkv.numHeads()) +
                             (spec.softmaxPath == SoftmaxPath::Materialised ? " materialised" : "");
    const auto want = eigen().forward(spec, qkv, HeadSel::all());
    std::vector<MatrixD> exact;
    if (qkv.n() <= refMaxN)
      exact = referenceOutputs(qkv, [&](const HeadQKV& h) {
        return ref::softmaxMap(toD(h.Q), toD(h.K), spec.temperature, spec.causal);
      });
    for (SoftmaxPrecision p : precisions) {
      gpu().setSoftmaxPrecision(p);
      const std::string w = what + " " + precisionName(p);
      const auto got = gpu().forward(spec, qkv, HeadSel::all());
      expectHeadsClose(got, want, toleranceOf(p), w + " vs Eigen");
      if (!exact.empty()) expectHeadsCloseD(got, exact, toleranceOf(p), w + " vs double reference");
    }
    gpu().setSoftmaxPrecision(SoftmaxPrecision::Fp32);
  }
};

// ---- softmax --------------------------------------------------------------------------------

TEST_F(CudaForward, SoftmaxRaggedLengthsEveryPrecision) {
  const auto seed = ref::freshSeed();
  // Lengths around the 64-query / key tiles and far from them; N = 1 has a single key.
  for (int n : {1, 7, 63, 65, 129, 1000, 4099})
    for (bool causal : {false, true})
      for (double tau : {1.0, 0.6}) {
        SCOPED_TRACE(traceOf(seed, "softmax N=" + std::to_string(n)));
        const Qkv qkv = ref::randomQkv(n, 64, 64, 2, seed + n);
        checkSoftmax(MechanismSpec::softmax(causal, tau), qkv);
      }
}

TEST_F(CudaForward, SoftmaxHeadWidthsIncludingFallbacks) {
  const auto seed = ref::freshSeed();
  struct Widths {
    int dk, dv;
  };
  // d ≤ 128 fits the fused kernel; 100 is not a multiple of the vector width; 200 > 128 takes the
  // fallbacks; unequal d_k and d_v check that no kernel assumes d_k = d_v.
  for (Widths w :
       {Widths{16, 16}, Widths{64, 64}, Widths{100, 100}, Widths{128, 128}, Widths{200, 200},
        Widths{64, 32}, Widths{32, 200}, Widths{200, 16}, Widths{128, 100}})
    for (int n : {65, 1000})
      for (bool causal : {false, true}) {
        SCOPED_TRACE(traceOf(seed, "softmax widths " + std::to_string(w.dk) + "/" +
                                       std::to_string(w.dv) + " N=" + std::to_string(n)));
        const Qkv qkv = ref::randomQkv(n, w.dk, w.dv, 2, seed + 31 * n + w.dk + 7 * w.dv);
        checkSoftmax(MechanismSpec::softmax(causal, causal ? 0.5 : 1.0), qkv, 65);
      }
}

TEST_F(CudaForward, SoftmaxMaterialisedPathMatches) {
  const auto seed = ref::freshSeed();
  for (int n : {65, 1000})
    for (bool causal : {false, true}) {
      SCOPED_TRACE(traceOf(seed, "softmax materialised N=" + std::to_string(n)));
      const Qkv qkv = ref::randomQkv(n, 64, 48, 2, seed + n);
      auto spec = MechanismSpec::softmax(causal, 0.8);
      spec.softmaxPath = SoftmaxPath::Materialised;
      checkSoftmax(spec, qkv, 65, {SoftmaxPrecision::Fp32});
    }
}

TEST_F(CudaForward, SoftmaxLargeLogitsStayFinite) {
  // Logits in the hundreds: the online softmax must rescale, never overflow. TF32 is left out:
  // its ~1e-3 relative logit error is ~0.3 absolute here, which no fixed output bound describes.
  const auto seed = ref::freshSeed();
  for (int n : {200, 1000})
    for (bool causal : {false, true}) {
      SCOPED_TRACE(traceOf(seed, "softmax large logits N=" + std::to_string(n)));
      const Qkv qkv = ref::randomQkv(n, 16, 8, 1, seed + n, 30.0);
      checkSoftmax(MechanismSpec::softmax(causal), qkv, 200,
                   {SoftmaxPrecision::Fp32, SoftmaxPrecision::Fp32Blocked});
    }
}

TEST_F(CudaForward, SoftmaxLongSequenceRowsMatchEigen) {
  // N = 65536 is too slow for a full CPU reference (1.1 TFLOP); check 48 output rows spread over
  // the sequence (first, last, tile edges) against Eigen's rows of A times V: O(N·d) each.
  const auto seed = ref::freshSeed();
  const int n = 65536;
  const Qkv qkv = ref::randomQkv(n, 64, 64, 1, seed);
  std::vector<int> idx = {0,    1,    63,    64,     65,     127,   128,  1000,
                          4095, 4096, n / 2, n - 65, n - 64, n - 2, n - 1};
  for (int i = 0; static_cast<int>(idx.size()) < 48; ++i) idx.push_back((i * 7919 + 13) % n);
  for (bool causal : {false, true}) {
    SCOPED_TRACE(traceOf(seed, std::string("softmax N=65536") + (causal ? " causal" : "")));
    const auto spec = MechanismSpec::softmax(causal);
    const MatrixD A = eigen().prepare(spec, qkv.head(0))->rows(idx);
    const MatrixD want = A * toD(qkv.v[0]);
    for (SoftmaxPrecision p : {SoftmaxPrecision::Fp32, SoftmaxPrecision::Tf32}) {
      gpu().setSoftmaxPrecision(p);
      const auto got = gpu().forward(spec, qkv, HeadSel::all());
      ASSERT_EQ(got.size(), 1u);
      ASSERT_EQ(got[0].rows(), n);
      ASSERT_EQ(got[0].cols(), 64);
      std::string first;
      EXPECT_EQ(countNonFinite(got[0], &first), 0) << precisionName(p) << ": first at " << first;
      MatrixD sub(idx.size(), 64);
      for (size_t k = 0; k < idx.size(); ++k) sub.row(k) = got[0].row(idx[k]).cast<double>();
      EXPECT_LT(ref::relErr(sub, want), toleranceOf(p)) << precisionName(p);
    }
  }
}

// ---- linear attention ---------------------------------------------------------------------

TEST_F(CudaForward, LinearEveryFeatureMap) {
  const auto seed = ref::freshSeed();
  struct Phi {
    FeatureMapKind kind;
    int r;
  };
  for (Phi phi : {Phi{FeatureMapKind::Relu, 0}, Phi{FeatureMapKind::Elu1, 0},
                  Phi{FeatureMapKind::Softplus, 0}, Phi{FeatureMapKind::Favor, 256},
                  Phi{FeatureMapKind::Favor, 37}})
    for (int n : {1, 7, 65, 1000, 4099})
      for (bool causal : {false, true}) {
        const FeatureMapSpec fs{phi.kind, phi.r > 0 ? phi.r : 256, seed};
        SCOPED_TRACE(traceOf(seed, "linear " + toString(phi.kind) + " r=" + std::to_string(phi.r) +
                                       " N=" + std::to_string(n)));
        // favor: q, k of scale 0.5 keep exp(W x' − ‖x'‖²/2) in a range where float sums are exact
        // enough (as in tests/core).
        const double scale = phi.kind == FeatureMapKind::Favor ? 0.5 : 1.0;
        const Qkv qkv = ref::randomQkv(n, 64, 64, 2, seed + 3 * n, scale);
        checkLinearFamily(MechanismSpec::linear(fs, causal), qkv);
      }
}

TEST_F(CudaForward, LinearWideAndUnequalWidths) {
  const auto seed = ref::freshSeed();
  struct Case {
    FeatureMapKind kind;
    int r, dk, dv;
  };
  // r = d_k up to 200 (> 128: fallbacks), d_v ≠ d_k, favor with r = 300 on narrow keys.
  for (Case c : {Case{FeatureMapKind::Relu, 0, 16, 16}, Case{FeatureMapKind::Relu, 0, 100, 100},
                 Case{FeatureMapKind::Softplus, 0, 200, 200},
                 Case{FeatureMapKind::Relu, 0, 64, 200}, Case{FeatureMapKind::Elu1, 0, 200, 24},
                 Case{FeatureMapKind::Favor, 300, 16, 100}, Case{FeatureMapKind::Favor, 1, 32, 32}})
    for (int n : {65, 1000})
      for (bool causal : {false, true}) {
        const FeatureMapSpec fs{c.kind, c.r > 0 ? c.r : 256, seed + 1};
        SCOPED_TRACE(traceOf(seed, "linear " + toString(c.kind) + " d_k=" + std::to_string(c.dk) +
                                       " d_v=" + std::to_string(c.dv) + " N=" + std::to_string(n)));
        const double scale = c.kind == FeatureMapKind::Favor ? 0.5 : 1.0;
        const Qkv qkv = ref::randomQkv(n, c.dk, c.dv, 2, seed + 11 * n + c.dk, scale);
        checkLinearFamily(MechanismSpec::linear(fs, causal), qkv, 65);
      }
}

// ---- MHLA ---------------------------------------------------------------------------------

TEST_F(CudaForward, MhlaOneDimensionalRaggedEveryInit) {
  const auto seed = ref::freshSeed();
  struct Shape {
    int n, m;
  };
  // N % M ≠ 0 (10/4: 3,3,3,1; 1000/7), trailing empty blocks (9/4: 3,3,3,0; 10/6; 1001/40), blocks
  // longer than a chunk (4099/3, 1025/2), one token per block (65/65), one block (37/1).
  const std::vector<Shape> shapes = {{10, 4},   {9, 4},   {10, 6}, {1001, 40}, {4099, 3},
                                     {1025, 2}, {65, 65}, {37, 1}, {1000, 7}};
  const std::vector<FeatureMapSpec> maps = {{FeatureMapKind::Relu},
                                            {FeatureMapKind::Softplus},
                                            {FeatureMapKind::Elu1},
                                            {FeatureMapKind::Favor, 64, seed}};
  for (size_t s = 0; s < shapes.size(); ++s) {
    const Shape sh = shapes[s];
    const FeatureMapSpec fs = maps[s % maps.size()];
    const int heads = s % 3 == 0 ? 2 : 1;
    const double scale = fs.kind == FeatureMapKind::Favor ? 0.5 : 1.0;
    const Qkv qkv = ref::randomQkv(sh.n, 32, 24, heads, seed + 7 * sh.n + sh.m, scale);
    for (MixingInit init : allMixingInits())
      for (bool causal : {false, true}) {
        SCOPED_TRACE(traceOf(seed, "MHLA 1D N=" + std::to_string(sh.n) +
                                       " M=" + std::to_string(sh.m) + " " + toString(init) +
                                       (causal ? " causal" : "")));
        checkLinearFamily(MechanismSpec::mhla(BlockLayout::oneD(sh.n, sh.m), init, fs, causal),
                          qkv);
      }
  }
}

TEST_F(CudaForward, MhlaTwoDimensionalRaggedWindows) {
  const auto seed = ref::freshSeed();
  struct Grid {
    int gr, gc, wr, wc;
  };
  // 13×17 in 4×5 windows: 4×4 blocks with a 1-row and a 2-column edge; 1×N, N×1, one window, one
  // patch per window, 64×64 in 8×8 (M = 64), windows of 1000 patches (> one chunk).
  for (Grid g : {Grid{13, 17, 4, 5}, Grid{5, 7, 2, 3}, Grid{24, 17, 5, 4}, Grid{1, 9, 1, 4},
                 Grid{9, 1, 2, 1}, Grid{4, 6, 4, 6}, Grid{3, 5, 1, 1}, Grid{64, 64, 8, 8},
                 Grid{50, 40, 25, 40}}) {
    const int n = g.gr * g.gc;
    const Qkv qkv = ref::randomQkv(n, 16, 8, 1, seed + n + g.wr, 0.7);
    for (auto kind : {FeatureMapKind::Relu, FeatureMapKind::Favor}) {
      const FeatureMapSpec fs{kind, 48, seed};
      for (MixingInit init :
           {MixingInit::Cos, MixingInit::Linear, MixingInit::Exp, MixingInit::Gaussian,
            MixingInit::Local, MixingInit::Uniform, MixingInit::Identity}) {
        const auto spec = MechanismSpec::mhla(BlockLayout::twoD(g.gr, g.gc, g.wr, g.wc), init, fs);
        SCOPED_TRACE(
            traceOf(seed, spec.layout->describe() + " " + toString(init) + " " + toString(kind)));
        checkLinearFamily(spec, qkv, 250);
      }
    }
  }
}

TEST_F(CudaForward, MhlaUserMixingWithZeros) {
  const auto seed = ref::freshSeed();
  Rng rng(seed);
  const int n = 777, m = 9;
  MatrixD mix(m, m);
  for (int a = 0; a < m; ++a)
    for (int b = 0; b < m; ++b) mix(a, b) = rng.uniform() < 0.4 ? 0.0 : rng.uniform();
  for (int a = 0; a < m; ++a) mix(a, a) = 0.5 + rng.uniform();
  const Qkv qkv = ref::randomQkv(n, 64, 64, 2, seed + 5);
  for (bool causal : {false, true}) {
    SCOPED_TRACE(traceOf(seed, std::string("user mixing") + (causal ? " causal" : "")));
    checkLinearFamily(MechanismSpec::mhla(BlockLayout::oneD(n, m), mix, {}, causal), qkv);
  }
}

TEST_F(CudaForward, MhlaOfficialNormaliser) {
  const auto seed = ref::freshSeed();
  // Equal blocks only (the normaliser mixes the other blocks' queries at the same position),
  // bidirectional only; 1D and 2D, blocks smaller and larger than one chunk.
  std::vector<BlockLayout> layouts = {
      BlockLayout::oneD(40, 4),        BlockLayout::oneD(1024, 16),
      BlockLayout::oneD(4096, 4),      BlockLayout::twoD(6, 8, 3, 4),
      BlockLayout::twoD(64, 64, 8, 8), BlockLayout::twoD(32, 48, 8, 16)};
  for (const auto& layout : layouts) {
    ASSERT_TRUE(layout.equalSizes()) << layout.describe();
    const int n = layout.n();
    const Qkv qkv = ref::randomQkv(n, 32, 16, 2, seed + n);
    for (auto kind : {FeatureMapKind::Relu, FeatureMapKind::Elu1, FeatureMapKind::Softplus})
      for (MixingInit init : {MixingInit::Cos, MixingInit::Exp, MixingInit::Gaussian}) {
        const auto spec = MechanismSpec::mhla(layout, init, {kind}, false, Normaliser::Official);
        SCOPED_TRACE(traceOf(
            seed, layout.describe() + " official " + toString(kind) + " " + toString(init)));
        checkLinearFamily(spec, qkv, 64);
      }
  }
}

// ---- heads, long sequences ----------------------------------------------------------------

TEST_F(CudaForward, AllHeadsBatchedEqualsEachHead) {
  const auto seed = ref::freshSeed();
  const int n = 777;
  const Qkv qkv = ref::randomQkv(n, 64, 64, 3, seed);
  std::vector<MechanismSpec> specs = {
      MechanismSpec::softmax(),
      MechanismSpec::softmax(true, 0.7),
      MechanismSpec::linear({}),
      MechanismSpec::linear({FeatureMapKind::Favor, 96, seed}, true),
      MechanismSpec::mhla(BlockLayout::oneD(n, 10), MixingInit::Cos, {}),
      MechanismSpec::mhla(BlockLayout::oneD(n, 10), MixingInit::Causal, {}, true),
      MechanismSpec::mhla(BlockLayout::twoD(21, 37, 4, 6), MixingInit::Local, {}),
      MechanismSpec::mhla(BlockLayout::oneD(n, 7), MixingInit::Exp, {}, false,
                          Normaliser::Official)};
  for (const auto& spec : specs) {
    SCOPED_TRACE(traceOf(seed, spec.label()));
    const auto all = gpu().forward(spec, qkv, HeadSel::all());
    ASSERT_EQ(all.size(), 3u);
    expectHeadsClose(all, eigen().forward(spec, qkv, HeadSel::all()), kFp32Tol, "all heads");
    for (int h = 0; h < 3; ++h) {
      const auto one = gpu().forward(spec, qkv, HeadSel::one(h));
      ASSERT_EQ(one.size(), 1u);
      // Batched and single-head launches may sum in another order, nothing more.
      expectHeadsClose(one, {all[h]}, 1e-5, "head " + std::to_string(h) + " alone vs batched");
    }
    EXPECT_GT((all[0] - all[1]).norm(), 1e-3 * all[0].norm()) << "heads must differ";
    EXPECT_GT((all[1] - all[2]).norm(), 1e-3 * all[1].norm()) << "heads must differ";
  }
}

TEST_F(CudaForward, LongSequenceLinearAndMhla) {
  const auto seed = ref::freshSeed();
  const int n = 65536;
  const Qkv qkv = ref::randomQkv(n, 64, 64, 1, seed);
  std::vector<MechanismSpec> specs = {
      MechanismSpec::linear({}),
      MechanismSpec::linear({}, true),
      MechanismSpec::linear({FeatureMapKind::Elu1}, true),
      MechanismSpec::mhla(BlockLayout::oneD(n, 256), MixingInit::Cos, {}),
      MechanismSpec::mhla(BlockLayout::oneD(n, 256), MixingInit::Causal, {}, true),
      MechanismSpec::mhla(BlockLayout::oneD(n, 300), MixingInit::Exp, {}, true),
      MechanismSpec::mhla(BlockLayout::twoD(256, 256, 16, 16), MixingInit::Cos, {}),
      MechanismSpec::mhla(BlockLayout::twoD(256, 256, 16, 16), MixingInit::Cos, {}, false,
                          Normaliser::Official)};
  for (const auto& spec : specs) {
    SCOPED_TRACE(traceOf(seed, spec.label() + " N=65536"));
    checkLinearFamily(spec, qkv, 0);
  }
}

// ---- validation through the CUDA backend (needs available(): check() asks it first) --------

namespace {
template <typename Fn>
std::string errorOf(Fn fn) {
  try {
    fn();
  } catch (const InvalidArgument& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("wrong exception type (not InvalidArgument): ") + e.what();
  }
  return "";
}
}  // namespace

TEST_F(CudaForward, BadInputIsRejectedWithClearMessages) {
  const Qkv qkv = ref::randomQkv(10, 8, 8, 2, 1);
  // M > N: the layout cannot be built, and a layout for more tokens is refused.
  EXPECT_THROW(BlockLayout::oneD(10, 11), InvalidArgument);
  const auto tooMany = MechanismSpec::mhla(BlockLayout::oneD(12, 11), MixingInit::Cos, {});
  EXPECT_NE(errorOf([&] { gpu().forward(tooMany, qkv, HeadSel::all()); }).find("12 tokens"),
            std::string::npos);
  // A mixing matrix of the wrong size, negative weights, a row attending to nothing.
  auto wrongSize = MechanismSpec::mhla(BlockLayout::oneD(10, 4), MatrixD::Ones(3, 3), {});
  EXPECT_THROW(gpu().forward(wrongSize, qkv, HeadSel::all()), InvalidArgument);
  MatrixD negative = MatrixD::Ones(4, 4);
  negative(1, 2) = -0.5;
  EXPECT_THROW(gpu().forward(MechanismSpec::mhla(BlockLayout::oneD(10, 4), negative, {}), qkv,
                             HeadSel::all()),
               InvalidArgument);
  MatrixD emptyRow = MatrixD::Ones(4, 4);
  emptyRow.row(2).setZero();
  EXPECT_THROW(gpu().forward(MechanismSpec::mhla(BlockLayout::oneD(10, 4), emptyRow, {}), qkv,
                             HeadSel::all()),
               InvalidArgument);
  // Settings that do not apply.
  EXPECT_THROW(gpu().forward(MechanismSpec::softmax(false, 0.0), qkv, HeadSel::all()),
               InvalidArgument);
  EXPECT_THROW(
      gpu().forward(MechanismSpec::linear({FeatureMapKind::Favor, 0, 0}), qkv, HeadSel::all()),
      InvalidArgument);
  EXPECT_THROW(gpu().forward(MechanismSpec::mhla(BlockLayout::oneD(10, 4), MixingInit::Cos, {},
                                                 false, Normaliser::Official),
                             qkv, HeadSel::all()),
               InvalidArgument);  // unequal blocks
  EXPECT_THROW(
      gpu().forward(MechanismSpec::mhla(BlockLayout::twoD(2, 5, 1, 2), MixingInit::Cos, {}, true),
                    qkv, HeadSel::all()),
      InvalidArgument);  // causal 2D
  // Heads and queries out of range.
  EXPECT_NE(errorOf([&] {
              gpu().forward(MechanismSpec::softmax(), qkv, HeadSel::one(2));
            }).find("head 2 does not exist"),
            std::string::npos);
  EXPECT_NE(errorOf([&] {
              gpu().attentionRow(MechanismSpec::softmax(), qkv, HeadSel::one(0), 10);
            }).find("out of range"),
            std::string::npos);
  EXPECT_THROW(gpu().attentionRow(MechanismSpec::linear({}), qkv, HeadSel::one(0), -1),
               InvalidArgument);
  // Shapes that disagree.
  Qkv ragged = qkv;
  ragged.k[1] = MatrixF::Zero(9, 8);
  EXPECT_NE(errorOf([&] {
              gpu().forward(MechanismSpec::softmax(), ragged, HeadSel::all());
            }).find("same number of tokens"),
            std::string::npos);
  EXPECT_THROW(gpu().forward(MechanismSpec::softmax(), Qkv{}, HeadSel::all()), InvalidArgument);
  // The backend still works after all that.
  expectHeadsClose(gpu().forward(MechanismSpec::linear({}), qkv, HeadSel::all()),
                   eigen().forward(MechanismSpec::linear({}), qkv, HeadSel::all()), kFp32Tol,
                   "after errors");
}

TEST_F(CudaForward, NanAndInfInInputsAreReportedNotPropagated) {
  for (float bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()})
    for (int which = 0; which < 3; ++which) {
      Qkv q = ref::randomQkv(20, 4, 4, 2, 1);
      MatrixF& m = which == 0 ? q.q[1] : which == 1 ? q.k[1] : q.v[1];
      m(7, 2) = bad;
      const auto mhla = MechanismSpec::mhla(BlockLayout::oneD(20, 4), MixingInit::Cos, {});
      for (const auto& spec : {MechanismSpec::softmax(), MechanismSpec::linear({}), mhla}) {
        SCOPED_TRACE(spec.label() + " bad value in " + "QKV"[which]);
        const std::string msg = errorOf([&] { gpu().forward(spec, q, HeadSel::all()); });
        EXPECT_NE(msg.find("row 7, column 2"), std::string::npos) << msg;
        EXPECT_NE(msg.find("head 1"), std::string::npos) << msg;
        EXPECT_NE(errorOf([&] { gpu().attentionRow(spec, q, HeadSel::all(), 0); }), "");
        EXPECT_NE(errorOf([&] { gpu().attentionMatrix(spec, q, HeadSel::all()); }), "");
        EXPECT_NE(errorOf([&] { gpu().spectrum(spec, q, HeadSel::all()); }), "");
      }
    }
}
