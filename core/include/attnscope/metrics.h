// Per-map metrics (MATH.md "Metrics"): row entropy, row diversity, agreement with softmax.
#pragma once

#include <cstdint>
#include <vector>

#include "attnscope/attention.h"
#include "attnscope/progress.h"

namespace attnscope {

struct MetricsOptions {
  /// Entropy and KL use every row up to this N, else a seeded sample of this many rows.
  int maxRows = 4096;
  /// Row diversity uses all pairs up to this many rows, else a seeded sample (MATH.md: 512).
  int diversityRows = 512;
  std::uint64_t seed = 0;
};

struct MapMetrics {
  double meanEntropy = 0;            ///< mean_i H_i, H_i = −Σ_j A_ij ln A_ij (nats)
  double meanNormalisedEntropy = 0;  ///< mean_i H_i / ln|allowed(i)| (rows with one allowed key skipped)
  double rowDiversity = 0;           ///< mean pairwise cosine similarity of rows (1 = all alike)
  int rowsUsed = 0;                  ///< rows behind the entropy means
  bool sampled = false;              ///< true when rowsUsed < N
};

/// `k` distinct indices in [0, n), ascending, chosen by the seeded RNG (all of them when k ≥ n).
std::vector<int> sampleRows(int n, int k, std::uint64_t seed);

MapMetrics mapMetrics(const PreparedAttention& map, const MetricsOptions& opts = {},
                      const JobControl& job = {});

/// mean_i KL(A^soft_i ‖ A^x_i) over the same rows as mapMetrics (+∞ where A^x_i misses a key that
/// softmax uses, e.g. identity mixing).
double meanKlFromSoftmax(const PreparedAttention& softmax, const PreparedAttention& other,
                         const MetricsOptions& opts = {}, const JobControl& job = {});

/// ‖O^x − O^soft‖_F / ‖O^soft‖_F.
double outputRelativeError(const MatrixF& out, const MatrixF& softmaxOut);

}  // namespace attnscope
