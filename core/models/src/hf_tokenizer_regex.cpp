#include "hf_tokenizer_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "attnscope/error.h"
#include "attnscope/models/hf_tokenizer.h"

namespace attnscope::models {
namespace {

std::string pcre2Message(int code) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof buffer);
  return reinterpret_cast<const char*>(buffer);
}

// Oniguruma's \w (Unicode): letters, marks, numbers and connector punctuation. PCRE2's \w under UCP
// leaves out the marks and all connectors but "_".
constexpr const char* kWordClass = "\\p{L}\\p{M}\\p{N}\\p{Pc}";

[[noreturn]] void refuse(std::size_t offset, const std::string& why) {
  throw InvalidArgument("at offset " + std::to_string(offset) + ": " + why);
}

}  // namespace

std::string translateOnigurumaPattern(std::string_view p) {
  // Escape-aware: "\\s" is a backslash and an "s"; inside [...] the class escapes are rewritten
  // in class form. Everything else is copied as it is (the two dialects agree on it).
  std::string out;
  out.reserve(p.size() + 32);
  bool inClass = false;
  std::size_t classStart = 0;  // offset just past "[" or "[^": a "]" there is a literal
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\') {
      if (i + 1 >= p.size()) refuse(i, "the pattern ends in a lone backslash");
      const char e = p[++i];
      switch (e) {
        case 's': out += "\\p{White_Space}"; break;  // PCRE2's \s also takes U+180E
        case 'S': out += "\\P{White_Space}"; break;
        case 'w':
          out += inClass ? std::string(kWordClass) : "[" + std::string(kWordClass) + "]";
          break;
        case 'W':
          if (inClass) refuse(i - 1, "\\W inside a character class is not supported");
          out += "[^" + std::string(kWordClass) + "]";
          break;
        case 'h':
        case 'H':
          // Oniguruma: a hexadecimal digit; PCRE2: horizontal white space.
          refuse(i - 1, std::string("\\") + e + " (a hexadecimal digit in Oniguruma) is not supported");
        case 'b':
        case 'B':
          if (inClass) {  // [\b] is a backspace in both
            out += '\\';
            out += e;
            break;
          }
          refuse(i - 1, std::string("\\") + e + " (a word boundary: the two engines' words differ) is not supported");
        default:
          out += '\\';
          out += e;
      }
      continue;
    }
    if (inClass) {
      if (c == ']' && i != classStart) {
        inClass = false;
      } else if (c == '[') {
        if (i + 1 < p.size() && p[i + 1] == ':') {  // a POSIX class [:alpha:] is the same in both
          const std::size_t close = p.find(":]", i + 2);
          if (close == std::string_view::npos) refuse(i, "an unterminated [: in a character class");
          out.append(p.substr(i, close + 2 - i));
          i = close + 1;
          continue;
        }
        refuse(i, "a character class inside a character class (Oniguruma set operations) is not supported");
      } else if (c == '&' && i + 1 < p.size() && p[i + 1] == '&') {
        refuse(i, "&& (class intersection) is not supported");
      }
      out += c;
      continue;
    }
    if (c == '[') {
      inClass = true;
      classStart = i + 1;
      if (classStart < p.size() && p[classStart] == '^') ++classStart;
      out += c;
      if (classStart == i + 2) {
        out += '^';
        i = classStart - 1;
      }
      continue;
    }
    out += c;
  }
  if (inClass) refuse(p.size(), "a character class is not closed");
  return out;
}

struct HfRegex::Compiled {
  pcre2_code* code = nullptr;
  ~Compiled() { pcre2_code_free(code); }
};

HfRegex::HfRegex(const std::string& pattern) {
  auto compiled = std::make_shared<Compiled>();
  int error = 0;
  PCRE2_SIZE errorOffset = 0;
  compiled->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                 PCRE2_UTF | PCRE2_UCP, &error, &errorOffset, nullptr);
  if (!compiled->code) {
    throw InvalidArgument("does not compile with PCRE2 at offset " + std::to_string(errorOffset) + ": " +
                          pcre2Message(error));
  }
  pcre2_jit_compile(compiled->code, PCRE2_JIT_COMPLETE);  // without the JIT it still matches
  compiled_ = std::move(compiled);
}

void HfRegex::findAll(std::string_view utf8, std::vector<std::pair<std::size_t, std::size_t>>& out) const {
  if (utf8.empty()) return;
  // Per call: the match data, and the JIT stack only if its default 32 KiB runs out (up to 8 MiB).
  std::unique_ptr<pcre2_match_data, void (*)(pcre2_match_data*)> match(
      pcre2_match_data_create_from_pattern(compiled_->code, nullptr), pcre2_match_data_free);
  std::unique_ptr<pcre2_match_context, void (*)(pcre2_match_context*)> context(
      pcre2_match_context_create(nullptr), pcre2_match_context_free);
  std::unique_ptr<pcre2_jit_stack, void (*)(pcre2_jit_stack*)> stack(nullptr, pcre2_jit_stack_free);
  if (!match || !context) throw Error("out of memory for a tokenizer pattern");

  const auto* subject = reinterpret_cast<PCRE2_SPTR>(utf8.data());
  std::size_t searchFrom = 0;
  std::size_t lastMatchEnd = std::string_view::npos;
  while (searchFrom <= utf8.size()) {
    int rc = pcre2_match(compiled_->code, subject, utf8.size(), searchFrom, PCRE2_NO_UTF_CHECK, match.get(),
                         context.get());
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT && !stack) {
      stack.reset(pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr));
      if (!stack) throw Error("out of memory for a tokenizer pattern");
      pcre2_jit_stack_assign(context.get(), nullptr, stack.get());
      rc = pcre2_match(compiled_->code, subject, utf8.size(), searchFrom, PCRE2_NO_UTF_CHECK, match.get(),
                       context.get());
    }
    if (rc == PCRE2_ERROR_NOMATCH) return;
    if (rc < 0) {
      throw InvalidArgument("a tokenizer pattern failed at byte offset " + std::to_string(searchFrom) + ": " +
                            pcre2Message(rc));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(match.get());
    const std::size_t s = ov[0], e = ov[1];
    if (s == e && e == lastMatchEnd) {  // the same empty match again: one character on
      if (searchFrom >= utf8.size()) return;
      ++searchFrom;
      while (searchFrom < utf8.size() && (static_cast<unsigned char>(utf8[searchFrom]) & 0xC0) == 0x80) ++searchFrom;
      continue;
    }
    out.emplace_back(s, e);
    searchFrom = e;
    lastMatchEnd = e;
  }
}

}  // namespace attnscope::models
