// A kind of attention the CUDA backend has no kernels for (the test-only sliding-window softmax) is
// refused by its name on every entry point, with or without a GPU, before any device work: never
// run on another kind's path (issue 22).
#include <gtest/gtest.h>

#include <string>

#include "attnscope/cuda_backend.h"
#include "attnscope/error.h"
#include "attnscope/timing.h"
#include "reference.h"
#include "sliding_window_kind.h"

using namespace attnscope;

TEST(CudaKindSupport, UnsupportedKindIsRefusedByName) {
  CudaBackend be;
  const MechanismSpec spec = attnscope::testing::slidingWindowSpec(3);
  EXPECT_FALSE(be.supports(spec));
  EXPECT_TRUE(be.supports(MechanismSpec::softmax()));
  EXPECT_TRUE(be.supports(MechanismSpec::linear()));
  const Qkv qkv = ref::randomQkv(24, 8, 8, 1, ref::freshSeed());
  for (int call = 0; call < 5; ++call) {
    try {
      if (call == 0) be.forward(spec, qkv, HeadSel::all());
      if (call == 1) be.forwardHead(spec, qkv.head(0));
      if (call == 2) be.prepare(spec, qkv.head(0));
      if (call == 3) be.attentionRow(spec, qkv, HeadSel::all(), 1);
      if (call == 4) timeForward(be, spec, qkv, 1, {});
      FAIL() << "call " << call << " ran the sliding-window kind on CUDA";
    } catch (const InvalidArgument& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("sliding-window"), std::string::npos) << msg;
      EXPECT_NE(msg.find("cuda"), std::string::npos) << msg;
    }
  }
}
