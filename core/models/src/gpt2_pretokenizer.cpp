#include "attnscope/models/gpt2_pretokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string>

#include "attnscope/error.h"

namespace attnscope::models {

const char* const kGpt2SplitPattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\p{White_Space}\\p{L}\\p{N}]+"
    "|\\p{White_Space}+(?!\\P{White_Space})|\\p{White_Space}+";

namespace {

std::string pcre2Message(int code) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof buffer);
  return reinterpret_cast<const char*>(buffer);
}

}  // namespace

struct Gpt2PreTokenizer::Compiled {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Compiled() { pcre2_code_free(code); }
};

Gpt2PreTokenizer::Gpt2PreTokenizer() {
  auto compiled = std::make_shared<Compiled>();
  int error = 0;
  PCRE2_SIZE errorOffset = 0;
  compiled->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kGpt2SplitPattern), PCRE2_ZERO_TERMINATED,
                                 PCRE2_UTF | PCRE2_UCP, &error, &errorOffset, nullptr);
  if (!compiled->code) {
    throw Error("GPT-2 pre-split pattern does not compile at offset " + std::to_string(errorOffset) +
                ": " + pcre2Message(error));
  }
  compiled->jit = pcre2_jit_compile(compiled->code, PCRE2_JIT_COMPLETE) == 0;
  compiled_ = std::move(compiled);
}

std::vector<std::pair<std::size_t, std::size_t>> Gpt2PreTokenizer::split(std::string_view utf8) const {
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  split(utf8, [&](std::size_t begin, std::size_t end) {
    spans.emplace_back(begin, end);
    return true;
  });
  return spans;
}

void Gpt2PreTokenizer::split(std::string_view utf8,
                             const std::function<bool(std::size_t, std::size_t)>& piece) const {
  if (utf8.empty()) return;
  // Per call: match data (and, only if the JIT's default 32 KiB stack runs out, a stack growing up
  // to 8 MiB), so calls may run in parallel.
  std::unique_ptr<pcre2_match_data, void (*)(pcre2_match_data*)> match(
      pcre2_match_data_create_from_pattern(compiled_->code, nullptr), pcre2_match_data_free);
  std::unique_ptr<pcre2_match_context, void (*)(pcre2_match_context*)> context(
      pcre2_match_context_create(nullptr), pcre2_match_context_free);
  std::unique_ptr<pcre2_jit_stack, void (*)(pcre2_jit_stack*)> stack(nullptr, pcre2_jit_stack_free);
  if (!match || !context) throw Error("out of memory for the GPT-2 pre-split");

  const auto* subject = reinterpret_cast<PCRE2_SPTR>(utf8.data());
  std::size_t offset = 0;
  while (offset < utf8.size()) {
    int rc = pcre2_match(compiled_->code, subject, utf8.size(), offset, PCRE2_NO_UTF_CHECK, match.get(),
                         context.get());
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT && !stack) {
      stack.reset(pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr));
      if (!stack) throw Error("out of memory for the GPT-2 pre-split");
      pcre2_jit_stack_assign(context.get(), nullptr, stack.get());
      rc = pcre2_match(compiled_->code, subject, utf8.size(), offset, PCRE2_NO_UTF_CHECK, match.get(),
                       context.get());
    }
    if (rc == PCRE2_ERROR_NOMATCH) break;  // cannot happen: every character matches an alternative
    if (rc < 0) {
      throw Error("GPT-2 pre-split failed at byte offset " + std::to_string(offset) + ": " +
                  pcre2Message(rc));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(match.get());
    if (ov[1] <= ov[0]) throw Error("GPT-2 pre-split made an empty piece");  // no alternative can
    if (ov[0] != offset) throw Error("GPT-2 pre-split skipped bytes at offset " + std::to_string(offset));
    offset = ov[1];
    if (!piece(ov[0], ov[1])) return;
  }
  if (offset != utf8.size()) throw Error("GPT-2 pre-split left bytes at offset " + std::to_string(offset));
}

}  // namespace attnscope::models
