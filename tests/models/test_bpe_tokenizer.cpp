// GPT-2 byte-level BPE: pinned ids from the independent Python reference, the two file routes,
// round trips, labels and spans, the byte map, and BPE's merge order on lists not in training order.
#include <gtest/gtest.h>

#include <set>

#include <nlohmann/json.hpp>

#include "attnscope/error.h"
#include "attnscope/models/bpe_tokenizer.h"
#include "attnscope/models/byte_unicode.h"
#include "tokenizer_test_util.h"

namespace attnscope::models {
namespace {

using test::fixture;
using test::pinnedCases;

const BpeTokenizer& gpt2Files() {
  static const BpeTokenizer t = BpeTokenizer::fromFiles(fixture("vocab.json"), fixture("merges.txt"));
  return t;
}

TEST(BpeTokenizer, LoadsTheFixture) {
  EXPECT_EQ(gpt2Files().vocabSize(), 577);
  EXPECT_EQ(gpt2Files().mergeCount(), 320u);
  EXPECT_EQ(gpt2Files().tokenId("<|endoftext|>"), 576);
  EXPECT_EQ(gpt2Files().tokenId("\xC4\xA0"), 32);  // "Ġ", the space byte's symbol
}

TEST(BpeTokenizer, PinnedIdsOfHardStrings) {
  const auto cases = pinnedCases();
  ASSERT_GE(cases.size(), 30u);
  for (const auto& c : cases) {
    EXPECT_EQ(gpt2Files().encode(c.text).ids, c.ids) << "case " << c.name;
  }
}

TEST(BpeTokenizer, PinnedIdsWrittenOut) {
  // A few of expected.json's cases in the source, so a change in the fixture shows in review.
  EXPECT_EQ(gpt2Files().encode("Hello world").ids, (std::vector<int>{72, 306, 342}));
  EXPECT_EQ(gpt2Files().encode("\xF0\x9F\x98\x80").ids, (std::vector<int>{527}));  // 😀, one token
  EXPECT_EQ(gpt2Files().encode("hi\xF0\x9F\x98\x80there\xF0\x9F\x98\x80\xF0\x9F\x98\x80").ids,
            (std::vector<int>{104, 105, 527, 315, 268, 527, 527}));
  EXPECT_EQ(gpt2Files().encode("'s't're've'm'll'd's 'S 'T ''s").ids,
            (std::vector<int>{352, 353, 351, 354, 350, 349, 348, 352, 32, 39, 83, 32, 39, 84, 32, 39, 39, 115}));
}

TEST(BpeTokenizer, AllRoutesGiveTheSameIds) {
  const BpeTokenizer strings = BpeTokenizer::fromTokenizerJson(fixture("tokenizer.json"));
  const BpeTokenizer pairs = BpeTokenizer::fromTokenizerJson(fixture("tokenizer_pairs.json"));
  const BpeTokenizer folder = BpeTokenizer::fromFolder(ATTNSCOPE_TOKENIZER_FIXTURES);
  EXPECT_EQ(strings.vocabSize(), gpt2Files().vocabSize());
  EXPECT_EQ(pairs.mergeCount(), gpt2Files().mergeCount());
  for (const auto& c : pinnedCases()) {
    const auto ids = gpt2Files().encode(c.text).ids;
    EXPECT_EQ(strings.encode(c.text).ids, ids) << c.name;
    EXPECT_EQ(pairs.encode(c.text).ids, ids) << c.name;
    EXPECT_EQ(folder.encode(c.text).ids, ids) << c.name;
  }
}

TEST(BpeTokenizer, FolderWithoutTokenizerJsonUsesVocabAndMerges) {
  test::TempDir dir;
  dir.write("vocab.json", test::readText(fixture("vocab.json")));
  dir.write("merges.txt", test::readText(fixture("merges.txt")));
  const BpeTokenizer t = BpeTokenizer::fromFolder(dir.path());
  for (const auto& c : pinnedCases()) EXPECT_EQ(t.encode(c.text).ids, c.ids) << c.name;
}

TEST(BpeTokenizer, DecodeInvertsEncode) {
  for (const auto& c : pinnedCases()) {
    EXPECT_EQ(gpt2Files().decode(gpt2Files().encode(c.text).ids), c.text) << c.name;
  }
}

TEST(BpeTokenizer, SpansTileTheTextAndPiecesAreTheirBytes) {
  for (const auto& c : pinnedCases()) {
    const Encoding e = gpt2Files().encode(c.text);
    ASSERT_EQ(e.pieces.size(), e.ids.size()) << c.name;
    ASSERT_EQ(e.byteSpans.size(), e.ids.size()) << c.name;
    EXPECT_TRUE(e.notices.empty()) << c.name;
    std::size_t at = 0;
    for (std::size_t i = 0; i < e.ids.size(); ++i) {
      const auto [b, end] = e.byteSpans[i];
      EXPECT_EQ(b, at) << c.name << " token " << i;
      EXPECT_LT(b, end) << c.name << " token " << i;
      const std::string bytes = c.text.substr(b, end - b);
      EXPECT_EQ(gpt2Files().decode({e.ids[i]}), bytes) << c.name << " token " << i;
      at = end;
    }
    EXPECT_EQ(at, c.text.size()) << c.name;
  }
}

TEST(BpeTokenizer, PieceOfASplitCharacterShowsItsBytes) {
  // 👍🏽 (U+1F44D U+1F3FD): the fixture splits the skin-tone modifier across tokens.
  const Encoding e = gpt2Files().encode("\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD");
  ASSERT_EQ(e.ids, (std::vector<int>{257, 145, 265, 143, 189}));
  EXPECT_EQ(e.pieces, (std::vector<std::string>{"\\xF0\\x9F", "\\x91", "\\x8D\\xF0\\x9F", "\\x8F",
                                                 "\\xBD"}));
  const Encoding whole = gpt2Files().encode("caf\xC3\xA9 na\xC3\xAFve");
  std::string joined;
  for (const auto& p : whole.pieces) joined += p;
  EXPECT_EQ(joined, "caf\xC3\xA9 na\xC3\xAFve");  // whole characters stay as they are
}

TEST(BpeTokenizer, EmptyTextHasNoTokens) {
  const Encoding e = gpt2Files().encode("");
  EXPECT_TRUE(e.ids.empty());
  EXPECT_TRUE(e.pieces.empty());
  EXPECT_TRUE(e.byteSpans.empty());
  EXPECT_TRUE(e.notices.empty());
  EXPECT_EQ(gpt2Files().decode({}), "");
}

TEST(BpeTokenizer, InvalidUtf8IsSplitAsReplacementCharactersButKeepsItsBytes) {
  const std::string text = std::string("ab\xFF") + "cd \xC3\xA9\xE2\x82 x\xED\xA0\x80y";
  const Encoding e = gpt2Files().encode(text);
  ASSERT_EQ(e.notices.size(), 1u);
  EXPECT_NE(e.notices[0].find("not valid UTF-8"), std::string::npos) << e.notices[0];
  EXPECT_NE(e.notices[0].find("byte offset 2"), std::string::npos) << e.notices[0];
  EXPECT_NE(e.notices[0].find("6 invalid byte(s)"), std::string::npos) << e.notices[0];
  EXPECT_EQ(gpt2Files().decode(e.ids), text);  // lossless
  // The pre-split sees "ab", "\uFFFD", "cd", " é", "\uFFFD\uFFFD", " x", "\uFFFD\uFFFD\uFFFD", "y":
  // the ids are those of each piece encoded on its own.
  std::vector<int> expected;
  for (const char* piece : {"ab", "\xFF", "cd", " \xC3\xA9", "\xE2\x82", " x", "\xED\xA0\x80", "y"}) {
    for (int id : gpt2Files().encode(piece).ids) expected.push_back(id);
  }
  EXPECT_EQ(e.ids, expected);
  for (std::size_t i = 0; i < e.ids.size(); ++i) {
    if (e.byteSpans[i].first == 2) {
      EXPECT_EQ(e.pieces[i], "\\xFF");
    }
  }
}

TEST(BpeTokenizer, DecodeRefusesUnknownIds) {
  EXPECT_THROW(gpt2Files().decode({1, 577}), InvalidArgument);
  EXPECT_THROW(gpt2Files().decode({-1}), InvalidArgument);
  try {
    gpt2Files().decode({5, 9999});
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("id 9999 at position 1"), std::string::npos) << e.what();
  }
}

TEST(ByteUnicode, TheMapIsGpt2s) {
  std::set<char32_t> images;
  int remapped = 0;
  for (int b = 0; b < 256; ++b) {
    const char32_t cp = byteToCodePoint(std::uint8_t(b));
    images.insert(cp);
    EXPECT_EQ(codePointToByte(cp), b);
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
    if (printable) {
      EXPECT_EQ(cp, char32_t(b));
    } else {
      EXPECT_EQ(cp, char32_t(0x100 + remapped)) << b;
      ++remapped;
    }
  }
  EXPECT_EQ(remapped, 68);
  EXPECT_EQ(images.size(), 256u);
  EXPECT_EQ(byteToCodePoint(' '), char32_t(0x120));  // "Ġ"
  EXPECT_EQ(byteToCodePoint('\n'), char32_t(0x10A));  // "Ċ"
  EXPECT_EQ(codePointToByte(0xAD), -1);
  EXPECT_EQ(codePointToByte(0x144), -1);
  EXPECT_EQ(byteSymbol(' '), "\xC4\xA0");
}

// A hand-made list whose ranks are not in training order: GPT-2 merges every occurrence of the
// best pair before it looks at the pairs those merges create.
TEST(BpeTokenizer, MergesEveryOccurrenceOfTheBestPairFirst) {
  test::TempDir dir;
  const std::string vocab = dir.write("vocab.json", R"({"a":0,"b":1,"c":2,"bc":3,"bcb":4,"aa":5,"aaa":6})");
  const std::string merges = dir.write("merges.txt", "#version: 0.2\nbc b\nb c\na a\naa a\n");
  const BpeTokenizer t = BpeTokenizer::fromFiles(vocab, merges);
  // (b c) merges at both places before (bc b), which exists only after: a bc bc, never a bcb c.
  EXPECT_EQ(t.encode("abcbc").ids, (std::vector<int>{0, 3, 3}));
  EXPECT_EQ(t.encode("bcb").ids, (std::vector<int>{4}));
  // Left to right, non-overlapping: aaaa → aa aa (then no "aa aa" merge); aaa → aa a → aaa.
  EXPECT_EQ(t.encode("aaaa").ids, (std::vector<int>{5, 5}));
  EXPECT_EQ(t.encode("aaa").ids, (std::vector<int>{6}));
  EXPECT_EQ(t.encode("aaaaa").ids, (std::vector<int>{5, 6}));
}

TEST(BpeTokenizer, ByteMissingFromTheVocabularyIsAnErrorOrTheUnkToken) {
  test::TempDir dir;
  const std::string vocab = dir.write("vocab.json", R"({"a":0,"b":1,"ab":2})");
  const std::string merges = dir.write("merges.txt", "a b\n");
  const BpeTokenizer t = BpeTokenizer::fromFiles(vocab, merges);
  EXPECT_EQ(t.encode("abab").ids, (std::vector<int>{2, 2}));
  try {
    t.encode("ab c");
    FAIL();
  } catch (const InvalidArgument& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("byte offset 2"), std::string::npos) << m;
    EXPECT_NE(m.find("\"\xC4\xA0\""), std::string::npos) << m;  // the space's symbol Ġ
  }
  const std::string json = dir.write(
      "tokenizer.json",
      R"({"model":{"type":"BPE","unk_token":"<unk>","vocab":{"a":0,"b":1,"ab":2,"<unk>":3},"merges":["a b"]}})");
  const BpeTokenizer withUnk = BpeTokenizer::fromTokenizerJson(json);
  const Encoding e = withUnk.encode("ab c");
  EXPECT_EQ(e.ids, (std::vector<int>{2, 3, 3}));
  EXPECT_EQ(e.byteSpans.back(), (std::pair<std::size_t, std::size_t>{3, 4}));
}

