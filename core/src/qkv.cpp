#include "attnscope/qkv.h"

#include <cmath>
#include <sstream>

#include "attnscope/error.h"

namespace attnscope {

void requireFinite(const MatrixF& m, const std::string& what) {
  if (m.allFinite()) return;
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j)
      if (!std::isfinite(m(i, j))) {
        std::ostringstream os;
        os << what << " contains " << (std::isnan(m(i, j)) ? "NaN" : "Inf") << " at row " << i
           << ", column " << j << "; attention needs finite inputs";
        throw InvalidArgument(os.str());
      }
}

void Qkv::validate(const std::string& what) const {
  if (heads.empty()) throw InvalidArgument(what + ": no heads");
  const auto& h0 = heads[0];
  if (h0.Q.rows() < 1) throw InvalidArgument(what + ": no tokens (N = 0)");
  if (h0.Q.cols() < 1 || h0.V.cols() < 1)
    throw InvalidArgument(what + ": feature dimension is 0");
  for (int h = 0; h < numHeads(); ++h) {
    const auto& x = heads[h];
    std::ostringstream os;
    os << what << ", head " << h << ": ";
    if (x.Q.rows() != h0.Q.rows() || x.K.rows() != h0.Q.rows() || x.V.rows() != h0.Q.rows()) {
      os << "Q, K and V must have the same number of tokens (Q " << x.Q.rows() << ", K " << x.K.rows()
         << ", V " << x.V.rows() << ", head 0 has " << h0.Q.rows() << ")";
      throw InvalidArgument(os.str());
    }
    if (x.Q.cols() != x.K.cols() || x.Q.cols() != h0.Q.cols() || x.V.cols() != h0.V.cols()) {
      os << "Q and K must share d_k and all heads the same d_k, d_v (Q " << x.Q.cols() << ", K "
         << x.K.cols() << ", V " << x.V.cols() << ")";
      throw InvalidArgument(os.str());
    }
    requireFinite(x.Q, os.str() + "Q");
    requireFinite(x.K, os.str() + "K");
    requireFinite(x.V, os.str() + "V");
  }
}

std::vector<int> Qkv::select(HeadSel sel) const {
  std::vector<int> out;
  if (sel.isAll()) {
    for (int h = 0; h < numHeads(); ++h) out.push_back(h);
    return out;
  }
  if (sel.head < 0 || sel.head >= numHeads()) {
    std::ostringstream os;
    os << "head " << sel.head << " does not exist (there are " << numHeads() << " heads)";
    throw InvalidArgument(os.str());
  }
  out.push_back(sel.head);
  return out;
}

}  // namespace attnscope
