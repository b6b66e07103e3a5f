#include "hf_tokenizer_text.h"

#include <unicode/bytestream.h>
#include <unicode/edits.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>

#include "attnscope/error.h"
#include "tokenizer_utf8.h"

namespace attnscope::models {

bool isWhiteSpace(char32_t c) {
  // The Unicode White_Space property (stable since Unicode 6.3, when U+180E left it).
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

AlignedText AlignedText::identity(std::string text, std::size_t base) {
  AlignedText t;
  t.inputEnd_ = base + text.size();
  t.text_ = std::move(text);
  t.base_ = base;
  return t;
}

std::size_t AlignedText::boundary(std::size_t i) const {
  if (i >= text_.size()) return inputEnd_;
  if (chunkStart(i)) return originOf(i);
  // Inside a chunk: where the next chunk begins. The last search is remembered (no chunk start in
  // [scanLo_, scanHi_)), so asking for increasing positions walks each chunk once, a 1 MiB chunk
  // of combining marks included.
  const std::size_t from = i + 1;
  if (from < scanLo_ || from > scanHi_) {
    std::size_t j = from;
    while (j < text_.size() && !chunkStart(j)) ++j;
    scanLo_ = from;
    scanHi_ = j;
  }
  return scanHi_ < text_.size() ? originOf(scanHi_) : inputEnd_;
}

AlignedText AlignedText::slice(std::size_t b, std::size_t e) const {
  if (origin_.empty()) {
    AlignedText t = identity(text_.substr(b, e - b), base_ + b);
    return t;
  }
  AlignedText t;
  t.text_ = text_.substr(b, e - b);
  t.origin_.assign(origin_.begin() + std::ptrdiff_t(b), origin_.begin() + std::ptrdiff_t(e));
  t.inputEnd_ = boundary(e);
  return t;
}

AlignedBuilder::AlignedBuilder(std::size_t reserve) {
  out_.text_.reserve(reserve);
  out_.origin_.reserve(reserve);
}

void AlignedBuilder::copy(const AlignedText& src, std::size_t b, std::size_t e) {
  out_.text_.append(src.text_, b, e - b);
  if (src.origin_.empty()) {
    for (std::size_t i = b; i < e; ++i) out_.origin_.push_back((src.base_ + i) | AlignedText::kChunkStart);
  } else {
    out_.origin_.insert(out_.origin_.end(), src.origin_.begin() + std::ptrdiff_t(b),
                        src.origin_.begin() + std::ptrdiff_t(e));
  }
}

void AlignedBuilder::replace(const AlignedText& src, std::size_t b, std::size_t e, std::string_view bytes) {
  (void)e;  // the replaced bytes join the chunk; where it ends follows from the next chunk's start
  if (bytes.empty()) return;
  std::uint64_t origin;
  bool start;
  if (b < src.size()) {
    origin = src.originOf(b);
    start = src.chunkStart(b);
  } else {
    origin = src.inputEnd();
    start = true;
  }
  out_.text_.append(bytes);
  out_.origin_.push_back(origin | (start ? AlignedText::kChunkStart : 0));
  out_.origin_.insert(out_.origin_.end(), bytes.size() - 1, origin);
}

AlignedText AlignedBuilder::finish(std::size_t inputEnd) {
  out_.inputEnd_ = inputEnd;
  return std::move(out_);
}

namespace {

struct Forms {
  const icu::Normalizer2* form;        // the one asked for
  const icu::Normalizer2* decomposer;  // its decomposition (NFD / NFKD)
  const icu::Normalizer2* composer;    // NFC / NFKC (composePair), or nullptr for NFD / NFKD
};

Forms icuForms(UnicodeForm form) {
  UErrorCode status = U_ZERO_ERROR;
  Forms f{};
  const bool compat = form == UnicodeForm::NFKC || form == UnicodeForm::NFKD;
  f.decomposer = compat ? icu::Normalizer2::getNFKDInstance(status) : icu::Normalizer2::getNFDInstance(status);
  const icu::Normalizer2* composer =
      compat ? icu::Normalizer2::getNFKCInstance(status) : icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status) || !f.decomposer || !composer) {
    throw Error(std::string("ICU normalizer unavailable: ") + u_errorName(status));
  }
  const bool compose = form == UnicodeForm::NFC || form == UnicodeForm::NFKC;
  f.composer = compose ? composer : nullptr;
  f.form = compose ? composer : f.decomposer;
  return f;
}

// ICU sorts the combining marks of a segment by insertion, O(n²) in a segment of many marks
// (40,000 marks: seconds). A segment longer than this many code points is normalized here instead,
// in O(n log n), with ICU's character data: full decomposition, a stable sort of each run of
// non-starters by combining class, canonical composition.
constexpr std::size_t kLongSegment = 32;

std::string normalizeSegment(std::string_view seg, const Forms& f) {
  std::vector<UChar32> cps;
  cps.reserve(seg.size());
  icu::UnicodeString mapping;
  std::size_t i = 0;
  char32_t cp;
  while (i < seg.size()) {
    if (!decodeUtf8(seg, i, cp)) {  // (the text is valid UTF-8)
      cps.push_back(0xFFFD);
      ++i;
      continue;
    }
    if (f.decomposer->getDecomposition(UChar32(cp), mapping)) {
      for (std::int32_t k = 0; k < mapping.length();) {
        const UChar32 c = mapping.char32At(k);
        cps.push_back(c);
        k += U16_LENGTH(c);
      }
    } else {
      cps.push_back(UChar32(cp));
    }
  }
  for (std::size_t a = 0; a < cps.size();) {  // canonical ordering
    if (u_getCombiningClass(cps[a]) == 0) {
      ++a;
      continue;
    }
    std::size_t b = a;
    while (b < cps.size() && u_getCombiningClass(cps[b]) != 0) ++b;
    std::stable_sort(cps.begin() + std::ptrdiff_t(a), cps.begin() + std::ptrdiff_t(b),
                     [](UChar32 x, UChar32 y) { return u_getCombiningClass(x) < u_getCombiningClass(y); });
    a = b;
  }
  if (f.composer) {  // canonical composition: a mark joins the last starter unless blocked
    std::vector<UChar32> out;
    out.reserve(cps.size());
    std::ptrdiff_t starter = -1;
    int last = -1;  // combining class of the last character kept after the starter; -1: none
    for (const UChar32 c : cps) {
      const int ccc = u_getCombiningClass(c);
      if (starter >= 0 && (last == -1 || (last != 0 && last < ccc))) {
        const UChar32 composite = f.composer->composePair(out[std::size_t(starter)], c);
        if (composite >= 0) {
          out[std::size_t(starter)] = composite;
          continue;
        }
      }
      if (ccc == 0) {
        starter = std::ptrdiff_t(out.size());
        last = -1;
      } else {
        last = ccc;
      }
      out.push_back(c);
    }
    cps = std::move(out);
  }
  std::string result;
  result.reserve(seg.size());
  for (const UChar32 c : cps) appendUtf8(result, char32_t(c));
  return result;
}

/// ICU's normalization of t[b, e) (whole segments, none of them long), appended to `out` with its
/// edit map. Returns whether anything changed.
bool normalizeWithIcu(const AlignedText& t, std::size_t b, std::size_t e, const icu::Normalizer2& n,
                      AlignedBuilder& out) {
  const icu::StringPiece src(t.text().data() + b, std::int32_t(e - b));
  UErrorCode status = U_ZERO_ERROR;
  if (n.isNormalizedUTF8(src, status) && U_SUCCESS(status)) {
    out.copy(t, b, e);
    return false;
  }
  // ICU's edits list the changed stretches (each a run of whole normalization segments) and the
  // unchanged ones between them: a changed stretch becomes one chunk.
  std::string normalized;
  icu::StringByteSink<std::string> sink(&normalized);
  icu::Edits edits;
  status = U_ZERO_ERROR;
  n.normalizeUTF8(0, src, sink, &edits, status);
  if (U_FAILURE(status)) throw InvalidArgument(std::string("Unicode normalization failed: ") + u_errorName(status));
  icu::Edits::Iterator it = edits.getFineIterator();
  while (it.next(status)) {
    const std::size_t from = b + std::size_t(it.sourceIndex()), len = std::size_t(it.oldLength());
    if (it.hasChange()) {
      out.replace(t, from, from + len,
                  std::string_view(normalized).substr(std::size_t(it.destinationIndex()), std::size_t(it.newLength())));
    } else {
      out.copy(t, from, from + len);
    }
  }
  if (U_FAILURE(status)) throw InvalidArgument(std::string("Unicode normalization failed: ") + u_errorName(status));
  return edits.hasChanges();
}

/// The long segments of `s` (begin, end), in order. A segment begins at a character with a
/// normalization boundary before it (every ASCII character has one).
std::vector<std::pair<std::size_t, std::size_t>> longSegments(const std::string& s, const icu::Normalizer2& n) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t segStart = 0, segLength = 0, i = 0;
  char32_t cp;
  while (i < s.size()) {
    const std::size_t start = i;
    bool boundary;
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      boundary = true;
    } else {
      if (!decodeUtf8(s, i, cp)) ++i, cp = 0xFFFD;
      boundary = n.hasBoundaryBefore(UChar32(cp));
    }
    if (boundary || start == 0) {
      if (segLength > kLongSegment) out.emplace_back(segStart, start);
      segStart = start;
      segLength = 0;
    }
    ++segLength;
  }
  if (segLength > kLongSegment) out.emplace_back(segStart, s.size());
  return out;
}

}  // namespace

