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
