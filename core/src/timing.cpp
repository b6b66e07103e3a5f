#include "attnscope/timing.h"

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <vector>

#include "attnscope/blas_library.h"
#include "attnscope/eigen_backend.h"
#include "attnscope/error.h"
#include "attnscope/gemm.h"
#include "attnscope/rng.h"

namespace attnscope {

TimingResult timeForward(Backend& backend, const MechanismSpec& spec, const Qkv& qkv, int repeats,
                         const JobControl& job) {
  if (repeats < 1) throw InvalidArgument("timing: repeats must be at least 1");
  backend.requireSupport(spec);
  const Availability av = backend.available();
  if (!av.ok) throw Error("the " + backend.name() + " backend is not available: " + av.reason);
  qkv.validate();
  spec.validate(qkv.n(), qkv.dk());
  requireStateBudget(spec, qkv.n(), qkv.dk(), qkv.dv(), backend.matrixBudget());
  std::vector<double> ms = backend.timeRuns(spec, qkv, repeats, job);
  if (static_cast<int>(ms.size()) != repeats) throw Error("timing: the backend returned no times");
  std::sort(ms.begin(), ms.end());
  TimingResult r;
  r.mechanism = spec.kindId();
  r.backend = backend.name();
  r.n = qkv.n();
  r.d = qkv.dk();
  r.heads = qkv.numHeads();
  r.blocks = spec.blocks();
  r.repeats = repeats;
  r.includesTransfers = backend.timesIncludeTransfers();
  r.minMs = ms.front();
  r.maxMs = ms.back();
  const size_t k = ms.size();
  r.medianMs = k % 2 ? ms[k / 2] : 0.5 * (ms[k / 2 - 1] + ms[k / 2]);
  r.gflops = forwardFlops(spec, qkv.n(), qkv.dk(), qkv.dv()) * qkv.numHeads() /
             (r.medianMs * 1e-3) / 1e9;
  return r;
}

SgemmRate measureSgemm(int n, int threads, int repeats, SgemmEngine engine) {
  if (n < 1 || repeats < 1) throw InvalidArgument("sgemm: n and repeats must be at least 1");
  SgemmRate r;
  r.n = n;
  r.threads = threads < 1 ? hardwareThreads() : std::min(threads, hardwareThreads());
  r.repeats = repeats;
  if (engine == SgemmEngine::Blas && !blasInfo().loaded) {
    r.available = false;
    return r;
  }
  Rng rng(1);
  const MatrixF A = rng.normalMatrix(n, n), B = rng.normalMatrix(n, n);
  MatrixF C(n, n);
  const int before = setLinearAlgebraThreads(r.threads);
  std::vector<double> ms;
  for (int i = 0; i <= repeats; ++i) {  // one warm-up
    const auto t0 = std::chrono::steady_clock::now();
    if (engine == SgemmEngine::Blas)
      sgemmOnBlas(false, false, n, n, n, 1.0f, A.data(), n, B.data(), n, 0.0f, C.data(), n);
    else
      sgemmEigen(false, false, n, n, n, 1.0f, A.data(), n, B.data(), n, 0.0f, C.data(), n);
    const auto t1 = std::chrono::steady_clock::now();
    if (i > 0) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  setLinearAlgebraThreads(before);
  if (!C.allFinite()) throw Error("sgemm: the product is not finite");
  std::sort(ms.begin(), ms.end());
  const size_t k = ms.size();
  r.medianMs = k % 2 ? ms[k / 2] : 0.5 * (ms[k / 2 - 1] + ms[k / 2]);
  r.minMs = ms.front();
  r.gflops = 2.0 * n * double(n) * n / (r.medianMs * 1e-3) / 1e9;
  return r;
}

}  // namespace attnscope
