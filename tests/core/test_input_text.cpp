// Text source: UTF-8 decoding, tokenisation and byte spans, budgets, bad text.
#include <gtest/gtest.h>

#include <string>

#include "attnscope/input/input.h"
#include "attnscope/input/text_tokenizer.h"
#include "attnscope/input/utf8.h"
#include "test_input_util.h"

namespace attnscope {
namespace {

using testutil::expectError;

std::vector<std::string> labels(const TokenSet& s) {
  std::vector<std::string> out;
  for (const Token& t : s.tokens) out.push_back(t.label);
  return out;
}

TEST(InputUtf8, DecodesValidSequencesWithSpans) {
  const std::string s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x99\x82";  // a é € 🙂
  const auto cps = decodeUtf8(s);
  ASSERT_EQ(cps.size(), 4u);
  EXPECT_EQ(cps[0].value, U'a');
  EXPECT_EQ(cps[1].value, 0xE9u);
  EXPECT_EQ(cps[2].value, 0x20ACu);
  EXPECT_EQ(cps[3].value, 0x1F642u);
  EXPECT_EQ(cps[3].begin, 6u);
  EXPECT_EQ(cps[3].end, 10u);
  for (const auto& c : cps) EXPECT_FALSE(c.replaced);
}

TEST(InputUtf8, ReplacesEveryKindOfIllFormedSequence) {
  struct Case {
    std::string bytes;
    std::size_t replacements;
  };
  const Case cases[] = {
      {"\xC0\x80", 2},          // overlong (C0 never starts a sequence)
      {"\xE0\x80\x80", 3},      // overlong 3-byte form
      {"\xED\xA0\x80", 3},      // surrogate U+D800
      {"\xF4\x90\x80\x80", 4},  // above U+10FFFF
      {"\xE2\x82", 1},          // truncated at the end: one maximal subpart
      {"\x80", 1},              // stray continuation byte
      {"\xFF", 1},              // never valid
  };
  for (const Case& c : cases) {
    const auto cps = decodeUtf8(c.bytes);
    std::size_t replaced = 0, covered = 0;
    for (const auto& cp : cps) {
      EXPECT_EQ(cp.begin, covered);
      covered = cp.end;
      if (cp.replaced) {
        ++replaced;
        EXPECT_EQ(cp.value, kReplacementChar);
      }
    }
    EXPECT_EQ(covered, c.bytes.size());
    EXPECT_EQ(replaced, c.replacements) << "bytes of length " << c.bytes.size();
  }
}

TEST(InputUtf8, LowerCasesLatinGreekCyrillic) {
  EXPECT_EQ(toLowerSimple(U'Q'), U'q');
  EXPECT_EQ(toLowerSimple(0xC9), 0xE9u);    // É → é
  EXPECT_EQ(toLowerSimple(0xD7), 0xD7u);    // × unchanged
  EXPECT_EQ(toLowerSimple(0x141), 0x142u);  // Ł → ł
  EXPECT_EQ(toLowerSimple(0x391), 0x3B1u);  // Α → α
  EXPECT_EQ(toLowerSimple(0x416), 0x436u);  // Ж → ж
  EXPECT_EQ(toLowerSimple(0x401), 0x451u);  // Ё → ё
}

TEST(InputText, WordsPunctuationAndSpansSliceBack) {
  const std::string text =
      "The harbour-master's boat, caf\xC3\xA9 \xE2\x80\x94 don't stop!  \xE6\xB8\xAF";
  const TokenSet s = tokenizeText(text, 512, "t");
  const std::vector<std::string> expected = {"The",   "harbour", "-",           "master's",
                                             "boat",  ",",       "caf\xC3\xA9", "\xE2\x80\x94",
                                             "don't", "stop",    "!",           "\xE6\xB8\xAF"};
  EXPECT_EQ(labels(s), expected);
  for (const Token& t : s.tokens) {
    ASSERT_LE(t.byteEnd, text.size());
    EXPECT_EQ(text.substr(t.byteBegin, t.byteEnd - t.byteBegin), t.label);
  }
  EXPECT_TRUE(s.notices.empty());
}

TEST(InputText, ApostropheOutsideWordIsPunctuation) {
  const TokenSet s = tokenizeText("'quoted' rock'n'roll", 512, "t");
  const std::vector<std::string> expected = {"'", "quoted", "'", "rock'n'roll"};
  EXPECT_EQ(labels(s), expected);
}

TEST(InputText, InvalidUtf8IsReplacedWithOneNoticeAndOriginalSpans) {
  const std::string text =
      "ab\xFF"
      "cd \xE2\x82 ok";
  const TokenSet s = tokenizeText(text, 512, "bad.txt");
  ASSERT_EQ(s.size(), 3);
  EXPECT_EQ(s.tokens[0].label,
            "ab\xEF\xBF\xBD"
            "cd");  // U+FFFD stays inside the word
  EXPECT_EQ(s.tokens[0].byteBegin, 0u);
  EXPECT_EQ(s.tokens[0].byteEnd, 5u);
  EXPECT_EQ(s.tokens[1].byteBegin, 6u);
  EXPECT_EQ(s.tokens[1].byteEnd, 8u);
  ASSERT_EQ(s.notices.size(), 1u);
  EXPECT_NE(s.notices[0].find("bad.txt"), std::string::npos);
  EXPECT_NE(s.notices[0].find("2 invalid UTF-8"), std::string::npos);
  EXPECT_NE(s.notices[0].find("U+FFFD"), std::string::npos);
  // The whole pipeline accepts it too.
  const Input in = makeTextInput(text, TextInputSettings{}, EmbeddingSettings{});
  EXPECT_EQ(in.tokens.size(), 3);
}

TEST(InputText, BudgetTruncatesWithNotice) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "w" + std::to_string(i % 97) + " ";
  TextInputSettings ts;
  ts.tokenBudget = 16384;
  ts.sourceName = "long.txt";
  EmbeddingSettings es;
  es.heads = 1;
  es.dHead = 8;
  es.dModel = 16;
  const Input in = makeTextInput(text, ts, es);
  EXPECT_EQ(in.tokens.size(), 16384);
  EXPECT_EQ(in.tokens.tokensBeforeBudget, 20000u);
  EXPECT_EQ(in.qkv.n(), 16384);
  ASSERT_FALSE(in.tokens.notices.empty());
  EXPECT_NE(in.tokens.notices.back().find("only the first 16384"), std::string::npos);

