// Fuzzes image → tokens → Q/K/V after decoding: fuzz-chosen width and height (≤ 512 each), token
// budget, patch size and working-pixel limit, and arbitrary float pixel values (NaN and ±Inf
// included; the pixel bytes repeat to fill the image).
#include <cstddef>
#include <cstdint>
#include <string>

#include "attnscope/error.h"
#include "attnscope/input/input.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  attnscope::fuzz::Reader in(data, size);
  attnscope::RgbImage img;
  // Sides -1..64 (fast runs), or -1..512 when the top bit is set.
  auto side = [](std::uint16_t v) { return (v & 0x8000) ? int(v % 514) - 1 : int(v % 66) - 1; };
  img.width = side(in.u16());
  img.height = side(in.u16());
  attnscope::ImageInputSettings settings;
  // Mostly budgets up to ~1000 tokens (fast runs); sometimes any value, out-of-range included.
  const std::uint16_t budget = in.u16();
  settings.tokenBudget = (budget & 0x8000) ? int(budget & 0x7FFF) * 3 - 8 : int(budget % 1100) - 8;
  settings.patchSize = int(in.u8()) - 2;
  settings.minPatchSize = int(in.u8() % 20) - 2;
  settings.maxWorkingPixels = (in.u8() & 1) ? 4LL << 20 : 1 + in.u16() * 4LL;
  settings.sourceName = "fuzz.png";
  attnscope::EmbeddingSettings emb;
  emb.heads = 1 + in.u8() % 2;
  emb.dHead = 1 + in.u8() % 8;
  emb.dModel = 4 * (1 + in.u8() % 4);
  const std::uint8_t shape = in.u8();  // sometimes a pixel buffer of the wrong length
  const std::string pixels = in.rest();
  if (img.width > 0 && img.height > 0) {
    std::size_t n = std::size_t(img.width) * img.height * 3;
    if (shape == 0xFF) n = n ? n - 1 : 0;
    img.rgb.resize(n, 0.5f);
    const std::size_t floats = pixels.size() / 4;
    if (floats > 0) {
      attnscope::fuzz::Reader px(reinterpret_cast<const std::uint8_t*>(pixels.data()), floats * 4);
      for (std::size_t i = 0; i < n; ++i) {
        if (px.left() == 0) px = attnscope::fuzz::Reader(
            reinterpret_cast<const std::uint8_t*>(pixels.data()), floats * 4);
        img.rgb[i] = px.f32();
      }
    }
  }
  try {
    const attnscope::Input input = attnscope::makeImageInput(img, settings, emb);
    if (input.tokens.size() == 0) __builtin_trap();
  } catch (const attnscope::Error&) {
  }
  return 0;
}
