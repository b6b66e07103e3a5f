// Per-head queries, keys and values: what every mechanism consumes. Keys and values are stored
// per KV head; a query head reads the K and V of its KV head (grouped-query attention: Llama's
// num_key_value_heads < num_attention_heads) through a view, never a copy.
#pragma once

#include <string>
#include <vector>

#include "attnscope/types.h"

namespace attnscope {

/// One head as the kernels read it: Q is N by d_k, K is N by d_k, V is N by d_v (row i = token i).
/// A view: it refers to the Qkv's matrices (which must outlive it) and copies nothing.
struct HeadQKV {
  const MatrixF& Q;
  const MatrixF& K;
  const MatrixF& V;
};

/// One head's own matrices (what Qkv::addHead stores).
struct HeadData {
  MatrixF Q, K, V;
};

/// H query heads and G key/value heads of equal shapes; query head h reads KV head kvHead(h).
struct Qkv {
  std::vector<MatrixF> q;     ///< H query heads
  std::vector<MatrixF> k, v;  ///< G key and value heads
  /// Query head → KV head (H entries, each in 0..G-1); empty: one KV head per query head.
  std::vector<int> kvOf;

  int numHeads() const { return static_cast<int>(q.size()); }
  int numKvHeads() const { return static_cast<int>(k.size()); }
  int kvHead(int h) const { return kvOf.empty() ? h : kvOf[static_cast<std::size_t>(h)]; }
  /// Head h as a view (q[h] and its KV head's k and v).
  HeadQKV head(int h) const {
    const auto g = static_cast<std::size_t>(kvHead(h));
    return {q[static_cast<std::size_t>(h)], k[g], v[g]};
  }
  /// Every head as views.
  std::vector<HeadQKV> heads() const;
  /// Appends a query head with a KV head of its own ({Q, K, V}: a braced list keeps the
  /// left-to-right order of the expressions, e.g. three draws of one random generator).
  void addHead(HeadData head);

  int n() const { return q.empty() ? 0 : static_cast<int>(q[0].rows()); }
  int dk() const { return q.empty() ? 0 : static_cast<int>(q[0].cols()); }
  int dv() const { return v.empty() ? 0 : static_cast<int>(v[0].cols()); }

  /// Throws InvalidArgument (mentioning `what`) unless there is at least one head, N ≥ 1, d ≥ 1,
  /// all heads share N, d_k and d_v, the KV map is valid (H entries in 0..G-1, or empty with
  /// G = H), and every value is finite (NaN/Inf are named with their place).
  void validate(const std::string& what = "Q/K/V") const;
  /// Indices of the heads a selection covers; throws InvalidArgument for an out-of-range head.
  std::vector<int> select(HeadSel sel) const;
  /// The selected heads as a Qkv of their own (copies of their Q, K and V; KV heads shared by
  /// several selected heads are copied once).
  Qkv subset(const std::vector<int>& heads) const;
};

/// Throws InvalidArgument naming `what`, the row and column of the first non-finite value, if any.
void requireFinite(const MatrixF& m, const std::string& what);

}  // namespace attnscope
