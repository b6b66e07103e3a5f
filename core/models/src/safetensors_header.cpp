#include "safetensors_header.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "attnscope/error.h"
#include "bounded_file.h"

namespace attnscope::models {

namespace {
using nlohmann::json;

/// Dimensions past this are refused (no real tensor has them; it keeps every product and Eigen
/// index far from overflow).
constexpr std::uint64_t kMaxDim = std::uint64_t(1) << 48;

[[noreturn]] void fail(const std::string& file, const std::string& tensor, const std::string& what) {
  throw FileError(file + (tensor.empty() ? "" : ": tensor '" + tensor + "'") + ": " + what);
}

std::uint64_t unsignedValue(const json& v, const std::string& file, const std::string& tensor,
                            const std::string& field) {
  if (!v.is_number_unsigned())
    fail(file, tensor, field + " must hold non-negative integers (found " + shortValue(v) + ")");
  return v.get<std::uint64_t>();
}

TensorInfo parseEntry(const std::string& name, const json& e, const std::string& file) {
  if (!e.is_object()) fail(file, name, "header entry is not an object");
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!e.contains(key)) fail(file, name, std::string("header entry has no \"") + key + "\"");
  TensorInfo t;
  t.name = name;
  const json& dtype = e["dtype"];
  if (!dtype.is_string()) fail(file, name, "\"dtype\" is not a string");
  if (!parseDtype(dtype.get<std::string>(), &t.dtype))
    fail(file, name, "unknown dtype \"" + dtype.get<std::string>() + "\"");
  const json& shape = e["shape"];
  if (!shape.is_array()) fail(file, name, "\"shape\" is not an array");
  // numel · itemsize, with every step checked for overflow.
  std::uint64_t bytes = dtypeSize(t.dtype);
  for (const json& d : shape) {
    const std::uint64_t n = unsignedValue(d, file, name, "\"shape\"");
    if (n > kMaxDim) fail(file, name, "dimension " + std::to_string(n) + " is too large");
    t.shape.push_back(static_cast<std::int64_t>(n));
    if (n != 0 && bytes > std::numeric_limits<std::uint64_t>::max() / n)
      fail(file, name, "shape " + shapeText(t.shape) + " overflows");
    bytes *= n;
  }
  const json& off = e["data_offsets"];
  if (!off.is_array() || off.size() != 2) fail(file, name, "\"data_offsets\" is not [begin, end]");
  t.begin = unsignedValue(off[0], file, name, "\"data_offsets\"");
  t.end = unsignedValue(off[1], file, name, "\"data_offsets\"");
  if (t.begin > t.end)
    fail(file, name, "data_offsets begin " + std::to_string(t.begin) + " > end " + std::to_string(t.end));
  if (t.end - t.begin != bytes)
    fail(file, name, "data_offsets hold " + std::to_string(t.end - t.begin) + " bytes but " +
                         dtypeName(t.dtype) + " " + shapeText(t.shape) + " needs " + std::to_string(bytes));
  return t;
}

std::map<std::string, std::string> parseMetadata(const json& m, const std::string& file) {
  if (m.is_null()) return {};
  if (!m.is_object()) fail(file, "", "\"__metadata__\" is not an object of strings");
  std::map<std::string, std::string> out;
  for (auto it = m.begin(); it != m.end(); ++it) {
    if (!it.value().is_string()) fail(file, "", "\"__metadata__\" value of \"" + it.key() + "\" is not a string");
    out[it.key()] = it.value().get<std::string>();
  }
  return out;
}
}  // namespace

ParsedHeader parseHeader(const unsigned char* data, std::size_t size, const std::string& file) {
  if (size < 8)
    fail(file, "", "too short for a safetensors file (" + std::to_string(size) + " bytes, the header length alone is 8)");
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | data[i];
  if (n > kMaxHeaderBytes)
    fail(file, "", "header length " + std::to_string(n) + " bytes is over the limit of " +
                       std::to_string(kMaxHeaderBytes));
  if (n > size - 8)
    fail(file, "", "header length " + std::to_string(n) + " runs past the end of the file (" +
                       std::to_string(size) + " bytes)");
  const char* text = reinterpret_cast<const char*>(data + 8);
  if (n == 0 || text[0] != '{') fail(file, "", "header is not a JSON object");
  // Nesting past kMaxJsonDepth, a NUL, bytes after the object or a repeated name: refused while
  // parsing, with a short message.
  json header;
  try {
    header = parseBoundedJson(std::string_view(text, std::size_t(n)), file);
  } catch (const FileError& e) {
    const std::string what = e.what();
    fail(file, "", "header: " + (what.rfind(file + ": ", 0) == 0 ? what.substr(file.size() + 2) : what));
  }
  if (!header.is_object()) fail(file, "", "header is not a JSON object");

  ParsedHeader out;
  out.dataStart = 8 + n;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      out.metadata = parseMetadata(it.value(), file);
      continue;
    }
    out.tensors.push_back(parseEntry(it.key(), it.value(), file));
  }
  // Tensors in buffer order must tile the buffer: no overlaps, no holes, nothing left over.
  std::sort(out.tensors.begin(), out.tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  const std::uint64_t buffer = size - out.dataStart;
  std::uint64_t at = 0;
  const TensorInfo* previous = nullptr;
  for (const TensorInfo& t : out.tensors) {
    if (t.begin < at)
      fail(file, t.name, "overlaps tensor '" + previous->name + "' (bytes " + std::to_string(t.begin) +
                             "-" + std::to_string(t.end) + " vs " + std::to_string(previous->begin) + "-" +
                             std::to_string(previous->end) + ")");
    if (t.begin > at)
      fail(file, t.name, "leaves a hole in the data buffer before it (bytes " + std::to_string(at) + "-" +
                             std::to_string(t.begin) + ")");
    if (t.end > buffer)
      fail(file, t.name, "data_offsets end " + std::to_string(t.end) + " is past the data buffer (" +
                             std::to_string(buffer) + " bytes)");
    at = t.end;
    previous = &t;
  }
  if (at != buffer)
    fail(file, "", "the tensors cover " + std::to_string(at) + " of the " + std::to_string(buffer) +
                       " bytes of the data buffer");
  return out;
}

}  // namespace attnscope::models
