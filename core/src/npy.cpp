// .npy reading and writing. Format reference: NumPy's "NEP 1 — A simple file format for NumPy
// arrays" (magic "\x93NUMPY", major/minor version bytes, little-endian header length of 2 bytes in
// version 1.0 and 4 bytes in 2.0/3.0, then a Python dict literal padded with spaces and '\n', then
// the raw data in C order).
//
// Every byte of a file is untrusted: lengths are checked against the bytes actually present before
// anything is read or allocated, and element counts use overflow-checked arithmetic.
#include "attnscope/npy.h"

#include "attnscope/atomic_file.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string_view>
#include <system_error>

#include "attnscope/error.h"

// The raw data are copied with memcpy, which is only correct on a little-endian host.
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "attnscope's .npy code assumes a little-endian host");
#endif

namespace attnscope {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;
constexpr std::size_t kAlign = 64;  // NumPy aligns the start of the data to 64 bytes
constexpr int kMaxDims = 3;

/// a * b, or nothing if it overflows int64 (both operands are non-negative).
std::optional<std::int64_t> checkedMul(std::int64_t a, std::int64_t b) {
  if (a != 0 && b > std::numeric_limits<std::int64_t>::max() / a) return std::nullopt;
  return a * b;
}

/// Product of the dimensions, or nothing if one is negative or the product overflows.
std::optional<std::int64_t> elementCount(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) {
    if (d < 0) return std::nullopt;
    auto p = checkedMul(n, d);
    if (!p) return std::nullopt;
    n = *p;
  }
  return n;
}

std::string shapeString(const std::vector<std::int64_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + (shape.size() == 1 ? ",)" : ")");
}

/// The header text as shown in error messages: at most 120 characters, control bytes escaped.
std::string quoteHeader(std::string_view h) {
  std::string out = "\"";
  for (std::size_t i = 0; i < h.size() && i < 120; ++i) {
    const auto c = static_cast<unsigned char>(h[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + (h.size() > 120 ? "...\"" : "\"");
}

[[noreturn]] void fail(const std::string& name, const std::string& problem) {
  throw FileError(name + ": " + problem);
}

/// The fields of the header dict, as found.
struct Header {
  std::optional<std::string> descr;
  std::optional<bool> fortranOrder;
  std::optional<std::vector<std::int64_t>> shape;
};

/// Recursive-descent parser for the subset of Python literal syntax NumPy writes in headers:
///   { 'key': value, ... }   with values 'string' | True | False | (int, int, ...)
/// Whitespace is free, quotes may be single or double, trailing commas are allowed.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& name) : t_(text), name_(name) {}

  Header parse() {
    Header h;
    expect('{');
    while (true) {
      skipWs();
      if (peek() == '}') break;
      const std::string key = parseString("a quoted key");
      expect(':');
      skipWs();
      if (key == "descr") {
        if (h.descr) bad("duplicate key 'descr'");
        // Structured dtypes are written as a list of fields.
        if (peek() == '[')
          fail(name_,
               "unsupported structured dtype (attnscope reads float32 '<f4' and float64 '<f8')");
        h.descr = parseString("a quoted dtype string for 'descr'");
      } else if (key == "fortran_order") {
        if (h.fortranOrder) bad("duplicate key 'fortran_order'");
        h.fortranOrder = parseBool();
      } else if (key == "shape") {
        if (h.shape) bad("duplicate key 'shape'");
        h.shape = parseShape();
      } else {
        bad("unexpected key '" + key + "'");
      }
      skipWs();
      if (peek() == ',') {
        ++p_;
      } else if (peek() != '}') {
        bad("expected ',' or '}' after the value of '" + key + "'");
      }
    }
    ++p_;  // '}'
    skipWs();
    if (p_ != t_.size()) bad("unexpected text after the closing '}'");
    return h;
  }

 private:
  std::string_view t_;
  const std::string& name_;
  std::size_t p_ = 0;

  char peek() const { return p_ < t_.size() ? t_[p_] : '\0'; }

  void skipWs() {
    while (p_ < t_.size() && std::isspace(static_cast<unsigned char>(t_[p_]))) ++p_;
  }

  [[noreturn]] void bad(const std::string& what) const {
    fail(name_, "unparsable header: " + what + " at offset " + std::to_string(p_) + " in " +
                    quoteHeader(t_));
  }

  void expect(char c) {
    skipWs();
    if (peek() != c) bad(std::string("expected '") + c + "'");
    ++p_;
  }

  std::string parseString(const char* what) {
    skipWs();
    const char q = peek();
    if (q != '\'' && q != '"') bad(std::string("expected ") + what);
    const std::size_t end = t_.find(q, p_ + 1);
    if (end == std::string_view::npos) bad("unterminated string");
    std::string s(t_.substr(p_ + 1, end - p_ - 1));
    p_ = end + 1;
    return s;
  }

  bool parseBool() {
    if (t_.substr(p_, 4) == "True") {
      p_ += 4;
      return true;
    }
    if (t_.substr(p_, 5) == "False") {
      p_ += 5;
      return false;
    }
    bad("expected True or False for 'fortran_order'");
  }

  std::vector<std::int64_t> parseShape() {
    if (peek() != '(') bad("expected '(' to start the 'shape' tuple");
    ++p_;
    std::vector<std::int64_t> dims;
    while (true) {
      skipWs();
      if (peek() == ')') break;
      // Cap the number of dimensions parsed so that a hostile header cannot grow the vector much;
      // the exact limit is enforced (with a better message) after parsing.
      if (dims.size() > 64) bad("too many dimensions in 'shape'");
      dims.push_back(parseDim());
      skipWs();
      if (peek() == ',') {
        ++p_;
      } else if (peek() != ')') {
        bad("expected ',' or ')' in 'shape'");
      }
    }
    ++p_;  // ')'
    return dims;
  }

  std::int64_t parseDim() {
    const bool negative = peek() == '-';
    if (negative) ++p_;
    if (!std::isdigit(static_cast<unsigned char>(peek()))) bad("expected an integer in 'shape'");
    std::int64_t v = 0;
    while (std::isdigit(static_cast<unsigned char>(peek()))) {
      const int d = t_[p_] - '0';
      if (v > (std::numeric_limits<std::int64_t>::max() - d) / 10)
        fail(name_, "dimension in 'shape' does not fit in 64 bits");
      v = v * 10 + d;
      ++p_;
    }
    if (peek() == 'L') ++p_;  // Python 2 long suffix, as in "(3L, 4L)"
    if (negative) fail(name_, "negative dimension -" + std::to_string(v) + " in 'shape'");
    return v;
  }
};

std::uint32_t readLe(const std::string& b, std::size_t at, std::size_t n) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < n; ++i)
    v |= static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + i])) << (8 * i);
  return v;
}

