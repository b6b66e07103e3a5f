// The regular expressions of tokenizer.json (internal): Split / Replace patterns are written for
// Oniguruma (the tokenizers library's engine); attnscope compiles them with PCRE2 (UTF + UCP, JIT)
// after translating the few escapes whose meaning differs.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnscope::models {

// translateOnigurumaPattern() (the Oniguruma → PCRE2 rewrite) is declared in hf_tokenizer.h.

/// A compiled pattern; immutable, thread-safe.
class HfRegex {
 public:
  /// `pcre2Pattern` is already translated. Throws InvalidArgument naming the offset and PCRE2's
  /// reason when it does not compile.
  explicit HfRegex(const std::string& pcre2Pattern);

  /// Appends the matches [start, end) in `utf8` (valid UTF-8), left to right, without overlap, as
  /// the library's Oniguruma iterator finds them: an empty match right where the previous match
  /// ended is skipped by moving on one character.
  void findAll(std::string_view utf8, std::vector<std::pair<std::size_t, std::size_t>>& out) const;

 private:
  struct Compiled;
  std::shared_ptr<const Compiled> compiled_;
};

}  // namespace attnscope::models
