// The registry of attention kinds and the default (row-by-row) forward.
#include "attnscope/mechanism_kind.h"

#include <algorithm>
#include <mutex>
#include <numeric>

#include "attnscope/attention.h"
#include "attnscope/error.h"
#include "attnscope/mechanism.h"
#include "attnscope/qkv.h"

namespace attnscope {

MatrixF MechanismKind::forwardCpu(const MechanismSpec& spec, const HeadQKV& head,
                                  const CpuExec& exec) const {
  const std::unique_ptr<PreparedAttention> p = prepareCpu(spec, head, exec);
  const int n = static_cast<int>(head.Q.rows());
  // Rows in chunks of at most 16 MiB of doubles, so no N×N map is ever held.
  const int chunk = std::max(1, std::min(n, int((std::size_t(16) << 20) / (sizeof(double) * n))));
  const MatrixD V = head.V.cast<double>();
  MatrixF out(n, head.V.cols());
  std::vector<int> idx;
  for (int i0 = 0; i0 < n; i0 += chunk) {
    const int k = std::min(chunk, n - i0);
    idx.resize(k);
    std::iota(idx.begin(), idx.end(), i0);
    out.middleRows(i0, k) = (p->rows(idx) * V).cast<float>();
  }
  return out;
}

namespace {

struct Registry {
  std::mutex mutex;
  std::vector<MechanismKindPtr> kinds{softmaxKind(), linearKind(), mhlaKind()};
};

Registry& registry() {
  static Registry r;
  return r;
}

std::string idsOf(const std::vector<MechanismKindPtr>& kinds) {
  std::string s;
  for (const MechanismKindPtr& k : kinds) s += (s.empty() ? "" : ", ") + k->id();
  return s;
}

}  // namespace

std::vector<MechanismKindPtr> mechanismKinds() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return r.kinds;
}

MechanismKindPtr findMechanismKind(const std::string& id) {
  const std::vector<MechanismKindPtr> kinds = mechanismKinds();
  for (const MechanismKindPtr& k : kinds)
    if (k->id() == id) return k;
  throw InvalidArgument("unknown mechanism kind '" + id + "' (choose " + idsOf(kinds) + ")");
}

void registerMechanismKind(MechanismKindPtr kind) {
  if (!kind) throw InvalidArgument("registerMechanismKind: no kind");
  const std::string id = kind->id();
  if (id.empty() || id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos)
    throw InvalidArgument("mechanism kind id '" + id + "' must be made of a-z, 0-9, _ and -");
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (const MechanismKindPtr& k : r.kinds) {
    if (k == kind) return;
    if (k->id() == id) throw InvalidArgument("mechanism kind '" + id + "' is already registered");
  }
  r.kinds.push_back(std::move(kind));
}

}  // namespace attnscope
