// HfTokenizer: encode and decode (the pipeline is read by hf_tokenizer_load.cpp).
//
// encode() follows the tokenizers library's order: the added tokens that are not "normalized" are
// cut out of the input; each remaining piece goes through the normalizer; normalized added tokens
// are cut out of the result; the pre-tokenizers split (and, Metaspace, rewrite) the rest, each
// step applied to each piece of the previous one (depth first here: the steps look at one piece at a
// time, so the order of visits does not change the pieces); the BPE model tokenizes each piece; the
// post-processor adds its special tokens. Byte spans map back through every rewrite (see
// hf_tokenizer_text.h).
#include "attnscope/models/hf_tokenizer.h"

#include <unicode/uchar.h>

#include <algorithm>

#include "attnscope/error.h"
#include "attnscope/input/utf8.h"
#include "attnscope/models/byte_unicode.h"
#include "hf_tokenizer_impl.h"
#include "tokenizer_utf8.h"

namespace attnscope::models {
namespace {

using Range = std::pair<std::size_t, std::size_t>;
constexpr std::size_t npos = std::string_view::npos;
constexpr std::string_view kReplacementUtf8 = "\xEF\xBF\xBD";  // U+FFFD

// Pre-tokens up to this many bytes are cached per encode() call (longer ones are rare and unique).
constexpr std::size_t kCacheMaxPieceBytes = 256;
constexpr std::size_t kCacheMaxEntries = 1u << 16;

/// Rust's char::is_numeric (what the Digits pre-tokenizer tests): Nd, Nl and No.
bool isNumeric(char32_t c) {
  const auto type = u_charType(UChar32(c));
  return type == U_DECIMAL_DIGIT_NUMBER || type == U_LETTER_NUMBER || type == U_OTHER_NUMBER;
}

/// A piece of text and whether the pattern matched it (the library's Pattern::find_matches).
struct Mark {
  std::size_t begin, end;
  bool match;
};

/// Matches → marks covering [0, n): the gaps unmatched, in order. An empty text has no marks.
void marksOf(const std::vector<Range>& matches, std::size_t n, bool invert, std::vector<Mark>& marks) {
  marks.clear();
  std::size_t prev = 0;
  for (const auto& [s, e] : matches) {
    if (prev != s) marks.push_back({prev, s, invert});
    marks.push_back({s, e, !invert});
    prev = e;
  }
  if (prev != n) marks.push_back({prev, n, invert});
}

/// Each character for which `test` holds is one match (Pattern for Fn(char) -> bool).
template <class Test>
void charMarks(std::string_view s, Test test, std::vector<Mark>& marks) {
  marks.clear();
  std::size_t i = 0, last = 0;
  char32_t cp;
  while (i < s.size()) {
    const std::size_t start = i;
    if (!decodeUtf8(s, i, cp)) {
      ++i;
      continue;
    }
    if (!test(cp)) continue;
    if (last < start) marks.push_back({last, start, false});
    marks.push_back({start, i, true});
    last = i;
  }
  if (last < s.size()) marks.push_back({last, s.size(), false});
}

/// The Isolated behaviour straight from the matches: the matches and the gaps between them.
void isolated(const std::vector<Range>& matches, std::size_t n, std::vector<Range>& out) {
  out.clear();
  out.reserve(matches.size() + 1);
  std::size_t prev = 0;
  for (const auto& [s, e] : matches) {
    if (prev < s) out.emplace_back(prev, s);
    if (s < e) out.emplace_back(s, e);
    prev = e;
  }
  if (prev < n) out.emplace_back(prev, n);
}

/// The delimiter behaviours of NormalizedString::split; empty pieces are dropped.
void behave(const std::vector<Mark>& marks, HfSplitBehavior how, std::vector<Range>& out) {
  out.clear();
  bool previous = false;
  switch (how) {
    case HfSplitBehavior::Isolated:
      for (const Mark& m : marks) out.emplace_back(m.begin, m.end);
      break;
    case HfSplitBehavior::Removed:
      for (const Mark& m : marks) {
        if (!m.match) out.emplace_back(m.begin, m.end);
      }
      break;
    case HfSplitBehavior::Contiguous:
      for (const Mark& m : marks) {
        if (m.match == previous && !out.empty()) {
          out.back().second = m.end;
        } else {
          out.emplace_back(m.begin, m.end);
        }
        previous = m.match;
      }
      break;
    case HfSplitBehavior::MergedWithPrevious:
      for (const Mark& m : marks) {
        if (m.match && !previous && !out.empty()) {
          out.back().second = m.end;
        } else {
          out.emplace_back(m.begin, m.end);
        }
        previous = m.match;
      }
      break;
    case HfSplitBehavior::MergedWithNext:
      for (auto it = marks.rbegin(); it != marks.rend(); ++it) {
        if (it->match && !previous && !out.empty()) {
          out.back().first = it->begin;
        } else {
          out.emplace_back(it->begin, it->end);
        }
        previous = it->match;
      }
      std::reverse(out.begin(), out.end());
      break;
  }
  out.erase(std::remove_if(out.begin(), out.end(), [](const Range& r) { return r.second <= r.first; }), out.end());
}

/// Offset of the character before `end` if it is White_Space and starts at or after `floor`, else npos.
std::size_t whiteSpaceBefore(std::string_view s, std::size_t end, std::size_t floor) {
  if (end <= floor) return npos;
  std::size_t start = end - 1;
  while (start > floor && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
  std::size_t j = start;
  char32_t cp;
  return decodeUtf8(s, j, cp) && j == end && isWhiteSpace(cp) ? start : npos;
}

/// End of the White_Space character at `at`, or npos.
std::size_t whiteSpaceAt(std::string_view s, std::size_t at) {
  std::size_t j = at;
  char32_t cp;
  return at < s.size() && decodeUtf8(s, j, cp) && isWhiteSpace(cp) ? j : npos;
}

void replaceAll(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  std::size_t at = 0;
  while ((at = s.find(from, at)) != std::string::npos) {
    s.replace(at, from.size(), to);
    at += to.size();
  }
}

std::string hexBytes(std::string_view bytes) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char b : bytes) {
    out += "\\x";
    out += hex[b >> 4];
    out += hex[b & 0xF];
  }
  return out;
}

/// What the model made of one pre-token (cached per encode() call).
struct Tokenized {
  std::vector<HfModelToken> tokens;
  std::size_t dropped = 0, firstDropped = npos;
};

/// The state of one encode() call.
class Encoder {
 public:
  Encoder(const HfPipeline& t, std::string_view input) : t_(t), input_(input) {}
  Encoding run();

