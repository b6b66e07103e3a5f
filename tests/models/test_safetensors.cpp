// Reading what the test-side writer wrote: values per dtype, matrix shapes, metadata, shards.
#include <gtest/gtest.h>

#include <cmath>

#include "attnscope/error.h"
#include "attnscope/models/safetensors.h"
#include "attnscope/models/tensor_store.h"
#include "st_writer.h"

using namespace attnscope;
using namespace attnscope::models;
using namespace attnscope::test;

namespace {
std::string writeTemp(const std::string& tag, const std::string& bytes) {
  const std::string path = makeTempDir(tag) + "/t.safetensors";
  writeBytes(path, bytes);
  return path;
}
}  // namespace

TEST(Safetensors, RoundTripEveryReadableDtype) {
  for (const char* dtype : {"F32", "F16", "BF16", "F64"}) {
    const WTensor a = randomTensor("a", {3, 5}, 7, dtype);
    const WTensor b = randomTensor("b.weight", {4}, 8, dtype);
    const auto f = SafetensorsFile::open(writeTemp("rt", buildFile({a, b})));
    ASSERT_EQ(f->names(), (std::vector<std::string>{"a", "b.weight"})) << dtype;
    EXPECT_EQ(dtypeName(f->info("a").dtype), dtype);
    EXPECT_EQ(f->info("a").shape, (std::vector<std::int64_t>{3, 5}));
    const MatrixF m = f->matrix("a");
    ASSERT_EQ(m.rows(), 3);
    ASSERT_EQ(m.cols(), 5);
    for (int i = 0; i < 15; ++i) EXPECT_EQ(m(i / 5, i % 5), static_cast<float>(a.values[i])) << dtype;
    const std::vector<float> v = f->values("b.weight");
    ASSERT_EQ(v.size(), 4u);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(v[i], static_cast<float>(b.values[i])) << dtype;
  }
}

