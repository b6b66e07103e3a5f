// Linear attention and MHLA forward on the device for H heads at once (host side of
// linear_kernels.cu): the plan is uploaded once per runner, then run() only launches work.
#pragma once

#include "attnscope/mechanism.h"
#include "context.h"
#include "linear_kernels.h"
#include "plan.h"
#include "workspace.h"

namespace attnscope::gpu {

class LinearFamilyRunner {
 public:
  /// @param spec  validated for n tokens of width dk
  LinearFamilyRunner(Context& ctx, Workspace& ws, const MechanismSpec& spec, int heads, int n,
                     int dk, int dv);

  /// O = forward(Q, K, V), all [H][N][d] on the device, enqueued on the context's stream.
  /// poison: fill outputs and intermediates with NaN first.
  void run(const float* Q, const float* K, const float* V, float* O, bool poison);
  /// Waits for the stream; throws InvalidArgument naming the first query whose normaliser was not
  /// positive and finite in the last run.
  void checkNormalisers();

 private:
  Context& ctx_;
  Workspace& ws_;
  LinearPlan plan_;
  LinearArgs args_;
  Phi phi_ = Phi::Relu;
  bool favor_ = false;
  bool oneChunkPerBlock_ = false;  ///< bidirectional, every block a single chunk: P is S
  DeviceBuffer<int> planInts_;
  DeviceBuffer<float> planFloats_;  // mixGemm, mixDiag, full mix (official), favor W
  const float* mixGemm_ = nullptr;
  const float* mixFull_ = nullptr;
  const float* favorW_ = nullptr;
  int heads_, n_, dk_, dv_;
};

}  // namespace attnscope::gpu