TEST(BpeTokenizer, RepeatedMergeLineTakesTheLastRank) {
  test::TempDir dir;
  const std::string vocab = dir.write("vocab.json", R"({"a":0,"b":1,"c":2,"ab":3,"bc":4})");
  // (a b) is listed first and last: its rank is the last line's, so (b c) wins in "abc".
  const std::string merges = dir.write("merges.txt", "a b\nb c\na b\n");
  EXPECT_EQ(BpeTokenizer::fromFiles(vocab, merges).encode("abc").ids, (std::vector<int>{0, 4}));
}

}  // namespace
}  // namespace attnscope::models

namespace attnscope::models {
namespace {

// Random strings of hard characters and word chunks (expected_random.json), with the trained merges and
// with the same merges in a random order (ranks that no trainer would make). The merge-order subtlety
// itself (every occurrence of the best pair first) is pinned by MergesEveryOccurrenceOfTheBestPairFirst.
TEST(BpeTokenizer, RandomStringsMatchTheReferenceWithBothMergeOrders) {
  const auto doc = nlohmann::json::parse(test::readText(test::fixture("expected_random.json")));
  const BpeTokenizer shuffled =
      BpeTokenizer::fromFiles(test::fixture("vocab.json"), test::fixture("merges_shuffled.txt"));
  const BpeTokenizer trained = BpeTokenizer::fromFiles(test::fixture("vocab.json"), test::fixture("merges.txt"));
  std::size_t differ = 0;
  for (const auto& c : doc.at("cases")) {
    const auto text = c.at("text").get<std::string>();
    const auto ids = c.at("ids").get<std::vector<int>>();
    const auto idsShuffled = c.at("ids_shuffled").get<std::vector<int>>();
    EXPECT_EQ(trained.encode(text).ids, ids) << c.dump();
    EXPECT_EQ(shuffled.encode(text).ids, idsShuffled) << c.dump();
    EXPECT_EQ(shuffled.decode(idsShuffled), text);
    differ += ids != idsShuffled;
  }
  EXPECT_GT(differ, 0u);  // the shuffled order does change some ids (4 of the 150)
}

}  // namespace
}  // namespace attnscope::models
