#include "attnscope/models/dtype.h"

#include <cmath>
#include <cstring>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data is little-endian; this reader assumes a little-endian host"
#endif

namespace attnscope::models {

namespace {
struct DtypeRow {
  Dtype dtype;
  const char* name;
  std::size_t size;
};
constexpr DtypeRow kDtypes[] = {
    {Dtype::F64, "F64", 8},  {Dtype::F32, "F32", 4},        {Dtype::F16, "F16", 2},
    {Dtype::BF16, "BF16", 2}, {Dtype::I64, "I64", 8},       {Dtype::I32, "I32", 4},
    {Dtype::I16, "I16", 2},  {Dtype::I8, "I8", 1},          {Dtype::U64, "U64", 8},
    {Dtype::U32, "U32", 4},  {Dtype::U16, "U16", 2},        {Dtype::U8, "U8", 1},
    {Dtype::Bool, "BOOL", 1}, {Dtype::F8E4M3, "F8_E4M3", 1}, {Dtype::F8E5M2, "F8_E5M2", 1},
};
const DtypeRow& row(Dtype t) {
  for (const DtypeRow& r : kDtypes)
    if (r.dtype == t) return r;
  return kDtypes[1];
}

template <typename T>
T loadLE(const unsigned char* p) {
  // The host is little-endian (checked below), so a memcpy reads the file's order; memcpy also
  // handles tensors at odd offsets.
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE float and double expected");
}  // namespace

std::string dtypeName(Dtype t) { return row(t).name; }
std::size_t dtypeSize(Dtype t) { return row(t).size; }

bool parseDtype(const std::string& name, Dtype* out) {
  for (const DtypeRow& r : kDtypes)
    if (name == r.name) {
      *out = r.dtype;
      return true;
    }
  return false;
}

bool isReadable(Dtype t) {
  return t == Dtype::F32 || t == Dtype::F16 || t == Dtype::BF16 || t == Dtype::F64;
}

float halfToFloat(std::uint16_t h) {
  const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1Fu;
  const std::uint32_t mant = h & 0x3FFu;
  std::uint32_t bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13);  // infinity or NaN (payload kept)
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);  // rebias 15 → 127
  } else if (mant == 0) {
    bits = sign;  // ±0
  } else {
    // Subnormal: mant · 2^-24, exact in float.
    const float v = std::ldexp(static_cast<float>(mant), -24);
    std::memcpy(&bits, &v, 4);
    bits |= sign;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bfloat16ToFloat(std::uint16_t b) {
  const std::uint32_t bits = std::uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

void convertToFloat(Dtype t, const unsigned char* src, std::size_t count, float* dst) {
  if (count == 0) return;  // an empty destination may be a null pointer (found by fuzz_safetensors)
  switch (t) {
    case Dtype::F32:
      std::memcpy(dst, src, count * 4);
      break;
    case Dtype::F64:
      for (std::size_t i = 0; i < count; ++i) dst[i] = static_cast<float>(loadLE<double>(src + 8 * i));
      break;
    case Dtype::F16:
      for (std::size_t i = 0; i < count; ++i) dst[i] = halfToFloat(loadLE<std::uint16_t>(src + 2 * i));
      break;
    case Dtype::BF16:
      // The upper half of a float32: a shift the compiler vectorises.
      for (std::size_t i = 0; i < count; ++i) {
        const std::uint32_t bits = std::uint32_t(src[2 * i]) << 16 | std::uint32_t(src[2 * i + 1]) << 24;
        std::memcpy(dst + i, &bits, 4);
      }
      break;
    default:
      break;  // callers check isReadable
  }
}

}  // namespace attnscope::models
