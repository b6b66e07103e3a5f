// The host-side launch plan of the linear-attention / MHLA kernels (gpu/src/plan.h). Runs without a
// device: every invariant the kernels rely on (token order, block offsets, chunks that never cross
// a block, tiles that cover every query once, the mixing GEMM's matrix) is checked over linear
// attention, ragged 1D blocks (trailing empty ones included) and ragged 2D windows.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "attnscope/error.h"
#include "attnscope/mechanism.h"
#include "plan.h"

using namespace attnscope;
using attnscope::gpu::bidirectionalChunkSize;
using attnscope::gpu::kBidirectionalChunk;
using attnscope::gpu::kTargetChunks;
using attnscope::gpu::kTile;
using attnscope::gpu::LinearPlan;
using attnscope::gpu::makeLinearPlan;

namespace {

std::string describe(const MechanismSpec& spec, int n, int dk, int dv) {
  std::ostringstream os;
  os << spec.label() << " N=" << n << " d_k=" << dk << " d_v=" << dv;
  if (spec.layout) os << " [" << spec.layout->describe() << "]";
  return os.str();
}

/// Every invariant of a plan for `spec` on N tokens (see plan.h).
void checkPlan(const MechanismSpec& spec, int n, int dk, int dv) {
  SCOPED_TRACE(describe(spec, n, dk, dv));
  spec.validate(n, dk);
  const LinearPlan p = makeLinearPlan(spec, n, dk, dv);
  const bool mhla = spec.is(mhlaKind());
  const int m = spec.blocks();

  // Shapes and flags.
  EXPECT_EQ(p.n, n);
  EXPECT_EQ(p.m, m);
  EXPECT_EQ(p.dk, dk);
  EXPECT_EQ(p.dv, dv);
  EXPECT_EQ(p.r, featureDim(spec, dk));
  EXPECT_EQ(p.r,
            spec.featureMap.kind == FeatureMapKind::Favor ? spec.featureMap.favorFeatures : dk);
  EXPECT_EQ(p.causal, spec.causal);
  EXPECT_EQ(p.official, mhla && spec.normaliser == Normaliser::Official);
  EXPECT_EQ(p.summaryWidth(), p.r * dv + p.r);

  // Token order: block order with ascending tokens inside a block (what the official normaliser's
  // "position w inside the block" and BlockLayout::order() mean); empty means the identity.
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  if (!p.order.empty()) {
    ASSERT_EQ(static_cast<int>(p.order.size()), n) << "order must hold N indices or be empty";
    order = p.order;
  }
  {
    std::vector<int> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < n; ++i) ASSERT_EQ(sorted[i], i) << "order is not a permutation of 0..N-1";
  }
  if (mhla) {
    EXPECT_EQ(order, spec.layout->order()) << "tokens must be gathered in BlockLayout::order()";
    EXPECT_EQ(p.blockOffsets, spec.layout->offsets());
    if (spec.layout->contiguous()) {
      EXPECT_TRUE(p.order.empty()) << "1D layouts need no gather";
    }
  } else {
    EXPECT_TRUE(p.order.empty()) << "linear attention needs no gather";
    EXPECT_EQ(p.blockOffsets, (std::vector<int>{0, n}));
  }
  ASSERT_EQ(static_cast<int>(p.blockOffsets.size()), m + 1);
  EXPECT_EQ(p.blockOffsets.front(), 0);
  EXPECT_EQ(p.blockOffsets.back(), n);
  for (int b = 0; b < m; ++b) ASSERT_LE(p.blockOffsets[b], p.blockOffsets[b + 1]);

