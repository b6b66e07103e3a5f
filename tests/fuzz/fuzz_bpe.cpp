// Fuzzes the GPT-2 BPE tokenizer's encode on any bytes (invalid UTF-8 included) with the test
// vocabulary of tests/models/data: the spans tile the input, every label is valid UTF-8, and
// decode(encode(x)) gives back x byte for byte. Input is capped at 64 KiB. An input that begins
// with '{' is also a GPT-2 tokenizer.json (issue 23): written to a file, fromTokenizerJson must load
// it or throw attnscope::Error, whatever its nesting (capped at 1 MiB).
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include <unistd.h>

#include "attnscope/error.h"
#include "attnscope/models/bpe_tokenizer.h"

namespace {

const attnscope::models::BpeTokenizer& tokenizer() {
  static const auto t = attnscope::models::BpeTokenizer::fromTokenizerJson(ATTNSCOPE_TOKENIZER_FIXTURES
                                                                           "/tokenizer.json");
  return t;
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
    i += len;
  }
  return true;
}

}  // namespace

void fuzzTokenizerJson(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/fuzz_bpe_" + std::to_string(::getpid()) + ".json";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
  }
  try {
    const auto t = attnscope::models::BpeTokenizer::fromTokenizerJson(path);
    (void)t.encode("Hello, world! 123");
  } catch (const attnscope::Error&) {
  }
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 0 && data[0] == '{' && size <= (1u << 20)) fuzzTokenizerJson(data, size);
  if (size > (64u << 10)) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const attnscope::models::Encoding e = tokenizer().encode(text);
  if (e.pieces.size() != e.ids.size() || e.byteSpans.size() != e.ids.size()) __builtin_trap();
  std::size_t at = 0;
  for (std::size_t i = 0; i < e.ids.size(); ++i) {
    if (e.byteSpans[i].first != at || e.byteSpans[i].second <= at) __builtin_trap();
    if (!validUtf8(e.pieces[i])) __builtin_trap();
    at = e.byteSpans[i].second;
  }
  if (at != text.size()) __builtin_trap();
  if (tokenizer().decode(e.ids) != text) __builtin_trap();
  return 0;
}
