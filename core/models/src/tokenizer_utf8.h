// Small UTF-8 helpers of the tokenizer (internal).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "attnscope/input/utf8.h"

namespace attnscope::models {

using attnscope::appendUtf8;  // core/input/utf8.h

/// Decodes one strictly valid UTF-8 sequence at s[i] (no overlongs, surrogates or values past
/// U+10FFFF). On success stores it in `cp`, advances `i` past it and returns true; otherwise
/// returns false and leaves `i` unchanged.
bool decodeUtf8(std::string_view s, std::size_t& i, char32_t& cp);

/// Offset of the first byte that does not start a valid UTF-8 sequence, or npos if `s` is valid.
std::size_t firstInvalidUtf8(std::string_view s);

/// `s` as readable UTF-8: valid sequences as they are, every other byte as `\xNN` (upper-case hex).
std::string readableBytes(std::string_view s);

}  // namespace attnscope::models
