// Fuzzes the .npy reader: arbitrary bytes → parseNpy → toMatrix. Errors must be attnscope::Error
// (FileError); anything else (a crash, a sanitizer report, another exception) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "attnscope/error.h"
#include "attnscope/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const attnscope::NpyArray a = attnscope::parseNpy(bytes, "fuzz.npy");
    if (a.shape.size() <= 2) (void)attnscope::toMatrix(a, "fuzz.npy");
    // What we read must serialise and read back to the same shape.
    const attnscope::NpyArray b = attnscope::parseNpy(attnscope::serializeNpy(a), "again.npy");
    if (b.shape != a.shape || b.data.size() != a.data.size()) __builtin_trap();
  } catch (const attnscope::Error&) {
  }
  return 0;
}
