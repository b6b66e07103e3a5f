// Hugging Face `tokenizer.json` tokenizers of the Llama family (MODELS.md "Text: Llama family"):
// byte-level BPE with Split regex pre-tokenizers (Llama 3, Qwen2, SmolLM2) and SentencePiece-style
// BPE with byte fallback (Llama 2, TinyLlama, Mistral), with the semantics of the `tokenizers`
// library: added tokens split out first, the normalizer, the pre-tokenizer, the BPE model, and the
// post-processor's special tokens (BOS) — shown as tokens. A component that is not implemented is
// refused by name (FileError), never ignored.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "attnscope/models/bpe_tokenizer.h"  // Encoding

namespace attnscope::models {

/// What is read (anything else is refused by name, with the file and the JSON path):
/// - added_tokens: leftmost-longest matches, lstrip / rstrip; "normalized" ones are matched in the
///   normalized text (their normalized form); single_word true is refused. Ids as the library
///   gives them (an entry of the model's vocabulary keeps that id; others follow the vocabulary).
/// - normalizer: NFC, NFD, NFKC, NFKD (ICU), Prepend, Replace (String or Regex), Strip, Sequence.
/// - pre_tokenizer: Split (String or Regex pattern — Oniguruma syntax compiled by PCRE2 after
///   translateOnigurumaPattern; all five behaviours; invert), ByteLevel (last; add_prefix_space,
///   use_regex = GPT-2's pattern), Digits, Metaspace (replacement, prepend_scheme or the older
///   add_prefix_space, split), Sequence.
/// - model: BPE (vocab; merges as "a b" or ["a", "b"]; unk_token, fuse_unk, byte_fallback,
///   ignore_merges; dropout null or 0; continuing_subword_prefix / end_of_word_suffix null or "").
/// - post_processor: TemplateProcessing (its single-sequence template), ByteLevel (adds nothing),
///   Sequence, null (then tokenizer_config.json's add_bos_token / add_eos_token).
/// - decoder: ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence, null (tokens
///   joined with spaces, as the library does).
/// "truncation" and "padding" are request options (transformers sets them per call) and are not read.
///
/// Encoding: byte spans are in the input; where normalization rewrote a stretch (NFC's "é" from
/// "e\u0301", "▁" for a space) the stretch belongs to the token that begins it, and a token that
/// begins inside it gets an empty span at its end (inserted text, like the prepended "▁", is
/// empty in the input). Labels are the token's text after normalization, the space mark ("▁") shown
/// as a space; the bytes of a character split across tokens show as \xNN (byte-level) or as the
/// token (<0xF0>, byte fallback), and the token that completes the character shows it whole.
/// Invalid UTF-8: each invalid byte is read as U+FFFD; byte-level tokens keep the byte itself (as
/// BpeTokenizer), SentencePiece-style ones stand for U+FFFD; a notice says which. A character with
/// no token and no unk token is left out, as the library does, with a notice.
/// Immutable after loading; encode / decode are thread-safe.
class HfTokenizer {
 public:
  /// `tokenizer.json` (and, when `tokenizerConfigPath` is not empty and the file exists,
  /// tokenizer_config.json's `add_bos_token` / `bos_token` where the post-processor says nothing).
  /// Throws FileError naming the file and the component or entry that is wrong.
  static HfTokenizer fromTokenizerJson(const std::string& path, const std::string& tokenizerConfigPath = "");
  /// A model folder's tokenizer.json (+ tokenizer_config.json); FileError when there is none.
  static HfTokenizer fromFolder(const std::string& folder);

  /// The tokens of `utf8` (any bytes; invalid UTF-8 gets a notice as BpeTokenizer's does), special
  /// tokens the post-processor adds included (BOS: an empty byte span at 0, its label the token's
  /// text). Byte spans are non-decreasing and cover the input.
  Encoding encode(std::string_view utf8) const;
  /// The text of `ids` as the file's decoder would give it (byte pieces joined). InvalidArgument
  /// for an id not in the vocabulary.
  std::string decode(const std::vector<int>& ids) const;

  /// One more than the largest id (model vocabulary and added tokens).
  int vocabSize() const;
  /// Id of a vocabulary entry or added token, or -1.
  int tokenId(const std::string& token) const;
  /// One line for `info`: "byte-level BPE (Split regex, ignore_merges), BOS <|begin_of_text|>".
  std::string describe() const;

  HfTokenizer(HfTokenizer&&) noexcept;
  HfTokenizer& operator=(HfTokenizer&&) noexcept;
  ~HfTokenizer();

 private:
  HfTokenizer();
  struct Impl;
  std::unique_ptr<const Impl> impl_;
};

/// A Split / Replace pattern of tokenizer.json (Oniguruma syntax, as the tokenizers library reads
/// it) rewritten for PCRE2 (UTF + UCP) with the same meaning: \s / \S become \p{White_Space} /
/// \P{White_Space} (PCRE2's \s also takes U+180E), \w / \W Oniguruma's letters, marks, numbers and
/// connector punctuation, also inside [...]; escapes are read in pairs, so "\\s" stays a backslash
/// and an "s". Throws InvalidArgument ("at offset N: …") for what PCRE2 would read differently and
/// is not translated: \h / \H (a hex digit in Oniguruma), \b / \B outside a class, \W inside one,
/// nested classes and && (Oniguruma's set operations). Exposed for the tests.
std::string translateOnigurumaPattern(std::string_view pattern);

}  // namespace attnscope::models
