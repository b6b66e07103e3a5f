// Reading tokenizer.json / tokenizer_config.json (internal): a bounded read of one regular file,
// a JSON parse that refuses repeated keys and deep nesting, and JSON values that know their path,
// so every message names the file and the entry ("model.merges[12]: expected a string or a pair,
// found an object") and never prints a whole value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bounded_file.h"

namespace attnscope::models::hfjson {

using nlohmann::json;

/// Nesting deeper than this is refused while parsing (bounded_file.h: one rule for every file).
constexpr int kMaxDepth = kMaxJsonDepth;

/// The bytes of `path`, a regular file of at most `maxBytes` bytes (bounded_file.h).
inline std::string readRegularFile(const std::string& path, std::uintmax_t maxBytes) {
  return readBoundedFile(path, maxBytes, "a tokenizer file");
}

/// Parses `text` (read from `path`): bounded_file.h's parseBoundedJson.
inline json parse(const std::string& text, const std::string& path) { return parseBoundedJson(text, path); }

/// "an object", "an array", "a string", "a number", "a boolean", "null".
inline const char* kindOf(const json& value) { return jsonKind(value); }

using models::quoteShort;

/// A value of a parsed file with its JSON path. A missing member is a Node whose value() is null.
class Node {
 public:
  Node(const json* value, std::string path, const std::string* file)
      : value_(value), path_(std::move(path)), file_(file) {}

  const json& value() const { return value_ ? *value_ : nullValue(); }
  const std::string& path() const { return path_; }
  bool exists() const { return value_ != nullptr; }
  /// Missing or null.
  bool isNull() const { return !value_ || value_->is_null(); }

  /// Member `key` (a Node that does not exist when this is not an object or has no such key).
  Node operator[](const char* key) const;
  /// Element `i` of an array (checked by the caller with size()).
  Node operator[](std::size_t i) const;
  /// Elements of an array; fails when this is not an array.
  std::size_t size() const;

  /// The value as a string / bool / integer in [lo, hi]; fails naming the path and the kind found.
  std::string str() const;
  bool boolean() const;
  long long integer(long long lo, long long hi) const;
  /// The same, with `fallback` when missing or null.
  std::string str(const std::string& fallback) const { return isNull() ? fallback : str(); }
  bool boolean(bool fallback) const { return isNull() ? fallback : boolean(); }

  /// Fails unless this is an object (`what` names it, e.g. "a normalizer").
  void requireObject(const char* what) const;
  /// The "type" member of an object (`what` names the component, e.g. "normalizer").
  std::string type(const char* what) const;

  /// Throws FileError "FILE: PATH: message".
  [[noreturn]] void fail(const std::string& message) const;
  /// Throws FileError "FILE: PATH: expected EXPECTED, found KIND".
  [[noreturn]] void expected(const char* expectedWhat) const;

 private:
  static const json& nullValue();
  const json* value_;
  std::string path_;
  const std::string* file_;
};

}  // namespace attnscope::models::hfjson