std::size_t itemSize(NpyDtype t) {
  return t == NpyDtype::Float32 ? 4 : 8;
}

void checkShapeForWrite(const NpyArray& a) {
  if (a.shape.empty() || a.shape.size() > static_cast<std::size_t>(kMaxDims))
    throw InvalidArgument(".npy write: " + std::to_string(a.shape.size()) +
                          " dimensions; attnscope writes 1 to 3");
  const auto n = elementCount(a.shape);
  if (!n) throw InvalidArgument(".npy write: invalid shape " + shapeString(a.shape));
  if (static_cast<std::uint64_t>(*n) != a.data.size())
    throw InvalidArgument(".npy write: shape " + shapeString(a.shape) + " holds " +
                          std::to_string(*n) + " values but " + std::to_string(a.data.size()) +
                          " were given");
}

/// double → float without the undefined behaviour of converting an out-of-range finite value.
float toFloat(double x) {
  constexpr double kMax = std::numeric_limits<float>::max();
  if (x > kMax) return std::numeric_limits<float>::infinity();
  if (x < -kMax) return -std::numeric_limits<float>::infinity();
  return static_cast<float>(x);
}

}  // namespace

std::int64_t NpyArray::size() const {
  const auto n = elementCount(shape);
  if (!n) throw InvalidArgument("NpyArray: invalid shape " + shapeString(shape));
  return *n;
}

