#include "safetensors_header.h"

#include <algorithm>
#include <limits>
#include <string_view>
#include <unordered_set>
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

/// Reads the header straight into TensorInfo, without a JSON tree: the tree of a 100 MB header
/// took gigabytes (a million entries, or arrays nested 60 deep). Every rule of the reference is
/// checked as the values arrive; nesting past kMaxJsonDepth and a tensor named twice are refused.
class HeaderSax {
 public:
  HeaderSax(const std::string& file, ParsedHeader& out) : file_(file), out_(out) {}

  bool null() { return scalar("null", nullptr); }
  bool boolean(bool) { return scalar("a boolean", nullptr); }
  bool number_integer(json::number_integer_t v) {
    return v >= 0 ? number_unsigned(json::number_unsigned_t(v)) : scalar("a negative number", nullptr);
  }
  bool number_unsigned(json::number_unsigned_t v) { return scalar(nullptr, &v); }
  bool number_float(json::number_float_t, const json::string_t&) { return scalar("a fraction", nullptr); }
  bool binary(json::binary_t&) { return scalar("binary data", nullptr); }
  bool string(json::string_t& v) {
    if (depth_ == 2 && inMetadata_) {
      out_.metadata[key_] = v;
      return true;
    }
    if (depth_ == 2 && !inMetadata_ && field_ == "dtype") {
      seen_ |= 1;
      if (!parseDtype(v, &entry_.dtype)) fail(file_, entry_.name, "unknown dtype \"" + v + "\"");
      return true;
    }
    return scalar("a string", nullptr);
  }
  bool start_object(std::size_t) {
    enter();
    if (depth_ == 1) return true;  // the header
    if (depth_ == 2) {
      if (inMetadata_) return true;
      entry_ = TensorInfo{};
      entry_.name = key_;
      seen_ = 0;
      return true;
    }
    if (depth_ == 3 && !inMetadata_) return container("an object");
    if (depth_ == 3 && inMetadata_) fail(file_, "", "\"__metadata__\" value of \"" + key_ + "\" is not a string");
    return true;  // inside an unknown field: skipped
  }
  bool key(json::string_t& k) {
    if (depth_ == 1) {
      if (!names_.insert(k).second) fail(file_, k, "appears twice in the header");
      key_ = k;
      inMetadata_ = k == "__metadata__";
    } else if (depth_ == 2) {
      if (inMetadata_) {
        if (out_.metadata.count(k)) fail(file_, "", "\"__metadata__\" key \"" + k + "\" appears twice");
        key_ = k;
      } else {
        const int bit = k == "dtype" ? 1 : k == "shape" ? 2 : k == "data_offsets" ? 4 : 0;
        if (bit && (seen_ & bit)) fail(file_, entry_.name, "\"" + k + "\" appears twice in the entry");
        field_ = k;
      }
    }
    return true;
  }
  bool end_object() {
    if (depth_ == 2 && !inMetadata_) finishEntry();
    if (depth_ == 2) inMetadata_ = false;
    --depth_;
    return true;
  }
  bool start_array(std::size_t) {
    enter();
    if (depth_ == 1) fail(file_, "", "header is not a JSON object");
    if (depth_ == 2) {
      if (inMetadata_) fail(file_, "", "\"__metadata__\" is not an object of strings");
      fail(file_, key_, "header entry is not an object");
    }
    if (depth_ == 3 && !inMetadata_) {
      if (field_ == "shape") {
        seen_ |= 2;
        entry_.shape.clear();
        elements_ = 0;
        return true;
      }
      if (field_ == "data_offsets") {
        seen_ |= 4;
        elements_ = 0;
        return true;
      }
    }
    if (depth_ == 3 && inMetadata_) fail(file_, "", "\"__metadata__\" value of \"" + key_ + "\" is not a string");
    if (depth_ == 4 && !inMetadata_ && (field_ == "shape" || field_ == "data_offsets"))
      fail(file_, entry_.name, "\"" + field_ + "\" must hold non-negative integers (found an array)");
    return true;
  }
  bool end_array() {
    if (depth_ == 3 && !inMetadata_ && field_ == "data_offsets" && elements_ != 2)
      fail(file_, entry_.name, "\"data_offsets\" is not [begin, end]");
    --depth_;
    return true;
  }
  template <class Exception>
  bool parse_error(std::size_t, const std::string&, const Exception& e) {
    std::string what = e.what();
    if (what.size() > 160) what = what.substr(0, 160) + "…";
    fail(file_, "", "header: not valid JSON (" + what + ")");
  }

