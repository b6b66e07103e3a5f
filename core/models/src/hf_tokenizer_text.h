// Text that normalizers and pre-tokenizers have changed, and where each of its bytes came from in
// the input (internal to HfTokenizer).
//
// The bytes are grouped in chunks: a chunk is bytes of the changed text that came from one piece of
// the input as a whole (NFC's "é" from "e\u0301", the "▁" that replaced a space, an inserted "▁"
// that came from nothing). A byte left as it was is a chunk of its own. A token that begins at a
// chunk's first byte begins, in the input, where the chunk's input begins; a token that begins
// inside a chunk begins where the chunk's input ends (the earlier token keeps the whole chunk), so
// token spans in the input never decrease and, laid end to end, cover it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope::models {

/// Unicode White_Space (what the tokenizers library's \s, trim and strip test).
bool isWhiteSpace(char32_t cp);

class AlignedText {
 public:
  AlignedText() = default;
  /// Input bytes [base, base + text.size()) as they are.
  static AlignedText identity(std::string text, std::size_t base);

  const std::string& text() const { return text_; }
  std::size_t size() const { return text_.size(); }
  /// Where byte i's chunk begins in the input.
  std::size_t originOf(std::size_t i) const {
    return origin_.empty() ? base_ + i : std::size_t(origin_[i] & ~kChunkStart);
  }
  bool chunkStart(std::size_t i) const { return origin_.empty() || (origin_[i] & kChunkStart) != 0; }
  /// Input offset of a token that begins at byte i (see the file notes); inputEnd() at size().
  /// Amortised O(1) when asked for increasing i.
  std::size_t boundary(std::size_t i) const;
  std::size_t inputEnd() const { return inputEnd_; }
  /// Bytes [b, e) with their origins.
  AlignedText slice(std::size_t b, std::size_t e) const;

 private:
  friend class AlignedBuilder;
  static constexpr std::uint64_t kChunkStart = std::uint64_t(1) << 63;
  std::string text_;
  std::vector<std::uint64_t> origin_;  // per byte: input offset | kChunkStart; empty: unchanged input
  std::size_t base_ = 0;
  std::size_t inputEnd_ = 0;
  // boundary()'s last search: no chunk starts in [scanLo_, scanHi_), and scanHi_ is one (or the end).
  mutable std::size_t scanLo_ = 1, scanHi_ = 0;
};

/// Builds an AlignedText from pieces of another.
class AlignedBuilder {
 public:
  explicit AlignedBuilder(std::size_t reserve = 0);
  /// Bytes [b, e) of `src`, unchanged.
  void copy(const AlignedText& src, std::size_t b, std::size_t e);
  /// `bytes` in place of src's [b, e) (b == e: inserted before byte b): one chunk, from where
  /// byte b's chunk came from; it continues the previous chunk when b is not a chunk start.
  void replace(const AlignedText& src, std::size_t b, std::size_t e, std::string_view bytes);
  AlignedText finish(std::size_t inputEnd);

 private:
  AlignedText out_;
};

/// The normalizations the tokenizer files use; each returns false (and leaves `t`) when nothing
/// changes.
enum class UnicodeForm { NFC, NFD, NFKC, NFKD };
bool normalizeUnicode(AlignedText& t, UnicodeForm form);
/// Prepends `s` (nothing for an empty text, as the library's Prepend does).
bool prependText(AlignedText& t, std::string_view s);
/// Replaces each [begin, end) of `matches` (sorted, disjoint) by `content`.
bool replaceRanges(AlignedText& t, const std::vector<std::pair<std::size_t, std::size_t>>& matches,
                   std::string_view content);
/// Removes leading and/or trailing White_Space.
bool stripWhiteSpace(AlignedText& t, bool left, bool right);

/// Non-overlapping occurrences of `needle` (not empty) in `haystack`, left to right.
std::vector<std::pair<std::size_t, std::size_t>> findLiteral(std::string_view haystack, std::string_view needle);

}  // namespace attnscope::models