NpyArray parseNpy(const std::string& bytes, const std::string& name) {
  if (bytes.empty()) fail(name, "empty file");
  if (bytes.size() < kMagicLen || bytes.compare(0, kMagicLen, kMagic, kMagicLen) != 0)
    fail(name, "not a .npy file (bad magic; expected \\x93NUMPY)");
  if (bytes.size() < kMagicLen + 2) fail(name, "truncated header: file ends in the version bytes");

  const int major = static_cast<unsigned char>(bytes[6]);
  const int minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    fail(name, "unsupported .npy version " + std::to_string(major) + "." + std::to_string(minor) +
                   " (attnscope reads 1.0, 2.0 and 3.0)");
  const std::size_t lenBytes = major == 1 ? 2 : 4;
  const std::size_t prefix = kMagicLen + 2 + lenBytes;
  if (bytes.size() < prefix) fail(name, "truncated header: file ends in the header length");
  const std::size_t headerLen = readLe(bytes, kMagicLen + 2, lenBytes);
  if (headerLen > bytes.size() - prefix)
    fail(name, "truncated header: header length is " + std::to_string(headerLen) +
                   " bytes but only " + std::to_string(bytes.size() - prefix) + " follow");

  const std::string_view text(bytes.data() + prefix, headerLen);
  const Header h = HeaderParser(text, name).parse();
  if (!h.descr) fail(name, "header has no 'descr' key");
  if (!h.fortranOrder) fail(name, "header has no 'fortran_order' key");
  if (!h.shape) fail(name, "header has no 'shape' key");

  NpyArray a;
  const std::string& d = *h.descr;
  // '=' means native order, which is little-endian here (see the static_assert above).
  if (d == "<f4" || d == "=f4") {
    a.dtype = NpyDtype::Float32;
  } else if (d == "<f8" || d == "=f8") {
    a.dtype = NpyDtype::Float64;
  } else if (d == ">f4" || d == ">f8") {
    fail(name, "big-endian dtype '" + d + "' is not supported; save with arr.astype('<" +
                   d.substr(1) + "')");
  } else {
    fail(name, "unsupported dtype '" + d + "' (attnscope reads float32 '<f4' and float64 '<f8')");
  }
  if (*h.fortranOrder) fail(name, "Fortran order is not supported; save with np.ascontiguousarray");

  a.shape = *h.shape;
  if (a.shape.empty())
    fail(name, "0-dimensional array (shape ()); attnscope reads arrays of 1 to 3 dimensions");
  if (a.shape.size() > static_cast<std::size_t>(kMaxDims))
    fail(name, std::to_string(a.shape.size()) + " dimensions (shape " + shapeString(a.shape) +
                   "); attnscope reads arrays of 1 to 3 dimensions");
  const auto count = elementCount(a.shape);
  const auto nbytes =
      count ? checkedMul(*count, static_cast<std::int64_t>(itemSize(a.dtype))) : std::nullopt;
  if (!nbytes)
    fail(name, "shape " + shapeString(a.shape) + " is too large (element count overflows)");

  // Only now, with the size known to be present, allocate. Trailing bytes are ignored.
  const std::size_t dataAt = prefix + headerLen;
  const std::size_t available = bytes.size() - dataAt;
  if (static_cast<std::uint64_t>(*nbytes) > available)
    fail(name, "truncated data: expected " + std::to_string(*nbytes) + " bytes, found " +
                   std::to_string(available));

  const char* src = bytes.data() + dataAt;
  a.data.resize(static_cast<std::size_t>(*count));
  if (a.dtype == NpyDtype::Float64) {
    if (!a.data.empty()) std::memcpy(a.data.data(), src, static_cast<std::size_t>(*nbytes));
  } else {
    for (std::size_t i = 0; i < a.data.size(); ++i) {
      float f;
      std::memcpy(&f, src + 4 * i, 4);
      a.data[i] = f;
    }
  }
  return a;
}

NpyArray readNpy(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(path, "is a directory, not a .npy file");
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    fail(path, std::string("cannot open file: ") + (err ? std::strerror(err) : "unknown error"));
  }
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) fail(path, "cannot determine the file size");
  in.seekg(0, std::ios::beg);
  std::string bytes(static_cast<std::size_t>(size), '\0');
  if (size > 0 && !in.read(bytes.data(), size)) fail(path, "read error");
  return parseNpy(bytes, path);
}

