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
  if (q.empty()) throw InvalidArgument(what + ": no heads");
  if (k.size() != v.size() || k.empty())
    throw InvalidArgument(what + ": " + std::to_string(k.size()) + " key heads but " + std::to_string(v.size()) +
                          " value heads");
  if (kvOf.empty() ? k.size() != q.size() : kvOf.size() != q.size())
    throw InvalidArgument(what + ": " + std::to_string(q.size()) + " query heads, " + std::to_string(k.size()) +
                          " key/value heads and a map of " + std::to_string(kvOf.size()) + " entries");
  for (std::size_t h = 0; h < kvOf.size(); ++h)
    if (kvOf[h] < 0 || kvOf[h] >= numKvHeads())
      throw InvalidArgument(what + ": query head " + std::to_string(h) + " reads key/value head " +
                            std::to_string(kvOf[h]) + " of " + std::to_string(k.size()));
  const MatrixF& q0 = q[0];
  if (q0.rows() < 1) throw InvalidArgument(what + ": no tokens (N = 0)");
  if (q0.cols() < 1 || v[0].cols() < 1) throw InvalidArgument(what + ": feature dimension is 0");
  for (int h = 0; h < numHeads(); ++h) {
    const HeadQKV x = head(h);
    std::ostringstream os;
    os << what << ", head " << h << ": ";
    if (x.Q.rows() != q0.rows() || x.K.rows() != q0.rows() || x.V.rows() != q0.rows()) {
      os << "Q, K and V must have the same number of tokens (Q " << x.Q.rows() << ", K " << x.K.rows()
         << ", V " << x.V.rows() << ", head 0 has " << q0.rows() << ")";
      throw InvalidArgument(os.str());
    }
    if (x.Q.cols() != x.K.cols() || x.Q.cols() != q0.cols() || x.V.cols() != v[0].cols()) {
      os << "Q and K must share d_k and all heads the same d_k, d_v (Q " << x.Q.cols() << ", K "
         << x.K.cols() << ", V " << x.V.cols() << ")";
      throw InvalidArgument(os.str());
    }
    requireFinite(x.Q, os.str() + "Q");
  }
  for (int g = 0; g < numKvHeads(); ++g) {
    const std::string at = what + ", key/value head " + std::to_string(g) + ": ";
    requireFinite(k[static_cast<std::size_t>(g)], at + "K");
    requireFinite(v[static_cast<std::size_t>(g)], at + "V");
  }
}

std::vector<HeadQKV> Qkv::heads() const {
  std::vector<HeadQKV> out;
  out.reserve(q.size());
  for (int h = 0; h < numHeads(); ++h) out.push_back(head(h));
  return out;
}

void Qkv::addHead(HeadData head) {
  if (!kvOf.empty()) kvOf.push_back(numKvHeads());
  q.push_back(std::move(head.Q));
  k.push_back(std::move(head.K));
  v.push_back(std::move(head.V));
}

Qkv Qkv::subset(const std::vector<int>& heads) const {
  Qkv out;
  std::vector<int> kvAt(k.size(), -1);
  bool identity = true;
  for (int h : heads) {
    const int g = kvHead(h);
    if (kvAt[static_cast<std::size_t>(g)] < 0) {
      kvAt[static_cast<std::size_t>(g)] = out.numKvHeads();
      out.k.push_back(k[static_cast<std::size_t>(g)]);
      out.v.push_back(v[static_cast<std::size_t>(g)]);
    }
    out.q.push_back(q[static_cast<std::size_t>(h)]);
    out.kvOf.push_back(kvAt[static_cast<std::size_t>(g)]);
    identity = identity && out.kvOf.back() == out.numHeads() - 1;
  }
  if (identity) out.kvOf.clear();
  return out;
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
