// Softmax attention (MATH.md "Softmax attention"): streaming and materialised forwards, rows.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "attnscope/error.h"
#include "attnscope/gemm.h"
#include "kernels.h"

namespace attnscope::detail {

namespace {

constexpr int kQueryTile = 64;
constexpr int kKeyTile = 512;

double softmaxScale(const MechanismSpec& spec, int dk) {
  return 1.0 / (spec.temperature * std::sqrt(static_cast<double>(dk)));
}

/// Online softmax over key tiles. Each thread owns a query tile: S = Q_t K_jᵀ, running row max m,
/// running sum l, O ← O·e^{m_old−m_new} + e^{S−m_new} V_j; finally O / l.
MatrixF streaming(const MatrixF& Q, const MatrixF& K, const MatrixF& V, float scale, bool causal,
                  int threads) {
  const int n = static_cast<int>(Q.rows());
  const int dv = static_cast<int>(V.cols());
  MatrixF out(n, dv);
  const int tiles = (n + kQueryTile - 1) / kQueryTile;
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
#pragma omp parallel num_threads(threads)
  {
    MatrixF S(kQueryTile, kKeyTile);
    MatrixF acc(kQueryTile, dv);
    Eigen::VectorXf m(kQueryTile), l(kQueryTile);
#pragma omp for schedule(dynamic, 1)
    for (int t = 0; t < tiles; ++t) {
      const int i0 = t * kQueryTile;
      const int rows = std::min(kQueryTile, n - i0);
      m.setConstant(kNegInf);
      l.setZero();
      acc.setZero();
      const int jEnd = causal ? i0 + rows : n;
      for (int j0 = 0; j0 < jEnd; j0 += kKeyTile) {
        const int cols = std::min(kKeyTile, jEnd - j0);
        auto St = S.topLeftCorner(rows, cols);
        gemm(St, Q.middleRows(i0, rows), K.middleRows(j0, cols).transpose(), scale);  // scale folded in
        if (causal && j0 + cols - 1 > i0) {
          for (int r = 0; r < rows; ++r)
            for (int c = std::max(0, i0 + r + 1 - j0); c < cols; ++c) St(r, c) = kNegInf;
        }
        for (int r = 0; r < rows; ++r) {
          auto sr = St.row(r).array();
          const float mNew = std::max(m[r], sr.maxCoeff());
          const float alpha = std::exp(m[r] - mNew);  // 0 on the first tile (m = −∞)
          sr = (sr - mNew).exp();
          l[r] = l[r] * alpha + sr.sum();
          acc.row(r) *= alpha;
          m[r] = mNew;
        }
        gemm(acc.topRows(rows), St, V.middleRows(j0, cols), 1.0f, 1.0f);
      }
      out.middleRows(i0, rows) =
          (acc.topRows(rows).array().colwise() / l.head(rows).array()).matrix();
    }
  }
  return out;
}

class PreparedSoftmax final : public PreparedAttention {
 public:
  PreparedSoftmax(const HeadQKV& x, const MechanismSpec& spec)
      : PreparedAttention(spec, static_cast<int>(x.Q.rows())),
        Qs_(x.Q * static_cast<float>(softmaxScale(spec, static_cast<int>(x.Q.cols())))),
        K_(x.K) {
    dk_ = static_cast<int>(x.Q.cols());
  }

  MatrixD rows(const std::vector<int>& idx) const override {
    const int k = static_cast<int>(idx.size());
    MatrixF q(k, Qs_.cols());
    for (int r = 0; r < k; ++r) {
      checkRow(idx[r]);
      q.row(r) = Qs_.row(idx[r]);
    }
    MatrixF sf(k, K_.rows());
    gemm(sf, q, K_.transpose());
    MatrixD s = sf.cast<double>();
    softmaxRowsInPlace(s, idx, spec_.causal);
    return s;
  }

 private:
  MatrixF Qs_, K_;
};

}  // namespace

MatrixF softmaxForward(const HeadQKV& x, const MechanismSpec& spec, int threads,
                       std::size_t budgetBytes) {
  const int dk = static_cast<int>(x.Q.cols());
  if (spec.softmaxPath == SoftmaxPath::Streaming)
    return streaming(x.Q, x.K, x.V, static_cast<float>(softmaxScale(spec, dk)), spec.causal,
                     threads);
  PreparedSoftmax p(x, spec);
  const MatrixF a = p.matrix(budgetBytes);
  MatrixF out(x.Q.rows(), x.V.cols());
  gemm(out, a, x.V);
  return out;
}

std::unique_ptr<PreparedAttention> prepareSoftmax(const HeadQKV& x, const MechanismSpec& spec) {
  return std::make_unique<PreparedSoftmax>(x, spec);
}

}  // namespace attnscope::detail