  // Chunks: parallel arrays, in block order, inside one block each, every token exactly once.
  const int nc = p.chunks();
  ASSERT_EQ(p.chunkLen.size(), p.chunkBegin.size());
  ASSERT_EQ(p.chunkBlock.size(), p.chunkBegin.size());
  ASSERT_GE(nc, 1);
  const int maxChunk = spec.causal ? kTile : bidirectionalChunkSize(n);
  std::vector<int> chunkCover(n, 0);
  for (int c = 0; c < nc; ++c) {
    const int b = p.chunkBlock[c], begin = p.chunkBegin[c], len = p.chunkLen[c];
    ASSERT_GE(b, 0) << "chunk " << c;
    ASSERT_LT(b, m) << "chunk " << c;
    EXPECT_GE(len, 0) << "chunk " << c;
    EXPECT_LE(len, maxChunk) << "chunk " << c << (spec.causal ? " (causal)" : " (bidirectional)");
    EXPECT_GE(begin, p.blockOffsets[b]) << "chunk " << c << " starts before its block " << b;
    EXPECT_LE(begin + len, p.blockOffsets[b + 1])
        << "chunk " << c << " crosses the end of block " << b;
    if (c > 0) {
      EXPECT_GE(b, p.chunkBlock[c - 1]) << "chunks must be in block order";
      EXPECT_GE(begin, p.chunkBegin[c - 1] + p.chunkLen[c - 1]) << "chunks out of order at " << c;
    }
    for (int t = std::max(0, begin); t < std::min(n, begin + len); ++t) ++chunkCover[t];
  }
  for (int t = 0; t < n; ++t)
    ASSERT_EQ(chunkCover[t], 1) << "position " << t << " (block order) lies in " << chunkCover[t]
                                << " chunks";
  // blockChunkOffsets: the chunks of block b are [blockChunkOffsets[b], blockChunkOffsets[b+1]).
  ASSERT_EQ(static_cast<int>(p.blockChunkOffsets.size()), m + 1);
  EXPECT_EQ(p.blockChunkOffsets.front(), 0);
  EXPECT_EQ(p.blockChunkOffsets.back(), nc);
  for (int b = 0; b < m; ++b) {
    ASSERT_LE(p.blockChunkOffsets[b], p.blockChunkOffsets[b + 1]);
    for (int c = p.blockChunkOffsets[b]; c < p.blockChunkOffsets[b + 1]; ++c)
      EXPECT_EQ(p.chunkBlock[c], b) << "chunk " << c << " listed under block " << b;
  }
  // Causal chunks are taken in order inside their block: the exclusive in-block prefix of a chunk
  // is the sum of the chunks before it in the same block, so the chunks of a block must tile it
  // from its start without gaps (implied by the coverage and order checks above).

  // Tiles: at most kTile queries, inside their chunk, every query exactly once.
  ASSERT_EQ(p.tileLen.size(), p.tileBegin.size());
  ASSERT_EQ(p.tileChunk.size(), p.tileBegin.size());
  std::vector<int> tileCover(n, 0);
  for (int i = 0; i < p.tiles(); ++i) {
    const int c = p.tileChunk[i], begin = p.tileBegin[i], len = p.tileLen[i];
    ASSERT_GE(c, 0) << "tile " << i;
    ASSERT_LT(c, nc) << "tile " << i;
    EXPECT_GE(len, 0) << "tile " << i;
    EXPECT_LE(len, kTile) << "tile " << i;
    EXPECT_GE(begin, p.chunkBegin[c]) << "tile " << i << " starts before its chunk " << c;
    EXPECT_LE(begin + len, p.chunkBegin[c] + p.chunkLen[c])
        << "tile " << i << " crosses the end of its chunk " << c;
    for (int t = std::max(0, begin); t < std::min(n, begin + len); ++t) ++tileCover[t];
  }
  for (int t = 0; t < n; ++t)
    ASSERT_EQ(tileCover[t], 1) << "query " << t << " (block order) lies in " << tileCover[t]
                               << " tiles";

  // Mixing: the full 𝓜 in double; the GEMM's matrix 𝓜 (bidirectional) or its strictly lower part
  // (causal, with the diagonal in mixDiag).
  const MatrixD mix = mhla ? spec.mixing : MatrixD::Ones(1, 1);
  ASSERT_EQ(static_cast<int>(p.mix.size()), m * m);
  ASSERT_EQ(static_cast<int>(p.mixGemm.size()), m * m);
  for (int a = 0; a < m; ++a)
    for (int b = 0; b < m; ++b) {
      EXPECT_EQ(p.mix[a * m + b], mix(a, b)) << "mix(" << a << ", " << b << ")";
      const double gemm = !spec.causal || a > b ? mix(a, b) : 0.0;
      EXPECT_FLOAT_EQ(p.mixGemm[a * m + b], static_cast<float>(gemm))
          << "mixGemm(" << a << ", " << b << ")";
    }
  if (spec.causal) {
    ASSERT_EQ(static_cast<int>(p.mixDiag.size()), m);
    for (int a = 0; a < m; ++a)
      EXPECT_FLOAT_EQ(p.mixDiag[a], static_cast<float>(mix(a, a))) << "mixDiag(" << a << ")";
  } else {
    EXPECT_TRUE(p.mixDiag.empty() || static_cast<int>(p.mixDiag.size()) == m);
    for (float v : p.mixDiag) EXPECT_EQ(v, 0.0f) << "mixDiag must be zero when bidirectional";
  }
}

std::vector<int> blockSizes(const LinearPlan& p) {
  std::vector<int> s;
  for (int b = 0; b < p.m; ++b) s.push_back(p.blockOffsets[b + 1] - p.blockOffsets[b]);
  return s;
}

}  // namespace