std::string serializeNpy(const NpyArray& array) {
  checkShapeForWrite(array);
  const char* descr = array.dtype == NpyDtype::Float32 ? "<f4" : "<f8";
  std::string dict = std::string("{'descr': '") + descr +
                     "', 'fortran_order': False, 'shape': " + shapeString(array.shape) + ", }";

  // Version 1.0 has a 2-byte header length; fall back to 2.0 if the header could not fit (it
  // cannot happen with at most 3 dimensions, but costs nothing to handle).
  const bool v1 = dict.size() + 1 + kAlign < 65536;
  const std::size_t prefix = kMagicLen + 2 + (v1 ? 2 : 4);
  // Pad with spaces so that magic + length + dict + '\n' is a multiple of 64.
  const std::size_t pad = (kAlign - (prefix + dict.size() + 1) % kAlign) % kAlign;
  dict.append(pad, ' ');
  dict += '\n';

  std::string out(kMagic, kMagicLen);
  out += static_cast<char>(v1 ? 1 : 2);
  out += '\0';
  const auto hl = static_cast<std::uint32_t>(dict.size());
  for (std::size_t i = 0; i < (v1 ? 2u : 4u); ++i) out += static_cast<char>((hl >> (8 * i)) & 0xff);
  out += dict;

  const std::size_t dataAt = out.size();
  out.resize(dataAt + array.data.size() * itemSize(array.dtype));
  char* dst = out.data() + dataAt;
  if (array.dtype == NpyDtype::Float64) {
    if (!array.data.empty()) std::memcpy(dst, array.data.data(), array.data.size() * 8);
  } else {
    for (std::size_t i = 0; i < array.data.size(); ++i) {
      const float f = toFloat(array.data[i]);
      std::memcpy(dst + 4 * i, &f, 4);
    }
  }
  return out;
}

void writeNpy(const std::string& path, const NpyArray& array) {
  writeFileAtomically(path, serializeNpy(array));
}

void writeNpy(const std::string& path, const MatrixF& m) {
  NpyArray a;
  a.dtype = NpyDtype::Float32;
  a.shape = {static_cast<std::int64_t>(m.rows()), static_cast<std::int64_t>(m.cols())};
  a.data.assign(m.data(), m.data() + m.size());  // row-major: already C order
  writeNpy(path, a);
}

void writeNpy(const std::string& path, const MatrixD& m) {
  NpyArray a;
  a.dtype = NpyDtype::Float64;
  a.shape = {static_cast<std::int64_t>(m.rows()), static_cast<std::int64_t>(m.cols())};
  a.data.assign(m.data(), m.data() + m.size());
  writeNpy(path, a);
}

void writeNpy(const std::string& path, const VectorD& v) {
  NpyArray a;
  a.dtype = NpyDtype::Float64;
  a.shape = {static_cast<std::int64_t>(v.size())};
  a.data.assign(v.data(), v.data() + v.size());
  writeNpy(path, a);
}

void writeNpy(const std::string& path, const std::vector<MatrixF>& stack) {
  if (stack.empty()) throw InvalidArgument(path + ": cannot write an empty stack of matrices");
  const Eigen::Index rows = stack[0].rows(), cols = stack[0].cols();
  NpyArray a;
  a.dtype = NpyDtype::Float32;
  a.shape = {static_cast<std::int64_t>(stack.size()), static_cast<std::int64_t>(rows),
             static_cast<std::int64_t>(cols)};
  a.data.reserve(stack.size() * static_cast<std::size_t>(rows * cols));
  for (std::size_t h = 0; h < stack.size(); ++h) {
    const MatrixF& m = stack[h];
    if (m.rows() != rows || m.cols() != cols)
      throw InvalidArgument(path + ": matrix " + std::to_string(h) + " of the stack is " +
                            std::to_string(m.rows()) + "x" + std::to_string(m.cols()) +
                            " but matrix 0 is " + std::to_string(rows) + "x" +
                            std::to_string(cols));
    a.data.insert(a.data.end(), m.data(), m.data() + m.size());
  }
  writeNpy(path, a);
}

MatrixD toMatrix(const NpyArray& a, const std::string& name) {
  Eigen::Index rows = 0, cols = 0;
  if (a.shape.size() == 1) {
    rows = 1;
    cols = a.shape[0];
  } else if (a.shape.size() == 2) {
    rows = a.shape[0];
    cols = a.shape[1];
  } else {
    fail(name, "expected 2 dimensions, found " + std::to_string(a.shape.size()) + " (shape " +
                   shapeString(a.shape) + ")");
  }
  const auto n = elementCount(a.shape);
  if (!n || static_cast<std::uint64_t>(*n) != a.data.size())
    throw InvalidArgument(name + ": shape " + shapeString(a.shape) + " does not match " +
                          std::to_string(a.data.size()) + " values");
  return Eigen::Map<const MatrixD>(a.data.data(), rows, cols);
}

}  // namespace attnscope
