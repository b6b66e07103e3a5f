// Test-side writer of safetensors files and tiny checkpoints in each family's layout (real tensor
// names, random values). Written from the format description, independent of the reader.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace attnscope::test {

struct WTensor {
  std::string name;
  std::string dtype = "F32";           ///< F32, F16, BF16, F64 (encoded from values) or any other name
  std::vector<std::int64_t> shape;
  std::vector<double> values;          ///< product(shape) of them (for the readable dtypes)
  std::string raw;                     ///< used instead of encoding values when not empty
};

/// Element bytes of `dtype` for the writer ("I64" etc. included).
std::size_t itemSize(const std::string& dtype);
/// Encodes values as little-endian `dtype` (F16 exact for values representable in binary16; BF16 by
/// truncation of the float32).
std::string encode(const std::string& dtype, const std::vector<double>& values);
/// The JSON header text for `tensors` laid out one after the other (plus optional metadata).
std::string headerJson(const std::vector<WTensor>& tensors, const std::map<std::string, std::string>& metadata);
/// A whole file: u64 header length, header (space-padded to a multiple of 8, as the reference pads it), buffer.
std::string buildFile(const std::vector<WTensor>& tensors, const std::map<std::string, std::string>& metadata = {});
/// A file from a hand-made header and buffer.
std::string rawFile(const std::string& header, const std::string& buffer);
void writeBytes(const std::string& path, const std::string& bytes);

/// Deterministic values in [-1, 1) (multiples of 1/256, exact in F16, BF16 and F32).
std::vector<double> randomValues(std::size_t n, std::uint64_t seed);
WTensor randomTensor(const std::string& name, std::vector<std::int64_t> shape, std::uint64_t seed,
                     const std::string& dtype = "F32");

/// A fresh empty folder under the system temp dir.
std::string makeTempDir(const std::string& tag);

/// Tiny checkpoints (D = 8, 2 layers, 2 heads): tensors with the real names, and config.json text.
struct TinyModel {
  std::vector<WTensor> tensors;
  std::string config;  ///< config.json contents
};
TinyModel tinyGpt2(const std::string& prefix = "", const std::string& dtype = "F32");
TinyModel tinyHfVit(const std::string& prefix = "");
TinyModel tinyTimmVit();
TinyModel tinyDinov2(int registers);

/// Writes config.json (when `withConfig`) and model.safetensors into `dir`.
void writeCheckpoint(const std::string& dir, const TinyModel& m, bool withConfig = true);
/// Writes the tensors as `shards` files model-0000i-of-0000n.safetensors + model.safetensors.index.json.
void writeSharded(const std::string& dir, const std::vector<WTensor>& tensors, int shards);

}  // namespace attnscope::test
