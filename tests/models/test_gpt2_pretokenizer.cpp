// The PCRE2 pre-split against Python's `regex` on every assigned code point: the number of pieces
// of five probes per code point (data/split_signatures.json, made by gpt2_split_classes.py).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "attnscope/models/gpt2_pretokenizer.h"
#include "tokenizer_test_util.h"

namespace attnscope::models {
namespace {

std::string utf8(char32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += char(cp);
  } else if (cp < 0x800) {
    s += char(0xC0 | (cp >> 6));
    s += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += char(0xE0 | (cp >> 12));
    s += char(0x80 | ((cp >> 6) & 0x3F));
    s += char(0x80 | (cp & 0x3F));
  } else {
    s += char(0xF0 | (cp >> 18));
    s += char(0x80 | ((cp >> 12) & 0x3F));
    s += char(0x80 | ((cp >> 6) & 0x3F));
    s += char(0x80 | (cp & 0x3F));
  }
  return s;
}

int signature(const Gpt2PreTokenizer& pre, char32_t cp) {
  const std::string c = utf8(cp);
  int sig = 0;
  for (const std::string& probe : {"a" + c + "a", c + "1", c + "!", " " + c, c + c + " x"}) {
    sig = sig * 10 + int(pre.split(probe).size());
  }
  return sig;
}

TEST(Gpt2PreTokenizer, SplitsLikePythonRegexOnEveryAssignedCodePoint) {
  const auto doc = nlohmann::json::parse(test::readText(test::fixture("split_signatures.json")));
  const auto& runs = doc.at("runs");
  const Gpt2PreTokenizer pre;
  std::size_t compared = 0, mismatches = 0;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const auto first = runs[r][0].get<char32_t>();
    const auto last = r + 1 < runs.size() ? runs[r + 1][0].get<char32_t>() : char32_t(0x110000);
    const int expected = runs[r][1].get<int>();
    if (expected == 0) continue;  // not assigned in the reference's Unicode version
    for (char32_t cp = first; cp < last; ++cp) {
      ++compared;
      const int got = signature(pre, cp);
      if (got != expected && ++mismatches <= 20) {
        ADD_FAILURE() << "U+" << std::hex << std::uppercase << std::uint32_t(cp) << std::dec
                      << ": PCRE2 signature " << got << ", Python regex " << expected;
      }
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << compared << " code points";
  EXPECT_GT(compared, 250000u);
}

TEST(Gpt2PreTokenizer, PiecesOfTrickyWhitespace) {
  const Gpt2PreTokenizer pre;
  using Spans = std::vector<std::pair<std::size_t, std::size_t>>;
  // "a  b": the run keeps its last space for the word; "x\u00A0y": NBSP is whitespace.
  EXPECT_EQ(pre.split("a   b"), (Spans{{0, 1}, {1, 3}, {3, 5}}));
  EXPECT_EQ(pre.split("x\xC2\xA0y"), (Spans{{0, 1}, {1, 3}, {3, 4}}));
  // U+180E (MONGOLIAN VOWEL SEPARATOR) is not White_Space: it joins the punctuation-like piece.
  EXPECT_EQ(pre.split("a\xE1\xA0\x8E!"), (Spans{{0, 1}, {1, 5}}));
  // U+0085 (NEL) and \x0b \x0c are whitespace; \x1c is not for Python's regex.
  EXPECT_EQ(pre.split("\xC2\x85\x0b\x0c"), (Spans{{0, 4}}));
  EXPECT_EQ(pre.split("\x1c\x1d"), (Spans{{0, 2}}));
  EXPECT_EQ(pre.split("ab \x1c"), (Spans{{0, 2}, {2, 4}}));
  EXPECT_TRUE(pre.split("").empty());
}

}  // namespace
}  // namespace attnscope::models
