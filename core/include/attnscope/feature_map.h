// Feature maps φ of linear attention and MHLA (MATH.md, "Feature maps φ"), applied row-wise.
#pragma once

#include <cstdint>
#include <string>

#include "attnscope/types.h"

namespace attnscope {

enum class FeatureMapKind { Relu, Elu1, Softplus, Favor };

struct FeatureMapSpec {
  FeatureMapKind kind = FeatureMapKind::Relu;
  int favorFeatures = 256;    ///< r for `favor`
  std::uint64_t seed = 0;     ///< seeds the `favor` projection W (stream "favor")
};

std::string toString(FeatureMapKind k);
/// "relu", "elu1", "softplus", "favor"; throws InvalidArgument naming the valid choices otherwise.
FeatureMapKind parseFeatureMap(const std::string& name);

/// How `favor` keeps exp() in range. φ's output may be multiplied by a positive constant per row
/// (PerRow) or one constant for the whole matrix (Global); attention maps with the paper normaliser
/// are unchanged by either, the official normaliser by Global only.
enum class FavorShift { PerRow, Global };

/// The relu ε of MATH.md.
inline constexpr float kReluEpsilon = 1e-6f;

class FeatureMap {
 public:
  /// @param dk  input dimension d_k (≥ 1)
  FeatureMap(const FeatureMapSpec& spec, int dk);

  const FeatureMapSpec& spec() const { return spec_; }
  int inputDim() const { return dk_; }
  /// r: d_k for relu/elu1/softplus, favorFeatures for favor.
  int outputDim() const;

  /// @param[in] X  #X by d_k
  /// @return       #X by r, entries > 0 (favor: ≥ 0, a far-off feature may underflow)
  MatrixF apply(const Eigen::Ref<const MatrixF>& X, FavorShift shift = FavorShift::PerRow) const;
  /// Elementwise maps only (relu, elu1, softplus): φ(X) written into `out` (#X by d_k, no
  /// allocation), the same numbers as apply(X).
  /// @param[in]  X    #X by d_k
  /// @param[out] out  #X by d_k
  void applyInto(const Eigen::Ref<const MatrixF>& X, Eigen::Ref<MatrixF> out) const;
  /// True when φ acts on each entry alone (all but favor), so any rows can be mapped separately.
  bool elementwise() const { return spec_.kind != FeatureMapKind::Favor; }

  /// `favor`'s W, r by d_k, N(0,1) entries (empty for the other maps).
  const MatrixF& favorMatrix() const { return W_; }

 private:
  FeatureMapSpec spec_;
  int dk_;
  MatrixF W_;
};

}  // namespace attnscope
