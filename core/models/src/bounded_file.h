// Reading the files a checkpoint comes with (internal): one rule for every file the models code
// reads. A path must name a regular file, checked with stat() before open() (a FIFO would block
// open) and again on the descriptor opened with O_NONBLOCK; a file over its kind's size cap
// (docs/models.md, "Opening a checkpoint") is refused before a byte is read; JSON is parsed with a depth
// limit checked while parsing, a key repeated in one object and bytes after the document refused;
// messages name the file, the JSON path and the kind of a value, never the value printed whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace attnscope::models {

/// Nesting deeper than this is refused while parsing (real files need 6 levels).
constexpr int kMaxJsonDepth = 64;

/// Size caps per kind of file.
constexpr std::uintmax_t kMaxConfigFileBytes = std::uintmax_t(16) << 20;     ///< config, preprocessor, index, tokenizer_config
constexpr std::uintmax_t kMaxVocabFileBytes = std::uintmax_t(64) << 20;      ///< vocab.json, merges.txt
constexpr std::uintmax_t kMaxTokenizerJsonBytes = std::uintmax_t(256) << 20; ///< tokenizer.json

/// A file descriptor opened by openRegularFile (closed by the destructor) and the file's size.
struct OpenedFile {
  int fd = -1;
  std::uintmax_t size = 0;
  OpenedFile() = default;
  OpenedFile(OpenedFile&& o) noexcept : fd(o.fd), size(o.size) { o.fd = -1; }
  OpenedFile(const OpenedFile&) = delete;
  OpenedFile& operator=(const OpenedFile&) = delete;
  OpenedFile& operator=(OpenedFile&&) = delete;
  ~OpenedFile();
};

/// Opens `path` (links followed) for reading when it is a regular file, without blocking: stat
/// first ("PATH: is a FIFO, not a regular file", "PATH: is a folder, not a file"), then open with
/// O_NONBLOCK and fstat the descriptor. FileError naming `path` otherwise.
OpenedFile openRegularFile(const std::string& path);

/// The bytes of the regular file `path`, at most `maxBytes` (`kind` names the cap in the message:
/// "a config file"). The size is checked before anything is read.
std::string readBoundedFile(const std::string& path, std::uintmax_t maxBytes, const char* kind);

/// Parses `text` (from `path`) as one JSON document. FileError naming `path`: not JSON (the
/// parser's message cut short), a NUL byte or other bytes after the document, nesting deeper than
/// kMaxJsonDepth, a key repeated inside one object (named).
nlohmann::json parseBoundedJson(std::string_view text, const std::string& path);

/// readBoundedFile + parseBoundedJson.
nlohmann::json readBoundedJson(const std::string& path, std::uintmax_t maxBytes, const char* kind);

/// "an object", "an array", "a string", "a number", "a boolean", "null".
const char* jsonKind(const nlohmann::json& value);

/// `s` for a message: quoted, readable (invalid UTF-8 as \xNN) and cut to `maxChars` bytes.
std::string quoteShort(std::string_view s, std::size_t maxChars = 60);

/// A value for a message: a number or boolean as written, a string quoted short, an object or
/// array by its kind and size ("an array of 3"), never serialised whole.
std::string shortValue(const nlohmann::json& value);

}  // namespace attnscope::models
