// Text files → bytes for makeTextInput (which decodes and validates the UTF-8 itself).
#pragma once

#include <QString>
#include <string>

namespace attnscope {

constexpr long long kMaxTextFileBytes = 64LL * 1024 * 1024;

/// The bytes of the file at `path`. Throws FileError naming the file: missing, a folder, empty
/// (0 bytes), larger than maxBytes, or unreadable (with the system's reason).
std::string readTextFile(const QString& path, long long maxBytes = kMaxTextFileBytes);

}  // namespace attnscope
