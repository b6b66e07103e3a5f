// Bounded work for HfTokenizer: a Llama-3-sized tokenizer.json (128k entries, 280k merges) loads
// quickly, and megabytes of text, a 1 MiB word, a 4 MiB SentencePiece "word" (Llama 2 has no
// pre-tokenizer) and a 1 MiB normalization chunk encode in seconds (BPE is a heap per piece,
// O(n log n); spans inside one chunk are found in one pass). Times are printed for the notes.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <random>

#include <nlohmann/json.hpp>

#include "attnscope/models/byte_unicode.h"
#include "attnscope/models/hf_tokenizer.h"
#include "tokenizer_test_util.h"

namespace attnscope::models {
namespace {

using nlohmann::json;

double secondsOf(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Llama 3's layout with a synthetic vocabulary: the 256 byte symbols, every string of 2–5 of the
/// letters a–j (111,100), padding words to 128,000 entries, and 280,000 merges (each string's
/// splits into two entries, shorter strings first).
json syntheticLlama3() {
  json doc = json::parse(test::readText(test::fixture("hf/llama3/tokenizer.json")));
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[byteSymbol(std::uint8_t(b))] = b;
  int next = 256;
  std::vector<std::string> level{""};
  json merges = json::array();
  std::size_t fiveLetter = 0;
  for (int length = 1; length <= 5; ++length) {
    std::vector<std::string> longer;
    for (const std::string& s : level) {
      for (char c = 'a'; c <= 'j'; ++c) longer.push_back(s + c);
    }
    for (const std::string& s : longer) {
      if (length > 1) vocab[s] = next++;
      // Every split up to length 4 (32,100); of the 100,000 five-letter strings the first two splits,
      // and the third for the first 47,900: 280,000 in all.
      const int splits = length < 5 ? length - 1 : fiveLetter++ < 47900 ? 3 : 2;
      for (int k = 1; k <= splits; ++k) merges.push_back(s.substr(0, std::size_t(k)) + " " + s.substr(std::size_t(k)));
    }
    level = std::move(longer);
  }
  std::mt19937 rng(5);
  while (next < 128000) {
    std::string word = "\xC4\xA0";  // "Ġ" + six letters k–z: whole words (ignore_merges) no merge reaches
    for (int k = 0; k < 6; ++k) word += char('k' + int(rng() % 16));
    if (!vocab.contains(word)) vocab[word] = next++;
  }
  doc["model"]["vocab"] = vocab;
  doc["model"]["merges"] = merges;
  for (auto& a : doc["added_tokens"]) a["id"] = a["id"].get<int>() - 558 + 128000;
  doc["post_processor"]["processors"][1]["special_tokens"]["<|begin_of_text|>"]["ids"] = {128000};
  return doc;
}

std::string mixedText(std::size_t bytes) {
  std::mt19937 rng(9);
  static const char* const extras[] = {" ", " ", " ", ", ", ". ", "\n", "  ", "123", " 4567", "'s", "!",
                                       " \xC3\xA9t\xC3\xA9", " \xE6\x97\xA5\xE6\x9C\xAC", " \xF0\x9F\x98\x80"};
  std::string text;
  while (text.size() < bytes) {
    const int n = 1 + int(rng() % 12);
    for (int k = 0; k < n; ++k) text += char('a' + int(rng() % 10));
    text += extras[rng() % (sizeof extras / sizeof *extras)];
  }
  return text;
}

void expectEncodes(const HfTokenizer& t, const std::string& text, const char* what, std::size_t specials,
                   bool roundTrip = true) {
  Encoding e;
  const double s = secondsOf([&] { e = t.encode(text); });
  std::printf("[ timing   ] %s: %zu bytes → %zu tokens in %.3f s\n", what, text.size(), e.ids.size(), s);
  ASSERT_GT(e.ids.size(), specials) << what;
  EXPECT_EQ(e.byteSpans.back().second, text.size()) << what;
  if (roundTrip) {
    EXPECT_EQ(t.decode(std::vector<int>(e.ids.begin() + std::ptrdiff_t(specials), e.ids.end())), text) << what;
  }
  EXPECT_LT(s, 60.0) << what;  // a generous bound: quadratic work would take hours
}

TEST(HfTokenizerLimits, Llama3SizedFile) {
  test::TempDir dir;
  const json doc = syntheticLlama3();
  ASSERT_EQ(doc["model"]["vocab"].size(), 128000u);
  ASSERT_EQ(doc["model"]["merges"].size(), 280000u);
  const std::string path = dir.write("tokenizer.json", doc.dump());
  HfTokenizer t = HfTokenizer::fromTokenizerJson(path);
  const double load = secondsOf([&] { t = HfTokenizer::fromTokenizerJson(path); });
  std::printf("[ timing   ] load of a 128k-entry, 280k-merge tokenizer.json (%.1f MB): %.3f s\n",
              double(doc.dump().size()) / 1e6, load);
  EXPECT_LT(load, 20.0);  // well under a second in a release build; sanitizers are slower
  EXPECT_EQ(t.vocabSize(), 128004);
  EXPECT_EQ(t.encode("abcde").ids, (std::vector<int>{128000, t.tokenId("abcde")}));

  expectEncodes(t, mixedText(4u << 20), "128k vocabulary, 4 MiB mixed text", 1);
  std::string word;
  while (word.size() < (1u << 20)) word += "abcdefghij";
  expectEncodes(t, word, "128k vocabulary, 1 MiB word", 1);
  expectEncodes(t, std::string(1 << 20, 'a'), "128k vocabulary, 1 MiB of 'a'", 1);
  expectEncodes(t, std::string(1 << 20, ' ') + "x", "128k vocabulary, 1 MiB of spaces", 1);
}

TEST(HfTokenizerLimits, SentencePieceWholeTextIsOneWord) {
  // Llama 2's legacy layout has no pre-tokenizer: BPE runs over the whole normalized text.
  const HfTokenizer t = HfTokenizer::fromFolder(test::fixture("hf/llama2"));
  expectEncodes(t, mixedText(4u << 20), "Llama 2 layout, 4 MiB as one BPE word", 1);
  const HfTokenizer m = HfTokenizer::fromFolder(test::fixture("hf/llama2_metaspace"));
  expectEncodes(m, std::string(1 << 20, ' ') + "x", "Metaspace layout, 1 MiB of spaces", 1, false);
}

TEST(HfTokenizerLimits, OneMegabyteNormalizationChunk) {
  // "a" and 400k combining marks in the wrong canonical order: NFC rewrites them as one chunk; every
  // token inside it gets its span in one pass over the chunk.
  const HfTokenizer t = HfTokenizer::fromFolder(test::fixture("hf/qwen2"));
  std::string text = "a";
  for (int k = 0; k < 200000; ++k) text += "\xCC\x87\xCC\xA3";  // U+0307 U+0323
  Encoding e;
  const double s = secondsOf([&] { e = t.encode(text); });
  std::printf("[ timing   ] NFC chunk of %zu bytes: %zu tokens in %.3f s\n", text.size(), e.ids.size(), s);
  EXPECT_EQ(e.byteSpans.front().first, 0u);
  EXPECT_EQ(e.byteSpans.back().second, text.size());
  EXPECT_LT(s, 60.0);
}

}  // namespace
}  // namespace attnscope::models
