// The CPU reference backend: Eigen products, OpenMP threads.
#pragma once

#include <string>

#include "attnscope/backend.h"

namespace attnscope {

class EigenBackend final : public Backend {
 public:
  /// @param threads  worker threads; < 1 means all cores; more than the cores are clamped to them
  explicit EigenBackend(int threads = 0);

  std::string name() const override { return "eigen"; }
  Availability available() const override { return {true, {}}; }
  /// Every kind: its CPU hooks run here.
  bool supports(const MechanismSpec&) const override { return true; }
  void setThreads(int threads) override;
  int threads() const override { return threads_; }

  std::unique_ptr<PreparedAttention> prepare(const MechanismSpec& spec,
                                             const HeadQKV& head) override;
  MatrixF forwardHead(const MechanismSpec& spec, const HeadQKV& head) override;

 private:
  int threads_ = 1;
};

/// Number of cores OpenMP can use here.
int hardwareThreads();

/// The instruction set the CPU kernels were compiled for: "x86-64-v4 (AVX-512)", "x86-64-v3
/// (AVX2, FMA)", "x86-64-v2 (SSE4.2)", "x86-64 (SSE2)" or another architecture's name, and whether
/// this CPU supports it (a package built for a higher level than the CPU has cannot run).
struct CpuCodePath {
  std::string level;
  bool cpuSupports = true;
};
CpuCodePath cpuCodePath();

}  // namespace attnscope
