// Bounded work: megabytes of text and one pathological 1 MB pre-token finish quickly (BPE is a heap
// per piece, O(n log n)); the times are printed for the notes.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "attnscope/models/bpe_tokenizer.h"
#include "tokenizer_test_util.h"

namespace attnscope::models {
namespace {

double secondsOf(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

const BpeTokenizer& tokenizer() {
  static const BpeTokenizer t = BpeTokenizer::fromTokenizerJson(test::fixture("tokenizer.json"));
  return t;
}

void expectRoundTrip(const std::string& text, const char* what) {
  Encoding e;
  const double s = secondsOf([&] { e = tokenizer().encode(text); });
  std::printf("[ timing   ] %s: %zu bytes → %zu tokens in %.3f s\n", what, text.size(), e.ids.size(), s);
  EXPECT_EQ(tokenizer().decode(e.ids), text) << what;
  ASSERT_FALSE(e.byteSpans.empty());
  EXPECT_EQ(e.byteSpans.back().second, text.size()) << what;
  EXPECT_LT(s, 60.0) << what;  // a generous bound: quadratic work would take hours
}

TEST(BpeTokenizerLimits, OneMegabyteWord) {
  expectRoundTrip(std::string(1 << 20, 'a'), "1 MiB of 'a'");
  std::string word;
  while (word.size() < (1u << 20)) word += "Supercalifragilisticexpialidocious";
  expectRoundTrip(word, "1 MiB word");
}

TEST(BpeTokenizerLimits, OneMegabyteOfSpacesAndOfPunctuation) {
  expectRoundTrip(std::string(1 << 20, ' ') + "x", "1 MiB of spaces");
  expectRoundTrip(std::string(1 << 20, '!'), "1 MiB of '!'");
}

TEST(BpeTokenizerLimits, FourMegabytesOfMixedText) {
  std::string text;
  for (const auto& c : test::pinnedCases()) text += c.text + "\n";
  const std::string unit = text;
  while (text.size() < (4u << 20)) text += unit;
  expectRoundTrip(text, "4 MiB mixed text");
}

}  // namespace
}  // namespace attnscope::models

namespace attnscope::models {
namespace {

// Merges a+a, aa+aa, … up to 2^16 letters: 1 MiB of 'a' is about a million merges in one piece.
TEST(BpeTokenizerLimits, OneMegabyteWordWithAMillionMerges) {
  test::TempDir dir;
  std::string vocab = "{";
  std::string merges = "#version: 0.2\n";
  std::string run = "a";
  for (int k = 0; k <= 16; ++k) {
    vocab += (k ? ",\"" : "\"") + run + "\":" + std::to_string(k);
    if (k < 16) merges += run + " " + run + "\n";
    run += run;
  }
  vocab += "}";
  const BpeTokenizer t =
      BpeTokenizer::fromFiles(dir.write("vocab.json", vocab), dir.write("merges.txt", merges));
  const std::string text(1 << 20, 'a');
  Encoding e;
  const double s = secondsOf([&] { e = t.encode(text); });
  std::printf("[ timing   ] 1 MiB of 'a' with doubling merges: %zu tokens in %.3f s\n", e.ids.size(), s);
  EXPECT_EQ(e.ids, std::vector<int>(16, 16));
  EXPECT_LT(s, 60.0);
  // 1 MiB + 3 letters: the tail is 2 + 1 after the 16 full tokens.
  EXPECT_EQ(t.encode(std::string((1 << 20) + 3, 'a')).ids.size(), 18u);
}

}  // namespace
}  // namespace attnscope::models
