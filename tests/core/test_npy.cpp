// Tests of the .npy reader and writer: round trips, the exact bytes NumPy writes, and one test per
// kind of malformed file (each checks the FileError's message).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "attnscope/error.h"
#include "attnscope/npy.h"
#include "attnscope/rng.h"

namespace fs = std::filesystem;
using namespace std::string_literals;
using attnscope::FileError;
using attnscope::InvalidArgument;
using attnscope::MatrixD;
using attnscope::MatrixF;
using attnscope::NpyArray;
using attnscope::NpyDtype;
using attnscope::parseNpy;
using attnscope::readNpy;
using attnscope::serializeNpy;
using attnscope::writeNpy;

namespace {

/// A .npy file built by hand: magic, version major.0, little-endian header length (2 bytes for
/// version 1, 4 otherwise), the dict padded with spaces and '\n' to a multiple of 64, then `data`.
std::string makeNpy(const std::string& dict, const std::string& data, int major = 1) {
  const std::size_t lenBytes = major == 1 ? 2 : 4;
  std::string header = dict;
  const std::size_t used = 8 + lenBytes + header.size() + 1;
  header.append((64 - used % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  for (std::size_t i = 0; i < lenBytes; ++i)
    out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

/// Raw little-endian bytes of doubles / floats.
std::string f8Bytes(const std::vector<double>& v) {
  std::string s(v.size() * 8, '\0');
  if (!v.empty()) std::memcpy(s.data(), v.data(), s.size());
  return s;
}
std::string f4Bytes(const std::vector<float>& v) {
  std::string s(v.size() * 4, '\0');
  if (!v.empty()) std::memcpy(s.data(), v.data(), s.size());
  return s;
}

/// Runs `f`, which must throw FileError, and returns the message ("" if it did not throw).
template <class F>
std::string fileErrorOf(F&& f) {
  try {
    f();
  } catch (const FileError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a FileError";
  return "";
}

/// Asserts that parsing `bytes` under the name "bad.npy" fails with a message containing both the
/// name and `expected`.
void expectParseError(const std::string& bytes, const std::string& expected) {
  const std::string msg = fileErrorOf([&] { parseNpy(bytes, "bad.npy"); });
  EXPECT_NE(msg.find("bad.npy"), std::string::npos) << msg;
  EXPECT_NE(msg.find(expected), std::string::npos)
      << "message: " << msg << "\nexpected: " << expected;
}

const std::string kF8Dict2 = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";

// Fixture for tests that touch the file system: a fresh temporary directory per test.
class NpyFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    dir_ = fs::temp_directory_path() /
           ("attnscope_npy_" + std::string(info->name()) + "_" + std::to_string(stamp));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path(const std::string& file) const { return (dir_ / file).string(); }
  void writeBytes(const std::string& file, const std::string& bytes) const {
    std::ofstream(path(file), std::ios::binary).write(bytes.data(), bytes.size());
  }

  fs::path dir_;
};

NpyArray roundTrip(const NpyArray& a) {
  return parseNpy(serializeNpy(a), "roundtrip");
}

void expectSameArray(const NpyArray& a, const NpyArray& b) {
  EXPECT_EQ(a.shape, b.shape);
  EXPECT_EQ(a.dtype, b.dtype);
  ASSERT_EQ(a.data.size(), b.data.size());
  for (std::size_t i = 0; i < a.data.size(); ++i) EXPECT_EQ(a.data[i], b.data[i]) << "at " << i;
}

}  // namespace

// ---- Round trips ---------------------------------------------------------------------------

TEST(NpyRoundTrip, ExactValuesInOneTwoAndThreeDimensions) {
  // Values exactly representable in float32, so both dtypes must return them bit for bit.
  const std::vector<std::vector<std::int64_t>> shapes = {{5}, {2, 3}, {2, 3, 4}};
  for (NpyDtype dtype : {NpyDtype::Float32, NpyDtype::Float64}) {
    for (const auto& shape : shapes) {
      NpyArray a;
      a.dtype = dtype;
      a.shape = shape;
      for (std::int64_t i = 0; i < a.size(); ++i) a.data.push_back(0.25 * i - 3.5);
      SCOPED_TRACE(testing::Message() << "ndim " << shape.size() << " dtype "
                                      << (dtype == NpyDtype::Float32 ? "f4" : "f8"));
      expectSameArray(a, roundTrip(a));
    }
  }
}

TEST(NpyRoundTrip, Float32RoundsAndFloat64IsExact) {
  NpyArray a;
  a.shape = {2};
  a.data = {0.1, 1e300};
  a.dtype = NpyDtype::Float64;
  EXPECT_EQ(roundTrip(a).data, a.data);
  a.dtype = NpyDtype::Float32;
  const NpyArray b = roundTrip(a);
  EXPECT_EQ(b.data[0], static_cast<double>(0.1f));
  EXPECT_TRUE(std::isinf(b.data[1]));  // out of float range saturates to infinity
}

TEST_F(NpyFiles, RandomMatricesThroughFiles) {
  attnscope::Rng rng(1234);
  const MatrixF f = rng.normalMatrix(7, 5, 2.0);
  const MatrixD d = rng.normalMatrixD(3, 9);
  writeNpy(path("f.npy"), f);
  writeNpy(path("d.npy"), d);

  const NpyArray af = readNpy(path("f.npy"));
  EXPECT_EQ(af.dtype, NpyDtype::Float32);
  ASSERT_EQ(af.shape, (std::vector<std::int64_t>{7, 5}));
  EXPECT_TRUE(attnscope::toMatrix(af, "f.npy") == f.cast<double>());

  const NpyArray ad = readNpy(path("d.npy"));
  EXPECT_EQ(ad.dtype, NpyDtype::Float64);
  ASSERT_EQ(ad.shape, (std::vector<std::int64_t>{3, 9}));
  EXPECT_TRUE(attnscope::toMatrix(ad, "d.npy") == d);
}

TEST_F(NpyFiles, VectorAndStackThroughFiles) {
  attnscope::VectorD v(4);
  v << 1.0, -2.0, 0.5, 1e-300;
  writeNpy(path("v.npy"), v);
  const NpyArray av = readNpy(path("v.npy"));
  EXPECT_EQ(av.shape, (std::vector<std::int64_t>{4}));
  EXPECT_EQ(av.dtype, NpyDtype::Float64);
  EXPECT_EQ(av.data, (std::vector<double>{1.0, -2.0, 0.5, 1e-300}));

  attnscope::Rng rng(7);
  const std::vector<MatrixF> stack = {rng.normalMatrix(3, 2), rng.normalMatrix(3, 2)};
  writeNpy(path("s.npy"), stack);
  const NpyArray as = readNpy(path("s.npy"));
  EXPECT_EQ(as.dtype, NpyDtype::Float32);
  ASSERT_EQ(as.shape, (std::vector<std::int64_t>{2, 3, 2}));
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 2; ++j)
        EXPECT_EQ(as.data[(h * 3 + i) * 2 + j], stack[h](i, j)) << h << "," << i << "," << j;
}

TEST(NpyToMatrix, OneDimensionIsOneRowAndThreeIsAnError) {
  NpyArray a;
  a.shape = {3};
  a.data = {1, 2, 3};
  const MatrixD m = attnscope::toMatrix(a, "v.npy");
  ASSERT_EQ(m.rows(), 1);
  ASSERT_EQ(m.cols(), 3);
  EXPECT_EQ(m(0, 2), 3.0);

  a.shape = {2, 3};
  a.data = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(attnscope::toMatrix(a)(1, 0), 4.0);  // row-major

  a.shape = {1, 2, 3};
  const std::string msg = fileErrorOf([&] { attnscope::toMatrix(a, "k.npy"); });
  EXPECT_NE(msg.find("k.npy"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected 2 dimensions"), std::string::npos) << msg;
}

// ---- Writing -------------------------------------------------------------------------------

TEST(NpyWrite, HeaderIsAlignedTo64Bytes) {
  // Shapes whose dicts differ in length, so that the padding takes many values.
  const std::vector<std::vector<std::int64_t>> shapes = {
      {0}, {1}, {5}, {12345}, {3, 4}, {100, 1}, {2, 3, 4}, {10, 20, 30}, {0, 0, 0}};
  for (const auto& shape : shapes) {
    NpyArray a;
    a.shape = shape;
    a.data.assign(static_cast<std::size_t>(a.size()), 0.0);
    const std::string bytes = serializeNpy(a);
    ASSERT_GE(bytes.size(), 10u);
    EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
    const std::size_t hl = static_cast<unsigned char>(bytes[8]) |
                           (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    EXPECT_EQ((hl + 10) % 64, 0u) << "shape of " << shape.size() << " dims";
    EXPECT_EQ(bytes[10 + hl - 1], '\n');
    EXPECT_EQ(bytes.size(), 10 + hl + a.data.size() * 4);
  }
}

TEST(NpyWrite, GoldenBytesAsNumPyWritesThem) {
  // np.save of np.array([1.5, -2.0]): 10-byte prefix + 118-byte header (0x76) = 128.
  const std::string golden = std::string("\x93NUMPY\x01\x00\x76\x00", 10) + kF8Dict2 +
                             std::string(60, ' ') + "\n" +
                             std::string("\x00\x00\x00\x00\x00\x00\xf8\x3f", 8) +  // 1.5
                             std::string("\x00\x00\x00\x00\x00\x00\x00\xc0", 8);   // -2.0
  NpyArray a;
  a.dtype = NpyDtype::Float64;
  a.shape = {2};
  a.data = {1.5, -2.0};
  EXPECT_EQ(serializeNpy(a), golden);

  a.dtype = NpyDtype::Float32;
  a.shape = {2, 1};
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }";
  EXPECT_EQ(serializeNpy(a).substr(10, dict.size()), dict);
}

TEST(NpyWrite, RejectsBadShapes) {
  NpyArray a;
  a.shape = {2, 3};
  a.data = {1, 2, 3};
  EXPECT_THROW(serializeNpy(a), InvalidArgument);
  a.shape = {};
  a.data = {1};
  EXPECT_THROW(serializeNpy(a), InvalidArgument);
  a.shape = {1, 1, 1, 1};
  EXPECT_THROW(serializeNpy(a), InvalidArgument);
  a.shape = {-1, -1};
  EXPECT_THROW(serializeNpy(a), InvalidArgument);
  a.shape = {2, -3};
  EXPECT_THROW(a.size(), InvalidArgument);
  a.shape = {2, 3, 4};
  EXPECT_EQ(a.size(), 24);
}

TEST_F(NpyFiles, StackMustBeNonEmptyAndUniform) {
  EXPECT_THROW(writeNpy(path("s.npy"), std::vector<MatrixF>{}), InvalidArgument);
  EXPECT_THROW(
      writeNpy(path("s.npy"), std::vector<MatrixF>{MatrixF::Zero(2, 3), MatrixF::Zero(3, 2)}),
      InvalidArgument);
  EXPECT_FALSE(fs::exists(path("s.npy")));
}

TEST_F(NpyFiles, WriteReplacesAtomicallyAndLeavesNoTemporary) {
  const MatrixD first = MatrixD::Constant(2, 2, 1.0), second = MatrixD::Constant(1, 3, 2.0);
  writeNpy(path("a.npy"), first);
  ASSERT_TRUE(fs::exists(path("a.npy")));
  writeNpy(path("a.npy"), second);  // replaces the existing file
  EXPECT_FALSE(fs::exists(path("a.npy.tmp")));
  const NpyArray a = readNpy(path("a.npy"));
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{1, 3}));
  EXPECT_EQ(a.data, (std::vector<double>{2.0, 2.0, 2.0}));
}

TEST_F(NpyFiles, WriteToMissingDirectoryNamesThePath) {
  const std::string target = path("no/such/dir/out.npy");
  const MatrixD m = MatrixD::Zero(1, 1);
  const std::string msg = fileErrorOf([&] { writeNpy(target, m); });
  EXPECT_NE(msg.find(target), std::string::npos) << msg;
}

// ---- Reading valid files -------------------------------------------------------------------

TEST(NpyRead, GoldenVersion1File) {
  const std::string golden = std::string("\x93NUMPY\x01\x00\x76\x00", 10) + kF8Dict2 +
                             std::string(60, ' ') + "\n" +
                             std::string("\x00\x00\x00\x00\x00\x00\xf8\x3f", 8) +
                             std::string("\x00\x00\x00\x00\x00\x00\x00\xc0", 8);
  ASSERT_EQ(golden.size(), 144u);
  const NpyArray a = parseNpy(golden);
  EXPECT_EQ(a.dtype, NpyDtype::Float64);
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2}));
  EXPECT_EQ(a.data, (std::vector<double>{1.5, -2.0}));
}

