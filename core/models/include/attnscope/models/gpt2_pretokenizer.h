// GPT-2's pre-split: the text is cut into pieces by one regular expression, and BPE runs inside
// each piece. Unicode classes come from PCRE2 (UTF + UCP), not from tables of our own.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace attnscope::models {

/// The pattern of MODELS.md as PCRE2 compiles it. GPT-2's reference uses Python's `regex`, whose `\s`
/// is the Unicode White_Space property; PCRE2's `\s` under UCP also matches U+180E, so `\s` / `\S` are
/// written `\p{White_Space}` / `\P{White_Space}` here. Otherwise identical:
/// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
extern const char* const kGpt2SplitPattern;

class Gpt2PreTokenizer {
 public:
  /// Compiles the pattern (JIT-compiled when PCRE2 offers it). Throws attnscope::Error on failure.
  Gpt2PreTokenizer();

  /// Byte spans [begin, end) of the pieces of `utf8`, in order; they tile the whole text.
  /// `utf8` must be valid UTF-8 (the caller checks). Thread-safe.
  std::vector<std::pair<std::size_t, std::size_t>> split(std::string_view utf8) const;

  /// The same pieces handed to `piece(begin, end)` one at a time, as they are found; splitting
  /// stops when it returns false (so a caller that needs only the first pieces reads only them).
  void split(std::string_view utf8, const std::function<bool(std::size_t, std::size_t)>& piece) const;

 private:
  struct Compiled;
  std::shared_ptr<const Compiled> compiled_;
};

}  // namespace attnscope::models
