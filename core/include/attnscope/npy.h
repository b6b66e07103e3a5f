// .npy read/write (NumPy format versions 1.0, 2.0 and 3.0 on read; 1.0 on write when the header fits).
// Supported: float32 ('<f4') and float64 ('<f8'), little-endian, C order, 1 to 3 dimensions.
// Anything else (other dtypes, big-endian, Fortran order, malformed header, truncated data) throws
// FileError with a message naming the file and the problem.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/types.h"

namespace attnscope {

enum class NpyDtype { Float32, Float64 };

/// An array read from or to be written to .npy. Data are held as double whatever the file's dtype;
/// `dtype` records what the file held (or what to write).
struct NpyArray {
  std::vector<std::int64_t> shape;  ///< 1 to 3 dimensions
  std::vector<double> data;         ///< C order, product(shape) values
  NpyDtype dtype = NpyDtype::Float32;

  std::int64_t size() const;
};

/// Reads a .npy file. Throws FileError naming `path` and the problem.
NpyArray readNpy(const std::string& path);
/// Parses .npy bytes already in memory; `name` is used in error messages.
NpyArray parseNpy(const std::string& bytes, const std::string& name = "<memory>");

/// Serialises to .npy bytes.
std::string serializeNpy(const NpyArray& array);
/// Writes a .npy file (atomically: a temporary file renamed over the target). Throws FileError.
void writeNpy(const std::string& path, const NpyArray& array);

/// Conveniences for the matrix and vector types.
void writeNpy(const std::string& path, const MatrixF& m);
void writeNpy(const std::string& path, const MatrixD& m);
void writeNpy(const std::string& path, const VectorD& v);
/// Stack of equally-shaped matrices as [H, rows, cols].
void writeNpy(const std::string& path, const std::vector<MatrixF>& stack);

/// A 2D array as a matrix (1D arrays become one row). Throws FileError if ndim is 3.
MatrixD toMatrix(const NpyArray& a, const std::string& name = "<array>");

}  // namespace attnscope
