#include "tokenizer_utf8.h"

#include "attnscope/input/utf8.h"

namespace attnscope::models {

bool decodeUtf8(std::string_view s, std::size_t& i, char32_t& cp) {
  // The core's validating decoder; an ill-formed sequence is reported, not replaced, here.
  const CodePoint c = decodeUtf8At(s, i);
  if (c.replaced) return false;
  cp = c.value;
  i = c.end;
  return true;
}

std::size_t firstInvalidUtf8(std::string_view s) {
  std::size_t i = 0;
  char32_t cp;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
    } else if (!decodeUtf8(s, i, cp)) {
      return i;
    }
  }
  return std::string_view::npos;
}

std::string readableBytes(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  char32_t cp;
  while (i < s.size()) {
    const std::size_t start = i;
    if (decodeUtf8(s, i, cp)) {
      out.append(s.substr(start, i - start));
    } else {
      const auto b = static_cast<unsigned char>(s[i++]);
      out += "\\x";
      out += hex[b >> 4];
      out += hex[b & 0xF];
    }
  }
  return out;
}

}  // namespace attnscope::models