TEST(NpyRead, Version2And3Files) {
  for (int major : {2, 3}) {
    const std::string bytes = makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }",
                                      f4Bytes({1.0f, 2.5f, -8.0f}), major);
    ASSERT_EQ(bytes[6], static_cast<char>(major));
    const NpyArray a = parseNpy(bytes);
    EXPECT_EQ(a.dtype, NpyDtype::Float32);
    EXPECT_EQ(a.shape, (std::vector<std::int64_t>{1, 3}));
    EXPECT_EQ(a.data, (std::vector<double>{1.0, 2.5, -8.0})) << "version " << major;
  }
}

TEST(NpyRead, HeaderSyntaxVariants) {
  // Other key order, double quotes, odd whitespace, no trailing commas, Python 2 longs, '=' order.
  const std::vector<std::pair<std::string, std::vector<std::int64_t>>> cases = {
      {"{\"shape\":(3,),\"fortran_order\":False,\"descr\":\"<f8\"}", {3}},
      {"{ 'fortran_order' :False ,\t'shape': ( 1 , 3 ) , 'descr': '<f8' ,}", {1, 3}},
      {"{'descr': '=f8', 'fortran_order': False, 'shape': (3L,), }", {3}},
      {"{'descr':'<f8','fortran_order':False,'shape':(1,1,3)}", {1, 1, 3}},
  };
  for (const auto& [dict, shape] : cases) {
    const NpyArray a = parseNpy(makeNpy(dict, f8Bytes({4.0, 5.0, 6.0})));
    EXPECT_EQ(a.shape, shape) << dict;
    EXPECT_EQ(a.data, (std::vector<double>{4.0, 5.0, 6.0})) << dict;
  }
}