TEST(LinearPlan, BidirectionalChunkSizeGrowsOnlyForLongSequences) {
  for (int n : {1, 64, 512, 513, 4099, 65536, kBidirectionalChunk * kTargetChunks})
    EXPECT_EQ(bidirectionalChunkSize(n), kBidirectionalChunk) << "N=" << n;
  // Above kBidirectionalChunk·kTargetChunks tokens: ⌈N/kTargetChunks⌉ rounded up to kTile.
  EXPECT_EQ(bidirectionalChunkSize(kBidirectionalChunk * kTargetChunks + 1),
            (kBidirectionalChunk + 1 + kTile - 1) / kTile * kTile);
  for (int n : {131073, 262144, 1 << 20, 3000001, 1 << 24}) {
    const int c = bidirectionalChunkSize(n);
    EXPECT_EQ(c % kTile, 0) << "N=" << n;
    EXPECT_GE(c, kBidirectionalChunk) << "N=" << n;
    EXPECT_GE(static_cast<long long>(c) * kTargetChunks, n) << "N=" << n;
    EXPECT_LT(static_cast<long long>(c - kTile) * kTargetChunks, n) << "N=" << n;
  }
}

TEST(LinearPlan, SoftmaxHasNoPlan) {
  EXPECT_THROW(makeLinearPlan(MechanismSpec::softmax(), 10, 4, 4), InvalidArgument);
}

TEST(LinearPlan, LinearAttentionIsOneBlock) {
  for (int n : {1, 7, 63, 64, 65, 511, 512, 513, 1000, 4099, 200000, 1 << 20})
    for (bool causal : {false, true}) {
      checkPlan(MechanismSpec::linear({}, causal), n, 64, 64);
      const LinearPlan p = makeLinearPlan(MechanismSpec::linear({}, causal), n, 64, 64);
      EXPECT_EQ(p.m, 1);
      EXPECT_EQ(p.mix, std::vector<double>{1.0});
      // Chunks and tiles respect their limits (so there are at least ⌈N/limit⌉ of them).
      const int limit = causal ? kTile : bidirectionalChunkSize(n);
      EXPECT_GE(p.chunks(), (n + limit - 1) / limit) << "N=" << n;
      EXPECT_GE(p.tiles(), (n + kTile - 1) / kTile) << "N=" << n;
    }
}

TEST(LinearPlan, FeatureWidthAndSummaryWidth) {
  for (auto kind : {FeatureMapKind::Relu, FeatureMapKind::Elu1, FeatureMapKind::Softplus})
    checkPlan(MechanismSpec::linear({kind}), 100, 48, 80);
  for (int r : {1, 37, 256, 300}) {
    const auto spec = MechanismSpec::linear({FeatureMapKind::Favor, r, 5});
    checkPlan(spec, 100, 16, 24);
    const LinearPlan p = makeLinearPlan(spec, 100, 16, 24);
    EXPECT_EQ(p.r, r);
    EXPECT_EQ(p.summaryWidth(), r * 24 + r);
  }
  const LinearPlan p = makeLinearPlan(MechanismSpec::linear({}), 10, 200, 100);
  EXPECT_EQ(p.r, 200);
  EXPECT_EQ(p.summaryWidth(), 200 * 100 + 200);
}

TEST(LinearPlan, OneDimensionalRaggedBlocksAndTrailingEmptyOnes) {
  // N = 10, M = 4: chunks of ⌈10/4⌉ = 3 → 3, 3, 3, 1.
  {
    const auto spec = MechanismSpec::mhla(BlockLayout::oneD(10, 4), MixingInit::Cos, {});
    const LinearPlan p = makeLinearPlan(spec, 10, 8, 8);
    EXPECT_EQ(blockSizes(p), (std::vector<int>{3, 3, 3, 1}));
    checkPlan(spec, 10, 8, 8);
  }
  // N = 9, M = 4: 3, 3, 3, 0 (a trailing empty block).
  {
    const auto spec = MechanismSpec::mhla(BlockLayout::oneD(9, 4), MixingInit::Cos, {});
    const LinearPlan p = makeLinearPlan(spec, 9, 8, 8);
    EXPECT_EQ(blockSizes(p), (std::vector<int>{3, 3, 3, 0}));
    checkPlan(spec, 9, 8, 8);
    checkPlan(MechanismSpec::mhla(BlockLayout::oneD(9, 4), MixingInit::Causal, {}, true), 9, 8, 8);
  }
  // N = 10, M = 6: 2, 2, 2, 2, 2, 0; N = 1001, M = 40: 26 × 38, 13, 0.
  {
    const LinearPlan p = makeLinearPlan(
        MechanismSpec::mhla(BlockLayout::oneD(10, 6), MixingInit::Cos, {}), 10, 4, 4);
    EXPECT_EQ(blockSizes(p), (std::vector<int>{2, 2, 2, 2, 2, 0}));
    const LinearPlan q = makeLinearPlan(
        MechanismSpec::mhla(BlockLayout::oneD(1001, 40), MixingInit::Cos, {}), 1001, 4, 4);
    EXPECT_EQ(blockSizes(q)[37], 26);
    EXPECT_EQ(blockSizes(q)[38], 13);
    EXPECT_EQ(blockSizes(q)[39], 0);
  }
  struct Shape {
    int n, m;
  };
  // Blocks longer than one chunk (causal 64, bidirectional 512), one token per block, one block.
  for (Shape sh : {Shape{10, 4}, Shape{9, 4}, Shape{10, 6}, Shape{1001, 40}, Shape{4099, 3},
                   Shape{65, 65}, Shape{37, 1}, Shape{1000, 7}, Shape{1025, 2}, Shape{130, 2}})
    for (MixingInit init : allMixingInits())
      for (bool causal : {false, true})
        checkPlan(MechanismSpec::mhla(BlockLayout::oneD(sh.n, sh.m), init, {}, causal), sh.n, 16,
                  24);
}

