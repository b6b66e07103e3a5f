// The comparison the model tests make: a float32 result against a double-precision reference.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "attnscope/types.h"
#include "forward_reference.h"

namespace attnscope::test {

/// max |got − want| / max |want| (a shape mismatch fails the test and returns 1e9).
inline double relativeError(const MatrixF& got, const Mat& want) {
  if (got.rows() != static_cast<Eigen::Index>(want.size()) || want.empty() ||
      got.cols() != static_cast<Eigen::Index>(want[0].size())) {
    ADD_FAILURE() << "shape " << got.rows() << " × " << got.cols() << " vs " << want.size() << " × "
                  << (want.empty() ? 0 : want[0].size());
    return 1e9;
  }
  double diff = 0, scale = 1e-30;
  for (Eigen::Index i = 0; i < got.rows(); ++i)
    for (Eigen::Index j = 0; j < got.cols(); ++j) {
      const double w = want[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
      diff = std::max(diff, std::abs(static_cast<double>(got(i, j)) - w));
      scale = std::max(scale, std::abs(w));
    }
  return diff / scale;
}

}  // namespace attnscope::test
