// Text → tokens: words (maximal runs of letters and digits, inner apostrophes included, non-ASCII
// letters kept inside words), single punctuation marks, and single CJK ideographs/kana.
#pragma once

#include <string_view>

#include "attnscope/input/tokens.h"

namespace attnscope {

/// What a code point is to the tokenizer.
enum class CharClass { Space, Letter, Apostrophe, Punct, Ideograph };
CharClass classifyChar(char32_t cp);

/// A token's label keeps at most this many code points (a longer word's label ends in "…"; its
/// byte span still covers the whole word). The features read the label, so a 10 MB "word" costs
/// what a 64-letter one does.
constexpr int kMaxLabelCodePoints = 64;

/// Tokenizes `utf8` into a Text TokenSet (label = the token's decoded text, byte span in the
/// original bytes), keeping the first `tokenBudget` tokens. Adds notices for replaced invalid
/// UTF-8, truncation and a single token. Does not throw for empty text (returns no tokens).
TokenSet tokenizeText(std::string_view utf8, int tokenBudget, const std::string& sourceName);

}  // namespace attnscope
