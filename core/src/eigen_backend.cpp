#include "attnscope/eigen_backend.h"

#include "attnscope/blas_library.h"

#include <algorithm>

#include <omp.h>

#include "attnscope/mechanism_kind.h"
#include "kernels.h"

namespace attnscope {

int hardwareThreads() { return omp_get_num_procs(); }

CpuCodePath cpuCodePath() {
  CpuCodePath p;
#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
  p.level = "x86-64-v4 (AVX-512)";
#elif defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
  p.level = "x86-64-v3 (AVX2, FMA)";
#elif defined(__x86_64__) && defined(__SSE4_2__)
  p.level = "x86-64-v2 (SSE4.2)";
#elif defined(__x86_64__)
  p.level = "x86-64 (SSE2)";
#elif defined(__aarch64__)
  p.level = "aarch64";
#else
  p.level = "generic";
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
  p.cpuSupports = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                  __builtin_cpu_supports("avx512vl");
#elif defined(__AVX2__) && defined(__FMA__)
  p.cpuSupports = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#elif defined(__SSE4_2__)
  p.cpuSupports = __builtin_cpu_supports("sse4.2");
#endif
#endif
  return p;
}

EigenBackend::EigenBackend(int threads) { setThreads(threads); }

void EigenBackend::setThreads(int threads) {
  // More threads than the machine has only contend (1000 threads on 2 cores ran 50× slower).
  threads_ = threads < 1 ? hardwareThreads() : std::min(threads, hardwareThreads());
}

std::unique_ptr<PreparedAttention> EigenBackend::prepare(const MechanismSpec& spec,
                                                         const HeadQKV& head) {
  spec.validate(static_cast<int>(head.Q.rows()), static_cast<int>(head.Q.cols()));
  setLinearAlgebraThreads(threads_);
  return spec.kind->prepareCpu(spec, head, {threads_, matrixBudget()});
}

MatrixF EigenBackend::forwardHead(const MechanismSpec& spec, const HeadQKV& head) {
  const int n = static_cast<int>(head.Q.rows());
  spec.validate(n, static_cast<int>(head.Q.cols()));
  const int threads = detail::threadsForWork(
      forwardFlops(spec, n, static_cast<int>(head.Q.cols()), static_cast<int>(head.V.cols())),
      threads_);
  setLinearAlgebraThreads(threads);
  return spec.kind->forwardCpu(spec, head, {threads, matrixBudget()});
}

}  // namespace attnscope
