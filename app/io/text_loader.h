// Text files → UTF-8 bytes for makeTextInput (which decodes and validates the UTF-8 itself).
// UTF-16 and UTF-32 files (with a byte-order mark, or UTF-16 recognised by its zero bytes) are
// converted to UTF-8 first, with a notice; a UTF-8 byte-order mark is dropped.
#pragma once

#include <QString>
#include <string>
#include <vector>

namespace attnscope {

constexpr long long kMaxTextFileBytes = 64LL * 1024 * 1024;

/// The bytes of the file at `path`. Throws FileError naming the file: missing, a folder, a device
/// or pipe, empty (0 bytes), larger than maxBytes, or unreadable (with the system's reason).
std::string readTextFile(const QString& path, long long maxBytes = kMaxTextFileBytes);

/// Text bytes as UTF-8: a UTF-8 BOM dropped; UTF-32 / UTF-16 with a BOM, and BOM-less UTF-16
/// (zero bytes in every other position), converted. `notices` gets one line saying what was done.
std::string textAsUtf8(const std::string& bytes, const std::string& name,
                       std::vector<std::string>& notices);

}  // namespace attnscope
