// Fuzzes text → tokens → Q/K/V: the first bytes choose the token budget and a small embedding, the
// rest is the text (any bytes, invalid UTF-8 included). Input is capped at 64 KiB.
#include <cstddef>
#include <cstdint>
#include <string>

#include "attnscope/error.h"
#include "attnscope/input/input.h"
#include "attnscope/input/text_tokenizer.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (64u << 10)) return 0;
  attnscope::fuzz::Reader in(data, size);
  attnscope::TextInputSettings settings;
  settings.tokenBudget = int(in.u16()) - 8;  // out-of-range budgets included
  settings.sourceName = "fuzz.txt";
  attnscope::EmbeddingSettings emb;
  emb.heads = 1 + in.u8() % 2;
  emb.dHead = 1 + in.u8() % 8;
  emb.dModel = 4 * (1 + in.u8() % 4);
  emb.tieQK = in.u8() & 1;
  const std::string text = in.rest();
  try {
    const attnscope::TokenSet tokens = attnscope::tokenizeText(text, 1 + settings.tokenBudget % 4096,
                                                               settings.sourceName);
    (void)tokens;
    const attnscope::Input input = attnscope::makeTextInput(text, settings, emb);
    if (input.tokens.size() == 0) __builtin_trap();  // no tokens must throw, not return
  } catch (const attnscope::Error&) {
  }
  return 0;
}