 private:
  void enter() {
    if (++depth_ > kMaxJsonDepth)
      fail(file_, "", "header: JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  /// An object or array where a field of an entry holds a scalar.
  bool container(const char* kind) {
    if (field_ == "dtype") fail(file_, entry_.name, "\"dtype\" is not a string");
    if (field_ == "shape") fail(file_, entry_.name, "\"shape\" is not an array");
    if (field_ == "data_offsets") fail(file_, entry_.name, "\"data_offsets\" is not [begin, end]");
    (void)kind;
    return true;  // an unknown field: skipped
  }
  /// A scalar (`unsignedValue` set for a non-negative integer, else `kind` names it).
  bool scalar(const char* kind, const json::number_unsigned_t* unsignedValue) {
    if (depth_ == 0) fail(file_, "", "header is not a JSON object");
    if (depth_ == 1) {
      if (inMetadata_ && !unsignedValue && std::string(kind) == "null") return true;
      if (inMetadata_) fail(file_, "", "\"__metadata__\" is not an object of strings");
      fail(file_, key_, "header entry is not an object");
    }
    if (depth_ == 2 && inMetadata_) fail(file_, "", "\"__metadata__\" value of \"" + key_ + "\" is not a string");
    if (depth_ == 2) {
      if (field_ == "dtype") fail(file_, entry_.name, "\"dtype\" is not a string");
      if (field_ == "shape") fail(file_, entry_.name, "\"shape\" is not an array");
      if (field_ == "data_offsets") fail(file_, entry_.name, "\"data_offsets\" is not [begin, end]");
      return true;  // an unknown field
    }
    if (depth_ == 3 && (field_ == "shape" || field_ == "data_offsets")) {
      if (!unsignedValue)
        fail(file_, entry_.name, "\"" + field_ + "\" must hold non-negative integers (found " + kind + ")");
      const std::uint64_t n = *unsignedValue;
      if (field_ == "shape") {
        if (n > kMaxDim) fail(file_, entry_.name, "dimension " + std::to_string(n) + " is too large");
        entry_.shape.push_back(static_cast<std::int64_t>(n));
      } else {
        if (elements_ == 0) entry_.begin = n;
        if (elements_ == 1) entry_.end = n;
        if (elements_ >= 2) fail(file_, entry_.name, "\"data_offsets\" is not [begin, end]");
      }
      ++elements_;
    }
    return true;
  }
  void finishEntry() {
    const char* names[] = {"dtype", "shape", "data_offsets"};
    for (int i = 0; i < 3; ++i)
      if (!(seen_ & (1 << i))) fail(file_, entry_.name, std::string("header entry has no \"") + names[i] + "\"");
    TensorInfo& t = entry_;
    std::uint64_t bytes = dtypeSize(t.dtype);
    {  // numel · itemsize, with every step checked for overflow
      bool over = false;
      for (std::int64_t d : t.shape) {
        const std::uint64_t n = static_cast<std::uint64_t>(d);
        if (n != 0 && bytes > std::numeric_limits<std::uint64_t>::max() / n) over = true;
        else bytes *= n;
        if (n == 0) bytes = 0;
      }
      bool zero = false;
      for (std::int64_t d : t.shape) zero = zero || d == 0;
      if (over && !zero) fail(file_, t.name, "shape " + shapeText(t.shape) + " overflows");
      if (zero) bytes = 0;
    }
    if (t.begin > t.end)
      fail(file_, t.name, "data_offsets begin " + std::to_string(t.begin) + " > end " + std::to_string(t.end));
    if (t.end - t.begin != bytes)
      fail(file_, t.name, "data_offsets hold " + std::to_string(t.end - t.begin) + " bytes but " +
                              dtypeName(t.dtype) + " " + shapeText(t.shape) + " needs " + std::to_string(bytes));
    out_.tensors.push_back(std::move(entry_));
  }

  const std::string& file_;
  ParsedHeader& out_;
  int depth_ = 0;
  bool inMetadata_ = false;
  std::string key_, field_;
  TensorInfo entry_;
  int seen_ = 0;  // bits: dtype, shape, data_offsets
  std::size_t elements_ = 0;
  std::unordered_set<std::string> names_;
};

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
  // A NUL would end the parser's input early (the reference refuses bytes after the object).
  const std::string_view header(text, std::size_t(n));
  if (const std::size_t nul = header.find('\0'); nul != std::string_view::npos)
    fail(file, "", "header: not valid JSON (a NUL byte at offset " + std::to_string(nul) + ")");
  ParsedHeader out;
  out.dataStart = 8 + n;
  HeaderSax sax(file, out);
  json::sax_parse(header.begin(), header.end(), &sax);
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
