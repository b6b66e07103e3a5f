// Block layouts and mixing-matrix initialisations (MATH.md tables).
#include <algorithm>
#include <tuple>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "attnscope/blocks.h"
#include "attnscope/error.h"
#include "attnscope/mixing.h"

using namespace attnscope;

TEST(Blocks, OneDChunksAreCeilSizedWithShortLast) {
  const auto L = BlockLayout::oneD(10, 4);  // chunks of 3: 3,3,3,1
  EXPECT_EQ(L.m(), 4);
  EXPECT_EQ(L.blockSize(0), 3);
  EXPECT_EQ(L.blockSize(3), 1);
  EXPECT_EQ(L.blockOf(9), 3);
  EXPECT_FALSE(L.equalSizes());
  EXPECT_TRUE(BlockLayout::oneD(12, 4).equalSizes());
  const auto E = BlockLayout::oneD(9, 4);  // chunks of 3 leave the 4th empty
  EXPECT_EQ(E.blockSize(3), 0);
}

TEST(Blocks, TwoDWindowsAreRowMajorWithRaggedEdges) {
  const auto L = BlockLayout::twoD(5, 7, 2, 3);  // 3×3 block grid
  EXPECT_EQ(L.m(), 9);
  EXPECT_EQ(L.blockGridRows(), 3);
  EXPECT_EQ(L.blockGridCols(), 3);
  EXPECT_EQ(L.blockSize(0), 6);
  EXPECT_EQ(L.blockSize(2), 2);  // 2 rows × 1 column at the right edge
  EXPECT_EQ(L.blockSize(8), 1);  // bottom-right corner
  EXPECT_EQ(L.blockOf(0 * 7 + 6), 2);
  EXPECT_EQ(L.blockOf(4 * 7 + 0), 6);
  // order() lists each block's tokens ascending.
  for (int b = 0; b < L.m(); ++b)
    for (int i = L.offsets()[b]; i < L.offsets()[b + 1]; ++i) {
      EXPECT_EQ(L.blockOf(L.order()[i]), b);
      if (i > L.offsets()[b]) {
        EXPECT_LT(L.order()[i - 1], L.order()[i]);
      }
    }
  const auto C = L.centres();
  EXPECT_DOUBLE_EQ(C[5].first, 1.5);
  EXPECT_DOUBLE_EQ(C[5].second, 2.5);
}

TEST(Blocks, BandsTileEvenlyWithoutSlivers) {
  // Issue 14: 25 rows in windows of 8 left a 1-row sliver, an 11×93 grid a 1-patch second row,
  // M = 64 gave 65 blocks. Bands differ by at most one patch and the count is exact.
  for (auto [rows, cols, m] : {std::tuple{25, 40, 16}, std::tuple{11, 93, 16}, std::tuple{26, 38, 64},
                               std::tuple{26, 38, 16}, std::tuple{14, 14, 4}, std::tuple{7, 300, 21}}) {
    const auto L = BlockLayout::twoDWithBlocks(rows, cols, m);
    EXPECT_EQ(L.m(), m) << rows << "×" << cols;
    int lo = 1 << 30, hi = 0;
    for (int b = 0; b < L.m(); ++b) {
      lo = std::min(lo, L.blockSize(b));
      hi = std::max(hi, L.blockSize(b));
    }
    // Sides differ by ≤ 1 patch: sizes within (h+1)(w+1) vs h·w of the smallest.
    const int h = rows / L.blockGridRows(), w = cols / L.blockGridCols();
    EXPECT_GE(lo, h * w) << rows << "×" << cols << " M=" << m;
    EXPECT_LE(hi, (h + 1) * (w + 1)) << rows << "×" << cols << " M=" << m;
    // Every token in exactly one block, blocks are rectangles of consecutive rows and columns.
    for (int b = 0; b < L.m(); ++b) {
      int r0 = rows, r1 = -1, c0 = cols, c1 = -1;
      for (int i = L.offsets()[b]; i < L.offsets()[b + 1]; ++i) {
        const int t = L.order()[i];
        r0 = std::min(r0, t / cols), r1 = std::max(r1, t / cols);
        c0 = std::min(c0, t % cols), c1 = std::max(c1, t % cols);
      }
      EXPECT_EQ((r1 - r0 + 1) * (c1 - c0 + 1), L.blockSize(b));
    }
  }
  // Bands that divide the grid are the equal windows of twoD.
  const auto E = BlockLayout::twoDBands(24, 32, 4, 4);
  const auto W = BlockLayout::twoD(24, 32, 6, 8);
  EXPECT_EQ(E.blockOfAll(), W.blockOfAll());
  EXPECT_TRUE(E.equalSizes());
  // A prime M larger than both sides: the nearest count that fits, never more than the patches.
  const auto P = BlockLayout::twoDWithBlocks(5, 5, 23);
  EXPECT_EQ(P.m(), 25);
  EXPECT_THROW(BlockLayout::twoDBands(4, 4, 5, 1), InvalidArgument);
}

