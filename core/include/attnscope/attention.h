// One mechanism prepared on one head's Q, K, V: the heavy work (feature maps, summaries,
// normalisers) is done once, then rows of the attention map cost O(N·r) each — what hovering a
// query needs at any N.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "attnscope/mechanism.h"
#include "attnscope/progress.h"
#include "attnscope/qkv.h"
#include "attnscope/spectrum.h"

namespace attnscope {

class PreparedAttention {
 public:
  virtual ~PreparedAttention() = default;

  int n() const { return n_; }
  const MechanismSpec& spec() const { return spec_; }

  /// Rows of the N×N map A in double precision.
  /// @param[in] rows  query indices, each in [0, N)
  /// @return          #rows by N; each row sums to 1 (paper normaliser), causal rows are 0 after i
  virtual MatrixD rows(const std::vector<int>& rows) const = 0;
  /// One row (length N).
  VectorD row(int i) const;
  /// The dense N×N map in float. Throws BudgetExceeded when N²·4 bytes > budgetBytes.
  MatrixF matrix(std::size_t budgetBytes = kDefaultMatrixBudgetBytes,
                 const JobControl& job = {}) const;
  /// The dense map in double, for dense spectra (same budget rule with 8 bytes an entry).
  MatrixD matrixD(std::size_t budgetBytes, const JobControl& job = {}) const;
  /// Singular values: from the factored form where one exists, else dense (within opts.maxDenseN).
  virtual Spectrum spectrum(const SpectrumOptions& opts = {}, const JobControl& job = {}) const;

 protected:
  PreparedAttention(MechanismSpec spec, int n) : spec_(std::move(spec)), n_(n) {}
  Spectrum denseSpectrum(const SpectrumOptions& opts, const JobControl& job) const;
  void checkRow(int i) const;

  MechanismSpec spec_;
  int n_;
  int dk_ = 0;
};

/// Rows of the softmax map from raw logits, in place: `logits` row r holds s·q_{idx[r]}·k_j; it
/// becomes the softmax over the allowed keys (causal: j ≤ idx[r]), zero elsewhere. Shared by every
/// backend so hover rows are normalised identically.
void softmaxRowsInPlace(MatrixD& logits, const std::vector<int>& idx, bool causal);
/// Rows of a linear-attention / MHLA map from raw dots φq_{idx[r]}·φk_j, in place: weights
/// m_{a(i)b(j)}, causal zeros after i, then divides by `den[idx[r]]` (den non-empty) or by the row's
/// sum (the paper normaliser). Throws InvalidArgument for a normaliser that is not positive.
void linearRowsInPlace(MatrixD& dots, const std::vector<int>& idx, const std::vector<int>& blockOf,
                       const MatrixD& mix, bool causal, const VectorD& den = {});

/// Throws BudgetExceeded with a message giving the size asked for and the budget.
void requireBudget(std::size_t n, std::size_t bytesPerEntry, std::size_t budgetBytes,
                   const char* what);

}  // namespace attnscope
