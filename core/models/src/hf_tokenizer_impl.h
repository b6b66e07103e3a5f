// HfTokenizer's pipeline as loaded from tokenizer.json (internal): the added tokens, the normalizer
// steps, the pre-tokenizer steps, the BPE model, the post-processor's special tokens and the decoder
// steps. Immutable after loading; encode() keeps its working state on the stack.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "attnscope/models/hf_tokenizer.h"
#include "hf_tokenizer_regex.h"
#include "hf_tokenizer_text.h"

namespace attnscope::models {

/// One token the model made of a pre-token: its id and its bytes [start, start + length) of the
/// text the model read (the pre-token's bytes).
struct HfModelToken {
  int id;
  std::size_t start;
  std::size_t length;
};

/// `"model": {"type": "BPE"}` with the tokenizers library's semantics (models/bpe: merge_word and
/// Word::merge_all): each character (byte-level: each byte, through GPT-2's byte alphabet) starts
/// as its vocabulary entry; the adjacent pair with the lowest merge rank is merged, the leftmost of
/// equal ranks, one occurrence at a time, until no listed pair is left (a heap: O(n log n)).
struct HfBpeModel {
  struct Merge {
    int rank;
    int merged;
  };
  std::unordered_map<std::string, int> vocab;
  std::vector<std::string> tokens;  // id → vocabulary string
  std::vector<bool> present;        // id → in the vocabulary
  std::unordered_map<std::uint64_t, Merge> merges;  // (left id, right id) → rank, result
  bool byteLevel = false;                           // the model reads bytes (ByteLevel pre-tokenizer)
  std::array<int, 256> byteSymbolIds{};             // byte-level: id of each byte's symbol, or -1
  std::array<int, 256> byteFallbackIds{};           // id of "<0xNN>", or -1
  int unkId = -1;
  bool fuseUnk = false;
  bool byteFallback = false;
  bool ignoreMerges = false;

  int id(const std::string& s) const {
    const auto it = vocab.find(s);
    return it == vocab.end() ? -1 : it->second;
  }
  static std::uint64_t pairKey(int left, int right) {
    return (std::uint64_t(std::uint32_t(left)) << 32) | std::uint32_t(right);
  }
  /// The tokens of one pre-token (raw bytes when byteLevel, else valid UTF-8). A character with no
  /// entry, no byte fallback and no unk token is dropped, as the library drops it: `dropped` counts
  /// them and `firstDropped`, when still npos, gets the first one's offset in `text`.
  void tokenize(std::string_view text, std::vector<HfModelToken>& out, std::size_t& dropped,
                std::size_t& firstDropped) const;
};

/// An entry of "added_tokens".
struct HfAddedToken {
  std::string content;
  std::string match;  // what is searched for: `content`, normalized when `normalized`
  int id = -1;
  bool special = false, lstrip = false, rstrip = false, normalized = false;
};

/// Leftmost-longest search for a set of strings (the library's added-token matcher): a byte trie,
/// walked from each position that can start a match; O(text × longest string).
class HfAddedMatcher {
 public:
  void add(const std::string& s, int index);
  bool empty() const { return !hasAny_; }
  /// The leftmost match at or after `from`, the longest there.
  bool find(std::string_view text, std::size_t from, std::size_t& start, std::size_t& end, int& index) const;

 private:
  std::unordered_map<std::uint64_t, int> edges_;  // (node << 8 | byte) → node
  std::vector<int> terminal_{-1};                 // node → index of the string ending there, or -1
  std::array<bool, 256> firstByte_{};
  bool hasAny_ = false;
};

enum class HfSplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };
enum class HfPrependScheme { Always, First, Never };

struct HfNormalizerStep {
  enum class Kind { Unicode, Prepend, Replace, Strip } kind;
  UnicodeForm form = UnicodeForm::NFC;
  std::string text;     // Prepend: what is prepended; Replace: the content
  std::string literal;  // Replace: a String pattern
  int regex = -1;       // Replace: a Regex pattern (index in Impl::regexes)
  bool left = false, right = false;  // Strip
};

struct HfPreTokenizerStep {
  enum class Kind { Split, Digits, Metaspace, ByteLevel } kind;
  std::string literal;  // Split: a String pattern
  int regex = -1;       // Split: a Regex pattern; ByteLevel use_regex: GPT-2's
  HfSplitBehavior behavior = HfSplitBehavior::Isolated;
  bool invert = false;
  bool individualDigits = false;        // Digits
  std::string replacement;              // Metaspace
  HfPrependScheme prepend = HfPrependScheme::Always;
  bool split = true;                    // Metaspace
  bool addPrefixSpace = false;          // ByteLevel
};

struct HfDecoderStep {
  enum class Kind { ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip } kind;
  std::string replacement;  // Metaspace
  HfPrependScheme prepend = HfPrependScheme::Always;
  std::string literal;      // Replace
  int regex = -1;
  std::string content;      // Replace: the new text; Strip: the character stripped
  std::size_t start = 0, stop = 0;  // Strip
};

/// A token the post-processor adds (BOS, EOS).
struct HfSpecialToken {
  int id;
  std::string token;
};

/// Everything a tokenizer.json says (HfTokenizer::Impl is this).
struct HfPipeline {
  std::string path;
  HfBpeModel model;
  std::vector<HfAddedToken> added;
  HfAddedMatcher rawMatcher;         // normalized == false: matched in the input
  HfAddedMatcher normalizedMatcher;  // normalized == true: matched in the normalized text
  std::unordered_map<std::string, int> addedIds;    // content → id
  std::unordered_map<int, std::size_t> addedById;   // id → index in `added`
  std::vector<HfNormalizerStep> normalizer;
  std::vector<HfPreTokenizerStep> preTokenizer;     // Sequences flattened, in order
  std::vector<HfRegex> regexes;
  std::string spaceMark;  // the character the pipeline writes for a space ("▁"), shown as " " in labels
  std::vector<HfSpecialToken> prefix, suffix;       // the post-processor's tokens around the text
  bool hasDecoder = false;
  std::vector<HfDecoderStep> decoder;
  int vocabSize = 0;
  std::string description;

  /// `content` through the normalizer steps (for normalized added tokens).
  std::string normalize(const std::string& content) const;
  void applyNormalizer(AlignedText& t) const;
};

struct HfTokenizer::Impl : HfPipeline {};

}  // namespace attnscope::models
