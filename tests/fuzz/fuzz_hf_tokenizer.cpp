// Fuzzes HfTokenizer two ways, chosen by the first input byte:
// - even (the corpus uses 'J'): the rest is a tokenizer.json → a file → fromTokenizerJson must load
//   or throw attnscope::Error; a loaded one then encodes a few hard strings and decodes its ids.
// - odd ('E'): the second byte picks one of the test fixtures (tests/models/data/hf), the rest is
//   text (any bytes) to encode: ids, labels and spans agree in number, the spans lie end to end
//   (BOS at [0, 0)) and cover the input, labels are UTF-8, and for Llama 3 / SmolLM2 layouts
//   decode gives valid UTF-8 input back (unless <mask>, which takes its spaces along, is in it).
// Any other exception, a crash or a sanitizer report is a finding. JSON is capped at 1 MiB, text at
// 64 KiB.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "attnscope/error.h"
#include "attnscope/models/hf_tokenizer.h"

namespace {

using attnscope::models::Encoding;
using attnscope::models::HfTokenizer;

const char* const kLayouts[] = {"llama3", "llama3_shuffled", "qwen2", "smollm2", "llama2", "llama2_metaspace"};
constexpr std::size_t kLayoutCount = sizeof kLayouts / sizeof *kLayouts;

const HfTokenizer& fixture(std::size_t k) {
  static const std::vector<HfTokenizer> all = [] {
    std::vector<HfTokenizer> v;
    for (const char* layout : kLayouts) {
      v.push_back(HfTokenizer::fromFolder(std::string(ATTNSCOPE_TOKENIZER_FIXTURES) + "/hf/" + layout));
    }
    return v;
  }();
  return all[k];
}

bool validUtf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    const std::size_t len = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
    if (len == 0 || s.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    if (len == 3 && b == 0xE0 && static_cast<unsigned char>(s[i + 1]) < 0xA0) return false;
    if (len == 3 && b == 0xED && static_cast<unsigned char>(s[i + 1]) >= 0xA0) return false;
    if (len == 4 && b == 0xF0 && static_cast<unsigned char>(s[i + 1]) < 0x90) return false;
    if (len == 4 && (b > 0xF4 || (b == 0xF4 && static_cast<unsigned char>(s[i + 1]) >= 0x90))) return false;
    i += len;
  }
  return true;
}

/// The invariants of an Encoding of `text`: as many labels and spans as ids, labels UTF-8, and the
/// spans end to end from 0 (BOS [0, 0), then the text's tokens, then EOS [n, n)); with `cover`, to
/// the end of the text.
void check(const Encoding& e, const std::string& text, bool cover) {
  if (e.pieces.size() != e.ids.size() || e.byteSpans.size() != e.ids.size()) __builtin_trap();
  std::size_t at = 0;
  for (std::size_t i = 0; i < e.ids.size(); ++i) {
    if (!validUtf8(e.pieces[i])) __builtin_trap();
    const auto [b, end] = e.byteSpans[i];
    if (b != at || end < b || end > text.size()) __builtin_trap();
    at = end;
  }
  if (cover && !text.empty() && at != text.size()) __builtin_trap();
}

void fuzzJson(const std::uint8_t* data, std::size_t size) {
  if (size > (1u << 20)) return;
  static const std::string path = "/tmp/fuzz_hf_tokenizer_" + std::to_string(::getpid()) + ".json";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
  }
  try {
    const HfTokenizer t = HfTokenizer::fromTokenizerJson(path);
    if (t.vocabSize() <= 0 || t.describe().empty()) __builtin_trap();
    for (const std::string& text : {std::string("Hello world, it's 2024! "), std::string(" \t\r\n  x"),
                                    std::string("caf\xC3\xA9 e\xCC\x81 \xF0\x9F\x98\x80 \xE6\x97\xA5"),
                                    std::string("<|endoftext|><s>a\xFF")}) {
      try {
        const Encoding e = t.encode(text);
        check(e, text, false);  // (a character with no token and no unk is left out)
        t.decode(e.ids);  // every id it makes is one it knows
      } catch (const attnscope::Error&) {
        // e.g. a fuzzed pattern that hits PCRE2's match limit
      }
    }
  } catch (const attnscope::Error&) {
  }
}

void fuzzEncode(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > (64u << 10) + 1) return;
  const std::size_t k = data[0] % kLayoutCount;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const HfTokenizer& t = fixture(k);
  const Encoding e = t.encode(text);
  const std::string layout = kLayouts[k];
  const std::size_t prefix = layout == "qwen2" || layout == "smollm2" ? 0 : 1;
  if (e.ids.size() < prefix) __builtin_trap();
  check(e, text, true);
  const std::string decoded = t.decode(std::vector<int>(e.ids.begin() + std::ptrdiff_t(prefix), e.ids.end()));
  if (!validUtf8(decoded)) __builtin_trap();
  const bool byteLevelExact = layout == "llama3" || layout == "llama3_shuffled" || layout == "smollm2";
  if (byteLevelExact && validUtf8(text) && text.find("<mask>") == std::string::npos && decoded != text) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if (data[0] % 2 == 0) {
    fuzzJson(data + 1, size - 1);
  } else {
    fuzzEncode(data + 1, size - 1);
  }
  return 0;
}
