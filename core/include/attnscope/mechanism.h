// What to compute: one attention mechanism with all its settings, resolved for a given N.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/blocks.h"
#include "attnscope/feature_map.h"
#include "attnscope/mechanism_kind.h"
#include "attnscope/mixing.h"
#include "attnscope/types.h"

namespace attnscope {

/// Paper: o_t = φ(q_t)ᵀS̃_a / φ(q_t)ᵀz̃_a. Official: the released vision code's normaliser (MATH.md).
enum class Normaliser { Paper, Official };
/// Softmax forward: streaming (online softmax over key tiles, O(N·d) memory) or materialised.
enum class SoftmaxPath { Streaming, Materialised };

std::string toString(Normaliser k);
Normaliser parseNormaliser(const std::string& name);    ///< paper | official

/// Default budget for a dense N×N map (2 GiB).
inline constexpr std::size_t kDefaultMatrixBudgetBytes = std::size_t(2) << 30;
/// ε added to the official normaliser's denominator.
inline constexpr double kOfficialEpsilon = 1e-6;

struct MechanismSpec {
  /// The kind of attention (mechanism_kind.h): it validates, labels, bounds and computes the spec.
  MechanismKindPtr kind = softmaxKind();
  bool causal = false;
  /// Softmax: s = 1/(τ·√d_k).
  double temperature = 1.0;
  SoftmaxPath softmaxPath = SoftmaxPath::Streaming;
  /// Linear and MHLA.
  FeatureMapSpec featureMap;
  /// MHLA: the block layout and its M×M mixing matrix (both resolved for this N).
  std::shared_ptr<const BlockLayout> layout;
  MatrixD mixing;
  /// MHLA: a mixing matrix per query head (the fitted mixing, fitted_mixing.h), indexed by head;
  /// null, or an empty matrix for a head, means `mixing`. forHead() picks a head's.
  std::shared_ptr<const std::vector<MatrixD>> headMixing;
  Normaliser normaliser = Normaliser::Paper;
  /// Settings of an added kind that the fields above do not cover (a sliding window's width, ...),
  /// by name. Part of key() like every other field.
  std::map<std::string, double> params;

  static MechanismSpec softmax(bool causal = false, double temperature = 1.0);
  static MechanismSpec linear(FeatureMapSpec phi = {}, bool causal = false);
  static MechanismSpec mhla(BlockLayout layout, MatrixD mixing, FeatureMapSpec phi = {},
                            bool causal = false, Normaliser norm = Normaliser::Paper);
  static MechanismSpec mhla(BlockLayout layout, MixingInit init, FeatureMapSpec phi = {},
                            bool causal = false, Normaliser norm = Normaliser::Paper);

  /// The spec that head `h` runs: `mixing` replaced by headMixing[h] when there is one.
  MechanismSpec forHead(int h) const;

  /// Whether this spec is of kind `k`: the same object, or a kind with the same id (ids are unique
  /// in a registry; the CUDA plugin library holds its own copy of the built-in kinds).
  bool is(const MechanismKindPtr& k) const { return kind == k || (kind && k && kind->id() == k->id()); }
  /// The kind's id ("softmax", "linear", "mhla", ...).
  std::string kindId() const { return kind->id(); }
  /// The named parameter, or `fallback` when the spec has none.
  double param(const std::string& name, double fallback) const;
  /// Every field the numbers depend on, as text: two specs with equal keys compute the same
  /// numbers on the same Q/K/V (the analysis cache's key; a new field belongs here).
  std::string key() const;

  /// MHLA with the official code normaliser (linear attention and softmax have none).
  bool officialNormaliser() const { return layout && normaliser == Normaliser::Official; }
  /// Number of blocks M (1 for softmax and linear).
  int blocks() const { return layout ? layout->m() : 1; }
  /// Throws InvalidArgument when the settings cannot apply to N tokens of key width d_k (causal 2D
  /// MHLA, official normaliser with unequal blocks or causal, bad mixing matrix, τ ≤ 0, ...): the
  /// common checks, then the kind's own.
  void validate(int n, int dk) const;
  /// "softmax", "linear (relu)", "MHLA (M=16, cos)" style label.
  std::string label() const;
};

/// Block of each of the n tokens (all 0 for linear attention) and the M×M mixing matrix ([1] for
/// linear attention): the one-block view of linear attention that rows and spectra share.
std::vector<int> tokenBlocks(const MechanismSpec& spec, int n);
MatrixD blockMixing(const MechanismSpec& spec);

/// Feature dimension r used by linear and MHLA (d_k, or the favor feature count).
int featureDim(const MechanismSpec& spec, int dk);
/// Theoretical rank bound of the map (MATH.md): softmax N; linear r; MHLA Σ_b min(|B_b|, r); causal N
/// (the kind's bound; causal maps are full rank).
int rankBound(const MechanismSpec& spec, int n, int dk);
/// FLOPs of one forward for one head (MATH.md "FLOP counts"; the kind's count).
double forwardFlops(const MechanismSpec& spec, int n, int dk, int dv);

}  // namespace attnscope
