// The fitted mixing matrix (MATH.md "Fitted mixing"): for one head, the non-negative 𝓜 that brings
// MHLA (paper normaliser, the spec's φ, blocks and causality) closest to softmax, measured by
// mean_t KL(P_t ‖ A^MHLA_t).
//
// With s_tj = φ(q_t)·φ(k_j), S_tb = Σ_{j∈B_b} s_tj and P̄_tb = Σ_{j∈B_b} P_tj, the mean KL is
//   KL(𝓜) = (1/N) Σ_t [ C_t + log Σ_b m_{a(t)b} S_tb − Σ_b P̄_tb log m_{a(t)b} ],
//   C_t = Σ_j P_tj log(P_tj / s_tj)   (independent of 𝓜),
// so every row a of 𝓜 is an independent convex problem in w = log m_{a,·} (a log-sum-exp minus a
// linear term), solved here by damped Newton to a gradient tolerance. The statistics S, P̄ and C
// are computed once per head (O(N²·(d_k + r)), in double precision); the solve and the KL of any
// other 𝓜 (every initialisation) then cost O(N·M) each.
#pragma once

#include <string>
#include <vector>

#include "attnscope/mechanism.h"
#include "attnscope/progress.h"
#include "attnscope/qkv.h"
#include "attnscope/types.h"

namespace attnscope {

/// The name of the mixing choice that fits 𝓜 per head (a session's "mhla.mixing", `--mixing fitted`).
inline constexpr const char* kFittedMixingName = "fitted";

/// One head's sufficient statistics for the fit.
struct MixingFitData {
  int m = 0;               ///< blocks M
  std::vector<int> block;  ///< block of each token, length N
  MatrixD S;               ///< N×M: Σ_{j∈B_b, allowed(t)} φ(q_t)·φ(k_j) (0 for blocks t never sees)
  MatrixD P;               ///< N×M: the softmax row's mass on each block
  VectorD constant;        ///< C_t (+inf where softmax uses a key whose kernel φ(q_t)·φ(k_j) is 0)
  int n() const { return static_cast<int>(block.size()); }
};

/// The statistics of one head for `mhla` (kind mhla, paper normaliser) against `softmax` (kind
/// softmax, the same causality). Throws InvalidArgument for other kinds, the official normaliser or
/// mismatched causality. Cancelled between row chunks.
MixingFitData mixingFitData(const MechanismSpec& mhla, const MechanismSpec& softmax, const HeadQKV& head,
                            const JobControl& job = {});

struct MixingFitOptions {
  /// Stop a row when max_b |∂f/∂w_b| ≤ tolerance·|B_a| (the gradient, not an iteration count).
  double gradientTolerance = 1e-10;
  /// A guard only: a row that has not met the tolerance by then is reported unconverged.
  int maxIterations = 500;
};

struct MixingFit {
  MatrixD mixing;         ///< M×M, each row scaled to max 1; blocks a row never sees are 0
  double meanKl = 0;      ///< mean_t KL(P_t ‖ A_t) at `mixing` (+inf when undefined for every 𝓜)
  int iterations = 0;     ///< Newton steps, summed over rows
  double gradient = 0;    ///< the largest final max_b |∂f/∂w_b| / |B_a| over rows
  bool converged = true;  ///< every row met the tolerance
};

/// Solves every row of 𝓜 to the optimum (rows in parallel). Cancelled between Newton steps.
MixingFit fitMixing(const MixingFitData& data, const MixingFitOptions& options = {}, const JobControl& job = {});

/// mean_t KL(P_t ‖ A_t) of MHLA with mixing `mix` (M×M, non-negative), from the statistics: exact,
/// O(N·M). +inf where a row of 𝓜 gives no weight to a block that softmax uses.
double meanKlOfMixing(const MixingFitData& data, const MatrixD& mix);

/// mixingFitData + fitMixing.
MixingFit fitHeadMixing(const MechanismSpec& mhla, const MechanismSpec& softmax, const HeadQKV& head,
                        const MixingFitOptions& options = {}, const JobControl& job = {});

}  // namespace attnscope
