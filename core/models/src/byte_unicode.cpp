#include "attnscope/models/byte_unicode.h"

#include <array>

#include "tokenizer_utf8.h"

namespace attnscope::models {
namespace {

bool mapsToItself(unsigned b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct Tables {
  std::array<char32_t, 256> toCp{};
  std::array<std::string, 256> symbol;
  Tables() {
    unsigned next = 0x100;
    for (unsigned b = 0; b < 256; ++b) {
      toCp[b] = mapsToItself(b) ? char32_t(b) : char32_t(next++);
      appendUtf8(symbol[b], toCp[b]);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

char32_t byteToCodePoint(std::uint8_t b) { return tables().toCp[b]; }

int codePointToByte(char32_t cp) {
  if (cp < 0x100) return mapsToItself(unsigned(cp)) ? int(cp) : -1;
  if (cp >= 0x100 + 68) return -1;
  // The n-th remapped byte, counting the bytes that do not map to themselves in order.
  unsigned n = unsigned(cp - 0x100);
  for (unsigned b = 0; b < 256; ++b) {
    if (mapsToItself(b)) continue;
    if (n-- == 0) return int(b);
  }
  return -1;
}

const std::string& byteSymbol(std::uint8_t b) { return tables().symbol[b]; }

}  // namespace attnscope::models
