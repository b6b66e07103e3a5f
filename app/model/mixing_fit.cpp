#include "model/mixing_fit.h"

#include <cstring>
#include <list>
#include <mutex>

#include "attnscope/error.h"
#include "attnscope/mixing.h"

namespace attnscope {

namespace {

/// FNV-1a over the bytes of a matrix.
std::uint64_t hashBytes(std::uint64_t h, const void* data, std::size_t bytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < bytes; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

std::string cacheKey(const MechanismSpec& mhla, const MechanismSpec& softmax, const HeadQKV& head) {
  MechanismSpec m = mhla;  // the fit does not depend on the mixing it replaces
  m.mixing = MatrixD();
  m.headMixing.reset();
  std::uint64_t h = 1469598103934665603ull;
  h = hashBytes(h, head.Q.data(), sizeof(float) * head.Q.size());
  h = hashBytes(h, head.K.data(), sizeof(float) * head.K.size());
  return std::to_string(h) + "|" + std::to_string(head.Q.rows()) + "x" + std::to_string(head.Q.cols()) + "|" +
         m.key() + "|" + softmax.key();
}

struct Cache {
  std::mutex mutex;
  std::list<std::pair<std::string, HeadMixingFit>> entries;  // most recent first
  static constexpr std::size_t kCapacity = 512;              // 32 layers × 16 heads
};

Cache& cache() {
  static Cache c;
  return c;
}

bool lookup(const std::string& key, HeadMixingFit& out) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto it = c.entries.begin(); it != c.entries.end(); ++it)
    if (it->first == key) {
      c.entries.splice(c.entries.begin(), c.entries, it);
      out = it->second;
      return true;
    }
  return false;
}

void store(const std::string& key, const HeadMixingFit& fit) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.entries.emplace_front(key, fit);
  while (c.entries.size() > Cache::kCapacity) c.entries.pop_back();
}

}  // namespace

MatrixD MixingFitReport::meanMixing() const {
  if (heads.empty()) return MatrixD();
  MatrixD sum = MatrixD::Zero(heads[0].mixing.rows(), heads[0].mixing.cols());
  for (const HeadMixingFit& h : heads) sum += h.mixing;
  for (Eigen::Index a = 0; a < sum.rows(); ++a) {
    const double top = sum.row(a).maxCoeff();
    if (top > 0) sum.row(a) /= top;
  }
  return sum;
}

const HeadMixingFit* MixingFitReport::find(int head) const {
  for (const HeadMixingFit& h : heads)
    if (h.head == head) return &h;
  return nullptr;
}

std::shared_ptr<const MixingFitReport> fitHeads(const MechanismSpec& mhla, const MechanismSpec& softmax,
                                                const Qkv& qkv, const std::vector<int>& heads,
                                                const JobControl& job) {
  auto report = std::make_shared<MixingFitReport>();
  const int total = static_cast<int>(heads.size());
  for (int i = 0; i < total; ++i) {
    const int h = heads[i];
    job.check();
    const HeadQKV head = qkv.head(h);
    const std::string key = cacheKey(mhla, softmax, head);
    HeadMixingFit fit;
    if (!lookup(key, fit)) {
      JobControl sub;
      sub.cancel = job.cancel;
      sub.progress = [&job, i, total](double f) { job.report((i + f) / total); };
      const MixingFitData data = mixingFitData(mhla, softmax, head, sub);
      const MixingFit solved = fitMixing(data, {}, sub);
      fit.mixing = solved.mixing;
      fit.klFitted = solved.meanKl;
      fit.iterations = solved.iterations;
      fit.gradient = solved.gradient;
      fit.converged = solved.converged;
      for (MixingInit init : allMixingInits()) {
        if (init == MixingInit::Causal && mhla.layout->kind() != BlockLayout::Kind::OneD) continue;
        MatrixD mix = makeMixing(*mhla.layout, init);
        if (mhla.causal) mix.triangularView<Eigen::StrictlyUpper>().setZero();  // what causal MHLA reads
        fit.klInits.emplace_back(toString(init), meanKlOfMixing(data, mix));
      }
      store(key, fit);
    }
    fit.head = h;
    report->heads.push_back(std::move(fit));
    job.report((i + 1) / double(total));
  }
  return report;
}

MechanismSpec withFittedMixing(const MechanismSpec& mhla, const MixingFitReport& fits, int numHeads) {
  MechanismSpec out = mhla;
  auto per = std::make_shared<std::vector<MatrixD>>(numHeads);
  for (const HeadMixingFit& f : fits.heads)
    if (f.head >= 0 && f.head < numHeads) (*per)[f.head] = f.mixing;
  out.headMixing = per;
  if (!fits.heads.empty()) out.mixing = fits.meanMixing();
  return out;
}

void clearMixingFitCache() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.entries.clear();
}

}  // namespace attnscope
