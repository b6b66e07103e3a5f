// Fuzzes the mixing-matrix loader on bytes: the first byte picks CSV or .npy, the rest is the
// file. parseMixing is loadMixing without the file read; a result must pass validateMixing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "attnscope/error.h"
#include "attnscope/mixing.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  attnscope::fuzz::Reader in(data, size);
  const bool npy = in.u8() & 1;
  const std::string bytes = in.rest();
  try {
    const attnscope::MatrixD m = attnscope::parseMixing(bytes, npy ? "fuzz.npy" : "fuzz.csv");
    if (m.rows() < 1) __builtin_trap();                        // no layout has M = 0
    attnscope::validateMixing(m, static_cast<int>(m.rows()));  // must not throw
  } catch (const attnscope::Error&) {
  }
  return 0;
}
