// Per-head queries, keys and values: what every mechanism consumes.
#pragma once

#include <string>
#include <vector>

#include "attnscope/types.h"

namespace attnscope {

/// One head: Q is N by d_k, K is N by d_k, V is N by d_v (row i = token i).
struct HeadQKV {
  MatrixF Q, K, V;
};

/// H heads of equal shapes.
struct Qkv {
  std::vector<HeadQKV> heads;

  int numHeads() const { return static_cast<int>(heads.size()); }
  int n() const { return heads.empty() ? 0 : static_cast<int>(heads[0].Q.rows()); }
  int dk() const { return heads.empty() ? 0 : static_cast<int>(heads[0].Q.cols()); }
  int dv() const { return heads.empty() ? 0 : static_cast<int>(heads[0].V.cols()); }

  /// Throws InvalidArgument (mentioning `what`) unless there is at least one head, N ≥ 1, d ≥ 1,
  /// all heads share N, d_k and d_v, and every value is finite (NaN/Inf are named with their place).
  void validate(const std::string& what = "Q/K/V") const;
  /// Indices of the heads a selection covers; throws InvalidArgument for an out-of-range head.
  std::vector<int> select(HeadSel sel) const;
};

/// Throws InvalidArgument naming `what`, the row and column of the first non-finite value, if any.
void requireFinite(const MatrixF& m, const std::string& what);

}  // namespace attnscope
