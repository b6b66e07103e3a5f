// Block layouts and mixing-matrix initialisations (MATH.md tables).
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
