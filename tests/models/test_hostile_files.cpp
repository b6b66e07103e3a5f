// Issue 23: the files of a checkpoint under hostile contents. Every file is read by one rule
// (core/models/src/bounded_file.h): a regular file checked before open() blocks, a size cap per
// kind, JSON nested at most 64 deep with bytes after the document and repeated keys refused, and
// messages that name the file and never print the offending value whole; a preprocessing config's
// sizes are checked before any pixel is allocated.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "attnscope/error.h"
#include "attnscope/models/checkpoint.h"
#include "attnscope/models/preprocess.h"
#include "attnscope/models/safetensors.h"
#include "attnscope/models/tensor_store.h"
#include "expect_prompt_error.h"
#include "st_writer.h"

using namespace attnscope;
using namespace attnscope::models;
using namespace attnscope::test;

namespace {

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const std::size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

std::string gpt2Folder(const std::string& config) {
  TinyModel m = tinyGpt2();
  m.config = config;
  const std::string dir = makeTempDir("hostile");
  writeCheckpoint(dir, m);
  return dir;
}

ImagePreprocess preprocessOf(const std::string& dir) {
  OpenOptions o;
  o.heads = 2;
  return preprocessFor(Checkpoint::open(dir, o));
}

std::string vitFolder(const std::string& processor) {
  const std::string dir = makeTempDir("hostile_vit");
  writeCheckpoint(dir, tinyHfVit());
  writeBytes(dir + "/preprocessor_config.json", processor);
  return dir;
}

}  // namespace

TEST(HostileFiles, DeeplyNestedSafetensorsHeaderIsAShortError) {
  for (const char* field : {"shape", "data_offsets"}) {
    SCOPED_TRACE(field);
    const std::string header = std::string(field) == "shape"
                                   ? "{\"w\":{\"dtype\":\"F32\",\"shape\":" + deepArray() + ",\"data_offsets\":[0,4]}}"
                                   : "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":" + deepArray() + "}}";
    const std::string bytes = rawFile(header, std::string(4, '\0'));
    const std::string path = makeTempDir("deep") + "/deep.safetensors";
    writeBytes(path, bytes);
    // Refused at the first array inside the field, long before the depth limit.
    expectPromptShortError([&] { SafetensorsFile::open(path); }, {path, "'w'", field, "must hold non-negative integers"});
    expectPromptShortError([&] { SafetensorsFile::fromBytes(bytes, path); }, {path, "must hold non-negative integers"});
  }
  // Deep nesting in a field the format does not read: the depth limit.
  const std::string extra = rawFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":" +
                                    deepArray() + "}}", std::string(4, '\0'));
  expectPromptShortError([&] { SafetensorsFile::fromBytes(extra, "e.safetensors"); },
                         {"e.safetensors", "nested deeper than 64 levels"});
  // Nested within the limit: the kind is named, the value is not printed.
  std::string nested = "1";
  for (int i = 0; i < 60; ++i) nested = "[" + nested + ",\"" + std::string(1000, 'x') + "\"]";
  const std::string bytes = rawFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[" + nested + "],\"data_offsets\":[0,4]}}",
                                    std::string(4, '\0'));
  expectPromptShortError([&] { SafetensorsFile::fromBytes(bytes, "x.safetensors"); },
                   {"x.safetensors", "'w'", "found an array"});
}

TEST(HostileFiles, NulBytesAndTrailingBytesAfterTheHeaderAreRefused) {
  const std::string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
  expectPromptShortError([&] { SafetensorsFile::fromBytes(rawFile(header + std::string(8, '\0'), std::string(4, '\0')), "n.st"); },
                   {"n.st", "NUL byte"});
  expectPromptShortError([&] { SafetensorsFile::fromBytes(rawFile(header + " {}", std::string(4, '\0')), "t.st"); },
                   {"t.st", "not valid JSON"});
  // Spaces after the object are padding (the format pads headers to 8 bytes): accepted.
  EXPECT_NO_THROW(SafetensorsFile::fromBytes(rawFile(header + "   ", std::string(4, '\0')), "p.st"));
}

