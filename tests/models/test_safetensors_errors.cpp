// Every malformed file gets a FileError that names the file (and the tensor, where there is one).
#include <gtest/gtest.h>

#include "attnscope/error.h"
#include "attnscope/models/safetensors.h"
#include "attnscope/models/tensor_store.h"
#include "st_writer.h"

using namespace attnscope;
using namespace attnscope::models;
using namespace attnscope::test;

namespace {
/// Opening `bytes` (as a file on disk) must fail with a message containing each of `parts`.
void expectRefused(const std::string& bytes, const std::vector<std::string>& parts) {
  const std::string path = makeTempDir("bad") + "/bad.safetensors";
  writeBytes(path, bytes);
  for (int route = 0; route < 2; ++route) {
    try {
      if (route == 0) SafetensorsFile::open(path);
      else SafetensorsFile::fromBytes(bytes, path);
      ADD_FAILURE() << "accepted; expected an error with " << parts.front();
    } catch (const FileError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(path), std::string::npos) << what;
      for (const std::string& p : parts) EXPECT_NE(what.find(p), std::string::npos) << "'" << p << "' in: " << what;
    }
  }
}

std::string entry(const std::string& name, const std::string& dtype, const std::string& shape,
                  const std::string& offsets) {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
}
}  // namespace

TEST(SafetensorsErrors, TooShortAndTruncated) {
  expectRefused("", {"too short"});
  expectRefused(std::string("\x10\0\0\0", 4), {"too short"});
  const std::string good = buildFile({randomTensor("w", {4, 4}, 1)});
  expectRefused(good.substr(0, good.size() - 3), {"'w'", "past the data buffer"});
  expectRefused(good.substr(0, 20), {"past the end of the file"});
}

TEST(SafetensorsErrors, HeaderLength) {
  std::string huge(8, '\0');
  huge[3] = '\x80';  // 0x80000000 = 2 GB
  expectRefused(huge + "{}", {"header length 2147483648", "over the limit"});
  std::string all(8, '\xff');  // 2^64 - 1
  expectRefused(all, {"over the limit"});
  expectRefused(rawFile("{}", "") .substr(0, 8) + "{", {"past the end"});
}

TEST(SafetensorsErrors, HeaderNotJsonOrNotAnObject) {
  expectRefused(rawFile("{\"a\": ", ""), {"not valid JSON"});
  expectRefused(rawFile("[1, 2]", ""), {"not a JSON object"});
  expectRefused(rawFile("", ""), {"not a JSON object"});
  expectRefused(rawFile("{\"a\": 3}", ""), {"'a'", "not an object"});
  expectRefused(rawFile("{\"__metadata__\": {\"k\": 1}}", ""), {"__metadata__"});
}

TEST(SafetensorsErrors, EntryFields) {
  expectRefused(rawFile("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", std::string(4, '\0')), {"'w'", "dtype"});
  expectRefused(rawFile("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", std::string(4, '\0')), {"'w'", "shape"});
  expectRefused(rawFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", std::string(4, '\0')), {"'w'", "data_offsets"});
  expectRefused(rawFile("{" + entry("w", "F32", "[-1]", "[0,4]") + "}", std::string(4, '\0')), {"'w'", "non-negative"});
  expectRefused(rawFile("{" + entry("w", "F32", "[1.0]", "[0,4]") + "}", std::string(4, '\0')), {"'w'", "integers"});
  expectRefused(rawFile("{" + entry("w", "F32", "1", "[0,4]") + "}", std::string(4, '\0')), {"'w'", "shape"});
  expectRefused(rawFile("{" + entry("w", "F32", "[1]", "[0,\"4\"]") + "}", std::string(4, '\0')), {"'w'", "data_offsets"});
  expectRefused(rawFile("{" + entry("w", "F32", "[1]", "[0]") + "}", std::string(4, '\0')), {"'w'", "data_offsets"});
  expectRefused(rawFile("{" + entry("w", "F32", "[1]", "[4,0]") + "}", std::string(4, '\0')), {"'w'", "begin 4 > end 0"});
}

TEST(SafetensorsErrors, UnknownDtype) {
  expectRefused(rawFile("{" + entry("w", "F12", "[1]", "[0,4]") + "}", std::string(4, '\0')), {"'w'", "unknown dtype \"F12\""});
}

TEST(SafetensorsErrors, SizeMismatchAndOverflow) {
  expectRefused(rawFile("{" + entry("w", "F32", "[2,3]", "[0,20]") + "}", std::string(20, '\0')),
                {"'w'", "hold 20 bytes", "needs 24"});
  expectRefused(rawFile("{" + entry("w", "F16", "[3]", "[0,12]") + "}", std::string(12, '\0')), {"'w'", "needs 6"});
  // 2^32 · 2^32 · 4 bytes overflows 64 bits: caught, not wrapped to a small size.
  expectRefused(rawFile("{" + entry("w", "F32", "[4294967296,4294967296]", "[0,0]") + "}", ""), {"'w'", "overflows"});
  // A product that wraps to exactly the buffer size if computed without checks: 2^62 · 4 = 2^64 ≡ 0.
  expectRefused(rawFile("{" + entry("w", "F32", "[4611686018427387904]", "[0,0]") + "}", ""), {"'w'"});
}

TEST(SafetensorsErrors, OffsetsPastTheEndOverlapsAndHoles) {
  const std::string buf(8, '\0');
  expectRefused(rawFile("{" + entry("w", "F32", "[4]", "[0,16]") + "}", buf), {"'w'", "past the data buffer"});
  expectRefused(rawFile("{" + entry("a", "F32", "[2]", "[0,8]") + "," + entry("b", "F32", "[1]", "[4,8]") + "}", buf),
                {"'b'", "overlaps tensor 'a'"});
  expectRefused(rawFile("{" + entry("a", "F32", "[1]", "[0,4]") + "," + entry("b", "F32", "[1]", "[0,4]") + "}", buf),
                {"overlaps"});
  expectRefused(rawFile("{" + entry("a", "F32", "[1]", "[4,8]") + "}", buf), {"'a'", "hole"});
  expectRefused(rawFile("{" + entry("a", "F32", "[1]", "[0,4]") + "}", buf), {"cover 4 of the 8 bytes"});
}

TEST(SafetensorsErrors, ShardIndexProblems) {
  const std::string dir = makeTempDir("shards");
  writeBytes(dir + "/a.safetensors", buildFile({randomTensor("x", {2}, 1), randomTensor("y", {2}, 2)}));
  writeBytes(dir + "/b.safetensors", buildFile({randomTensor("y", {2}, 3)}));
  auto refuse = [&](const std::string& index, const std::vector<std::string>& parts) {
    writeBytes(dir + "/model.safetensors.index.json", index);
    try {
      TensorStore::open(dir);
      ADD_FAILURE() << "accepted " << index;
    } catch (const FileError& e) {
      for (const std::string& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
    }
  };
  refuse(R"({"weight_map": {"x": "a.safetensors", "z": "a.safetensors"}})", {"index.json", "'z'", "missing from"});
  refuse(R"({"weight_map": {"x": "a.safetensors", "y": "b.safetensors"}})", {"'y'", "two shards"});
  refuse(R"({"weight_map": {"x": "../a.safetensors"}})", {"'x'", "file name"});
  refuse(R"({"weight_map": {"x": "gone.safetensors"}})", {"gone.safetensors", "cannot open"});
  refuse(R"({"weights": {}})", {"weight_map"});
  refuse(R"({"weight_map": )", {"not valid JSON"});
  EXPECT_THROW(TensorStore::open(makeTempDir("empty")), FileError);
}