TEST(Blocks, EqualTilingsListsTheMWithEqualWindows) {
  const std::vector<int> ms = BlockLayout::equalTilings(26, 38);
  ASSERT_FALSE(ms.empty());
  EXPECT_EQ(ms[0], 1);
  EXPECT_NE(std::find(ms.begin(), ms.end(), 4), ms.end());  // 2×2 windows of 13×19
  for (int m : ms) {
    const auto L = BlockLayout::twoDWithBlocks(26, 38, m);
    EXPECT_EQ(L.m(), m);
    EXPECT_TRUE(L.equalSizes()) << m;
  }
  for (int m = 1; m <= ms.back(); ++m)
    if (std::find(ms.begin(), ms.end(), m) == ms.end()) {
      const auto L = BlockLayout::twoDWithBlocks(26, 38, m);
      EXPECT_FALSE(L.m() == m && L.equalSizes()) << m;
    }
}

TEST(Blocks, WithBlocksChoosesNearRequestedCount) {
  const auto L = BlockLayout::twoDWithBlocks(24, 32, 16);
  EXPECT_EQ(L.m(), 16);
  EXPECT_EQ(BlockLayout::twoDWithBlocks(1, 9, 3).m(), 3);
  EXPECT_THROW(BlockLayout::twoDWithBlocks(2, 2, 5), InvalidArgument);
}

TEST(Mixing, InitialisationsFollowTheTable) {
  const auto L = BlockLayout::oneD(40, 5);  // centres 0.5 … 4.5, D = 4
  const double D = 4.0;
  auto colSumsOne = [](const MatrixD& w) {
    for (int b = 0; b < w.cols(); ++b) EXPECT_NEAR(w.col(b).sum(), 1.0, 1e-12);
  };
  {
    const MatrixD w = makeMixing(L, MixingInit::Cos);
    colSumsOne(w);
    // Ratio within a column is the raw ratio cos(d1/D·π/4)/cos(d0/D·π/4).
    EXPECT_NEAR(w(1, 0) / w(0, 0), std::cos(1 / D * M_PI / 4), 1e-12);
    EXPECT_NEAR(w(4, 0) / w(0, 0), std::cos(M_PI / 4), 1e-12);
  }
  {
    const MatrixD w = makeMixing(L, MixingInit::Linear);
    colSumsOne(w);
    EXPECT_EQ(w(4, 0), 0.0);  // 1 − D/D
    EXPECT_NEAR(w(2, 0) / w(0, 0), 0.5, 1e-12);
  }
  {
    const MatrixD w = makeMixing(L, MixingInit::Exp);
    colSumsOne(w);
    EXPECT_NEAR(w(3, 1) / w(1, 1), std::exp(-2.0 / 3.0), 1e-12);
  }
  {
    const MatrixD w = makeMixing(L, MixingInit::Gaussian);  // not normalised, σ = D/3
    const double s = D / 3;
    EXPECT_NEAR(w(0, 0), 1.0, 1e-12);
    EXPECT_NEAR(w(0, 2), std::exp(-4.0 / (2 * s * s)), 1e-12);
  }
  {
    const MatrixD w = makeMixing(L, MixingInit::Local);
    colSumsOne(w);
    EXPECT_EQ(w(0, 2), 0.0);
    EXPECT_NEAR(w(0, 0), 0.5, 1e-12);  // column 0 holds blocks 0 and 1
    EXPECT_NEAR(w(1, 2), 1.0 / 3, 1e-12);
  }
  EXPECT_TRUE(makeMixing(L, MixingInit::Identity).isIdentity());
  {
    const MatrixD w = makeMixing(L, MixingInit::Uniform);
    EXPECT_NEAR(w(3, 2), 0.2, 1e-12);
  }
  {
    const MatrixD w = makeMixing(L, MixingInit::Causal);
    EXPECT_NEAR(w(3, 0), 0.25, 1e-12);
    EXPECT_EQ(w(1, 3), 0.0);
    for (int a = 0; a < 5; ++a) EXPECT_NEAR(w.row(a).sum(), 1.0, 1e-12);
  }
  // 2D: diagonal neighbours are within 1.5 for 'local'.
  const MatrixD loc2 = makeMixing(BlockLayout::twoD(6, 6, 2, 2), MixingInit::Local);
  EXPECT_GT(loc2(0, 4), 0.0);   // (0,0) and (1,1)
  EXPECT_EQ(loc2(0, 2), 0.0);   // (0,0) and (0,2)
  EXPECT_THROW(makeMixing(BlockLayout::twoD(6, 6, 2, 2), MixingInit::Causal), InvalidArgument);
  // M = 1 has D = 0: every initialisation gives a positive 1×1 matrix.
  for (auto init : allMixingInits())
    EXPECT_GT(makeMixing(BlockLayout::oneD(5, 1), init)(0, 0), 0.0) << toString(init);
}

