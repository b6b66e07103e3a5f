// Element types of safetensors files: the names the format uses, their sizes, and the conversion of
// the ones attnscope reads (F32, F16, BF16, F64) to float32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace attnscope::models {

/// Every dtype the safetensors format names. Only F32, F16, BF16 and F64 can be read as numbers;
/// the others are accepted in a file (so its layout can be validated) and refused on access.
enum class Dtype { F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, Bool, F8E4M3, F8E5M2 };

/// The format's name of `t` ("F32", "BF16", "F8_E4M3", ...).
std::string dtypeName(Dtype t);
/// Bytes per element.
std::size_t dtypeSize(Dtype t);
/// The dtype named `name`; false when the format has no such name.
bool parseDtype(const std::string& name, Dtype* out);
/// True for the dtypes attnscope converts to float32.
bool isReadable(Dtype t);

/// IEEE 754 binary16 bits → float (subnormals, infinities and NaN included).
float halfToFloat(std::uint16_t bits);
/// bfloat16 bits (the upper half of a float32) → float.
float bfloat16ToFloat(std::uint16_t bits);

/// Converts `count` little-endian elements of readable dtype `t` starting at `src` (any alignment)
/// to float32 in `dst` (count floats). `t` must satisfy isReadable.
void convertToFloat(Dtype t, const unsigned char* src, std::size_t count, float* dst);

}  // namespace attnscope::models
