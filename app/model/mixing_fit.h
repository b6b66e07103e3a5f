// The fitted mixing (`--mixing fitted`, MATH.md "Fitted mixing") for a session's heads: one fit per
// head of the core's fitHeadMixing, kept in a small cache keyed by the head's Q/K and the mechanism
// settings (a layer switch or a re-analysis does not fit again), with the KL every initialisation
// reaches on the same head beside the fitted one.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "attnscope/fitted_mixing.h"
#include "attnscope/mechanism.h"
#include "attnscope/progress.h"
#include "attnscope/qkv.h"

namespace attnscope {

struct HeadMixingFit {
  int head = 0;
  MatrixD mixing;          ///< M×M, rows scaled to max 1
  double klFitted = 0;     ///< mean_t KL(softmax ‖ MHLA with `mixing`) over every token
  /// mean KL of MHLA with each initialisation on the same head (init name, KL), MATH.md table order.
  std::vector<std::pair<std::string, double>> klInits;
  int iterations = 0;
  double gradient = 0;
  bool converged = true;
};

struct MixingFitReport {
  std::vector<HeadMixingFit> heads;  ///< the heads fitted, in the order asked
  /// The heads' mean (rows scaled to max 1 again): what one heatmap shows for several heads.
  MatrixD meanMixing() const;
  const HeadMixingFit* find(int head) const;
};

/// Fits `mhla`'s 𝓜 against `softmax` on each head of `heads` (cached). Throws InvalidArgument
/// where the fit does not apply (official normaliser, …); Cancelled between heads and Newton steps.
std::shared_ptr<const MixingFitReport> fitHeads(const MechanismSpec& mhla, const MechanismSpec& softmax,
                                                const Qkv& qkv, const std::vector<int>& heads,
                                                const JobControl& job = {});

/// `mhla` with each fitted head's 𝓜 (MechanismSpec::headMixing, sized qkv.numHeads()) and `mixing`
/// set to the mean of the fits (validation, labels, timing).
MechanismSpec withFittedMixing(const MechanismSpec& mhla, const MixingFitReport& fits, int numHeads);

/// Drops every cached fit (tests).
void clearMixingFitCache();

}  // namespace attnscope
