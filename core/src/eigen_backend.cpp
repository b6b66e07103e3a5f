#include "attnscope/eigen_backend.h"

#include <algorithm>

#include <omp.h>

#include "kernels.h"

namespace attnscope {

int hardwareThreads() { return omp_get_num_procs(); }

EigenBackend::EigenBackend(int threads) { setThreads(threads); }

void EigenBackend::setThreads(int threads) {
  // More threads than the machine has only contend (1000 threads on 2 cores ran 50× slower).
  threads_ = threads < 1 ? hardwareThreads() : std::min(threads, hardwareThreads());
}

std::unique_ptr<PreparedAttention> EigenBackend::prepare(const MechanismSpec& spec,
                                                         const HeadQKV& head) {
  spec.validate(static_cast<int>(head.Q.rows()), static_cast<int>(head.Q.cols()));
  Eigen::setNbThreads(threads_);
  if (spec.kind == MechanismKind::Softmax) return detail::prepareSoftmax(head, spec);
  return detail::prepareLinearFamily(head, spec, threads_);
}

MatrixF EigenBackend::forwardHead(const MechanismSpec& spec, const HeadQKV& head) {
  const int n = static_cast<int>(head.Q.rows());
  spec.validate(n, static_cast<int>(head.Q.cols()));
  const int threads = detail::threadsForWork(
      forwardFlops(spec, n, static_cast<int>(head.Q.cols()), static_cast<int>(head.V.cols())),
      threads_);
  Eigen::setNbThreads(threads);
  if (spec.kind == MechanismKind::Softmax)
    return detail::softmaxForward(head, spec, threads, matrixBudget());
  return detail::linearFamilyForward(head, spec, threads);
}

}  // namespace attnscope
