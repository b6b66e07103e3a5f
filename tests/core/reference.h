// Naive double-precision implementations of the MATH.md formulas, written independently of the
// library's fast paths: dense N×N maps built entry by entry, outputs O = A·V.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/feature_map.h"
#include "attnscope/qkv.h"
#include "attnscope/types.h"

namespace ref {

using attnscope::MatrixD;
using attnscope::MatrixF;

/// φ applied row-wise, no stabilising shift. W: favor's r by d_k matrix (ignored otherwise).
MatrixD phi(const MatrixD& X, attnscope::FeatureMapKind kind, const MatrixD& W);

/// Softmax map: A_ij = exp(s q_i·k_j) / Σ_{allowed} exp(s q_i·k_j'), s = 1/(τ√d_k).
MatrixD softmaxMap(const MatrixD& Q, const MatrixD& K, double temperature, bool causal);

/// Block of each token: 1D chunks of ⌈N/M⌉, or 2D windows over a row-major grid (block grid
/// row-major).
std::vector<int> blocks1D(int n, int m);
std::vector<int> blocks2D(int gridRows, int gridCols, int winRows, int winCols);

/// MHLA map with the paper normaliser: A_tj ∝ m_{a(t)b(j)} φq_t·φk_j over allowed j.
/// Linear attention is the case of one block with m = [[1]].
MatrixD mhlaMap(const MatrixD& phiQ, const MatrixD& phiK, const std::vector<int>& blockOf,
                const MatrixD& mix, bool causal);

/// MHLA output with the official code normaliser:
/// o_t = φ(q_t)ᵀ S̃_a / (Σ_b m_ab φ(q_{b,w})·z_b + ε).
MatrixD mhlaOfficialOutput(const MatrixD& phiQ, const MatrixD& phiK, const MatrixD& V,
                           const std::vector<int>& blockOf, const MatrixD& mix, double eps);
/// The official normaliser's map: A_tj = m_{a b(j)} φq_t·φk_j / n_t.
MatrixD mhlaOfficialMap(const MatrixD& phiQ, const MatrixD& phiK, const std::vector<int>& blockOf,
                        const MatrixD& mix, double eps);

/// ‖a − b‖_F / ‖b‖_F.
double relErr(const MatrixD& a, const MatrixD& b);

/// Seed for "fresh random inputs": ATTNSCOPE_TEST_SEED if set, else random; tests print it.
std::uint64_t freshSeed();

/// One head of random Q, K, V (N(0, scale²)).
attnscope::Qkv randomQkv(int n, int dk, int dv, int heads, std::uint64_t seed, double scale = 1.0);

}  // namespace ref