TEST(NpyRead, TrailingBytesAreIgnored) {
  const NpyArray a = parseNpy(makeNpy(kF8Dict2, f8Bytes({1.0, 2.0}) + "garbage!"));
  EXPECT_EQ(a.data, (std::vector<double>{1.0, 2.0}));
}

TEST(NpyRead, ZeroLengthDimensionIsAnEmptyArray) {
  const NpyArray a =
      parseNpy(makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4), }", ""));
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{0, 4}));
  EXPECT_TRUE(a.data.empty());
}

// ---- Malformed files: one test each --------------------------------------------------------

TEST(NpyMalformed, BadMagic) {
  std::string bytes = makeNpy(kF8Dict2, f8Bytes({1, 2}));
  bytes[1] = 'n';
  expectParseError(bytes, "bad magic");
  expectParseError("PK\x03\x04 this is a zip", "bad magic");
}

TEST(NpyMalformed, UnsupportedVersion) {
  std::string bytes = makeNpy(kF8Dict2, f8Bytes({1, 2}));
  bytes[6] = 4;
  expectParseError(bytes, "unsupported .npy version 4.0");
}

TEST(NpyMalformed, TruncatedHeader) {
  const std::string bytes = makeNpy(kF8Dict2, f8Bytes({1, 2}));
  expectParseError(bytes.substr(0, 40), "truncated header");
  expectParseError(bytes.substr(0, 9), "truncated header");  // cut inside the length field
}

