// GPT-2's reversible byte → code point map ("bytes_to_unicode"): every byte gets a printable
// character, so byte-level BPE symbols are plain strings.
#pragma once

#include <cstdint>
#include <string>

namespace attnscope::models {

/// The code point that stands for byte `b`: `!`–`~`, `¡`–`¬` and `®`–`ÿ` map to themselves; the other
/// 68 bytes map to U+0100, U+0101, … in increasing byte order.
char32_t byteToCodePoint(std::uint8_t b);

/// The byte that code point `cp` stands for, or -1 if `cp` is not the image of any byte.
int codePointToByte(char32_t cp);

/// UTF-8 encoding of byteToCodePoint(b): the vocabulary key of the one-byte symbol.
const std::string& byteSymbol(std::uint8_t b);

}  // namespace attnscope::models