TEST(HostileFiles, DeeplyNestedConfigIsAShortError) {
  const std::string good = tinyGpt2().config;
  for (const char* key : {"\"n_head\": 2", "\"model_type\": \"gpt2\""}) {
    SCOPED_TRACE(key);
    const std::string name = std::string(key).substr(0, std::string(key).find(':'));
    const std::string dir = gpt2Folder(replaced(good, key, name + ": " + deepArray()));
    expectPromptShortError([&] { Checkpoint::open(dir); }, {"config.json", "nested deeper than 64 levels"});
  }
  // Within the limit: the key and the kind, not the value.
  std::string nested = "1";
  for (int i = 0; i < 50; ++i) nested = "[" + nested + ",\"" + std::string(2000, 'x') + "\"]";
  const std::string dir = gpt2Folder(replaced(good, "\"n_head\": 2", "\"n_head\": " + nested));
  expectPromptShortError([&] { Checkpoint::open(dir); }, {"config.json", "\"n_head\"", "an array of 2"});
}

TEST(HostileFiles, DeeplyNestedPreprocessorConfigIsAShortError) {
  const std::string dir = vitFolder("{\"image_mean\": " + deepArray() + "}");
  expectPromptShortError([&] { preprocessOf(dir); }, {"preprocessor_config.json", "nested deeper than 64 levels"});
  std::string nested = "0.5";
  for (int i = 0; i < 50; ++i) nested = "[" + nested + ",\"" + std::string(2000, 'x') + "\"]";
  const std::string shallow = vitFolder("{\"image_mean\": " + nested + "}");
  expectPromptShortError([&] { preprocessOf(shallow); }, {"preprocessor_config.json", "\"image_mean\"", "an array of 2"});
}

TEST(HostileFiles, BytesAfterTheJsonAreRefused) {
  const std::string good = tinyGpt2().config;
  expectPromptShortError([&] { Checkpoint::open(gpt2Folder(good + std::string(1000, '\0'))); },
                   {"config.json", "NUL byte at offset " + std::to_string(good.size())});
  expectPromptShortError([&] { Checkpoint::open(gpt2Folder(good + " {}")); }, {"config.json", "not valid JSON"});
  EXPECT_NO_THROW(Checkpoint::open(gpt2Folder(good + "\n\n  ")));
}

TEST(HostileFiles, OversizedConfigIsRefusedUnread) {
  const std::string dir = gpt2Folder(tinyGpt2().config);
  std::filesystem::resize_file(dir + "/config.json", (std::uintmax_t(16) << 20) + 1);  // sparse
  expectPromptShortError([&] { Checkpoint::open(dir); }, {"config.json", "over the 16 MiB"});
}

TEST(HostileFiles, AFolderWhereAFileIsExpectedIsNamedAsOne) {
  const std::string dir = makeTempDir("folder_config");
  writeCheckpoint(dir, tinyGpt2(), false);
  std::filesystem::create_directory(dir + "/config.json");
  expectPromptShortError([&] { Checkpoint::open(dir); }, {"config.json", "is a folder, not a file"});
  const std::string vit = makeTempDir("folder_processor");
  writeCheckpoint(vit, tinyHfVit());
  std::filesystem::create_directory(vit + "/preprocessor_config.json");
  // A folder named preprocessor_config.json is not "no file" (silently the defaults).
  expectPromptShortError([&] { preprocessOf(vit); }, {"preprocessor_config.json", "is a folder, not a file"});
}

TEST(HostileFiles, FifoShardsAreRefusedWithoutBlocking) {
  const std::string dir = makeTempDir("fifo_shard");
  writeSharded(dir, tinyGpt2().tensors, 2);
  const std::string shard = dir + "/model-00002-of-00002.safetensors";
  ASSERT_TRUE(std::filesystem::exists(shard));
  std::filesystem::rename(shard, dir + "/real.safetensors");
  ASSERT_EQ(::mkfifo(shard.c_str(), 0600), 0);
  expectPromptShortError([&] { TensorStore::open(dir); }, {shard, "is a FIFO, not a regular file"});
  // A link to a FIFO: the link is followed, the FIFO refused.
  const std::string fifo = dir + "/pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::filesystem::remove(shard);
  std::filesystem::create_symlink(fifo, shard);
  expectPromptShortError([&] { TensorStore::open(dir); }, {shard, "is a FIFO, not a regular file"});
  // A device: refused by type, never read.
  expectPromptShortError([&] { SafetensorsFile::open("/dev/zero"); }, {"/dev/zero", "is a device, not a regular file"});
}