bool normalizeUnicode(AlignedText& t, UnicodeForm form) {
  const Forms f = icuForms(form);
  if (t.size() > std::size_t(INT32_MAX)) throw InvalidArgument("text over 2 GiB cannot be normalized");
  // Normalizing stretches of whole segments one by one gives the same text as the whole at once;
  // long segments (rare: runs of combining marks) go to normalizeSegment, the rest to ICU (whose
  // isNormalized test is itself quadratic in a long segment, so it only sees short ones).
  const std::string& s = t.text();
  const auto longOnes = longSegments(s, *f.form);
  AlignedBuilder b(t.size() + 16);
  bool changed = false;
  std::size_t at = 0;
  for (const auto& [segStart, segEnd] : longOnes) {
    if (at < segStart) changed |= normalizeWithIcu(t, at, segStart, *f.form, b);
    const std::string n = normalizeSegment(std::string_view(s).substr(segStart, segEnd - segStart), f);
    if (n == std::string_view(s).substr(segStart, segEnd - segStart)) {
      b.copy(t, segStart, segEnd);
    } else {
      b.replace(t, segStart, segEnd, n);
      changed = true;
    }
    at = segEnd;
  }
  if (longOnes.empty()) {  // the common case: one test, and only a changed text is rebuilt
    UErrorCode status = U_ZERO_ERROR;
    if (f.form->isNormalizedUTF8(icu::StringPiece(s.data(), std::int32_t(s.size())), status) && U_SUCCESS(status)) {
      return false;
    }
  }
  if (at < s.size()) changed |= normalizeWithIcu(t, at, s.size(), *f.form, b);
  if (!changed) return false;
  t = b.finish(t.inputEnd());
  return true;
}