  const TokenSet def = tokenizeText(text, TextInputSettings{}.tokenBudget, "x");
  EXPECT_EQ(def.size(), 512);
}

TEST(InputText, SingleTokenWorksWithNotice) {
  const Input in = makeTextInput("  harbour\n", TextInputSettings{}, EmbeddingSettings{});
  ASSERT_EQ(in.tokens.size(), 1);
  EXPECT_EQ(in.qkv.n(), 1);
  ASSERT_EQ(in.tokens.notices.size(), 1u);
  EXPECT_NE(in.tokens.notices[0].find("single token"), std::string::npos);
}

TEST(InputText, EmptyOrWhitespaceTextIsAClearError) {
  TextInputSettings ts;
  ts.sourceName = "notes.txt";
  expectError([&] { makeTextInput("", ts, EmbeddingSettings{}); }, {"notes.txt", "empty"});
  expectError(
      [&] { makeTextInput(" \t\r\n\xC2\xA0\xE3\x80\x80\xE2\x80\x8E ", ts, EmbeddingSettings{}); },
      {"notes.txt", "no tokens", "whitespace"});
}

TEST(InputText, BadBudgetIsAClearError) {
  TextInputSettings ts;
  ts.sourceName = "notes.txt";
  ts.tokenBudget = 0;
  expectError([&] { makeTextInput("a b", ts, EmbeddingSettings{}); },
              {"notes.txt", "token budget 0"});
  ts.tokenBudget = kMaxTokenBudget + 1;
  expectError([&] { makeTextInput("a b", ts, EmbeddingSettings{}); }, {"token budget"});
}

TEST(InputText, AHugeWordCostsWhatItsCappedLabelDoes) {
  // 8 MB of one "word" (was ~8 GiB of n-gram strings): the label keeps 64 code points and "…", the
  // span covers every byte, and the features come from the capped label.
  const std::string word(8u << 20, 'a');
  const std::string text = "start " + word + " end";
  const Input in = makeTextInput(text, TextInputSettings{}, EmbeddingSettings{});
  ASSERT_EQ(in.tokens.size(), 3);
  const Token& t = in.tokens.tokens[1];
  EXPECT_EQ(t.label, std::string(kMaxLabelCodePoints, 'a') + "\u2026");
  EXPECT_EQ(t.byteBegin, 6u);
  EXPECT_EQ(t.byteEnd, 6u + word.size());
  EXPECT_EQ(in.qkv.n(), 3);
  // A word of exactly 64 letters keeps its label whole.
  const Input exact = makeTextInput(std::string(64, 'b'), TextInputSettings{}, EmbeddingSettings{});
  EXPECT_EQ(exact.tokens.tokens[0].label, std::string(64, 'b'));
}

}  // namespace
}  // namespace attnscope
