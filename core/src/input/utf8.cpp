#include "attnscope/input/utf8.h"

namespace attnscope {

namespace {
bool isCont(unsigned char b) {
  return (b & 0xC0) == 0x80;
}

// For lead byte b: total length and the allowed range of the FIRST continuation byte (the later
// ones are always 80..BF). Returns length 0 for a byte that cannot start a sequence.
struct Lead {
  int length;
  unsigned char lo, hi;
};

Lead leadInfo(unsigned char b) {
  if (b >= 0xC2 && b <= 0xDF) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};  // excludes overlong forms
  if (b == 0xED) return {3, 0x80, 0x9F};  // excludes surrogates D800..DFFF
  if (b >= 0xE1 && b <= 0xEF) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};  // excludes overlong forms
  if (b >= 0xF1 && b <= 0xF3) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};  // excludes > U+10FFFF
  return {0, 0, 0};
}
}  // namespace

CodePoint decodeUtf8At(std::string_view bytes, std::size_t i) {
  const std::size_t n = bytes.size();
  if (i >= n) return {0, n, n, false};
  const auto b0 = static_cast<unsigned char>(bytes[i]);
  if (b0 < 0x80) return {b0, i, i + 1, false};
  const Lead lead = leadInfo(b0);
  if (lead.length == 0) return {kReplacementChar, i, i + 1, true};
  char32_t cp = b0 & (lead.length == 2 ? 0x1F : lead.length == 3 ? 0x0F : 0x07);
  std::size_t j = i + 1;
  for (int k = 1; k < lead.length; ++k, ++j) {
    if (j >= n) return {kReplacementChar, i, j, true};
    const auto b = static_cast<unsigned char>(bytes[j]);
    const bool inRange = (k == 1) ? (b >= lead.lo && b <= lead.hi) : isCont(b);
    if (!inRange) return {kReplacementChar, i, j, true};  // the maximal ill-formed subpart [i, j)
    cp = (cp << 6) | (b & 0x3F);
  }
  return {cp, i, j, false};
}

std::vector<CodePoint> decodeUtf8(std::string_view bytes) {
  std::vector<CodePoint> out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    out.push_back(decodeUtf8At(bytes, i));
    i = out.back().end;
  }
  return out;
}

void appendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

char32_t toLowerSimple(char32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 32;
  if (cp < 0xC0) return cp;
  // Latin-1: À..Þ except ×.
  if (cp <= 0xDE) return cp == 0xD7 ? cp : cp + 32;
  if (cp >= 0x100 && cp <= 0x17F) {
    if (cp == 0x130) return 'i';
    if (cp == 0x178) return 0xFF;
    if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177))
      return (cp % 2 == 0) ? cp + 1 : cp;
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
      return (cp % 2 == 1) ? cp + 1 : cp;
    return cp;
  }
  // Greek.
  if (cp == 0x386) return 0x3AC;
  if (cp >= 0x388 && cp <= 0x38A) return cp + 37;
  if (cp == 0x38C) return 0x3CC;
  if (cp == 0x38E || cp == 0x38F) return cp + 63;
  if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) return cp + 32;
  // Cyrillic.
  if (cp >= 0x400 && cp <= 0x40F) return cp + 80;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 32;
  return cp;
}

}  // namespace attnscope
