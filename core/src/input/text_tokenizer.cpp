#include "attnscope/input/text_tokenizer.h"

#include <sstream>

#include "attnscope/input/utf8.h"

namespace attnscope {

CharClass classifyChar(char32_t c) {
  if (c < 0x80) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
      return CharClass::Letter;
    if (c == '\'') return CharClass::Apostrophe;
    if (c <= 0x20 || c == 0x7F) return CharClass::Space;  // whitespace and control characters
    return CharClass::Punct;
  }
  if (c <= 0xA0) return CharClass::Space;  // C1 controls (NEL included) and no-break space
  if (c <= 0xBF) {  // Latin-1 symbols, except the letter-like ª ² ³ µ ¹ º
    if (c == 0xAA || c == 0xB2 || c == 0xB3 || c == 0xB5 || c == 0xB9 || c == 0xBA)
      return CharClass::Letter;
    return CharClass::Punct;
  }
  if (c == 0xD7 || c == 0xF7) return CharClass::Punct;  // × ÷
  if (c == 0x1680) return CharClass::Space;
  if (c >= 0x2000 && c <= 0x206F) {  // General Punctuation
    if (c == 0x2019) return CharClass::Apostrophe;
    if (c == 0x200C || c == 0x200D) return CharClass::Letter;  // joiners stay inside words
    if (c <= 0x200B || c == 0x200E || c == 0x200F || (c >= 0x2028 && c <= 0x202F) || c == 0x205F ||
        c >= 0x2060)
      return CharClass::Space;  // spaces, separators, direction marks, invisible operators
    return CharClass::Punct;
  }
  if (c >= 0x2E00 && c <= 0x2E7F) return CharClass::Punct;  // Supplemental Punctuation
  if (c == 0x3000) return CharClass::Space;
  if (c >= 0x3001 && c <= 0x303F) return CharClass::Punct;  // CJK Symbols and Punctuation
  if ((c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF) ||
      (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
      (c >= 0x20000 && c <= 0x3FFFF))
    return CharClass::Ideograph;             // kana and CJK ideographs: one token each
  if (c == 0xFEFF) return CharClass::Space;  // byte-order mark / zero-width no-break space
  if ((c >= 0xFF01 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF20) ||
      (c >= 0xFF3B && c <= 0xFF40) || (c >= 0xFF5B && c <= 0xFF65))
    return CharClass::Punct;  // fullwidth punctuation
  return CharClass::Letter;   // every other code point, U+FFFD included
}

namespace {
Token makeToken(const std::vector<CodePoint>& cps, std::size_t first, std::size_t last) {
  Token t;
  for (std::size_t k = first; k < last; ++k) appendUtf8(t.label, cps[k].value);
  t.byteBegin = cps[first].begin;
  t.byteEnd = cps[last - 1].end;
  return t;
}
}  // namespace

TokenSet tokenizeText(std::string_view utf8, int tokenBudget, const std::string& sourceName) {
  TokenSet set;
  set.kind = InputKind::Text;
  set.sourceName = sourceName;
  const std::vector<CodePoint> cps = decodeUtf8(utf8);

  std::size_t replaced = 0, firstBad = 0;
  for (const CodePoint& cp : cps)
    if (cp.replaced && replaced++ == 0) firstBad = cp.begin;

  std::size_t total = 0;
  std::size_t i = 0;
  const std::size_t n = cps.size();
  auto cls = [&](std::size_t k) { return classifyChar(cps[k].value); };
  while (i < n) {
    const CharClass c = cls(i);
    if (c == CharClass::Space) {
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    if (c == CharClass::Letter) {
      // A word: letters, with an apostrophe allowed only between two letters.
      while (j < n) {
        const CharClass cj = cls(j);
        if (cj == CharClass::Letter) {
          ++j;
        } else if (cj == CharClass::Apostrophe && j + 1 < n && cls(j + 1) == CharClass::Letter) {
          j += 2;
        } else {
          break;
        }
      }
    }
    ++total;
    if (static_cast<int>(set.tokens.size()) < tokenBudget)
      set.tokens.push_back(makeToken(cps, i, j));
    i = j;
  }
  set.tokensBeforeBudget = total;

  if (replaced > 0) {
    std::ostringstream os;
    os << sourceName << ": " << replaced << " invalid UTF-8 sequence" << (replaced == 1 ? "" : "s")
       << " replaced with U+FFFD (first at byte " << firstBad << ")";
    set.notices.push_back(os.str());
  }
  if (total > set.tokens.size()) {
    std::ostringstream os;
    os << sourceName << ": the text has " << total << " tokens; only the first "
       << set.tokens.size() << " are used (token budget " << tokenBudget << ")";
    set.notices.push_back(os.str());
  }
  if (set.tokens.size() == 1) {
    set.notices.push_back(
        sourceName + ": the text is a single token, so every attention map is the 1×1 map [1]");
  }
  return set;
}

}  // namespace attnscope