bool prependText(AlignedText& t, std::string_view s) {
  if (t.size() == 0 || s.empty()) return false;
  AlignedBuilder b(t.size() + s.size());
  b.replace(t, 0, 0, s);
  b.copy(t, 0, t.size());
  t = b.finish(t.inputEnd());
  return true;
}

bool replaceRanges(AlignedText& t, const std::vector<std::pair<std::size_t, std::size_t>>& matches,
                   std::string_view content) {
  if (matches.empty()) return false;
  AlignedBuilder b(t.size() + matches.size() * content.size());
  std::size_t at = 0;
  for (const auto& [s, e] : matches) {
    b.copy(t, at, s);
    b.replace(t, s, e, content);
    at = e;
  }
  b.copy(t, at, t.size());
  t = b.finish(t.inputEnd());
  return true;
}

bool stripWhiteSpace(AlignedText& t, bool left, bool right) {
  const std::string& s = t.text();
  std::size_t b = 0, e = s.size();
  char32_t cp;
  if (left) {
    std::size_t i = 0;
    while (i < e) {
      std::size_t j = i;
      if (!decodeUtf8(s, j, cp) || !isWhiteSpace(cp)) break;
      i = j;
    }
    b = i;
  }
  if (right) {
    while (e > b) {
      std::size_t start = e - 1;
      while (start > b && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
      std::size_t j = start;
      if (!decodeUtf8(s, j, cp) || j != e || !isWhiteSpace(cp)) break;
      e = start;
    }
  }
  if (b == 0 && e == s.size()) return false;
  const std::size_t end = e < s.size() ? t.boundary(e) : t.inputEnd();
  AlignedBuilder builder(e - b);
  builder.copy(t, b, e);
  t = builder.finish(end);
  return true;
}

std::vector<std::pair<std::size_t, std::size_t>> findLiteral(std::string_view haystack, std::string_view needle) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  if (needle.empty()) return out;
  std::size_t at = 0;
  while ((at = haystack.find(needle, at)) != std::string_view::npos) {
    out.emplace_back(at, at + needle.size());
    at += needle.size();
  }
  return out;
}

}  // namespace attnscope::models
