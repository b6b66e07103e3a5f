// The CPU reference backend: Eigen products, OpenMP threads.
#pragma once

#include "attnscope/backend.h"

namespace attnscope {

class EigenBackend final : public Backend {
 public:
  /// @param threads  worker threads; < 1 means all cores; more than the cores are clamped to them
  explicit EigenBackend(int threads = 0);

  std::string name() const override { return "eigen"; }
  Availability available() const override { return {true, {}}; }
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

}  // namespace attnscope
