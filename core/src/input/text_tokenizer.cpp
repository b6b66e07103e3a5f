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

/// The token covering bytes [begin, end): its decoded (U+FFFD-substituted) text and span.
Token makeToken(std::string_view utf8, std::size_t begin, std::size_t end) {
  Token t;
  int kept = 0;
  for (std::size_t p = begin; p < end;) {
    if (kept == kMaxLabelCodePoints) {
      appendUtf8(t.label, U'\u2026');
      break;
    }
    const CodePoint cp = decodeUtf8At(utf8, p);
    appendUtf8(t.label, cp.value);
    ++kept;
    p = cp.end;
  }
  t.byteBegin = begin;
  t.byteEnd = end;
  return t;
}

}  // namespace

TokenSet tokenizeText(std::string_view utf8, int tokenBudget, const std::string& sourceName) {
  TokenSet set;
  set.kind = InputKind::Text;
  set.sourceName = sourceName;
  // Decoded on the fly (never the whole text at once): memory stays O(token budget) even for the
  // largest text file the loader accepts.
  const std::size_t n = utf8.size();
  std::size_t replaced = 0, firstBad = 0;
  for (std::size_t p = 0; p < n;) {
    const CodePoint cp = decodeUtf8At(utf8, p);
    if (cp.replaced && replaced++ == 0) firstBad = cp.begin;
    p = cp.end;
  }

  std::size_t total = 0;
  const std::size_t budget = tokenBudget > 0 ? static_cast<std::size_t>(tokenBudget) : 0;
  for (std::size_t p = 0; p < n;) {
    const CodePoint first = decodeUtf8At(utf8, p);
    const CharClass c = classifyChar(first.value);
    if (c == CharClass::Space) {
      p = first.end;
      continue;
    }
    std::size_t end = first.end;
    if (c == CharClass::Letter) {
      // A word: letters, with an apostrophe allowed only between two letters.
      while (end < n) {
        const CodePoint next = decodeUtf8At(utf8, end);
        const CharClass cn = classifyChar(next.value);
        if (cn == CharClass::Letter) {
          end = next.end;
          continue;
        }
        if (cn == CharClass::Apostrophe && next.end < n) {
          const CodePoint after = decodeUtf8At(utf8, next.end);
          if (classifyChar(after.value) == CharClass::Letter) {
            end = after.end;
            continue;
          }
        }
        break;
      }
    }
    ++total;
    if (set.tokens.size() < budget) set.tokens.push_back(makeToken(utf8, p, end));
    p = end;
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
