// GPT-2's byte-level BPE tokenizer (MODELS.md "Text: GPT-2"): the exact ids of GPT-2's reference
// encoder on any text, with each token's decoded label and byte span for the UI.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "attnscope/models/gpt2_pretokenizer.h"

namespace attnscope::models {

struct RawBpeModel;  // what the files say, before checks (internal)

/// The tokens of one text.
struct Encoding {
  std::vector<int> ids;             ///< vocabulary ids, in text order
  /// Per token its text as valid UTF-8: the token's bytes where they form whole characters; a byte
  /// that is part of a character split across tokens (or invalid input) is written `\xNN`.
  std::vector<std::string> pieces;
  /// Per token its bytes [begin, end) in the input; the spans tile the input exactly.
  std::vector<std::pair<std::size_t, std::size_t>> byteSpans;
  std::vector<std::string> notices;  ///< what the user should know (e.g. the text was not valid UTF-8)
};

/// Merges (a, b) → a+b ranked by their order in the merges list; a pair not listed never merges.
///
/// - Pre-split: GPT-2's regex (Gpt2PreTokenizer). BPE runs per piece, lowest rank first, every
///   occurrence of that pair left to right, as GPT-2's encoder.py does (also for merge lists that
///   are not in training order); O(n log n) per piece, so a 1 MB word is fine. No BOS, nothing stripped;
///   special tokens such as <|endoftext|> written in the text are encoded as text (as encoder.py does).
/// - Invalid UTF-8: the regex sees each invalid byte as U+FFFD, the tokens keep the original bytes
///   (lossless: decode(encode(x)).ids == x for any bytes), and a notice names the first offset.
/// - A byte whose symbol is not in the vocabulary (GPT-2 covers all 256): the unk token if the
///   tokenizer.json names one, else InvalidArgument naming the byte and its offset.
/// - Duplicate merge lines: the last one's rank counts (as in encoder.py and HF tokenizers).
/// Immutable after loading; encode/decode are thread-safe.
class BpeTokenizer {
 public:
  /// GPT-2's `vocab.json` (token → id) and `merges.txt` (optional first line `#version…`, then one
  /// "a b" per line). Both merge symbols and their concatenation must be in the vocabulary.
  /// Throws FileError naming the file and the entry or line that is wrong.
  static BpeTokenizer fromFiles(const std::string& vocabJsonPath, const std::string& mergesTxtPath);

  /// Hugging Face `tokenizer.json` with a BPE model: `model.vocab`, `model.merges` (strings "a b" or
  /// pairs ["a", "b"]), optional `model.unk_token`. Normalizers, add_prefix_space and non-ByteLevel
  /// pre-tokenizers are refused (GPT-2 uses none of them). Throws FileError.
  static BpeTokenizer fromTokenizerJson(const std::string& path);

  /// A model folder: `tokenizer.json` if present (the one self-describing file), else `vocab.json` +
  /// `merges.txt`; FileError if neither is there.
  static BpeTokenizer fromFolder(const std::string& folder);

  /// Tokens of `utf8` (any bytes; see the class notes). Empty text gives no tokens.
  Encoding encode(std::string_view utf8) const;
  /// The first min(maxTokens, all) tokens of `utf8`, the same as encode(utf8)'s first ones, in
  /// memory and time bounded by what they cover: the pre-split runs lazily and stops once
  /// maxTokens tokens are there (a 64 MiB text costs what its first pieces cost). A result of
  /// exactly maxTokens tokens may have been cut.
  Encoding encode(std::string_view utf8, std::size_t maxTokens) const;

  /// The bytes the tokens stand for. Throws InvalidArgument for an id not in the vocabulary.
  std::string decode(const std::vector<int>& ids) const;

  /// One more than the largest id (the rows a model's embedding needs).
  int vocabSize() const { return int(tokenBytes_.size()); }

  /// Id of a vocabulary entry (its byte-level symbol string, e.g. "Ġthe"), or -1.
  int tokenId(const std::string& symbol) const;

  /// Number of merges.
  std::size_t mergeCount() const { return merges_.size(); }

 private:
  BpeTokenizer();  // empty; only the loaders make one
  struct Merge {
    int rank;
    int merged;
  };
  struct Token {
    int id;
    std::uint32_t length;  // bytes
  };
  using RawModel = RawBpeModel;

  static BpeTokenizer build(RawModel raw);
  void encodePiece(const std::uint8_t* bytes, std::size_t n, std::size_t offset,
                   std::vector<Token>& out) const;

  std::unordered_map<std::string, int> vocab_;
  std::vector<std::string> tokenBytes_;  // id → bytes
  std::vector<bool> present_;            // id → in the vocabulary
  std::unordered_map<std::uint64_t, Merge> merges_;  // (left id, right id) → rank, result
  std::array<int, 256> byteIds_;        // id of each one-byte symbol, or -1
  int unkId_ = -1;
  Gpt2PreTokenizer preTokenizer_;
};

}  // namespace attnscope::models