TEST(NpyMalformed, HeaderLengthBeyondFileSize) {
  std::string bytes = makeNpy(kF8Dict2, "");
  bytes[9] = '\x7f';  // header length 0x7f76, far beyond the file
  expectParseError(bytes, "header length is 32630 bytes but only 118 follow");
}

TEST(NpyMalformed, TruncatedData) {
  const std::string bytes = makeNpy(kF8Dict2, f8Bytes({1, 2}));
  expectParseError(bytes.substr(0, bytes.size() - 3),
                   "truncated data: expected 16 bytes, found 13");
}

TEST(NpyMalformed, WrongDtypes) {
  for (const std::string dtype : {"<i4", "<f2", "|u1", "<c16", "|b1", "<U8"}) {
    const std::string dict = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': (2,), }";
    expectParseError(makeNpy(dict, std::string(64, '\0')),
                     "unsupported dtype '" + dtype + "' (attnscope reads float32 '<f4'");
  }
}

TEST(NpyMalformed, StructuredDtype) {
  expectParseError(
      makeNpy("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (2,), }", "12345678"),
      "structured dtype");
}

TEST(NpyMalformed, BigEndian) {
  expectParseError(makeNpy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", "12345678"),
                   "big-endian dtype '>f4'");
}

TEST(NpyMalformed, FortranOrder) {
  expectParseError(
      makeNpy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 1), }", f8Bytes({1, 2})),
      "Fortran order is not supported; save with np.ascontiguousarray");
}