TEST(LinearPlan, TwoDimensionalRaggedWindowsAreGatheredInBlockOrder) {
  struct Grid {
    int gr, gc, wr, wc;
  };
  // Ragged edge windows (13×17 in 4×5: 4×4 blocks, the last row of blocks 1 patch high and the
  // last column 2 wide), 1×N and N×1 grids, one window, one patch per window, windows over 512.
  for (Grid g : {Grid{13, 17, 4, 5}, Grid{5, 7, 2, 3}, Grid{24, 17, 5, 4}, Grid{1, 9, 1, 4},
                 Grid{9, 1, 2, 1}, Grid{4, 6, 4, 6}, Grid{3, 5, 1, 1}, Grid{64, 64, 8, 8},
                 Grid{50, 40, 25, 40}})
    for (MixingInit init :
         {MixingInit::Cos, MixingInit::Linear, MixingInit::Exp, MixingInit::Gaussian,
          MixingInit::Local, MixingInit::Uniform, MixingInit::Identity}) {
      const auto spec = MechanismSpec::mhla(BlockLayout::twoD(g.gr, g.gc, g.wr, g.wc), init, {});
      checkPlan(spec, g.gr * g.gc, 16, 8);
    }
  // 13×17 in 4×5 windows: block sizes row-major over the 4×4 block grid.
  const auto spec = MechanismSpec::mhla(BlockLayout::twoD(13, 17, 4, 5), MixingInit::Cos, {});
  const LinearPlan p = makeLinearPlan(spec, 13 * 17, 16, 8);
  EXPECT_EQ(blockSizes(p),
            (std::vector<int>{20, 20, 20, 8, 20, 20, 20, 8, 20, 20, 20, 8, 5, 5, 5, 2}));
  ASSERT_EQ(static_cast<int>(p.order.size()), 13 * 17) << "a 2D layout needs a gather";
  // The first block is the top-left 4×5 window, row by row.
  EXPECT_EQ(std::vector<int>(p.order.begin(), p.order.begin() + 5),
            (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(p.order[5], 17);
}

TEST(LinearPlan, OfficialNormaliserAndUserMixing) {
  checkPlan(MechanismSpec::mhla(BlockLayout::oneD(40, 4), MixingInit::Cos, {}, false,
                                Normaliser::Official),
            40, 16, 8);
  checkPlan(MechanismSpec::mhla(BlockLayout::twoD(6, 8, 3, 4), MixingInit::Exp, {}, false,
                                Normaliser::Official),
            48, 16, 8);
  checkPlan(MechanismSpec::mhla(BlockLayout::oneD(4096, 4), MixingInit::Gaussian,
                                {FeatureMapKind::Elu1}, false, Normaliser::Official),
            4096, 16, 8);
  // A hand-made mixing matrix with zeros off the diagonal and an upper part (ignored when causal).
  MatrixD mix(5, 5);
  for (int a = 0; a < 5; ++a)
    for (int b = 0; b < 5; ++b) mix(a, b) = (a + b) % 3 == 0 ? 0.0 : 0.1 * (a + 1) + 0.01 * b;
  for (int a = 0; a < 5; ++a) mix(a, a) = 1.0 + a;
  for (bool causal : {false, true})
    checkPlan(MechanismSpec::mhla(BlockLayout::oneD(333, 5), mix, {}, causal), 333, 16, 8);
}
