// Synthetic source: shapes, cluster structure, determinism, settings.
#include <gtest/gtest.h>

#include <cmath>

#include "attnscope/input/input.h"
#include "test_input_util.h"

namespace attnscope {
namespace {

using testutil::expectError;

TEST(InputSynthetic, ShapesAndClusters) {
  SyntheticSettings s;
  s.n = 100;
  s.clusters = 3;
  s.heads = 2;
  s.dHead = 16;
  const Input in = makeSyntheticInput(s);
  EXPECT_EQ(in.tokens.kind, InputKind::Synthetic);
  ASSERT_EQ(in.tokens.size(), 100);
  EXPECT_EQ(in.tokens.tokens[0].group, 0);
  EXPECT_EQ(in.tokens.tokens[99].group, 2);
  EXPECT_EQ(in.qkv.numHeads(), 2);
  EXPECT_EQ(in.qkv.n(), 100);
  EXPECT_EQ(in.qkv.dk(), 16);
  EXPECT_EQ(in.qkv.dv(), 16);
  in.qkv.validate();
}

TEST(InputSynthetic, SoftmaxScoresHaveBlockStructure) {
  SyntheticSettings s;
  s.n = 120;
  s.clusters = 4;
  s.spread = 0.5;
  const Input in = makeSyntheticInput(s);
  for (const auto& h : in.qkv.heads()) {
    const MatrixF scores = h.Q * h.K.transpose() / std::sqrt(float(h.Q.cols()));
    double within = 0, across = 0;
    int nw = 0, na = 0;
    for (int i = 0; i < s.n; ++i)
      for (int j = 0; j < s.n; ++j) {
        if (in.tokens.tokens[i].group == in.tokens.tokens[j].group) {
          within += scores(i, j);
          ++nw;
        } else {
          across += scores(i, j);
          ++na;
        }
      }
    EXPECT_GT(within / nw, across / na + 3.0);
  }
}

TEST(InputSynthetic, DeterministicAndSeeded) {
  SyntheticSettings s;
  const Input a = makeSyntheticInput(s);
  const Input b = makeSyntheticInput(s);
  EXPECT_TRUE(a.qkv.v[3] == b.qkv.v[3]);
  EXPECT_TRUE(a.qkv.k[0] == b.qkv.k[0]);
  s.seed = 7;
  const Input c = makeSyntheticInput(s);
  EXPECT_FALSE(a.qkv.q[0] == c.qkv.q[0]);
  s.tieQK = true;
  const Input t = makeSyntheticInput(s);
  EXPECT_TRUE(t.qkv.q[1] == t.qkv.k[1]);
}

TEST(InputSynthetic, ZeroSpreadGivesExactClusters) {
  SyntheticSettings s;
  s.n = 10;
  s.clusters = 2;
  s.spread = 0;
  const Input in = makeSyntheticInput(s);
  EXPECT_TRUE(in.qkv.q[0].row(0) == in.qkv.q[0].row(4));
  EXPECT_FALSE(in.qkv.q[0].row(0) == in.qkv.q[0].row(5));
}

TEST(InputSynthetic, BadSettingsAreClearErrors) {
  SyntheticSettings s;
  s.n = 0;
  expectError([&] { makeSyntheticInput(s); }, {"synthetic", "token count 0"});
  s = SyntheticSettings{};
  s.clusters = 300;
  expectError([&] { makeSyntheticInput(s); }, {"cluster count 300"});
  s = SyntheticSettings{};
  s.spread = std::nan("");
  expectError([&] { makeSyntheticInput(s); }, {"spread"});
}

}  // namespace
}  // namespace attnscope
