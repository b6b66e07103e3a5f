// One .safetensors file, memory-mapped read-only and validated on open.
//
// Layout: bytes 0-7 hold N (u64, little-endian), bytes 8..8+N a UTF-8 JSON object
// {NAME: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}, and the rest is
// the data buffer; offsets are relative to its start, row-major, little-endian. open() checks what the
// reference implementation checks: N <= 100 MB and inside the file, a JSON object, every entry with a
// known dtype, non-negative integer shape and offsets, begin <= end, size = product(shape) * itemsize
// (without overflow), tensors that neither overlap nor leave holes, and a buffer they cover exactly.
// Every error is a FileError naming the file and, where there is one, the tensor.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/models/dtype.h"
#include "attnscope/types.h"

namespace attnscope::models {

class MappedBytes;

/// Where one tensor lies and what it holds.
struct TensorInfo {
  std::string name;
  Dtype dtype = Dtype::F32;
  std::vector<std::int64_t> shape;  ///< row-major; empty for a scalar
  std::uint64_t begin = 0;          ///< byte offset in the data buffer
  std::uint64_t end = 0;            ///< one past the last byte
  /// product(shape) (1 for a scalar).
  std::int64_t numel() const;
};

/// "[2, 3, 4]".
std::string shapeText(const std::vector<std::int64_t>& shape);

class SafetensorsFile {
 public:
  /// Maps and validates `path`. Throws FileError naming the file (and the tensor) on any problem.
  static std::shared_ptr<const SafetensorsFile> open(const std::string& path);
  /// Validates a whole file held in memory; `name` stands for the file in messages (fuzzing, tests).
  static std::shared_ptr<const SafetensorsFile> fromBytes(std::string bytes, const std::string& name);

  const std::string& path() const { return path_; }
  /// Tensor names in the order of their data (ascending offsets).
  std::vector<std::string> names() const;
  bool contains(const std::string& name) const { return index_.count(name) > 0; }
  /// Throws FileError "FILE: no tensor 'NAME'".
  const TensorInfo& info(const std::string& name) const;
  /// The header's "__metadata__" (empty when absent).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  /// All elements of `name`, row-major, converted to float32. Throws FileError for dtypes other than
  /// F32, F16, BF16 and F64.
  std::vector<float> values(const std::string& name) const;
  /// `name` as a matrix, converted to float32:
  ///   rank 2 [R, C]          → R by C;
  ///   rank 1 [n]             → 1 by n (a row);
  ///   rank 0                 → 1 by 1;
  ///   rank k > 2 [a, ..., z] → (a·...·y) by z (leading dimensions collapsed into rows).
  MatrixF matrix(const std::string& name) const;
  /// `name` reshaped to `rows` by `cols` (row-major); rows·cols must equal numel.
  MatrixF matrix(const std::string& name, Eigen::Index rows, Eigen::Index cols) const;
  /// The raw little-endian bytes of `info` (end - begin of them).
  const unsigned char* bytes(const TensorInfo& info) const;

  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

 private:
  SafetensorsFile(std::string path, std::unique_ptr<MappedBytes> bytes);
  void convert(const TensorInfo& t, float* dst) const;

  std::string path_;
  std::unique_ptr<MappedBytes> bytes_;
  std::uint64_t dataStart_ = 0;
  std::vector<TensorInfo> tensors_;            // ascending offsets
  std::map<std::string, std::size_t> index_;  // name → position in tensors_
  std::map<std::string, std::string> metadata_;
};

}  // namespace attnscope::models
