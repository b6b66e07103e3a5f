// Fuzzes the safetensors reader: arbitrary bytes → SafetensorsFile::fromBytes (the whole header
// validation) → every readable tensor converted to float32, as values and as a matrix. Errors must be
// attnscope::Error (FileError); a crash, a sanitizer report or another exception is a finding.
// Allocation is bounded by the input: validation proves every tensor lies inside it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "attnscope/error.h"
#include "attnscope/models/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace attnscope::models;
  try {
    const auto f = SafetensorsFile::fromBytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz.safetensors");
    std::uint64_t covered = 0;
    for (const std::string& name : f->names()) {
      const TensorInfo& t = f->info(name);
      covered += t.end - t.begin;
      if (covered > size) __builtin_trap();  // tensors must fit in the file
      try {
        const std::vector<float> v = f->values(name);
        if (static_cast<std::int64_t>(v.size()) != t.numel()) __builtin_trap();
        const attnscope::MatrixF m = f->matrix(name);
        if (m.size() != t.numel()) __builtin_trap();
      } catch (const attnscope::Error&) {
        if (isReadable(t.dtype)) __builtin_trap() ;  // only unreadable dtypes may refuse here
      }
    }
  } catch (const attnscope::Error&) {
  }
  return 0;
}
