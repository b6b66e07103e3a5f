// HfTokenizer (tokenizer.json, Llama family): the ids, decodes of the independent Python reference
// (hf_tokenizer_reference.py → data/hf/*/expected.json) for five real layouts (and Llama 3's with
// its merges out of training order, where merging one occurrence at a time matters), spans and labels,
// special tokens, tokenizer_config.json's BOS, the unk paths, and the refusals: unsupported
// components by name, malformed files with short messages, FIFOs and oversized files.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "attnscope/error.h"
#include "attnscope/models/hf_tokenizer.h"
#include "tokenizer_test_util.h"

namespace attnscope::models {
namespace {

using nlohmann::json;

const char* const kLayouts[] = {"llama3", "llama3_shuffled", "qwen2", "smollm2", "llama2", "llama2_metaspace"};

/// Tokens the layout's post-processor puts before the text (BOS).
std::size_t prefixOf(const std::string& layout) { return layout == "qwen2" || layout == "smollm2" ? 0 : 1; }

std::string layoutDir(const std::string& layout) { return test::fixture("hf/" + layout); }

struct HfCase {
  std::string name, text, decoded;
  std::vector<int> ids, textIds;
};

std::vector<HfCase> casesOf(const std::string& layout) {
  const json doc = json::parse(test::readText(layoutDir(layout) + "/expected.json"));
  std::vector<HfCase> out;
  for (const auto& c : doc.at("cases")) {
    out.push_back({c.at("name").get<std::string>(), c.at("text").get<std::string>(),
                   c.at("decoded").get<std::string>(), c.at("ids").get<std::vector<int>>(),
                   c.at("text_ids").get<std::vector<int>>()});
  }
  return out;
}

const HfTokenizer& tokenizer(const std::string& layout) {
  static std::map<std::string, HfTokenizer> loaded;
  static std::mutex lock;
  std::lock_guard<std::mutex> guard(lock);
  auto it = loaded.find(layout);
  if (it == loaded.end()) it = loaded.emplace(layout, HfTokenizer::fromFolder(layoutDir(layout))).first;
  return it->second;
}

json fixtureDoc(const std::string& layout) {
  return json::parse(test::readText(layoutDir(layout) + "/tokenizer.json"));
}

/// The message of the FileError that loading `doc` (written to a temporary file) throws.
std::string loadError(const json& doc) {
  test::TempDir dir;
  const std::string path = dir.write("tokenizer.json", doc.dump());
  try {
    HfTokenizer::fromTokenizerJson(path);
  } catch (const FileError& e) {
    return e.what();
  }
  return "(loaded without error)";
}

std::string loadErrorOfText(const std::string& text) {
  test::TempDir dir;
  const std::string path = dir.write("tokenizer.json", text);
  try {
    HfTokenizer::fromTokenizerJson(path);
  } catch (const FileError& e) {
    return e.what();
  }
  return "(loaded without error)";
}

HfTokenizer loadDoc(const test::TempDir& dir, const json& doc, const std::string& name = "tokenizer.json") {
  return HfTokenizer::fromTokenizerJson(dir.write(name, doc.dump()));
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

bool validUtf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    const std::size_t len = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
    if (len == 0 || s.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

std::vector<int> withoutPrefix(const std::vector<int>& ids, std::size_t n) {
  return std::vector<int>(ids.begin() + std::ptrdiff_t(std::min(n, ids.size())), ids.end());
}

// --- the reference's ids and decodes -----------------------------------------------------------

TEST(HfTokenizer, ReferenceIdsOfEveryLayout) {
  for (const char* layout : kLayouts) {
    const auto cases = casesOf(layout);
    ASSERT_GE(cases.size(), 240u) << layout;
    std::size_t failures = 0;
    for (const auto& c : cases) {
      const auto ids = tokenizer(layout).encode(c.text).ids;
      EXPECT_EQ(ids, c.ids) << layout << " case " << c.name;
      if (ids != c.ids && ++failures > 5) break;
    }
  }
}

TEST(HfTokenizer, ReferenceDecodes) {
  for (const char* layout : kLayouts) {
    for (const auto& c : casesOf(layout)) {
      EXPECT_EQ(tokenizer(layout).decode(c.textIds), c.decoded) << layout << " case " << c.name;
    }
  }
}

TEST(HfTokenizer, PinnedIdsWrittenOut) {
  // A few of the fixtures' cases in the source, so a change in the data shows in review.
  EXPECT_EQ(tokenizer("llama3").encode("Hello world").ids, (std::vector<int>{558, 72, 335, 381, 487}));
  EXPECT_EQ(tokenizer("llama3").encode("say hello, hello worldwide").ids,
            (std::vector<int>{558, 115, 97, 121, 556, 44, 556, 557}));  // " hello": one entry (ignore_merges)
  EXPECT_EQ(tokenizer("llama2").encode("Hello world").ids, (std::vector<int>{1, 426, 428, 558}));
  EXPECT_EQ(tokenizer("llama2_metaspace").encode("Hello world").ids, (std::vector<int>{1, 426, 428, 558}));
  EXPECT_EQ(tokenizer("qwen2").encode("").ids, std::vector<int>{});
  // Merges out of training order: the library's one-at-a-time order, not GPT-2's all-occurrences.
  const auto shuffled = casesOf("llama3_shuffled");
  for (const char* name : {"spaces_only", "paragraph"}) {
    const auto c = std::find_if(shuffled.begin(), shuffled.end(), [&](const HfCase& x) { return x.name == name; });
    ASSERT_NE(c, shuffled.end());
    EXPECT_EQ(tokenizer("llama3_shuffled").encode(c->text).ids, c->ids) << name;
  }
}

TEST(HfTokenizer, DecodeRoundTrips) {
  // Byte-level without a normalizer: exactly the text. Qwen2: its NFC. Llama 2 (legacy): the text
  // (the decoder strips the prepended space) unless an added token splits it (the piece after it
  // gets its own ▁ — what the library does too).
  for (const char* layout : {"llama3", "llama3_shuffled", "smollm2"}) {
    for (const auto& c : casesOf(layout)) {
      const auto& t = tokenizer(layout);
      EXPECT_EQ(t.decode(withoutPrefix(t.encode(c.text).ids, prefixOf(layout))), c.text) << layout << " " << c.name;
    }
  }
  for (const auto& c : casesOf("qwen2")) {
    EXPECT_EQ(tokenizer("qwen2").decode(tokenizer("qwen2").encode(c.text).ids), c.decoded) << c.name;
  }
  const auto& q = tokenizer("qwen2");
  EXPECT_EQ(q.decode(q.encode("nai\xCC\x88ve re\xCC\x81sume\xCC\x81").ids), "na\xC3\xAFve r\xC3\xA9sum\xC3\xA9");  // NFC
  // The added token "café" decodes through the ByteLevel decoder, which reads its é (U+00E9) as the
  // byte E9: not UTF-8 on its own, so U+FFFD — the library does the same (the reference agrees).
  EXPECT_EQ(q.decode({q.tokenId("caf\xC3\xA9")}), "caf\xEF\xBF\xBD");
  for (const auto& c : casesOf("llama2")) {
    if (contains(c.text, "</s>") || contains(c.text, "<s>") || contains(c.text, "<unk>")) continue;
    EXPECT_EQ(tokenizer("llama2").decode(withoutPrefix(tokenizer("llama2").encode(c.text).ids, 1)), c.text)
        << c.name;
  }
}

TEST(HfTokenizer, LegacyAndMetaspaceLayoutsAgreeWhereTheLibrarySays) {
  // The same model: equal ids except where the text begins with a space or an added token splits
  // it (legacy Prepend adds ▁ to every piece; Metaspace "first" only at offset 0, not before ▁).
  const auto legacy = casesOf("llama2"), meta = casesOf("llama2_metaspace");
  ASSERT_EQ(legacy.size(), meta.size());
  std::size_t same = 0;
  for (std::size_t i = 0; i < legacy.size(); ++i) {
    const std::string& text = legacy[i].text;
    const bool differs = (!text.empty() && (text[0] == ' ')) || contains(text, "</s>");
    if (!differs) {
      EXPECT_EQ(legacy[i].ids, meta[i].ids) << legacy[i].name;
      ++same;
    }
  }
  EXPECT_GE(same, 35u);
  EXPECT_NE(tokenizer("llama2").encode(" Hello").ids, tokenizer("llama2_metaspace").encode(" Hello").ids);
}

// --- spans and labels ----------------------------------------------------------------------------

TEST(HfTokenizer, SpansTileTheInputAndLabelsAreText) {
  for (const char* layout : kLayouts) {
    const auto& t = tokenizer(layout);
    const std::size_t specials = prefixOf(layout);
    for (const auto& c : casesOf(layout)) {
      const Encoding e = t.encode(c.text);
      ASSERT_EQ(e.pieces.size(), e.ids.size()) << layout << " " << c.name;
      ASSERT_EQ(e.byteSpans.size(), e.ids.size()) << layout << " " << c.name;
      EXPECT_TRUE(e.notices.empty()) << layout << " " << c.name;
      for (std::size_t i = 0; i < specials; ++i) {
        EXPECT_EQ(e.byteSpans[i], (std::pair<std::size_t, std::size_t>(0, 0))) << layout << " " << c.name;
      }
      std::size_t at = 0;
      for (std::size_t i = specials; i < e.ids.size(); ++i) {
        EXPECT_EQ(e.byteSpans[i].first, at) << layout << " " << c.name << " token " << i;
        EXPECT_LE(e.byteSpans[i].first, e.byteSpans[i].second) << layout << " " << c.name << " token " << i;
        at = e.byteSpans[i].second;
        EXPECT_TRUE(validUtf8(e.pieces[i])) << layout << " " << c.name << " token " << i;
      }
      EXPECT_EQ(at, c.text.size()) << layout << " " << c.name;
    }
  }
}

TEST(HfTokenizer, ByteLevelLabelsAreTheSpansText) {
  // Llama 3 (no normalizer): a token's label is its span's text; a character split across tokens
  // shows as \xNN until the token that completes it, which shows the whole character.
  const auto& t = tokenizer("llama3");
  for (const auto& c : casesOf("llama3")) {
    const Encoding e = t.encode(c.text);
    std::string joined;
    for (std::size_t i = 1; i < e.ids.size(); ++i) {
      const auto [b, end] = e.byteSpans[i];
      const std::string span = c.text.substr(b, end - b);
      if (validUtf8(span)) {
        EXPECT_EQ(e.pieces[i], span) << c.name << " token " << i;
        EXPECT_EQ(t.decode({e.ids[i]}), span) << c.name << " token " << i;
      }
    }
  }
  // 🙂 is not in the corpus: bytes F0 9F 99 82, split by the merges.
  const Encoding e = t.encode("\xF0\x9F\x99\x82");
  ASSERT_GE(e.ids.size(), 3u);
  EXPECT_EQ(e.pieces.back(), "\xF0\x9F\x99\x82");
  for (std::size_t i = 1; i + 1 < e.ids.size(); ++i) EXPECT_EQ(e.pieces[i].substr(0, 2), "\\x") << i;
}

TEST(HfTokenizer, ByteFallbackLabelsJoinTheCharacter) {
  // Llama 2: 🙂 has no entry: <0xF0> <0x9F> <0x99> <0x82>; the last is labelled 🙂.
  const auto& t = tokenizer("llama2");
  const Encoding e = t.encode("\xF0\x9F\x99\x82");
  const int f0 = t.tokenId("<0xF0>");
  ASSERT_GE(f0, 0);
  const auto at = std::find(e.ids.begin(), e.ids.end(), f0) - e.ids.begin();
  ASSERT_LE(std::size_t(at) + 4, e.ids.size());
  EXPECT_EQ(e.ids[std::size_t(at) + 1], t.tokenId("<0x9F>"));
  EXPECT_EQ(e.pieces[std::size_t(at)], "<0xF0>");
  EXPECT_EQ(e.pieces[std::size_t(at) + 1], "<0x9F>");
  EXPECT_EQ(e.pieces[std::size_t(at) + 2], "<0x99>");
  EXPECT_EQ(e.pieces[std::size_t(at) + 3], "\xF0\x9F\x99\x82");
  EXPECT_EQ(e.byteSpans[std::size_t(at) + 3].second, 4u);
  // Spaces written ▁ show as spaces; the prepended ▁ of the first piece too.
  const Encoding words = t.encode("Hello world");
  ASSERT_EQ(words.ids, (std::vector<int>{1, 426, 428, 558}));  // <s> ▁Hello ▁wor ld
  EXPECT_EQ(words.pieces, (std::vector<std::string>{"<s>", " Hello", " wor", "ld"}));
  EXPECT_EQ(words.byteSpans, (std::vector<std::pair<std::size_t, std::size_t>>{{0, 0}, {0, 5}, {5, 9}, {9, 11}}));
  // A ▁ token of its own that came from nothing (the prepended one) has an empty span.
  const Encoding spaced = t.encode(" Hello");
  ASSERT_GE(spaced.ids.size(), 3u);
  EXPECT_EQ(spaced.pieces[1], " ");
  EXPECT_EQ(spaced.byteSpans[1], (std::pair<std::size_t, std::size_t>(0, 0)));
}

TEST(HfTokenizer, BosIsATokenWithAnEmptySpan) {
  const Encoding e = tokenizer("llama3").encode("");
  EXPECT_EQ(e.ids, std::vector<int>{558});
  EXPECT_EQ(e.pieces, std::vector<std::string>{"<|begin_of_text|>"});
  EXPECT_EQ(e.byteSpans, (std::vector<std::pair<std::size_t, std::size_t>>{{0, 0}}));
  const Encoding l2 = tokenizer("llama2").encode("hi");
  ASSERT_GE(l2.ids.size(), 2u);
  EXPECT_EQ(l2.ids[0], 1);
  EXPECT_EQ(l2.pieces[0], "<s>");
  EXPECT_EQ(l2.byteSpans[1].first, 0u);
  EXPECT_TRUE(tokenizer("qwen2").encode("").ids.empty());
}

TEST(HfTokenizer, AddedTokensAreSplitOutOfTheText) {
  const auto& q = tokenizer("qwen2");
  const int eot = q.tokenId("<|endoftext|>");
  ASSERT_GE(eot, 0);
  const Encoding e = q.encode("hi<|endoftext|>there");
  const auto at = std::size_t(std::find(e.ids.begin(), e.ids.end(), eot) - e.ids.begin());
  ASSERT_LT(at, e.ids.size());
  EXPECT_EQ(e.byteSpans[at], (std::pair<std::size_t, std::size_t>(2, 15)));
  EXPECT_EQ(e.pieces[at], "<|endoftext|>");
  // Llama 3's <mask> (lstrip, rstrip) takes the spaces around it along.
  const auto& l = tokenizer("llama3");
  const int mask = l.tokenId("<mask>");
  const Encoding m = l.encode("a  <mask>  b");
  const auto k = std::size_t(std::find(m.ids.begin(), m.ids.end(), mask) - m.ids.begin());
  ASSERT_LT(k, m.ids.size());
  EXPECT_EQ(m.byteSpans[k], (std::pair<std::size_t, std::size_t>(1, 11)));
  EXPECT_EQ(m.ids, (std::vector<int>{558, 97, mask, 98}));
}

TEST(HfTokenizer, NormalizedAddedTokenMatchesTheNormalizedText) {
  // Qwen2's "café" (normalized: true) is found in the NFC text, so the decomposed spelling finds it.
  const auto& q = tokenizer("qwen2");
  const int cafe = q.tokenId("caf\xC3\xA9");
  ASSERT_GE(cafe, 0);
  EXPECT_EQ(q.encode("cafe\xCC\x81").ids, std::vector<int>{cafe});
  EXPECT_EQ(q.encode("caf\xC3\xA9").ids, std::vector<int>{cafe});
  const Encoding e = q.encode("xcafe\xCC\x81!");
  ASSERT_EQ(e.ids.size(), 3u);
  EXPECT_EQ(e.byteSpans[1], (std::pair<std::size_t, std::size_t>(1, 7)));
  // NFC changes the ids (Llama 3, no normalizer, does not).
  EXPECT_EQ(q.encode("e\xCC\x81").ids, q.encode("\xC3\xA9").ids);
  EXPECT_NE(tokenizer("llama3").encode("e\xCC\x81").ids, tokenizer("llama3").encode("\xC3\xA9").ids);
  const Encoding d = q.encode("e\xCC\x81");
  EXPECT_EQ(d.byteSpans.back().second, 3u);
}

TEST(HfTokenizer, IgnoreMergesEmitsVocabularyWordsWhole) {
  json doc = fixtureDoc("llama3");
  doc["model"]["ignore_merges"] = false;
  test::TempDir dir;
  const HfTokenizer merged = loadDoc(dir, doc);
  EXPECT_NE(merged.encode(" hello").ids, tokenizer("llama3").encode(" hello").ids);
  EXPECT_EQ(tokenizer("llama3").encode(" hello").ids.size(), 2u);  // BOS and the entry
}

TEST(HfTokenizer, MetaspaceWithoutSplitGivesTheSameIds) {
  // The trained merges never span a ▁, so splitting at each ▁ changes nothing.
  json doc = fixtureDoc("llama2_metaspace");
  doc["pre_tokenizer"]["split"] = false;
  test::TempDir dir;
  const HfTokenizer t = loadDoc(dir, doc);
  for (const auto& c : casesOf("llama2_metaspace")) EXPECT_EQ(t.encode(c.text).ids, c.ids) << c.name;
}

TEST(HfTokenizer, TokenizerConfigGivesTheBosWhenThePostProcessorIsNull) {
  json doc = fixtureDoc("llama2");
  doc["post_processor"] = nullptr;
  test::TempDir dir;
  dir.write("tokenizer.json", doc.dump());
  const auto cases = casesOf("llama2");
  {
    const HfTokenizer none = HfTokenizer::fromFolder(dir.path());  // no tokenizer_config.json
    EXPECT_EQ(none.encode(cases[1].text).ids, cases[1].textIds);
  }
  dir.write("tokenizer_config.json", test::readText(layoutDir("llama2") + "/tokenizer_config.json"));
  const HfTokenizer withBos = HfTokenizer::fromFolder(dir.path());
  for (const auto& c : cases) EXPECT_EQ(withBos.encode(c.text).ids, c.ids) << c.name;
  EXPECT_EQ(withBos.describe(), "SentencePiece-style BPE (Prepend + Replace, byte_fallback, fuse_unk), BOS <s>");
  dir.write("tokenizer_config.json", R"({"add_bos_token": false, "add_eos_token": true, "eos_token": "</s>"})");
  const HfTokenizer eos = HfTokenizer::fromFolder(dir.path());
  const Encoding e = eos.encode("hi");
  EXPECT_EQ(e.ids.back(), 2);
  EXPECT_EQ(e.byteSpans.back(), (std::pair<std::size_t, std::size_t>(2, 2)));
  dir.write("tokenizer_config.json", R"({"add_bos_token": true, "bos_token": {"content": "<nope>"}})");
  try {
    HfTokenizer::fromFolder(dir.path());
    FAIL() << "an unknown bos_token loaded";
  } catch (const FileError& err) {
    EXPECT_TRUE(contains(err.what(), "tokenizer_config.json: bos_token.content")) << err.what();
  }
}

TEST(HfTokenizer, DescribeVocabSizeAndTokenIds) {
  EXPECT_EQ(tokenizer("llama3").describe(), "byte-level BPE (Split regex, ignore_merges), BOS <|begin_of_text|>");
  EXPECT_EQ(tokenizer("qwen2").describe(), "byte-level BPE (NFC, Split regex), no BOS");
  EXPECT_EQ(tokenizer("smollm2").describe(), "byte-level BPE (Digits, GPT-2 regex), no BOS");
  EXPECT_EQ(tokenizer("llama2_metaspace").describe(),
            "SentencePiece-style BPE (Metaspace, byte_fallback, fuse_unk), BOS <s>");
  EXPECT_EQ(tokenizer("llama3").vocabSize(), 562);
  EXPECT_EQ(tokenizer("llama3").tokenId("<|begin_of_text|>"), 558);
  EXPECT_EQ(tokenizer("llama3").tokenId("\xC4\xA0"), 32);  // "Ġ": the space byte's symbol
  EXPECT_EQ(tokenizer("llama3").tokenId("no such token"), -1);
  EXPECT_EQ(tokenizer("llama2").vocabSize(), 645);
  EXPECT_EQ(tokenizer("llama2").tokenId("<0x0A>"), 13);
}

TEST(HfTokenizer, DecodeRefusesUnknownIds) {
  EXPECT_THROW(tokenizer("llama3").decode({1, 562}), InvalidArgument);
  EXPECT_THROW(tokenizer("llama3").decode({-1}), InvalidArgument);
  try {
    tokenizer("llama2").decode({5, 9999});
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_TRUE(contains(e.what(), "id 9999 at position 1")) << e.what();
  }
}

// --- invalid UTF-8, unk, dropped characters -------------------------------------------------------

TEST(HfTokenizer, InvalidUtf8) {
  const std::string text = std::string("ab\xFF") + "cd \xC3\xA9\xE2\x82 x";
  // Byte-level: the pre-split sees U+FFFD, the tokens keep the bytes (decoded lossily, as the library).
  const Encoding e = tokenizer("llama3").encode(text);
  ASSERT_EQ(e.notices.size(), 1u);
  EXPECT_TRUE(contains(e.notices[0], "3 invalid byte(s), the first at byte offset 2")) << e.notices[0];
  EXPECT_TRUE(contains(e.notices[0], "keep the bytes")) << e.notices[0];
  EXPECT_EQ(tokenizer("llama3").decode(withoutPrefix(e.ids, 1)),
            "ab\xEF\xBF\xBD" "cd \xC3\xA9\xEF\xBF\xBD x");
  const int ff = tokenizer("llama3").tokenId("\xC3\xBF");  // the symbol of byte FF
  ASSERT_GE(ff, 0);
  const auto k = std::size_t(std::find(e.ids.begin(), e.ids.end(), ff) - e.ids.begin());
  ASSERT_LT(k, e.ids.size());
  EXPECT_EQ(e.pieces[k], "\\xFF");
  EXPECT_EQ(e.byteSpans[k], (std::pair<std::size_t, std::size_t>(2, 3)));
  EXPECT_EQ(e.byteSpans.back().second, text.size());
  // SentencePiece: each invalid byte is U+FFFD (its byte-fallback tokens).
  const Encoding s = tokenizer("llama2").encode(text);
  ASSERT_EQ(s.notices.size(), 1u);
  EXPECT_TRUE(contains(s.notices[0], "read as U+FFFD")) << s.notices[0];
  EXPECT_EQ(tokenizer("llama2").decode(withoutPrefix(s.ids, 1)), "ab\xEF\xBF\xBD" "cd \xC3\xA9\xEF\xBF\xBD\xEF\xBF\xBD x");
  EXPECT_EQ(s.byteSpans.back().second, text.size());
  for (const auto& p : s.pieces) EXPECT_TRUE(validUtf8(p)) << p;
}

json tinyModel(bool fuse, bool withUnk, bool byteFallback) {
  json vocab = {{"<unk>", 0}, {"a", 1}, {"b", 2}, {"ab", 3}, {"<0x78>", 4}};
  json model = {{"type", "BPE"}, {"vocab", vocab}, {"merges", json::array({"a b"})},
                {"fuse_unk", fuse}, {"byte_fallback", byteFallback}};
  model["unk_token"] = withUnk ? json("<unk>") : json(nullptr);
  return {{"model", model}, {"added_tokens", json::array()}, {"normalizer", nullptr},
          {"pre_tokenizer", nullptr}, {"post_processor", nullptr}, {"decoder", nullptr}};
}

TEST(HfTokenizer, UnknownCharacters) {
  test::TempDir dir;
  EXPECT_EQ(loadDoc(dir, tinyModel(true, true, false)).encode("azyab").ids, (std::vector<int>{1, 0, 3}));
  EXPECT_EQ(loadDoc(dir, tinyModel(false, true, false)).encode("azyab").ids, (std::vector<int>{1, 0, 0, 3}));
  // No unk token: the library leaves the characters out; a notice says so.
  const Encoding dropped = loadDoc(dir, tinyModel(true, false, false)).encode("azyab");
  EXPECT_EQ(dropped.ids, (std::vector<int>{1, 3}));
  ASSERT_EQ(dropped.notices.size(), 1u);
  EXPECT_TRUE(contains(dropped.notices[0], "2 character(s)")) << dropped.notices[0];
  EXPECT_TRUE(contains(dropped.notices[0], "byte offset 1")) << dropped.notices[0];
  EXPECT_EQ(dropped.byteSpans.back().second, 5u);
  // Byte fallback for "x" (<0x78> exists) but not "z": the pending unk is written at the next known
  // character, after the byte token, as merge_word does.
  const HfTokenizer fb = loadDoc(dir, tinyModel(true, true, true));
  EXPECT_EQ(fb.encode("zxa").ids, (std::vector<int>{4, 0, 1}));
  const Encoding spans = fb.encode("zxa");
  EXPECT_EQ(spans.byteSpans.front().first, 0u);
  EXPECT_EQ(spans.byteSpans.back().second, 3u);
  // No decoder: the library joins the tokens with spaces.
  EXPECT_EQ(fb.decode({1, 2, 0}), "a b <unk>");
}

// --- refusals ------------------------------------------------------------------------------------

TEST(HfTokenizer, UnsupportedComponentsAreRefusedByName) {
  struct Change {
    std::string pointer;
    json value;
    std::string expected;
  };
  const std::vector<Change> changes = {
      {"/normalizer", {{"type", "Lowercase"}}, "normalizer.type: normalizer \"Lowercase\" is not supported"},
      {"/normalizer", {{"type", "Sequence"}, {"normalizers", {{{"type", "NFC"}}, {{"type", "BertNormalizer"}}}}},
       "normalizer.normalizers[1].type: normalizer \"BertNormalizer\" is not supported"},
      {"/pre_tokenizer", {{"type", "Whitespace"}}, "pre_tokenizer.type: pre-tokenizer \"Whitespace\" is not supported"},
      {"/pre_tokenizer/pretokenizers/0/behavior", "Sideways",
       "pre_tokenizer.pretokenizers[0].behavior: Split behavior \"Sideways\" is not supported"},
      {"/post_processor", {{"type", "RobertaProcessing"}, {"sep", {"</s>", 2}}},
       "post_processor.type: post-processor \"RobertaProcessing\" is not supported"},
      {"/post_processor/processors/0", {{"type", "BertProcessing"}},
       "post_processor.processors[0].type: post-processor \"BertProcessing\""},
      {"/decoder", {{"type", "CTC"}}, "decoder.type: decoder \"CTC\" is not supported"},
      {"/model/type", "WordPiece", "model.type: model type \"WordPiece\" is not supported"},
      {"/model/dropout", 0.1, "model.dropout: BPE dropout is not supported"},
      {"/model/continuing_subword_prefix", "##", "model.continuing_subword_prefix: continuing_subword_prefix \"##\""},
      {"/added_tokens/0/single_word", true, "added_tokens[0].single_word: added token \"<|begin_of_text|>\": single_word"},
      {"/pre_tokenizer/pretokenizers/0/pattern", {{"Regex", "\\h+"}},
       "pre_tokenizer.pretokenizers[0].pattern.Regex: pattern \"\\h+\" at offset 0: \\h"},
      {"/pre_tokenizer/pretokenizers/0/pattern", {{"Regex", "(unclosed"}},
       "pre_tokenizer.pretokenizers[0].pattern.Regex: pattern \"(unclosed\" does not compile with PCRE2 at offset 9"},
      {"/pre_tokenizer/pretokenizers/0", {{"type", "ByteLevel"}, {"add_prefix_space", false}},
       "pre_tokenizer: ByteLevel must be the last pre-tokenizer"},
      {"/pre_tokenizer", {{"type", "Sequence"}, {"pretokenizers", {{{"type", "Metaspace"}, {"replacement", "_"}},
                                                                  {{"type", "ByteLevel"}}}}},
       "pre_tokenizer: Metaspace and ByteLevel together are not supported"},
  };
  for (const Change& c : changes) {
    json doc = fixtureDoc("llama3");
    doc[json::json_pointer(c.pointer)] = c.value;
    const std::string message = loadError(doc);
    EXPECT_TRUE(contains(message, "tokenizer.json: " + c.expected)) << c.pointer << ": " << message;
  }
}

TEST(HfTokenizer, MalformedFilesGiveShortNamedErrors) {
  EXPECT_TRUE(contains(loadErrorOfText("{\"model\": "), "not valid JSON")) << loadErrorOfText("{\"model\": ");
  EXPECT_TRUE(contains(loadErrorOfText("[1, 2]"), "(top level): expected a JSON object, found an array"));
  // An unterminated megabyte string: the parser's message is cut short.
  const std::string longBad = loadErrorOfText("{\"model\": \"" + std::string(1 << 20, 'x'));
  EXPECT_TRUE(contains(longBad, "not valid JSON")) << longBad.substr(0, 300);
  EXPECT_LT(longBad.size(), 600u);

  json doc = fixtureDoc("llama3");
  json vocabArray = doc;
  vocabArray["model"]["vocab"] = json::array({"a", "b"});
  EXPECT_TRUE(contains(loadError(vocabArray), "model.vocab: expected an object (token → id), found an array"))
      << loadError(vocabArray);
  json badMerge = doc;
  badMerge["model"]["merges"][0] = "zz \xC4\xA0q";
  EXPECT_TRUE(contains(loadError(badMerge), "model.merges[0]: symbol \"zz\" is not in the vocabulary"))
      << loadError(badMerge);
  json objectMerge = doc;
  objectMerge["model"]["merges"][12] = {{"a", 1}};
  EXPECT_TRUE(contains(loadError(objectMerge), "model.merges[12]: expected a string \"a b\" or a pair"))
      << loadError(objectMerge);
  EXPECT_TRUE(contains(loadError(objectMerge), "found an object"));
  json badId = doc;
  badId["model"]["vocab"]["!"] = "zero";
  EXPECT_TRUE(contains(loadError(badId), "model.vocab: token \"!\": expected an id")) << loadError(badId);
  json twice = doc;
  twice["model"]["vocab"]["extra"] = 0;
  EXPECT_TRUE(contains(loadError(twice), "both have id 0")) << loadError(twice);
  json renumbered = doc;
  renumbered["added_tokens"][1]["id"] = 600;
  EXPECT_TRUE(contains(loadError(renumbered), "added_tokens[1].id: added token \"<|end_of_text|>\" has id 600 but the "
                                              "tokenizers library gives it 559"))
      << loadError(renumbered);
  json noModel = doc;
  noModel.erase("model");
  EXPECT_TRUE(contains(loadError(noModel), "model: the file has no \"model\"")) << loadError(noModel);
  EXPECT_TRUE(contains(loadErrorOfText(R"({"a": 1, "a": 2})"), "key \"a\" appears twice"));

  // A deeply nested value where a string is expected: refused while parsing, in a short message.
  std::string deep = doc.dump();
  const std::string nested = std::string(100000, '[') + std::string(100000, ']');
  deep.replace(deep.find("\"normalizer\":null"), 17, "\"normalizer\":{\"type\":\"Prepend\",\"prepend\":" + nested + "}");
  const std::string deepMessage = loadErrorOfText(deep);
  EXPECT_TRUE(contains(deepMessage, "nested deeper than 64 levels")) << deepMessage.substr(0, 300);
  EXPECT_LT(deepMessage.size(), 300u);
  // Nested, but within the limit: the path and the kind, not the value.
  json shallow = doc;
  json value = "x";
  for (int i = 0; i < 40; ++i) value = json::array({value, std::string(1000, 'y')});
  shallow["normalizer"] = {{"type", "Prepend"}, {"prepend", value}};
  const std::string shallowMessage = loadError(shallow);
  EXPECT_TRUE(contains(shallowMessage, "normalizer.prepend: expected a string, found an array")) << shallowMessage;
  EXPECT_LT(shallowMessage.size(), 300u);
  // A huge pattern that does not compile: quoted short.
  json hugePattern = doc;
  hugePattern["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = std::string(100000, 'a') + "(";
  EXPECT_LT(loadError(hugePattern).size(), 400u) << loadError(hugePattern).substr(0, 400);
}

TEST(HfTokenizer, FifoIsRefusedWithoutBlocking) {
  test::TempDir dir;
  const std::string fifo = dir.path() + "/tokenizer.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto result = std::async(std::launch::async, [&] {
    try {
      HfTokenizer::fromTokenizerJson(fifo);
      return std::string("(loaded)");
    } catch (const FileError& e) {
      return std::string(e.what());
    }
  });
  if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    std::ofstream unblock(fifo);  // let the blocked reader go, then fail
    FAIL() << "reading a FIFO blocked";
  }
  const std::string message = result.get();
  EXPECT_TRUE(contains(message, "is a FIFO, not a regular file")) << message;
  EXPECT_THROW(HfTokenizer::fromFolder(dir.path() + "/missing"), FileError);
  EXPECT_THROW(HfTokenizer::fromTokenizerJson(dir.path()), FileError);  // a folder
}

TEST(HfTokenizer, FilesOverTheCapAreRefusedUnread) {
  test::TempDir dir;
  const std::string big = dir.path() + "/tokenizer.json";
  { std::ofstream(big) << "{"; }
  std::filesystem::resize_file(big, (std::uintmax_t(256) << 20) + 1);  // sparse: nothing is written
  try {
    HfTokenizer::fromTokenizerJson(big);
    FAIL();
  } catch (const FileError& e) {
    EXPECT_TRUE(contains(e.what(), "over the 256 MiB")) << e.what();
  }
  json doc = fixtureDoc("llama2");
  doc["post_processor"] = nullptr;
  dir.write("tokenizer.json", doc.dump());
  const std::string config = dir.path() + "/tokenizer_config.json";
  { std::ofstream(config) << "{"; }
  std::filesystem::resize_file(config, (std::uintmax_t(16) << 20) + 1);  // README: 16 MiB
  try {
    HfTokenizer::fromFolder(dir.path());
    FAIL();
  } catch (const FileError& e) {
    EXPECT_TRUE(contains(e.what(), "tokenizer_config.json: is 16 MiB, over the 16 MiB")) << e.what();
  }
}

// --- the Oniguruma → PCRE2 rewrite ---------------------------------------------------------------

TEST(HfTokenizer, OnigurumaPatternTranslation) {
  EXPECT_EQ(translateOnigurumaPattern("\\s+(?!\\S)"), "\\p{White_Space}+(?!\\P{White_Space})");
  EXPECT_EQ(translateOnigurumaPattern(" ?[^\\s\\p{L}\\p{N}]+"), " ?[^\\p{White_Space}\\p{L}\\p{N}]+");
  EXPECT_EQ(translateOnigurumaPattern("[\\S\\r]"), "[\\P{White_Space}\\r]");
  EXPECT_EQ(translateOnigurumaPattern("\\\\s"), "\\\\s");       // a backslash, then "s"
  EXPECT_EQ(translateOnigurumaPattern("\\\\\\s"), "\\\\\\p{White_Space}");
  EXPECT_EQ(translateOnigurumaPattern("[]s\\s]"), "[]s\\p{White_Space}]");  // "]" first is a literal
  EXPECT_EQ(translateOnigurumaPattern("[^]\\s]"), "[^]\\p{White_Space}]");
  EXPECT_EQ(translateOnigurumaPattern("\\w+"), "[\\p{L}\\p{M}\\p{N}\\p{Pc}]+");
  EXPECT_EQ(translateOnigurumaPattern("[\\w']"), "[\\p{L}\\p{M}\\p{N}\\p{Pc}']");
  EXPECT_EQ(translateOnigurumaPattern("\\W"), "[^\\p{L}\\p{M}\\p{N}\\p{Pc}]");
  EXPECT_EQ(translateOnigurumaPattern("[[:alpha:]\\s]"), "[[:alpha:]\\p{White_Space}]");
  EXPECT_EQ(translateOnigurumaPattern("(?i:'s|'t)\\p{N}{1,3}"), "(?i:'s|'t)\\p{N}{1,3}");
  EXPECT_EQ(translateOnigurumaPattern("[\\b]"), "[\\b]");
  for (const char* refused : {"\\h", "[\\H]", "\\bword", "[\\W]", "[a[b]]", "[a&&b]", "[abc", "x\\"}) {
    EXPECT_THROW(translateOnigurumaPattern(refused), InvalidArgument) << refused;
  }
  try {
    translateOnigurumaPattern("ab\\h");
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_TRUE(contains(e.what(), "at offset 2")) << e.what();
  }
  // What the rewrite is for: U+180E is not White_Space, so in "x \u180e\u180ey" Llama 3's pattern
  // makes " \u180e\u180e" and "y" (PCRE2's own \s would make " \u180e" and "\u180ey").
  const Encoding e = tokenizer("llama3").encode("x \xE1\xA0\x8E\xE1\xA0\x8Ey");
  ASSERT_FALSE(e.byteSpans.empty());
  EXPECT_EQ(e.byteSpans.back(), (std::pair<std::size_t, std::size_t>(8, 9)));
  EXPECT_EQ(e.pieces.back(), "y");
}

TEST(HfTokenizer, EncodeIsThreadSafe) {
  const auto cases = casesOf("qwen2");
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (const auto& c : cases) bad[std::size_t(k)] += tokenizer("qwen2").encode(c.text).ids != c.ids;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace attnscope::models
