// Embedding: determinism (bit-identical, pinned values), seeds, readability, settings.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "attnscope/input/embedding.h"
#include "attnscope/input/input.h"
#include "attnscope/input/positional.h"
#include "attnscope/input/text_features.h"
#include "test_input_util.h"

namespace attnscope {
namespace {

using testutil::expectError;
using testutil::makeImage;

bool identical(const Qkv& a, const Qkv& b) {
  if (a.numHeads() != b.numHeads()) return false;
  for (int h = 0; h < a.numHeads(); ++h) {
    const auto& x = a.head(h);
    const auto& y = b.head(h);
    if (x.Q.rows() != y.Q.rows() || x.Q.cols() != y.Q.cols() || x.V.cols() != y.V.cols())
      return false;
    if (std::memcmp(x.Q.data(), y.Q.data(), sizeof(float) * x.Q.size()) != 0) return false;
    if (std::memcmp(x.K.data(), y.K.data(), sizeof(float) * x.K.size()) != 0) return false;
    if (std::memcmp(x.V.data(), y.V.data(), sizeof(float) * x.V.size()) != 0) return false;
  }
  return true;
}

RgbImage stripes() {
  return makeImage(96, 64, [](int x, int y) {
    return std::array<float, 3>{x < 48 ? 0.9f : 0.1f, (y / 16) % 2 ? 0.7f : 0.2f, 0.4f};
  });
}

const char* kText = "The boat left the harbour, and the boat came home.";

TEST(InputEmbedding, SameInputAndSeedGiveBitIdenticalQkv) {
  const Input a = makeTextInput(kText, TextInputSettings{}, EmbeddingSettings{});
  const Input b = makeTextInput(kText, TextInputSettings{}, EmbeddingSettings{});
  EXPECT_TRUE(identical(a.qkv, b.qkv));
  const Input c = makeImageInput(stripes(), ImageInputSettings{}, EmbeddingSettings{});
  const Input d = makeImageInput(stripes(), ImageInputSettings{}, EmbeddingSettings{});
  EXPECT_TRUE(identical(c.qkv, d.qkv));
}

TEST(InputEmbedding, DifferentSeedGivesDifferentQkv) {
  EmbeddingSettings e;
  e.seed = 1;
  const Input a = makeTextInput(kText, TextInputSettings{}, EmbeddingSettings{});
  const Input b = makeTextInput(kText, TextInputSettings{}, e);
  EXPECT_FALSE(identical(a.qkv, b.qkv));
  const Input c = makeImageInput(stripes(), ImageInputSettings{}, EmbeddingSettings{});
  const Input d = makeImageInput(stripes(), ImageInputSettings{}, e);
  EXPECT_FALSE(identical(c.qkv, d.qkv));
}

// Pins the whole text recipe (tokeniser, n-gram units, seeded vectors, projections, positions):
// these numbers must come out on every machine and standard library. Regenerate only on purpose,
// and then document the recipe change in docs/tokens.md.
TEST(InputEmbedding, PinnedValuesForAFixedText) {
  EmbeddingSettings e;
  e.heads = 2;
  e.dHead = 8;
  e.dModel = 16;
  e.positionWeight = 0.5;
  e.seed = 42;
  const Input in = makeTextInput("Boats in the harbour.", TextInputSettings{}, e);
  ASSERT_EQ(in.qkv.n(), 5);
  const float expectedQ[4] = {-0.0478760265f, 0.13462095f, -1.09018564f, 0.43067354f};
  const float expectedV[4] = {-2.15727949f, 0.845664382f, 0.306374013f, -3.00211787f};
  for (int j = 0; j < 4; ++j) {
    EXPECT_NEAR(in.qkv.q[0](0, j), expectedQ[j], 1e-6 * std::abs(expectedQ[j]) + 1e-7);
    EXPECT_NEAR(in.qkv.v[1](4, j), expectedV[j], 1e-6 * std::abs(expectedV[j]) + 1e-7);
  }
}

// Pins the image recipe (OKLab colour, orientation histogram, thumbnail, standardisation, 2D
// positions).
TEST(InputEmbedding, PinnedValuesForAFixedImage) {
  const RgbImage img = makeImage(12, 8, [](int x, int y) {
    return std::array<float, 3>{x / 11.f, y / 7.f, ((x + y) % 3) / 2.f};
  });
  ImageInputSettings is;
  is.patchSize = 4;
  EmbeddingSettings e;
  e.heads = 1;
  e.dHead = 8;
  e.dModel = 16;
  e.seed = 7;
  const Input in = makeImageInput(img, is, e);
  ASSERT_EQ(in.qkv.n(), 6);
  const float expectedK[4] = {0.796552896f, -0.166399732f, -0.0983546898f, -0.623425841f};
  for (int j = 0; j < 4; ++j)
    EXPECT_NEAR(in.qkv.k[0](5, j), expectedK[j], 1e-6 * std::abs(expectedK[j]) + 1e-7);
}

TEST(InputEmbedding, EqualWordsGiveEqualKeysWithoutPositions) {
  EmbeddingSettings e;
  e.positionWeight = 0.0;
  e.tieQK = false;
  const Input in = makeTextInput("Harbour boat harbour, HARBOUR boats", TextInputSettings{}, e);
  ASSERT_EQ(in.tokens.size(), 6);
  for (const auto& h : in.qkv.heads()) {
    EXPECT_TRUE(h.K.row(0) == h.K.row(2));  // case-insensitive, exact
    EXPECT_TRUE(h.K.row(0) == h.K.row(4));
    EXPECT_FALSE(h.K.row(1) == h.K.row(5));
  }
  // Shared stems match partly: "boat"·"boats" > "boat"·"harbour" in feature space.
  const MatrixD f = textTokenFeatures(in.tokens, e.seed);
  EXPECT_GT(f.row(1).dot(f.row(5)), 0.3);
  EXPECT_LT(std::abs(f.row(1).dot(f.row(0))), 0.3);
  EXPECT_NEAR(f.row(0).norm(), 1.0, 1e-12);
}

TEST(InputEmbedding, PositionsMakeEqualWordsDifferAndAddLocality) {
  const Input in = makeTextInput("boat boat", TextInputSettings{}, EmbeddingSettings{});
  EXPECT_FALSE(in.qkv.k[0].row(0) == in.qkv.k[0].row(1));
  const MatrixD p = sinusoidal1D(50, 64, kTextPositionBase);
  EXPECT_NEAR(p.row(7).squaredNorm(), 64.0, 1e-9);
  EXPECT_GT(p.row(10).dot(p.row(11)), p.row(10).dot(p.row(40)));
}

TEST(InputEmbedding, TiedAndUntiedProjections) {
  EmbeddingSettings e;
  const Input tied = makeTextInput(kText, TextInputSettings{}, e);
  for (const auto& h : tied.qkv.heads()) EXPECT_TRUE(h.Q == h.K);
  e.tieQK = false;
  const Input untied = makeTextInput(kText, TextInputSettings{}, e);
  for (const auto& h : untied.qkv.heads()) EXPECT_FALSE(h.Q == h.K);
  EXPECT_TRUE(untied.qkv.q[0] == tied.qkv.q[0]);  // Q's stream does not depend on tying
}

TEST(InputEmbedding, QueryEntriesAreOrderOne) {
  const Input in = makeImageInput(stripes(), ImageInputSettings{}, EmbeddingSettings{});
  for (const auto& h : in.qkv.heads()) {
    const double rms = std::sqrt(h.Q.cast<double>().squaredNorm() / h.Q.size());
    EXPECT_GT(rms, 0.3);
    EXPECT_LT(rms, 3.0);
  }
}

TEST(InputEmbedding, BadSettingsAreClearErrors) {
  EmbeddingSettings e;
  e.dModel = 30;
  expectError([&] { makeTextInput(kText, TextInputSettings{}, e); },
              {"d_model 30", "multiple of 4"});
  e = EmbeddingSettings{};
  e.heads = 0;
  expectError([&] { makeTextInput(kText, TextInputSettings{}, e); }, {"heads 0"});
  e = EmbeddingSettings{};
  e.positionWeight = -1;
  expectError([&] { makeTextInput(kText, TextInputSettings{}, e); }, {"position weight"});
  e = EmbeddingSettings{};
  e.dHead = 0;
  expectError([&] { makeImageInput(stripes(), ImageInputSettings{}, e); }, {"d_head 0"});
}

}  // namespace
}  // namespace attnscope
