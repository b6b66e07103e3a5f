// Singular-value spectra and ranks of attention maps (MATH.md, "Metrics").
#pragma once

#include <cstddef>

#include "attnscope/progress.h"
#include "attnscope/types.h"

namespace attnscope {

struct SpectrumOptions {
  /// Numerical rank counts σ_k > relTol·σ_1.
  double relTol = 1e-4;
  /// Dense spectra (softmax, causal maps) are refused above this N: an N×N SVD costs O(N³)
  /// (about 0.4 s at N = 1024, 30 s at 4096 on two cores).
  int maxDenseN = 4096;
  /// Use the dense path even where a factored form exists (for checks).
  bool forceDense = false;
  /// Full SVD accuracy (σ to eps·σ_1) at any size. By default matrices whose smaller side exceeds
  /// kGramThreshold use the eigenvalues of the Gram matrix (about 8× faster; σ below about
  /// 1e-8·σ_1 are then rounding noise, far under any rank tolerance in use).
  bool exactSvd = false;
};

/// Up to this size (smaller side) singularValues() uses a one-sided Jacobi SVD.
inline constexpr int kJacobiThreshold = 128;
/// Above this size singularValues() uses the Gram matrix unless exact accuracy is asked for.
inline constexpr int kGramThreshold = 512;

struct Spectrum {
  VectorD sigma;           ///< σ_1 ≥ σ_2 ≥ … ≥ 0 (only the possibly non-zero ones for factored forms)
  int numericalRank = 0;   ///< #{k : σ_k > relTol·σ_1}
  double effectiveRank = 0;  ///< exp(−Σ p_k ln p_k), p_k = σ_k/Σσ
  int rankBound = 0;       ///< theoretical bound (MATH.md)
  bool factored = false;   ///< computed from the factored form (true) or the dense matrix (false)
  double relTol = 1e-4;
};

int numericalRank(const VectorD& sigma, double relTol);
double effectiveRank(const VectorD& sigma);
/// Fills ranks from σ (sorted descending by this function).
Spectrum makeSpectrum(VectorD sigma, double relTol, int rankBound, bool factored);

/// Singular values of a dense matrix in double precision, descending: Jacobi SVD (small); the exact
/// SVD (medium, or `exact`): LAPACK's dgesdd from the loaded BLAS, else the eigenvalues of the
/// Jordan–Wielandt matrix [[0, A], [Aᵀ, 0]]; above kGramThreshold √eig(A·Aᵀ) of the smaller side
/// (BLAS dsyrk + LAPACK dsyevd, else Eigen). Issue 24 #4: the LAPACK routes are 1.6–11× faster.
VectorD singularValues(const MatrixD& a, bool exact = false);

}  // namespace attnscope
