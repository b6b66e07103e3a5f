// What the model's K/V cost and keep (issue 25 #4, #5; MATH.md "Low-rank K/V"): the KV-cache sizes
// of multi-head, grouped and latent attention, and what running on a rank-r K/V latent costs.
// Plain numbers (no model types): carried in Results::model, written to metrics.json and kv_rank.json.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace attnscope {

/// Numbers a KV cache stores per token and layer (MATH.md "Low-rank K/V"): multi-head attention
/// 2·H·d, the model's grouped heads 2·H_kv·d, an MLA-style latent of rank r.
struct KvCacheSize {
  int mha = 0, gqa = 0, latent = 0;  ///< latent 0: no rank chosen
  int layers = 0;
  /// Bytes per token for the whole model at 2 bytes a number (bf16/f16 caches).
  static std::int64_t bytes(int numbers, int layers) { return std::int64_t(numbers) * 2 * layers; }
};

/// With session.model.kvRank > 0: what running on the rank-r K/V latent costs against the model's
/// own K/V (a second forward without it).
struct KvRankReport {
  int rank = 0;
  int rankLayer = -1;             ///< the one layer the rank applies to; -1 = every layer
  int fullRank = 0;               ///< min(N, 2·H_kv·d): ranks from here on change nothing
  std::vector<double> alpha;      ///< per layer ‖K‖_F / ‖V‖_F
  /// Per layer and query head: KL(P ‖ P̂) of the model's own map to the low-rank one (nats, mean
  /// over rows; 0 for layers the rank did not touch before the first one it did).
  std::vector<std::vector<double>> kl;
  double nll = 0, lowRankNll = 0; ///< mean next-token loss (nats/token); text models
  bool text = false;
  KvCacheSize cache;
  /// One line for the notices: the rank, ΔNLL, the KL range at `layer` and the cache it takes.
  std::string summary(int layer) const;
  /// kv_rank.json.
  std::string json() const;
};

/// The rank sweep of the low-rank K/V (MATH.md): every layer at rank r, for r = 1, 2, 4, … and the
/// full rank; and per layer the energy spectrum of [K/α | V] with the ranks holding 90/95/99 %.
struct KvSweep {
  std::vector<int> ranks;
  std::vector<double> deltaNll;  ///< per rank: mean next-token loss minus the model's (text models)
  std::vector<double> meanKl;    ///< per rank: mean over layers and heads of KL(P ‖ P̂), nats
  std::vector<double> maxKl;     ///< per rank: the largest head's
  double nll = 0;                ///< the model's own mean loss
  bool text = false;
  int fullRank = 0;
  KvCacheSize cache;             ///< latent 0: the latent is the rank of each row
  /// Per layer: singular values of X (descending) and the ranks for 90, 95, 99 % of Σσ².
  std::vector<std::vector<double>> spectra;
  std::vector<std::vector<int>> energyRanks;
  static constexpr double kEnergy[3] = {0.90, 0.95, 0.99};

  /// kv_rank_sweep.csv: rank, cache numbers and bf16 bytes per token, ΔNLL, mean and max KL.
  std::string csv() const;
  /// kv_energy.csv: layer, alpha-free ranks for 90/95/99 % energy, the full rank.
  std::string energyCsv() const;
};

/// What metrics.json says of the model.
struct ModelFacts {
  std::string family, architecture;
  int layers = 0, heads = 0, kvHeads = 0, dHead = 0;
  std::string rope;  ///< RopeSpec::describe(), "none"
  KvCacheSize cache;
  std::shared_ptr<const KvRankReport> kvRank;  ///< with session.model.kvRank > 0
};

}  // namespace attnscope
