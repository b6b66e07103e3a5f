// Malformed tokenizer files: every one is a FileError naming the file and the entry or line.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <functional>

#include "attnscope/error.h"
#include "attnscope/models/bpe_tokenizer.h"
#include "expect_prompt_error.h"
#include "tokenizer_test_util.h"

namespace attnscope::models {
namespace {

const char* kVocab = R"({"a":0,"b":1,"ab":2})";

// Runs `load`, expects a FileError whose message holds every one of `parts`.
void expectFileError(const std::function<void()>& load, const std::vector<std::string>& parts) {
  try {
    load();
    ADD_FAILURE() << "no error; expected one mentioning " << parts.front();
  } catch (const FileError& e) {
    const std::string m = e.what();
    for (const auto& p : parts) EXPECT_NE(m.find(p), std::string::npos) << "message: " << m << "\nmissing: " << p;
  }
}

void expectVocabError(const std::string& vocab, const std::vector<std::string>& parts) {
  test::TempDir dir;
  const std::string v = dir.write("vocab.json", vocab);
  const std::string m = dir.write("merges.txt", "#version: 0.2\n");
  std::vector<std::string> all = parts;
  all.push_back(v);
  expectFileError([&] { BpeTokenizer::fromFiles(v, m); }, all);
}

void expectMergesError(const std::string& merges, const std::vector<std::string>& parts) {
  test::TempDir dir;
  const std::string v = dir.write("vocab.json", kVocab);
  const std::string m = dir.write("merges.txt", merges);
  std::vector<std::string> all = parts;
  all.push_back(m);
  expectFileError([&] { BpeTokenizer::fromFiles(v, m); }, all);
}

void expectTokenizerJsonError(const std::string& json, const std::vector<std::string>& parts) {
  test::TempDir dir;
  const std::string p = dir.write("tokenizer.json", json);
  std::vector<std::string> all = parts;
  all.push_back(p);
  expectFileError([&] { BpeTokenizer::fromTokenizerJson(p); }, all);
}

std::string model(const std::string& vocab, const std::string& merges, const std::string& extra = "") {
  return R"({"model":{"type":"BPE","vocab":)" + vocab + R"(,"merges":)" + merges + extra + "}}";
}

TEST(BpeTokenizerFiles, MissingFiles) {
  test::TempDir dir;
  const std::string v = dir.write("vocab.json", kVocab);
  expectFileError([&] { BpeTokenizer::fromFiles(v, dir.path() + "/nope.txt"); }, {"nope.txt", "cannot open"});
  expectFileError([&] { BpeTokenizer::fromFiles(dir.path() + "/nope.json", v); }, {"nope.json", "cannot open"});
  expectFileError([&] { BpeTokenizer::fromTokenizerJson(dir.path() + "/t.json"); }, {"t.json", "cannot open"});
  expectFileError([&] { BpeTokenizer::fromFolder(dir.path()); },
                  {dir.path(), "tokenizer.json", "vocab.json and merges.txt"});
  expectFileError([&] { BpeTokenizer::fromFolder(v); }, {"is not a folder"});
}

TEST(BpeTokenizerFiles, MalformedVocab) {
  expectVocabError("{\"a\": 0,", {"not valid JSON"});
  expectVocabError("[\"a\", \"b\"]", {"not a JSON object"});
  expectVocabError("{}", {"empty"});
  expectVocabError(R"({"a":0,"b":"1"})", {"token \"b\"", "not an integer", "\"1\""});
  expectVocabError(R"({"a":0,"b":1.5})", {"token \"b\"", "not an integer"});
  expectVocabError(R"({"a":0,"b":-3})", {"token \"b\"", "id -3", "out of range"});
  expectVocabError(R"({"a":0,"b":99999999999})", {"token \"b\"", "out of range"});
  expectVocabError(R"({"a":7,"b":7})", {"both have id 7", "\"a\"", "\"b\""});
  expectVocabError(R"({"":0})", {"empty token"});
  expectVocabError(R"({"a":0,"b":1,"a":2})", {"key \"a\" appears twice"});
}

TEST(BpeTokenizerFiles, MalformedMerges) {
  expectMergesError("#version: 0.2\na b\nab\n", {"line 3", "two symbols", "\"ab\""});
  expectMergesError("a b\n\na b\n", {"line 2", "two symbols"});
  expectMergesError("a  b\n", {"line 1", "two symbols"});
  expectMergesError("a b c\n", {"line 1"});
  expectMergesError(" a\n", {"line 1"});
  expectMergesError("#version: 0.2\na x\n", {"line 2", "symbol \"x\"", "not in the vocabulary"});
  expectMergesError("#version: 0.2\nx a\n", {"line 2", "symbol \"x\""});
  expectMergesError("b a\n", {"line 1", "merged symbol \"ba\"", "not in the vocabulary"});
}

TEST(BpeTokenizerFiles, AcceptableMergesVariants) {
  test::TempDir dir;
  const std::string v = dir.write("vocab.json", kVocab);
  for (const char* merges : {"#version: 0.2\na b\n", "a b", "a b\r\n\r\n", "#version: 0.2\r\na b\r\n", "#version: 0.2\n"}) {
    const std::string m = dir.write("merges.txt", merges);
    const BpeTokenizer t = BpeTokenizer::fromFiles(v, m);
    const bool hasMerge = std::string(merges).find("a b") != std::string::npos;
    const std::vector<int> expected = hasMerge ? std::vector<int>{2} : std::vector<int>{0, 1};
    EXPECT_EQ(t.encode("ab").ids, expected) << merges;
  }
}

TEST(BpeTokenizerFiles, MalformedTokenizerJson) {
  expectTokenizerJsonError("not json", {"not valid JSON"});
  expectTokenizerJsonError("[1]", {"not a JSON object"});
  expectTokenizerJsonError(R"({"version":"1.0"})", {"no \"model\""});
  expectTokenizerJsonError(R"({"model":{"type":"WordPiece","vocab":{}}})", {"model.type", "WordPiece"});
  expectTokenizerJsonError(R"({"model":{"type":"BPE","merges":[]}})", {"model.vocab is missing"});
  expectTokenizerJsonError(R"({"model":{"type":"BPE","vocab":{"a":0}}})", {"model.merges is missing"});
  expectTokenizerJsonError(model("[]", "[]"), {"model.vocab", "not a JSON object"});
  expectTokenizerJsonError(model(R"({"a":0,"b":"x"})", "[]"), {"model.vocab", "token \"b\"", "not an integer"});
  expectTokenizerJsonError(model(kVocab, "{}"), {"model.merges", "not an array"});
  expectTokenizerJsonError(model(R"({"a":0,"b":1,"b":2})", "[]"), {"key \"b\" appears twice"});
  expectTokenizerJsonError(model(kVocab, R"(["a b","ab"])"), {"model.merges[1]", "two symbols"});
  expectTokenizerJsonError(model(kVocab, R"([["a"]])"), {"model.merges[0]", "found an array of 1"});
  expectTokenizerJsonError(model(kVocab, R"([["a", 3]])"), {"model.merges[0]"});
  expectTokenizerJsonError(model(kVocab, R"([["a", ""]])"), {"model.merges[0]"});
  expectTokenizerJsonError(model(kVocab, R"([7])"), {"model.merges[0]", "found 7"});
  expectTokenizerJsonError(model(kVocab, R"([["a","x"]])"), {"model.merges[0]", "symbol \"x\"", "not in the vocabulary"});
  expectTokenizerJsonError(model(kVocab, R"(["b a"])"), {"model.merges[0]", "merged symbol \"ba\""});
  expectTokenizerJsonError(model(kVocab, "[]", R"(,"unk_token":"<unk>")"), {"unk token \"<unk>\"", "not in the vocabulary"});
  expectTokenizerJsonError(model(kVocab, "[]", R"(,"unk_token":5)"), {"unk_token is not a string"});
  expectTokenizerJsonError(R"({"normalizer":{"type":"NFC"},)" + model(kVocab, "[]").substr(1), {"normalizer", "NFC"});
  expectTokenizerJsonError(R"({"pre_tokenizer":{"type":"Whitespace"},)" + model(kVocab, "[]").substr(1),
                           {"pre_tokenizer", "Whitespace", "ByteLevel"});
  expectTokenizerJsonError(R"({"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":true},)" +
                               model(kVocab, "[]").substr(1),
                           {"add_prefix_space"});
}

TEST(BpeTokenizerFiles, FolderPrefersTokenizerJson) {
  test::TempDir dir;
  dir.write("vocab.json", kVocab);
  dir.write("merges.txt", "");  // no merges: "ab" would be two tokens
  dir.write("tokenizer.json", model(kVocab, R"([["a","b"]])"));
  EXPECT_EQ(BpeTokenizer::fromFolder(dir.path()).encode("ab").ids, (std::vector<int>{2}));
  // A broken tokenizer.json is reported, not silently replaced by the other files.
  dir.write("tokenizer.json", "{");
  expectFileError([&] { BpeTokenizer::fromFolder(dir.path()); }, {"tokenizer.json", "not valid JSON"});
}

// --- issue 23: hostile files -------------------------------------------------------------------

using test::deepArray;
using test::expectPromptShortError;

TEST(BpeTokenizerFiles, DeeplyNestedJsonIsAShortError) {
  test::TempDir dir;
  const std::string m = dir.write("merges.txt", "#version: 0.2\n");
  const std::string v = dir.write("vocab.json", R"({"a":0,"b":)" + deepArray() + "}");
  expectPromptShortError([&] { BpeTokenizer::fromFiles(v, m); }, {v, "nested deeper than 64 levels"});
  const std::string t = dir.write("tokenizer.json", R"({"model":{"type":)" + deepArray() + R"(,"vocab":{},"merges":[]}})");
  expectPromptShortError([&] { BpeTokenizer::fromTokenizerJson(t); }, {t, "nested deeper than 64 levels"});
  // Nested within the limit where a type is expected: the kind, not the value.
  std::string nested = "1";
  for (int i = 0; i < 50; ++i) nested = "[" + nested + ",\"" + std::string(2000, 'x') + "\"]";
  dir.write("tokenizer.json", R"({"model":{"type":)" + nested + R"(,"vocab":{},"merges":[]}})");
  expectPromptShortError([&] { BpeTokenizer::fromTokenizerJson(t); }, {t, "model.type", "an array of 2"});
  dir.write("tokenizer.json", R"({"normalizer":)" + nested + "," + model(kVocab, "[]").substr(1));
  expectPromptShortError([&] { BpeTokenizer::fromTokenizerJson(t); }, {t, "normalizer", "an array of 2"});
  dir.write("tokenizer.json", model(kVocab, "[" + nested + "]"));
  expectPromptShortError([&] { BpeTokenizer::fromTokenizerJson(t); }, {t, "model.merges[0]", "an array of 2"});
}

TEST(BpeTokenizerFiles, FifosAndDevicesAreRefusedWithoutBlocking) {
  test::TempDir dir;
  const std::string v = dir.write("vocab.json", kVocab);
  const std::string m = dir.path() + "/merges.txt";
  ASSERT_EQ(::mkfifo(m.c_str(), 0600), 0);
  expectPromptShortError([&] { BpeTokenizer::fromFiles(v, m); }, {m, "is a FIFO, not a regular file"});
  expectPromptShortError([&] { BpeTokenizer::fromFolder(dir.path()); }, {m, "is a FIFO, not a regular file"});
  // vocab.json -> /dev/zero grew until an rlimit stopped it.
  const std::string zero = dir.path() + "/zero.json";
  std::filesystem::create_symlink("/dev/zero", zero);
  expectPromptShortError([&] { BpeTokenizer::fromFiles(zero, m); }, {zero, "is a device, not a regular file"});
}

TEST(BpeTokenizerFiles, OversizedFilesAreRefusedUnread) {
  test::TempDir dir;
  const std::string v = dir.write("vocab.json", kVocab);
  const std::string m = dir.write("merges.txt", "#version: 0.2\n");
  std::filesystem::resize_file(m, (std::uintmax_t(64) << 20) + 1);  // sparse: nothing is written
  expectPromptShortError([&] { BpeTokenizer::fromFiles(v, m); }, {m, "over the 64 MiB"});
  dir.write("merges.txt", "#version: 0.2\n");
  std::filesystem::resize_file(v, (std::uintmax_t(64) << 20) + 1);
  expectPromptShortError([&] { BpeTokenizer::fromFiles(v, m); }, {v, "over the 64 MiB"});
}

TEST(BpeTokenizerFiles, BytesAfterTheJsonAreRefused) {
  // A vocabulary followed by NULs was accepted (the parser stops at a NUL).
  expectVocabError(std::string(kVocab) + std::string(4096, '\0'), {"NUL byte at offset " + std::to_string(std::strlen(kVocab))});
  expectVocabError(std::string(kVocab) + " {}", {"not valid JSON"});
  expectTokenizerJsonError(model(kVocab, "[]") + "x", {"not valid JSON"});
}

TEST(BpeTokenizerFiles, AFolderNamedTokenizerJsonIsSaidToBeOne) {
  test::TempDir dir;
  dir.write("vocab.json", kVocab);
  dir.write("merges.txt", "");
  std::filesystem::create_directory(dir.path() + "/tokenizer.json");
  expectPromptShortError([&] { BpeTokenizer::fromFolder(dir.path()); }, {"tokenizer.json", "is a folder, not a file"});
}

}  // namespace
}  // namespace attnscope::models