 private:
  void piece(AlignedText text);
  /// Cuts `matcher`'s added tokens out of t[0, size) and passes the rest on to `rest`.
  template <class Rest>
  void cutAdded(const HfAddedMatcher& matcher, const AlignedText& t, Rest rest);
  void preTokenize(std::size_t step, const AlignedText& t, std::size_t b, std::size_t e);
  void each(std::size_t step, const AlignedText& t, std::size_t base, const std::vector<Range>& ranges);
  void runModel(const AlignedText& t, std::size_t b, std::size_t e);
  void label(std::string_view bytes, const std::vector<HfModelToken>& tokens, std::vector<std::string>& out) const;
  void emit(int id, std::size_t begin, std::string label) {
    enc_.ids.push_back(id);
    enc_.pieces.push_back(std::move(label));
    begins_.push_back(begin);
  }
  bool invalidAt(std::size_t inputOffset) const {
    return std::binary_search(invalid_.begin(), invalid_.end(), inputOffset);
  }

  const HfPipeline& t_;
  std::string_view input_;
  std::vector<std::size_t> invalid_;  // input offsets of bytes that are not UTF-8 (sorted)
  Encoding enc_;                      // ids and labels as they come; spans at the end
  std::vector<std::size_t> begins_;  // per token of the text: where it begins in the input
  std::unordered_map<std::string, Tokenized> cache_;
  std::size_t dropped_ = 0, firstDropped_ = npos;  // characters the model left out
};

Encoding Encoder::run() {
  // The pipeline reads UTF-8: each invalid byte is read as U+FFFD (a chunk of its own).
  AlignedText whole = AlignedText::identity(std::string(input_), 0);
  const std::size_t firstBad = firstInvalidUtf8(input_);
  if (firstBad != npos) {
    AlignedBuilder b(input_.size() + 16);
    std::size_t i = 0, run = 0;
    char32_t cp;
    while (i < input_.size()) {
      const std::size_t start = i;
      if (decodeUtf8(input_, i, cp)) continue;
      b.copy(whole, run, start);
      b.replace(whole, start, start + 1, kReplacementUtf8);
      invalid_.push_back(start);
      i = run = start + 1;
    }
    b.copy(whole, run, input_.size());
    whole = b.finish(input_.size());
  }

  for (const HfSpecialToken& s : t_.prefix) {
    enc_.ids.push_back(s.id);
    enc_.pieces.push_back(readableBytes(s.token));
  }
  if (t_.rawMatcher.empty()) {
    piece(std::move(whole));
  } else {
    cutAdded(t_.rawMatcher, whole, [&](std::size_t b, std::size_t e) { piece(whole.slice(b, e)); });
  }

  Encoding& enc = enc_;
  enc.byteSpans.reserve(enc.ids.size() + t_.suffix.size());
  enc.byteSpans.assign(t_.prefix.size(), {0, 0});
  // Spans tile the input: each token runs from its begin to the next one's (never backwards).
  std::size_t prev = 0;
  for (std::size_t k = 0; k < begins_.size(); ++k) {
    const std::size_t begin = k == 0 ? 0 : std::max(begins_[k], prev);
    if (k > 0) enc.byteSpans.back().second = begin;
    enc.byteSpans.emplace_back(begin, input_.size());
    prev = begin;
  }
  for (const HfSpecialToken& s : t_.suffix) {
    enc.ids.push_back(s.id);
    enc.pieces.push_back(readableBytes(s.token));
    enc.byteSpans.emplace_back(input_.size(), input_.size());
  }
  if (firstBad != npos) {
    enc.notices.push_back(
        "the text is not valid UTF-8: " + std::to_string(invalid_.size()) + " invalid byte(s), the first at byte offset " +
        std::to_string(firstBad) +
        (t_.model.byteLevel ? "; the pre-split treats each as U+FFFD, the tokens keep the bytes as read"
                            : "; each is read as U+FFFD (the tokens stand for U+FFFD, not for the byte)"));
  }
  if (dropped_ > 0) {
    enc.notices.push_back(std::to_string(dropped_) +
                          " character(s) are not in the vocabulary and the tokenizer has no unk token: left out, as "
                          "the tokenizers library does (the first at byte offset " +
                          std::to_string(firstDropped_) + ")");
  }
  return std::move(enc_);
}

template <class Rest>
void Encoder::cutAdded(const HfAddedMatcher& matcher, const AlignedText& t, Rest rest) {
  // AddedVocabulary::find_matches: leftmost-longest; lstrip / rstrip take the White_Space next to
  // the match along, never what an earlier match took. (The search goes on after the stripped
  // space; the library's goes on right after the match, which differs only for an added token that
  // begins with White_Space after one with rstrip.)
  const std::string_view s = t.text();
  std::size_t done = 0, start = 0, end = 0;
  int index = 0;
  while (matcher.find(s, done, start, end, index)) {
    const HfAddedToken& a = t_.added[std::size_t(index)];
    if (a.lstrip) {
      for (std::size_t w; (w = whiteSpaceBefore(s, start, done)) != npos;) start = w;
    }
    if (a.rstrip) {
      for (std::size_t w; (w = whiteSpaceAt(s, end)) != npos;) end = w;
    }
    if (done < start) rest(done, start);
    emit(a.id, t.boundary(start), readableBytes(a.content));
    done = end;
  }
  if (done < s.size()) rest(done, s.size());
}

void Encoder::piece(AlignedText text) {
  if (text.size() == 0) return;
  t_.applyNormalizer(text);
  if (text.size() == 0) return;
  if (t_.normalizedMatcher.empty()) {
    preTokenize(0, text, 0, text.size());
  } else {
    cutAdded(t_.normalizedMatcher, text, [&](std::size_t b, std::size_t e) { preTokenize(0, text, b, e); });
  }
}

void Encoder::each(std::size_t step, const AlignedText& t, std::size_t base, const std::vector<Range>& ranges) {
  for (const auto& [b, e] : ranges) preTokenize(step, t, base + b, base + e);
}

void Encoder::preTokenize(std::size_t step, const AlignedText& t, std::size_t b, std::size_t e) {
  if (b >= e) return;
  if (step == t_.preTokenizer.size()) {
    runModel(t, b, e);
    return;
  }
  const HfPreTokenizerStep& s = t_.preTokenizer[step];
  const std::string_view text = std::string_view(t.text()).substr(b, e - b);
  std::vector<Range> matches, ranges;
  std::vector<Mark> marks;
  switch (s.kind) {
    case HfPreTokenizerStep::Kind::Split:
      if (s.regex >= 0) {
        t_.regexes[std::size_t(s.regex)].findAll(text, matches);
      } else {
        matches = findLiteral(text, s.literal);
      }
      if (s.behavior == HfSplitBehavior::Isolated) {  // (most files: every piece, matched or not)
        isolated(matches, text.size(), ranges);
      } else {
        marksOf(matches, text.size(), s.invert, marks);
        behave(marks, s.behavior, ranges);
      }
      each(step + 1, t, b, ranges);
      return;
    case HfPreTokenizerStep::Kind::Digits:
      charMarks(text, isNumeric, marks);
      behave(marks, s.individualDigits ? HfSplitBehavior::Isolated : HfSplitBehavior::Contiguous, ranges);
      each(step + 1, t, b, ranges);
      return;
    case HfPreTokenizerStep::Kind::Metaspace: {
      // Spaces become the replacement; it is prepended (scheme) unless the piece begins with it;
      // with split, each replacement begins a new piece.
      AlignedText sub = t.slice(b, e);
      replaceRanges(sub, findLiteral(sub.text(), " "), s.replacement);
      const bool startsWithMark = sub.text().compare(0, s.replacement.size(), s.replacement) == 0;
      if (!startsWithMark && (s.prepend == HfPrependScheme::Always ||
                              (s.prepend == HfPrependScheme::First && t.originOf(b) == 0))) {
        prependText(sub, s.replacement);
      }
      if (!s.split) {
        preTokenize(step + 1, sub, 0, sub.size());
        return;
      }
      char32_t mark = 0;
      std::size_t k = 0;
      decodeUtf8(s.replacement, k, mark);
      charMarks(sub.text(), [mark](char32_t c) { return c == mark; }, marks);
      behave(marks, HfSplitBehavior::MergedWithNext, ranges);
      each(step + 1, sub, 0, ranges);
      return;
    }
    case HfPreTokenizerStep::Kind::ByteLevel: {
      const AlignedText* src = &t;
      std::size_t from = b, to = e;
      AlignedText sub;
      if (s.addPrefixSpace && text[0] != ' ') {
        sub = t.slice(b, e);
        prependText(sub, " ");
        src = &sub;
        from = 0;
        to = sub.size();
      }
      if (s.regex < 0) {
        preTokenize(step + 1, *src, from, to);
        return;
      }
      t_.regexes[std::size_t(s.regex)].findAll(std::string_view(src->text()).substr(from, to - from), matches);
      isolated(matches, to - from, ranges);
      each(step + 1, *src, from, ranges);
      return;
    }
  }
}

void Encoder::runModel(const AlignedText& t, std::size_t b, std::size_t e) {
  std::string_view modelText = std::string_view(t.text()).substr(b, e - b);
  // Byte-level: a U+FFFD that stands for an invalid input byte is that byte again (lossless, as
  // BpeTokenizer). `toText` maps offsets of the model's text back to offsets in `t` - b.
  std::string substituted;
  std::vector<std::size_t> toText;
  if (t_.model.byteLevel && !invalid_.empty()) {
    std::size_t at = 0;
    while ((at = modelText.find(kReplacementUtf8, at)) != npos) {
      if (t.chunkStart(b + at) && invalidAt(t.originOf(b + at))) break;
      at += kReplacementUtf8.size();
    }
    if (at != npos) {
      for (std::size_t i = 0; i < modelText.size();) {
        if (modelText.compare(i, 3, kReplacementUtf8) == 0 && t.chunkStart(b + i) && invalidAt(t.originOf(b + i))) {
          toText.push_back(i);
          substituted += input_[t.originOf(b + i)];
          i += 3;
        } else {
          toText.push_back(i);
          substituted += modelText[i++];
        }
      }
      toText.push_back(modelText.size());
      modelText = substituted;
    }
  }

  Tokenized fresh;
  const Tokenized* tokens = &fresh;
  if (modelText.size() <= kCacheMaxPieceBytes) {
    auto it = cache_.find(std::string(modelText));
    if (it == cache_.end()) {
      if (cache_.size() >= kCacheMaxEntries) cache_.clear();
      t_.model.tokenize(modelText, fresh.tokens, fresh.dropped, fresh.firstDropped);
      it = cache_.emplace(std::string(modelText), std::move(fresh)).first;
    }
    tokens = &it->second;
  } else {
    t_.model.tokenize(modelText, fresh.tokens, fresh.dropped, fresh.firstDropped);
  }
  const auto textOffset = [&](std::size_t m) { return toText.empty() ? m : toText[m]; };
  dropped_ += tokens->dropped;
  if (tokens->dropped > 0 && firstDropped_ == npos) firstDropped_ = t.boundary(b + textOffset(tokens->firstDropped));

  std::vector<std::string> labels;
  label(modelText, tokens->tokens, labels);
  for (std::size_t k = 0; k < tokens->tokens.size(); ++k) {
    const HfModelToken& tok = tokens->tokens[k];
    emit(tok.id, t.boundary(b + textOffset(tok.start)), std::move(labels[k]));
  }
}

void Encoder::label(std::string_view bytes, const std::vector<HfModelToken>& tokens,
                    std::vector<std::string>& out) const {
  // Whole characters show as text. The bytes of a character that tokens split show as pieces
  // (byte-level: \xNN; byte fallback: the token, e.g. <0xF0>) until the token that completes it,
  // which shows the whole character.
  out.clear();
  std::size_t pending = npos;  // where a character begun in an earlier token starts
  std::size_t lastEnd = 0;
  for (const HfModelToken& tok : tokens) {
    const std::size_t a = tok.start, end = tok.start + tok.length;
    if (a != lastEnd) pending = npos;  // (not contiguous: an unk moved or a character left out)
    lastEnd = end;
    const std::size_t from = pending != npos ? pending : a;
    std::size_t pos = from;
    while (pos < end) {
      std::size_t q = pos;
      char32_t cp;
      if (decodeUtf8(bytes, q, cp)) {
        if (q > end) break;
        pos = q;
      } else {
        ++pos;  // an invalid byte is whole on its own
      }
    }
    std::string text;
    if (pos > from) {
      text = readableBytes(bytes.substr(from, pos - from));
      if (!t_.spaceMark.empty()) replaceAll(text, t_.spaceMark, " ");
    }
    if (pos < end) {
      const std::size_t partial = std::max(pos, a);
      if (text.empty() && !t_.model.byteLevel && std::size_t(tok.id) < t_.model.tokens.size()) {
        text = readableBytes(t_.model.tokens[std::size_t(tok.id)]);
      } else {
        text += hexBytes(bytes.substr(partial, end - partial));
      }
      pending = pos;  // (pos == from when nothing completed: the same character stays pending)
    } else {
      pending = npos;
    }
    out.push_back(std::move(text));
  }
}

/// Rust's String::from_utf8_lossy: each maximal ill-formed subpart becomes one U+FFFD.
std::string lossyUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t i = 0;
  while (i < bytes.size()) {
    const CodePoint c = decodeUtf8At(bytes, i);
    if (c.replaced) {
      out.append(kReplacementUtf8);
    } else {
      out.append(bytes.substr(c.begin, c.end - c.begin));
    }
    i = c.end;
  }
  return out;
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// The byte of a "<0xNN>" token (u8::from_str_radix of NN: a leading '+' is allowed), or -1.
int fallbackByte(const std::string& token) {
  if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>') return -1;
  const int lo = hexDigit(token[4]);
  if (token[3] == '+') return lo;
  const int hi = hexDigit(token[3]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

std::vector<std::string> decodeStep(const HfPipeline& t, const HfDecoderStep& s, std::vector<std::string> tokens) {
  std::vector<std::string> out;
  switch (s.kind) {
    case HfDecoderStep::Kind::ByteLevel: {
      // Each token whose characters are all GPT-2 byte symbols stands for those bytes; any other
      // stands for its own UTF-8. The bytes are then read as UTF-8, invalid parts as U+FFFD.
      std::string bytes;
      for (const std::string& tok : tokens) {
        std::string mine;
        bool all = true;
        std::size_t i = 0;
        char32_t cp;
        while (i < tok.size() && all) {
          int byte = -1;
          if (decodeUtf8(tok, i, cp)) byte = codePointToByte(cp);
          if (byte < 0) all = false;
          mine += char(byte);
        }
        bytes += all ? mine : tok;
      }
      out.push_back(lossyUtf8(bytes));
      break;
    }
    case HfDecoderStep::Kind::Metaspace:
      for (std::size_t i = 0; i < tokens.size(); ++i) {
        const bool drop = i == 0 && s.prepend != HfPrependScheme::Never;
        std::string tok = std::move(tokens[i]);
        replaceAll(tok, s.replacement, drop ? "" : " ");
        out.push_back(std::move(tok));
      }
      break;
    case HfDecoderStep::Kind::Replace:
      for (std::string& tok : tokens) {
        std::vector<Range> matches;
        if (s.regex >= 0) {
          t.regexes[std::size_t(s.regex)].findAll(tok, matches);
        } else {
          matches = findLiteral(tok, s.literal);
        }
        std::string r;
        std::size_t at = 0;
        for (const auto& [b, e] : matches) {
          r.append(tok, at, b - at);
          r += s.content;
          at = e;
        }
        r.append(tok, at, std::string::npos);
        out.push_back(std::move(r));
      }
      break;
    case HfDecoderStep::Kind::ByteFallback: {
      std::string pending;
      const auto flush = [&] {
        if (pending.empty()) return;
        if (firstInvalidUtf8(pending) == npos) {
          out.push_back(pending);
        } else {
          for (std::size_t k = 0; k < pending.size(); ++k) out.emplace_back(kReplacementUtf8);
        }
        pending.clear();
      };
      for (std::string& tok : tokens) {
        const int byte = fallbackByte(tok);
        if (byte >= 0) {
          pending += char(byte);
        } else {
          flush();
          out.push_back(std::move(tok));
        }
      }
      flush();
      break;
    }
    case HfDecoderStep::Kind::Fuse: {
      std::string all;
      for (const std::string& tok : tokens) all += tok;
      out.push_back(std::move(all));
      break;
    }
    case HfDecoderStep::Kind::Strip:
      // Up to `start` leading and `stop` trailing copies of the character, per token.
      for (const std::string& tok : tokens) {
        std::size_t b = 0, e = tok.size(), k = 0;
        while (k < s.start && b < e && tok.compare(b, s.content.size(), s.content) == 0) b += s.content.size(), ++k;
        k = 0;
        while (k < s.stop && e >= b + s.content.size() &&
               tok.compare(e - s.content.size(), s.content.size(), s.content) == 0) {
          e -= s.content.size(), ++k;
        }
        out.push_back(tok.substr(b, e - b));
      }
      break;
  }
  return out;
}

}  // namespace

std::string HfPipeline::normalize(const std::string& content) const {
  AlignedText t = AlignedText::identity(content, 0);
  applyNormalizer(t);
  return t.text();
}

void HfPipeline::applyNormalizer(AlignedText& t) const {
  for (const HfNormalizerStep& s : normalizer) {
    switch (s.kind) {
      case HfNormalizerStep::Kind::Unicode: normalizeUnicode(t, s.form); break;
      case HfNormalizerStep::Kind::Prepend: prependText(t, s.text); break;
      case HfNormalizerStep::Kind::Replace: {
        std::vector<Range> matches;
        if (s.regex >= 0) {
          regexes[std::size_t(s.regex)].findAll(t.text(), matches);
        } else {
          matches = findLiteral(t.text(), s.literal);
        }
        replaceRanges(t, matches, s.text);
        break;
      }
      case HfNormalizerStep::Kind::Strip: stripWhiteSpace(t, s.left, s.right); break;
    }
  }
}

Encoding HfTokenizer::encode(std::string_view utf8) const { return Encoder(*impl_, utf8).run(); }

std::string HfTokenizer::decode(const std::vector<int>& ids) const {
  const HfPipeline& t = *impl_;
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const int id = ids[i];
    const auto added = t.addedById.find(id);
    if (added != t.addedById.end()) {
      // As AddedVocabulary::simple_id_to_token: a normalized token's normalized form.
      const HfAddedToken& a = t.added[added->second];
      tokens.push_back(a.normalized ? a.match : a.content);
    } else if (id >= 0 && std::size_t(id) < t.model.tokens.size() && t.model.present[std::size_t(id)]) {
      tokens.push_back(t.model.tokens[std::size_t(id)]);
    } else {
      throw InvalidArgument("decode: id " + std::to_string(id) + " at position " + std::to_string(i) +
                            " is not in the vocabulary (" + std::to_string(t.vocabSize) + " ids)");
    }
  }
  if (!t.hasDecoder) {  // the library joins the tokens with spaces
    std::string out;
    for (std::size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
    return out;
  }
  for (const HfDecoderStep& s : t.decoder) tokens = decodeStep(t, s, std::move(tokens));
  std::string out;
  for (const std::string& tok : tokens) out += tok;
  return out;
}

int HfTokenizer::vocabSize() const { return impl_->vocabSize; }

int HfTokenizer::tokenId(const std::string& token) const {
  const auto it = impl_->addedIds.find(token);
  return it != impl_->addedIds.end() ? it->second : impl_->model.id(token);
}

std::string HfTokenizer::describe() const { return impl_->description; }

}  // namespace attnscope::models
