// Matrix types shared by every layer. Row i of a matrix is token i (row-major storage, so a token's
// vector is contiguous).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

namespace attnscope {

/// N by d float matrix, row-major: row i is token i.
using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
/// Double-precision counterpart, used for references, spectra and metrics.
using MatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using VectorF = Eigen::VectorXf;
using VectorD = Eigen::VectorXd;

/// Selects one head (0..H-1) or all heads.
struct HeadSel {
  static constexpr int kAll = -1;
  int head = kAll;
  static HeadSel all() { return HeadSel{kAll}; }
  static HeadSel one(int h) { return HeadSel{h}; }
  bool isAll() const { return head == kAll; }
};

}  // namespace attnscope
