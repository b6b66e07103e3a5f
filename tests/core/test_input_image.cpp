// Image source: patch-size choice, grid geometry, budgets, working downscale, bad images.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

#include "attnscope/input/image_features.h"
#include "attnscope/input/input.h"
#include "attnscope/input/patch_grid.h"
#include "test_input_util.h"

namespace attnscope {
namespace {

using testutil::expectError;
using testutil::makeImage;

RgbImage gradientImage(int w, int h) {
  return makeImage(w, h, [&](int x, int y) {
    return std::array<float, 3>{x / float(w), y / float(h), 0.5f};
  });
}

EmbeddingSettings smallEmbedding() {
  EmbeddingSettings e;
  e.heads = 2;
  e.dHead = 16;
  e.dModel = 32;
  return e;
}

// Every pixel is covered by exactly one token's rect, and rects sit at their grid cell.
void expectTiling(const TokenSet& s) {
  ASSERT_TRUE(s.hasGrid());
  ASSERT_EQ(s.size(), s.gridRows * s.gridCols);
  std::vector<int> cover(static_cast<std::size_t>(s.imageWidth) * s.imageHeight, 0);
  for (int i = 0; i < s.size(); ++i) {
    const Token& t = s.tokens[i];
    EXPECT_EQ(t.row, i / s.gridCols);
    EXPECT_EQ(t.col, i % s.gridCols);
    ASSERT_GE(t.rect.width, 1);
    ASSERT_GE(t.rect.height, 1);
    for (int y = t.rect.y; y < t.rect.y + t.rect.height; ++y)
      for (int x = t.rect.x; x < t.rect.x + t.rect.width; ++x)
        ++cover[static_cast<std::size_t>(y) * s.imageWidth + x];
    if (t.col > 0) {
      EXPECT_EQ(t.rect.x, s.tokens[i - 1].rect.x + s.tokens[i - 1].rect.width);
    }
  }
  for (int c : cover) ASSERT_EQ(c, 1);
}

TEST(InputImagePatches, AutomaticChoiceIsSmallestPatchWithinBudget) {
  const PatchGrid g = choosePatchGrid(640, 427, 1024, 0, 4, "x");
  EXPECT_EQ(g.patchSize, 17);  // p = 16 gives 40 × 27 = 1080 > 1024
  EXPECT_EQ(g.cols, 38);
  EXPECT_EQ(g.rows, 26);
  EXPECT_NE(g.rows, g.cols);
  const PatchGrid small = choosePatchGrid(640, 427, 16384, 0, 4, "x");
  EXPECT_EQ(small.patchSize, 5);  // p = 4 gives 160 × 107 = 17120 > 16384
  EXPECT_LE(small.rows * small.cols, 16384);
  const PatchGrid tiny = choosePatchGrid(3, 2, 1024, 0, 4, "x");
  EXPECT_EQ(tiny.rows * tiny.cols, 1);
}

TEST(InputImagePatches, GridTilesNonSquareImage) {
  const Input in = makeImageInput(gradientImage(300, 120), ImageInputSettings{}, smallEmbedding());
  const TokenSet& s = in.tokens;
  EXPECT_EQ(s.kind, InputKind::Image);
  EXPECT_LE(s.size(), 1024);
  EXPECT_GT(s.gridCols, s.gridRows);
  EXPECT_EQ(s.imageWidth, 300);
  EXPECT_EQ(s.imageHeight, 120);
  expectTiling(s);
  EXPECT_EQ(in.qkv.numHeads(), 2);
  EXPECT_EQ(in.qkv.n(), s.size());
  EXPECT_EQ(in.qkv.dk(), 16);
  in.qkv.validate();
}

TEST(InputImagePatches, BudgetsAreRespectedUpTo16384) {
  for (int budget : {1, 7, 100, 1024, 4096, 16384}) {
    ImageInputSettings is;
    is.tokenBudget = budget;
    is.minPatchSize = 1;
    const Input in = makeImageInput(gradientImage(700, 500), is, smallEmbedding());
    EXPECT_LE(in.tokens.size(), budget);
    EXPECT_GE(in.tokens.size(), budget / 4) << "budget " << budget;
    expectTiling(in.tokens);
  }
}

TEST(InputImagePatches, FixedPatchSize) {
  ImageInputSettings is;
  is.patchSize = 32;
  const Input in = makeImageInput(gradientImage(100, 64), is, smallEmbedding());
  EXPECT_EQ(in.tokens.gridCols, 4);
  EXPECT_EQ(in.tokens.gridRows, 2);
  EXPECT_EQ(in.tokens.patchSize, 32);
  expectTiling(in.tokens);
}

TEST(InputImagePatches, OneByOneImageIsOneToken) {
  const RgbImage img = makeImage(1, 1, [](int, int) { return std::array<float, 3>{1, 0, 0}; });
  const Input in = makeImageInput(img, ImageInputSettings{}, EmbeddingSettings{});
  EXPECT_EQ(in.tokens.size(), 1);
  EXPECT_EQ(in.tokens.gridRows, 1);
  EXPECT_EQ(in.tokens.gridCols, 1);
  EXPECT_EQ(in.tokens.tokens[0].rect.width, 1);
  EXPECT_EQ(in.qkv.n(), 1);
  ASSERT_FALSE(in.tokens.notices.empty());
  EXPECT_NE(in.tokens.notices[0].find("single patch"), std::string::npos);
}

TEST(InputImagePatches, BudgetOrPatchSizeThatMakesNoGridIsAClearError) {
  const RgbImage img = gradientImage(64, 48);
  ImageInputSettings is;
  is.sourceName = "photo.png";
  is.tokenBudget = 0;
  expectError([&] { makeImageInput(img, is, smallEmbedding()); },
              {"photo.png", "token budget 0", "no patch grid"});
  is.tokenBudget = -5;
  expectError([&] { makeImageInput(img, is, smallEmbedding()); }, {"photo.png", "token budget -5"});
  is.tokenBudget = 1024;
  is.patchSize = -1;
  expectError([&] { makeImageInput(img, is, smallEmbedding()); }, {"photo.png", "patch size -1"});
  is.patchSize = 65;
  expectError([&] { makeImageInput(img, is, smallEmbedding()); },
              {"photo.png", "patch size 65", "larger than the 64×48 image"});
  is.patchSize = 1;
  is.tokenBudget = 100;
  expectError([&] { makeImageInput(img, is, smallEmbedding()); },
              {"photo.png", "3072 patches", "budget of 100"});
}

TEST(InputImagePatches, EmptyOrBrokenImageIsAClearError) {
  ImageInputSettings is;
  is.sourceName = "empty.png";
  expectError([&] { makeImageInput(RgbImage{}, is, smallEmbedding()); }, {"empty.png", "empty"});
  RgbImage bad = gradientImage(4, 4);
  bad.rgb[5] = std::nanf("");
  is.sourceName = "nan.png";
  expectError([&] { makeImageInput(bad, is, smallEmbedding()); }, {"nan.png", "not a finite"});
  bad = gradientImage(4, 4);
  bad.rgb.pop_back();
  expectError([&] { makeImageInput(bad, is, smallEmbedding()); }, {"nan.png", "values"});
}

TEST(InputImagePatches, LargeImageIsReducedForFeaturesKeepingAspect) {
  ImageInputSettings is;
  is.maxWorkingPixels = 200 * 100;
  const Input in = makeImageInput(gradientImage(800, 400), is, smallEmbedding());
  EXPECT_EQ(in.tokens.sourceWidth, 800);
  EXPECT_EQ(in.tokens.sourceHeight, 400);
  EXPECT_EQ(in.image.width, 200);
  EXPECT_EQ(in.image.height, 100);
  EXPECT_EQ(in.tokens.imageWidth, 200);
  expectTiling(in.tokens);
  ASSERT_FALSE(in.tokens.notices.empty());
  EXPECT_NE(in.tokens.notices[0].find("reduced to 200×100"), std::string::npos);
  // The nominal patch side is in the working image's pixels, as the rectangles are (issue 27 #1).
  for (int i = in.tokens.gridFirstToken; i < in.tokens.size(); ++i) {
    const PixelRect& r = in.tokens.tokens[static_cast<std::size_t>(i)].rect;
    EXPECT_LE(std::abs(r.width - in.tokens.patchSize), 1) << "token " << i;
    EXPECT_LE(std::abs(r.height - in.tokens.patchSize), 1) << "token " << i;
  }
}

TEST(InputImageFeatures, DownscaleAreaAveragesExactly) {
  const RgbImage img = makeImage(4, 2, [](int x, int) {
    return std::array<float, 3>{x < 2 ? 0.f : 1.f, 0.5f, x / 4.f};
  });
  const RgbImage out = downscaleArea(img, 2, 1);
  EXPECT_FLOAT_EQ(out.at(0, 0, 0), 0.f);
  EXPECT_FLOAT_EQ(out.at(1, 0, 0), 1.f);
  EXPECT_FLOAT_EQ(out.at(0, 0, 2), 0.125f);
  const RgbImage odd = downscaleArea(img, 3, 2);  // fractional footprints still average to 0.5
  EXPECT_FLOAT_EQ(odd.at(1, 0, 1), 0.5f);
}

TEST(InputImageFeatures, StandardisedFeaturesHaveUnitExpectedNorm) {
  const RgbImage img = makeImage(64, 64, [](int x, int y) {
    return std::array<float, 3>{(x / 8 + y / 8) % 2 ? 0.9f : 0.1f, x / 64.f, y / 64.f};
  });
  TokenSet s;
  s.kind = InputKind::Image;
  fillGridTokens(s, 8, 8, 64, 64, 0);
  const MatrixD f = imagePatchFeatures(img, s);
  ASSERT_EQ(f.rows(), 64);
  ASSERT_EQ(f.cols(), kImageFeatureDim);
  // Each varying column adds exactly its group share; constant columns add 0.
  EXPECT_LE(f.rowwise().squaredNorm().mean(), 1.0 + 1e-9);
  EXPECT_GT(f.rowwise().squaredNorm().mean(), 0.5);
  for (int c = 0; c < f.cols(); ++c) EXPECT_NEAR(f.col(c).mean(), 0.0, 1e-9);
}

}  // namespace
}  // namespace attnscope
