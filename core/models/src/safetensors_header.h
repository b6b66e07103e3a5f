// Parsing and validating a safetensors header (the first 8 + N bytes of the file).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "attnscope/models/safetensors.h"

namespace attnscope::models {

struct ParsedHeader {
  std::uint64_t dataStart = 0;         ///< 8 + N: where the data buffer starts in the file
  std::vector<TensorInfo> tensors;     ///< sorted by begin offset
  std::map<std::string, std::string> metadata;
};

/// Largest header the reference implementation accepts (bytes).
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

/// Validates `size` bytes of a whole file (see safetensors.h for every rule). `file` names the file
/// in the FileError messages.
ParsedHeader parseHeader(const unsigned char* data, std::size_t size, const std::string& file);

}  // namespace attnscope::models
