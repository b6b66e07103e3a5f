// .npy Q/K/V source: shapes, heads, labels, grid, background, and every malformed file.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include "attnscope/input/input.h"
#include "attnscope/npy.h"
#include "attnscope/rng.h"
#include "test_input_util.h"

namespace attnscope {
namespace {

using testutil::expectError;
using testutil::rawNpy;
using testutil::TempDir;

NpyArray randomArray(std::vector<std::int64_t> shape, std::uint64_t seed) {
  NpyArray a;
  a.shape = shape;
  Rng rng(seed);
  a.data.resize(a.size());
  for (double& v : a.data) v = rng.normal();
  return a;
}

struct Files {
  TempDir dir;
  NpyQkvSettings settings;
  Files(std::vector<std::int64_t> q, std::vector<std::int64_t> k, std::vector<std::int64_t> v) {
    settings.qPath = dir.file("q.npy");
    settings.kPath = dir.file("k.npy");
    settings.vPath = dir.file("v.npy");
    writeNpy(settings.qPath, randomArray(q, 1));
    writeNpy(settings.kPath, randomArray(k, 2));
    writeNpy(settings.vPath, randomArray(v, 3));
  }
};

TEST(InputNpy, TwoDimensionalArraysAreOneHead) {
  Files f({10, 8}, {10, 8}, {10, 5});
  const Input in = loadNpyInput(f.settings);
  EXPECT_EQ(in.tokens.kind, InputKind::Npy);
  EXPECT_EQ(in.qkv.numHeads(), 1);
  EXPECT_EQ(in.qkv.n(), 10);
  EXPECT_EQ(in.qkv.dk(), 8);
  EXPECT_EQ(in.qkv.dv(), 5);
  EXPECT_EQ(in.tokens.tokens[3].label, "3");
  EXPECT_FALSE(in.tokens.hasGrid());
  const NpyArray q = readNpy(f.settings.qPath);
  EXPECT_FLOAT_EQ(in.qkv.q[0](2, 7), static_cast<float>(q.data[2 * 8 + 7]));
}

TEST(InputNpy, ThreeDimensionalArraysAreHeads) {
  Files f({3, 6, 4}, {3, 6, 4}, {3, 6, 4});
  const Input in = loadNpyInput(f.settings);
  EXPECT_EQ(in.qkv.numHeads(), 3);
  const NpyArray k = readNpy(f.settings.kPath);
  EXPECT_FLOAT_EQ(in.qkv.k[2](5, 1), static_cast<float>(k.data[2 * 24 + 5 * 4 + 1]));
}

TEST(InputNpy, LabelsGridAndBackground) {
  Files f({2, 5, 4}, {2, 5, 4}, {2, 5, 4});
  f.settings.labelsPath = f.dir.write("labels.txt",
                                      "[CLS]\r\nsky\nsky\nwater\ngr\xFF"
                                      "ass\n");
  f.settings.gridRows = 2;
  f.settings.gridCols = 2;
  f.settings.gridFirstToken = 1;
  f.settings.background = testutil::makeImage(40, 30, [](int, int) {
    return std::array<float, 3>{0.5f, 0.5f, 0.5f};
  });
  const Input in = loadNpyInput(f.settings);
  const TokenSet& s = in.tokens;
  EXPECT_EQ(s.tokens[0].label, "[CLS]");
  EXPECT_EQ(s.tokens[0].row, -1);
  EXPECT_EQ(s.tokens[2].label, "sky");
  EXPECT_EQ(s.tokens[4].label,
            "gr\xEF\xBF\xBD"
            "ass");
  EXPECT_EQ(s.tokens[4].row, 1);
  EXPECT_EQ(s.tokens[4].col, 1);
  EXPECT_EQ(s.tokens[4].rect.x, 20);
  EXPECT_EQ(s.tokens[4].rect.y, 15);
  EXPECT_EQ(s.tokens[4].rect.width, 20);
  EXPECT_EQ(s.imageWidth, 40);
  EXPECT_EQ(in.image.width, 40);
  ASSERT_EQ(s.notices.size(), 1u);
  EXPECT_NE(s.notices[0].find("U+FFFD"), std::string::npos);
}

TEST(InputNpy, GridWithoutBackgroundUsesCellUnits) {
  Files f({6, 4}, {6, 4}, {6, 4});
  f.settings.gridRows = 2;
  f.settings.gridCols = 3;
  const Input in = loadNpyInput(f.settings);
  EXPECT_EQ(in.tokens.tokens[5].row, 1);
  EXPECT_EQ(in.tokens.tokens[5].col, 2);
  EXPECT_EQ(in.tokens.tokens[5].rect.x, 2);
  EXPECT_EQ(in.tokens.tokens[5].label, "(1,2)");
}

TEST(InputNpy, ShapesThatDisagreeAreClearErrors) {
  {
    Files f({10, 8}, {9, 8}, {10, 8});
    expectError([&] { loadNpyInput(f.settings); },
                {"Q/K/V shapes disagree", "number of tokens N", "10", "9", "k.npy"});
  }
  {
    Files f({2, 10, 8}, {2, 10, 8}, {3, 10, 8});
    expectError([&] { loadNpyInput(f.settings); }, {"number of heads H", "v.npy"});
  }
  {
    Files f({10, 8}, {10, 6}, {10, 8});
    expectError([&] { loadNpyInput(f.settings); }, {"key width d_k", "k.npy"});
  }
  {
    Files f({10}, {10}, {10});
    expectError([&] { loadNpyInput(f.settings); }, {"q.npy", "[N, d] or [H, N, d]"});
  }
}

TEST(InputNpy, NanOrInfIsAClearError) {
  Files f({4, 3}, {4, 3}, {4, 3});
  NpyArray bad = randomArray({4, 3}, 9);
  bad.data[7] = std::numeric_limits<double>::quiet_NaN();
  writeNpy(f.settings.kPath, bad);
  expectError([&] { loadNpyInput(f.settings); }, {"k.npy", "NaN", "token 2", "column 1"});
  bad.data[7] = std::numeric_limits<double>::infinity();
  writeNpy(f.settings.vPath, bad);
  writeNpy(f.settings.kPath, randomArray({4, 3}, 2));
  expectError([&] { loadNpyInput(f.settings); }, {"v.npy", "Inf"});
}

TEST(InputNpy, MalformedFilesAreClearErrors) {
  Files f({2, 2}, {2, 2}, {2, 2});
  const std::string eightFloats(8 * 4, '\0');
  // Wrong dtype.
  f.dir.write("q.npy", rawNpy("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }",
                              std::string(16, '\0')));
  expectError([&] { loadNpyInput(f.settings); }, {"q.npy", "dtype"});
  // Fortran order.
  f.dir.write("q.npy", rawNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
                              std::string(16, '\0')));
  expectError([&] { loadNpyInput(f.settings); }, {"q.npy", "Fortran"});
  // Truncated data.
  f.dir.write("q.npy", rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }",
                              std::string(10, '\0')));
  expectError([&] { loadNpyInput(f.settings); }, {"q.npy", "truncated"});
  // Empty file.
  f.dir.write("q.npy", "");
  expectError([&] { loadNpyInput(f.settings); }, {"q.npy", "empty"});
  // Missing file.
  f.settings.qPath = f.dir.file("missing.npy");
  expectError([&] { loadNpyInput(f.settings); }, {"missing.npy"});
}

TEST(InputNpy, BadLabelsAndGridsAreClearErrors) {
  Files f({4, 3}, {4, 3}, {4, 3});
  f.settings.labelsPath = f.dir.write("labels.txt", "a\nb\nc\n");
  expectError([&] { loadNpyInput(f.settings); }, {"labels.txt", "3 lines", "4 tokens"});
  f.settings.labelsPath = f.dir.file("nolabels.txt");
  expectError([&] { loadNpyInput(f.settings); }, {"nolabels.txt", "cannot open"});
  f.settings.labelsPath.clear();
  f.settings.gridRows = 3;
  f.settings.gridCols = 3;
  expectError([&] { loadNpyInput(f.settings); }, {"grid 3×3", "covers 9 tokens", "has 4"});
  f.settings.gridRows = 2;
  f.settings.gridCols = 0;
  expectError([&] { loadNpyInput(f.settings); }, {"makes no grid"});
  f.settings.gridRows = 0;
  f.settings.background = testutil::makeImage(4, 4, [](int, int) {
    return std::array<float, 3>{0, 0, 0};
  });
  expectError([&] { loadNpyInput(f.settings); }, {"background image needs a grid"});
}

}  // namespace
}  // namespace attnscope