TEST(HostileFiles, RepeatedWeightMapKeysAreRefused) {
  const std::string dir = makeTempDir("dup_index");
  writeBytes(dir + "/a.safetensors", buildFile({randomTensor("x", {2}, 1)}));
  writeBytes(dir + "/b.safetensors", buildFile({randomTensor("y", {2}, 2)}));
  writeBytes(dir + "/model.safetensors.index.json",
             R"({"weight_map": {"x": "a.safetensors", "y": "b.safetensors", "x": "b.safetensors"}})");
  expectPromptShortError([&] { TensorStore::open(dir); }, {"model.safetensors.index.json", "key \"x\" appears twice"});
}

TEST(HostileFiles, PreprocessorSizesAreCheckedBeforeAllocating) {
  // 15000 x 15000 took 14 s and 5.6 GB before "not a multiple of the patch size".
  const auto start = std::chrono::steady_clock::now();
  expectPromptShortError([&] { preprocessOf(vitFolder(R"({"size": {"height": 15000, "width": 15000}})")); },
                   {"preprocessor_config.json", "\"size\" 15000x15000", "megapixels"});
  expectPromptShortError([&] { preprocessOf(vitFolder(R"({"size": 12000})")); },
                   {"preprocessor_config.json", "\"size\" 12000x12000", "megapixels"});
  // The model's input must be whole patches (tiny ViT: 4 pixels).
  expectPromptShortError([&] { preprocessOf(vitFolder(R"({"size": {"height": 10, "width": 8}})")); },
                   {"preprocessor_config.json", "\"size\" 8x10", "not a multiple of the patch size 4"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_NO_THROW(preprocessOf(vitFolder(R"({"size": {"height": 12, "width": 8}})")));
  // And in the resize itself, whatever the config (a shortest edge makes the long side from the image).
  ImagePreprocess p;
  p.shortestEdge = 4000;
  RgbImage wide;
  wide.width = 40;
  wide.height = 8;
  wide.rgb.assign(std::size_t(40) * 8 * 3, 0.5f);
  try {
    preprocessImage(wide, p);
    ADD_FAILURE() << "resized 40x8 to 20000x4000";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("megapixels"), std::string::npos) << e.what();
  }
}

// A header of many tensors parses in linear time (the parser-callback DOM builder scanned the
// parent object at every closed entry: quadratic, minutes for a million entries).
TEST(HostileFiles, AHeaderOfManyTensorsParsesInLinearTime) {
  std::string header = "{";
  const int n = 300000;
  for (int i = 0; i < n; ++i)
    header += (i ? "," : "") + std::string("\"t") + std::to_string(i) + "\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}";
  header += "}";
  const auto start = std::chrono::steady_clock::now();
  const auto f = SafetensorsFile::fromBytes(rawFile(header, ""), "many.safetensors");
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[ timing   ] header of %d empty tensors (%zu bytes): %.2f s\n", n, header.size(), s);
  EXPECT_EQ(f->names().size(), std::size_t(n));
  EXPECT_LT(s, 10.0);
}

// The header is read without a JSON tree, with the same rules: a field or a metadata key twice, a
// metadata value that is not a string, a tensor named twice.
TEST(HostileFiles, HeaderRepeatsAndMetadataKindsAreRefused) {
  const std::string buf(4, '\0');
  const std::string entry = R"("w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
  auto refused = [&](const std::string& header, const std::vector<std::string>& parts) {
    expectPromptShortError([&] { SafetensorsFile::fromBytes(rawFile(header, buf), "r.safetensors"); }, parts);
  };
  refused("{" + entry + "," + entry + "}", {"r.safetensors", "'w'", "appears twice"});
  refused(R"({"w":{"dtype":"F32","shape":[1],"shape":[1],"data_offsets":[0,4]}})", {"'w'", "\"shape\" appears twice"});
  refused(R"({"__metadata__":{"k":"a","k":"b"},)" + entry + "}", {"__metadata__", "\"k\" appears twice"});
  refused(R"({"__metadata__":{"k":["a"]},)" + entry + "}", {"__metadata__", "\"k\" is not a string"});
  refused(R"({"__metadata__":[1],)" + entry + "}", {"__metadata__", "not an object of strings"});
  const auto f = SafetensorsFile::fromBytes(rawFile(R"({"__metadata__":{"format":"pt"},)" + entry + "}", buf), "ok");
  EXPECT_EQ(f->names(), std::vector<std::string>{"w"});
}