TEST(Mixing, ValidationNamesTheBadCell) {
  MatrixD w = MatrixD::Ones(3, 3);
  EXPECT_NO_THROW(validateMixing(w, 3));
  EXPECT_THROW(validateMixing(w, 4), InvalidArgument);
  w(1, 2) = -0.5;
  try {
    validateMixing(w, 3);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("(1, 2)"), std::string::npos);
  }
  w(1, 2) = std::nan("");
  EXPECT_THROW(validateMixing(w, 3), InvalidArgument);
  w = MatrixD::Ones(3, 3);
  w.row(2).setZero();
  EXPECT_THROW(validateMixing(w, 3), InvalidArgument);
  EXPECT_THROW(parseMixingInit("bogus"), InvalidArgument);
  for (auto init : allMixingInits()) EXPECT_EQ(parseMixingInit(toString(init)), init);
}

TEST(Mixing, CsvAndNpyRoundTripAndBadFiles) {
  const auto dir = std::filesystem::temp_directory_path() / "attnscope_mixing_test";
  std::filesystem::create_directories(dir);
  const MatrixD w = makeMixing(BlockLayout::oneD(30, 6), MixingInit::Cos);
  for (const char* name : {"m.csv", "m.npy"}) {
    const std::string p = (dir / name).string();
    saveMixing(p, w);
    const MatrixD back = loadMixing(p);
    ASSERT_EQ(back.rows(), 6);
    EXPECT_LT((back - w).cwiseAbs().maxCoeff(), 1e-15) << name;
  }
  EXPECT_EQ(parseMixingCsv("# comment\n1; 2\n3\t4\n", "x").rows(), 2);
  auto expectBad = [&](const std::string& text, const std::string& needle) {
    const std::string p = (dir / "bad.csv").string();
    std::ofstream(p) << text;
    try {
      loadMixing(p);
      FAIL() << "accepted: " << text;
    } catch (const FileError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("bad.csv"), std::string::npos) << e.what();
    }
  };
  expectBad("1,2\n3\n", "square");
  expectBad("1,x\n3,4\n", "not a number");
  expectBad("", "no numbers");
  expectBad("1,-1\n1,1\n", "non-negative");
  expectBad("0,0\n1,1\n", "all zero");
  EXPECT_THROW(loadMixing((dir / "missing.csv").string()), FileError);
  std::filesystem::remove_all(dir);
}
