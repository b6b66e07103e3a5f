// A validating UTF-8 decoder that never rejects input: each ill-formed sequence (overlong forms,
// surrogates, code points above U+10FFFF, stray continuation bytes, truncated sequences) becomes
// one U+FFFD per maximal ill-formed subpart, as the Unicode standard recommends.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

constexpr char32_t kReplacementChar = 0xFFFD;

/// One decoded code point and the bytes [begin, end) of the original text it came from.
struct CodePoint {
  char32_t value = 0;
  std::size_t begin = 0, end = 0;
  bool replaced = false;  ///< true when value is U+FFFD standing in for ill-formed bytes
};

/// Decodes the one code point starting at byte `i` (i < bytes.size()); its span ends where the
/// next one starts. Past the end it returns an empty span {0, size, size}.
CodePoint decodeUtf8At(std::string_view bytes, std::size_t i);

/// Decodes all of `bytes` (32 bytes of memory per input byte: prefer decodeUtf8At for big texts). The spans tile the input exactly, in order.
std::vector<CodePoint> decodeUtf8(std::string_view bytes);

/// Appends the UTF-8 encoding of `cp` (a valid scalar value) to `out`.
void appendUtf8(std::string& out, char32_t cp);

/// Simple lower-casing: ASCII, Latin-1, Latin Extended-A, basic Greek and Cyrillic; others
/// unchanged.
char32_t toLowerSimple(char32_t cp);

}  // namespace attnscope
