#include "io/truncation.h"

#include <cstring>

namespace attnscope {

namespace {
std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
         std::uint32_t(p[3]);
}

std::string pngProblem(const unsigned char* d, std::int64_t size) {
  std::int64_t pos = 8;
  while (true) {
    if (pos + 8 > size) return "the PNG data ends before its IEND chunk";
    const std::int64_t len = be32(d + pos);
    const std::string type(reinterpret_cast<const char*>(d + pos + 4), 4);
    if (pos + 12 + len > size) return "the PNG data ends inside its " + type + " chunk";
    if (type == "IEND") return "";
    pos += 12 + len;
  }
}

bool isRst(unsigned char m) {
  return m >= 0xD0 && m <= 0xD7;
}

std::string jpegProblem(const unsigned char* d, std::int64_t size) {
  std::int64_t pos = 2;  // after SOI
  while (true) {
    if (pos >= size) return "the JPEG data ends before its end-of-image marker";
    if (d[pos] != 0xFF) return "";               // malformed, not truncated: the decoder reports it
    while (pos < size && d[pos] == 0xFF) ++pos;  // fill bytes
    if (pos >= size) return "the JPEG data ends before its end-of-image marker";
    const unsigned char m = d[pos++];
    if (m == 0xD9) return "";
    if (isRst(m) || m == 0x01) continue;
    if (pos + 2 > size) return "the JPEG data ends inside a segment header";
    const std::int64_t len = (std::int64_t(d[pos]) << 8) | d[pos + 1];
    if (pos + len > size) return "the JPEG data ends inside a segment";
    pos += len;
    if (m != 0xDA) continue;
    // Entropy-coded data after start-of-scan: runs to the next marker that is not FF00 or RSTn.
    while (true) {
      if (pos + 1 >= size) return "the JPEG data ends inside the compressed image data";
      if (d[pos] == 0xFF && d[pos + 1] != 0x00 && d[pos + 1] != 0xFF && !isRst(d[pos + 1])) break;
      ++pos;
    }
  }
}
}  // namespace

std::string truncationProblem(const unsigned char* data, std::int64_t size) {
  static const unsigned char png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (size >= 8 && std::memcmp(data, png, 8) == 0) return pngProblem(data, size);
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
    return jpegProblem(data, size);
  return "";
}

}  // namespace attnscope