TEST(Safetensors, HalfConversionAgainstPinnedBits) {
  // Independent values of IEEE binary16 bit patterns.
  EXPECT_EQ(halfToFloat(0x3C00), 1.0f);
  EXPECT_EQ(halfToFloat(0xC000), -2.0f);
  EXPECT_EQ(halfToFloat(0x7BFF), 65504.0f);
  EXPECT_EQ(halfToFloat(0x3555), 0.333251953125f);
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(halfToFloat(0x03FF), 1023 * std::ldexp(1.0f, -24));
  EXPECT_EQ(halfToFloat(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_TRUE(std::signbit(halfToFloat(0x8000)) && halfToFloat(0x8000) == 0.0f);
  EXPECT_TRUE(std::isinf(halfToFloat(0x7C00)) && halfToFloat(0x7C00) > 0);
  EXPECT_TRUE(std::isinf(halfToFloat(0xFC00)) && halfToFloat(0xFC00) < 0);
  EXPECT_TRUE(std::isnan(halfToFloat(0x7E00)));
  // Every finite half against the formula (-1)^s · 2^(e-15) · (1 + m/1024), subnormals 2^-14 · m/1024.
  for (std::uint32_t bits = 0; bits < 0x10000; ++bits) {
    const int e = (bits >> 10) & 31, mant = bits & 1023;
    if (e == 31) continue;
    const double mag = e == 0 ? std::ldexp(mant / 1024.0, -14) : std::ldexp(1 + mant / 1024.0, e - 15);
    const double want = (bits & 0x8000) ? -mag : mag;
    ASSERT_EQ(halfToFloat(static_cast<std::uint16_t>(bits)), static_cast<float>(want)) << bits;
  }
}

TEST(Safetensors, Bfloat16IsTheUpperHalfOfFloat32) {
  EXPECT_EQ(bfloat16ToFloat(0x3F80), 1.0f);
  EXPECT_EQ(bfloat16ToFloat(0xC040), -3.0f);
  EXPECT_EQ(bfloat16ToFloat(0x3EAA), 0.33203125f);
  EXPECT_TRUE(std::isinf(bfloat16ToFloat(0x7F80)));
  // A file of bit patterns read back: 1.5 (0x3FC0), -0.15625 (0xBE20).
  WTensor t{"x", "BF16", {2}, {}, std::string("\xC0\x3F\x20\xBE", 4)};
  const auto f = SafetensorsFile::fromBytes(buildFile({t}), "mem");
  EXPECT_EQ(f->values("x"), (std::vector<float>{1.5f, -0.15625f}));
  WTensor h{"y", "F16", {2}, {}, std::string("\x00\x3E\x00\xB5", 4)};  // 1.5, -0.3125
  EXPECT_EQ(SafetensorsFile::fromBytes(buildFile({h}), "mem")->values("y"), (std::vector<float>{1.5f, -0.3125f}));
}

TEST(Safetensors, MatrixShapesForEveryRank) {
  const auto f = SafetensorsFile::fromBytes(
      buildFile({randomTensor("s", {}, 1), randomTensor("v", {6}, 2), randomTensor("t", {1, 3, 4}, 3),
                 randomTensor("c", {2, 3, 2, 2}, 4), randomTensor("z", {0, 5}, 5)}),
      "mem");
  EXPECT_EQ(f->matrix("s").rows(), 1);
  EXPECT_EQ(f->matrix("s").cols(), 1);
  EXPECT_EQ(f->matrix("v").rows(), 1);
  EXPECT_EQ(f->matrix("v").cols(), 6);
  EXPECT_EQ(f->matrix("t").rows(), 3);
  EXPECT_EQ(f->matrix("t").cols(), 4);
  EXPECT_EQ(f->matrix("c").rows(), 12);
  EXPECT_EQ(f->matrix("c").cols(), 2);
  EXPECT_EQ(f->matrix("z").rows(), 0);
  const MatrixF c = f->matrix("c", 2, 12);  // a conv weight as [D, 3·p·p]
  const std::vector<float> all = f->values("c");
  for (int i = 0; i < 24; ++i) EXPECT_EQ(c(i / 12, i % 12), all[i]);
  EXPECT_THROW(f->matrix("c", 5, 5), FileError);
  EXPECT_EQ(f->values("s").size(), 1u);
}

TEST(Safetensors, MetadataAndUnreadableDtypes) {
  WTensor ids{"ids", "I64", {3}, {0, 0, 0}, {}};
  const auto f = SafetensorsFile::fromBytes(buildFile({ids, randomTensor("w", {2}, 1)}, {{"format", "pt"}}), "m.st");
  EXPECT_EQ(f->metadata().at("format"), "pt");
  EXPECT_EQ(dtypeName(f->info("ids").dtype), "I64");
  try {
    f->values("ids");
    FAIL() << "I64 read as floats";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("m.st"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'ids'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("I64"), std::string::npos) << e.what();
  }
  EXPECT_THROW(f->matrix("ids"), FileError);
  EXPECT_THROW(f->info("nope"), FileError);
}

TEST(Safetensors, ShardedEqualsSingleFile) {
  std::vector<WTensor> all;
  for (int i = 0; i < 7; ++i) all.push_back(randomTensor("layer." + std::to_string(i), {2, i + 1}, 40 + i, i % 2 ? "F16" : "F32"));
  const std::string one = makeTempDir("one"), many = makeTempDir("many");
  writeBytes(one + "/model.safetensors", buildFile(all));
  writeSharded(many, all, 3);
  const TensorStore a = TensorStore::open(one), b = TensorStore::open(many);
  EXPECT_EQ(b.files().size(), 3u);
  ASSERT_EQ(a.names(), b.names());
  for (const std::string& n : a.names()) {
    EXPECT_EQ(a.info(n).shape, b.info(n).shape);
    EXPECT_EQ(a.values(n), b.values(n)) << n;
  }
  // The index file itself and a single file open too.
  EXPECT_EQ(TensorStore::open(many + "/model.safetensors.index.json").names(), a.names());
  EXPECT_EQ(TensorStore::open(one + "/model.safetensors").names(), a.names());
}