TEST(NpyMalformed, ZeroDimensions) {
  expectParseError(makeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", f8Bytes({1})),
                   "0-dimensional array");
}

TEST(NpyMalformed, FourDimensions) {
  expectParseError(
      makeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1, 2), }", f8Bytes({1, 2})),
      "4 dimensions (shape (1, 1, 1, 2))");
}

TEST(NpyMalformed, NegativeDimension) {
  expectParseError(
      makeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, -3), }", f8Bytes({1, 2})),
      "negative dimension -3");
}

TEST(NpyMalformed, ShapeProductOverflows) {
  // Each dimension fits in int64, the product does not.
  expectParseError(
      makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 2), }",
              "12345678"),
      "element count overflows");
  // The element count fits but the byte count does not.
  expectParseError(
      makeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }",
              "12345678"),
      "element count overflows");
  // A single dimension beyond int64.
  expectParseError(
      makeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }",
              "12345678"),
      "does not fit in 64 bits");
}

TEST(NpyMalformed, HugeShapeWithoutDataIsTruncatedNotAllocated) {
  expectParseError(
      makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }",
              "12345678"),
      "truncated data: expected 4000000000000 bytes, found 8");
}

TEST(NpyMalformed, MissingKeys) {
  expectParseError(makeNpy("{'fortran_order': False, 'shape': (2,), }", f8Bytes({1, 2})),
                   "no 'descr' key");
  expectParseError(makeNpy("{'descr': '<f8', 'fortran_order': False, }", f8Bytes({1, 2})),
                   "no 'shape' key");
  expectParseError(makeNpy("{'descr': '<f8', 'shape': (2,), }", f8Bytes({1, 2})),
                   "no 'fortran_order' key");
}

TEST(NpyMalformed, GarbageHeaders) {
  const std::vector<std::string> garbage = {
      "hello world",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), ",   // no closing brace
      "{'descr': '<f8' 'fortran_order': False, 'shape': (2,)}",     // missing comma
      "{'descr': '<f8', 'fortran_order': false, 'shape': (2,)}",    // lower-case bool
      "{'descr': '<f8', 'fortran_order': False, 'shape': [2]}",     // list, not tuple
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)} x",  // text after the dict
      "{'descr: '<f8', 'fortran_order': False, 'shape': (2,)}",     // broken quotes
      "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2,)}",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'extra': 1}",
      "{'descr': '<f8'\0, 'fortran_order': False, 'shape': (2,)}"s,  // NUL byte
      "",
  };
  for (const auto& g : garbage) {
    SCOPED_TRACE(g);
    expectParseError(makeNpy(g, f8Bytes({1, 2})), "unparsable header");
  }
}

TEST_F(NpyFiles, EmptyFile) {
  writeBytes("empty.npy", "");
  const std::string msg = fileErrorOf([&] { readNpy(path("empty.npy")); });
  EXPECT_NE(msg.find(path("empty.npy")), std::string::npos) << msg;
  EXPECT_NE(msg.find("empty file"), std::string::npos) << msg;
}

TEST_F(NpyFiles, NonexistentPath) {
  const std::string missing = path("missing.npy");
  const std::string msg = fileErrorOf([&] { readNpy(missing); });
  EXPECT_NE(msg.find(missing), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot open"), std::string::npos) << msg;
}

TEST_F(NpyFiles, DirectoryIsNotAFile) {
  const std::string msg = fileErrorOf([&] { readNpy(dir_.string()); });
  EXPECT_NE(msg.find("is a directory"), std::string::npos) << msg;
}

TEST_F(NpyFiles, MalformedFileOnDiskNamesThePath) {
  writeBytes("q.npy",
             makeNpy("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", "12345678"));
  const std::string msg = fileErrorOf([&] { readNpy(path("q.npy")); });
  EXPECT_EQ(msg, path("q.npy") +
                     ": unsupported dtype '<i4' (attnscope reads float32 '<f4' and float64 '<f8')");
}
