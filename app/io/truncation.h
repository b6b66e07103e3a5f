// Detects PNG and JPEG files that end early. Qt's decoders often return a partly grey image for a
// truncated file with only a log warning; attnscope refuses such files with a clear message
// instead.
#pragma once

#include <cstdint>
#include <string>

namespace attnscope {

/// For PNG (chunks walked up to IEND) and JPEG (segments and entropy-coded data walked up to EOI):
/// a short description of where the data ends early, or "" if it is complete or another format.
std::string truncationProblem(const unsigned char* data, std::int64_t size);

}  // namespace attnscope
