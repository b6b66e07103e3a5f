// Bounded work: megabytes of text and one pathological 1 MB pre-token finish quickly (BPE is a heap
// per piece, O(n log n)); the times are printed for the notes.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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

// Issue 23 item 7: encode(text, maxTokens) gives encode(text)'s first tokens and stops there.
namespace attnscope::models {
namespace {

void expectPrefix(const std::string& text, std::size_t k, const char* what) {
  const Encoding all = tokenizer().encode(text);
  const Encoding first = tokenizer().encode(text, k);
  const std::size_t n = std::min(k, all.ids.size());
  ASSERT_EQ(first.ids.size(), n) << what << " k=" << k;
  EXPECT_TRUE(std::equal(first.ids.begin(), first.ids.end(), all.ids.begin())) << what << " k=" << k;
  EXPECT_TRUE(std::equal(first.byteSpans.begin(), first.byteSpans.end(), all.byteSpans.begin())) << what << " k=" << k;
  EXPECT_TRUE(std::equal(first.pieces.begin(), first.pieces.end(), all.pieces.begin())) << what << " k=" << k;
  if (k > 0) EXPECT_EQ(first.notices, all.notices) << what;
}

TEST(BpeTokenizerLimits, EncodeWithALimitGivesTheFirstTokens) {
  std::string mixed;
  for (const auto& c : test::pinnedCases()) mixed += c.text + "\n";
  std::string invalid = mixed;
  for (std::size_t i = 7; i < invalid.size(); i += 97) invalid[i] = char(0xFF);  // invalid UTF-8 throughout
  std::string spaces = "a" + std::string(10000, ' ') + "b   \n\n  c";
  for (const std::string* text : {&mixed, &invalid, &spaces}) {
    for (std::size_t k : {std::size_t(0), std::size_t(1), std::size_t(2), std::size_t(7), std::size_t(100),
                          std::size_t(513), std::size_t(5000), std::size_t(1) << 30}) {
      expectPrefix(*text, k, text == &mixed ? "mixed" : text == &invalid ? "invalid UTF-8" : "spaces");
    }
  }
}

// 64 MiB of text took 3.87 GB and 16 s to keep 512 tokens: now what the first pieces cost, under a
// data limit of 256 MiB in a child process (the whole encode would need gigabytes).
TEST(BpeTokenizerLimits, AHugeTextToAFewTokensIsBoundedByTheBudget) {
  tokenizer();  // loaded before the fork
  for (const bool invalidUtf8 : {false, true}) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      std::string text;
      text.reserve(std::size_t(64) << 20);
      while (text.size() < (std::size_t(64) << 20)) text += "The quick brown fox jumps over the lazy dog. 0123 ";
      if (invalidUtf8) text[100] = char(0xFF);
#if !defined(__SANITIZE_ADDRESS__)
      // (AddressSanitizer's shadow memory does not fit a data limit: the sanitizer run checks the
      // tokens, the release run the bound too.)
      rlimit lim{};
      ::getrlimit(RLIMIT_DATA, &lim);
      lim.rlim_cur = (std::size_t(64) << 20) + (std::size_t(256) << 20);  // the text + 256 MiB
      ::setrlimit(RLIMIT_DATA, &lim);
#endif
      const auto t0 = std::chrono::steady_clock::now();
      try {
        const Encoding e = tokenizer().encode(text, 513);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("[ timing   ] 64 MiB%s → first %zu tokens in %.3f s\n", invalidUtf8 ? " (invalid UTF-8)" : "",
                    e.ids.size(), s);
        std::fflush(stdout);
#if defined(__SANITIZE_ADDRESS__)
        const double limit = 60.0;
#else
        const double limit = 5.0;
#endif
        ::_exit(e.ids.size() == 513 && s < limit ? 0 : 2);
      } catch (...) {
        ::_exit(3);  // out of memory
      }
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << (invalidUtf8 ? "invalid UTF-8: " : "") << "status " << status << " (3: out of memory, 2: wrong count or slow)";
  }
}

}  // namespace
}  // namespace attnscope::models
