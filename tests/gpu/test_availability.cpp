// What the CUDA backend says about itself, with or without a GPU: availability and its reason,
// device information, settings, and clear errors (never crashes) when no device can run.
// These tests run everywhere; where a part depends on a device they branch on available().
#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "attnscope/cuda_backend.h"
#include "attnscope/error.h"
#include "attnscope/timing.h"
#include "reference.h"

using namespace attnscope;

namespace {

/// A device ordinal no machine has: unavailable everywhere, so the "unavailable" paths are tested
/// on GPU machines too.
constexpr int kMissingDevice = 1000;

template <typename Fn>
std::string errorOf(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("unexpected exception type (not attnscope::Error): ") + e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

/// Every entry point refuses to run on `be` with an attnscope::Error naming the reason.
void expectRefusedWithReason(CudaBackend& be) {
  const Availability av = be.available();
  ASSERT_FALSE(av.ok);
  ASSERT_FALSE(av.reason.empty()) << "an unavailable backend must say why";
  const Qkv qkv = ref::randomQkv(16, 8, 8, 2, 1);
  const auto soft = MechanismSpec::softmax();
  const auto lin = MechanismSpec::linear({});
  const auto mhla = MechanismSpec::mhla(BlockLayout::oneD(16, 4), MixingInit::Cos, {});
  for (const auto& spec : {soft, lin, mhla}) {
    SCOPED_TRACE(spec.label());
    const std::string f = errorOf([&] { be.forward(spec, qkv, HeadSel::all()); });
    EXPECT_TRUE(contains(f, av.reason)) << "forward: '" << f << "' lacks '" << av.reason << "'";
    const std::string r = errorOf([&] { be.attentionRow(spec, qkv, HeadSel::one(0), 3); });
    EXPECT_TRUE(contains(r, av.reason)) << "attentionRow: '" << r << "'";
    const std::string m = errorOf([&] { be.attentionMatrix(spec, qkv, HeadSel::all()); });
    EXPECT_TRUE(contains(m, av.reason)) << "attentionMatrix: '" << m << "'";
    const std::string s = errorOf([&] { be.spectrum(spec, qkv, HeadSel::one(1)); });
    EXPECT_TRUE(contains(s, av.reason)) << "spectrum: '" << s << "'";
    const std::string t = errorOf([&] { timeForward(be, spec, qkv, 2); });
    EXPECT_TRUE(contains(t, av.reason)) << "timeForward: '" << t << "'";
  }
  EXPECT_THROW(be.forward(soft, qkv, HeadSel::all()), Error);
}

}  // namespace

TEST(CudaAvailability, DeviceInfoNeverThrowsAndAgreesWithAvailable) {
  CudaDeviceInfo info;
  ASSERT_NO_THROW(info = cudaDeviceInfo());
  CudaBackend be;
  Availability av;
  ASSERT_NO_THROW(av = be.available());
  EXPECT_EQ(av.ok, info.ok) << "available(): " << av.reason
                            << "; cudaDeviceInfo(): " << info.reason;
  // The architectures this library was built for, always reported (the GUI shows them beside the
  // reason). The default list (top-level CMakeLists.txt) includes Hopper ("90").
  EXPECT_FALSE(info.compiledArchitectures.empty());
  const std::string& arch = info.compiledArchitectures;
  if (arch != "native" && arch != "all" && arch != "all-major") {
    EXPECT_TRUE(contains(arch, "90")) << "compiled for '" << arch << "'";
  }
  if (!info.ok) {
    EXPECT_FALSE(info.reason.empty()) << "no device must come with a reason";
    EXPECT_FALSE(av.reason.empty()) << "no device must come with a reason";
    std::cout << "[ INFO     ] no CUDA device: " << av.reason << " (built for " << arch << ")\n";
  } else {
    EXPECT_FALSE(info.name.empty());
    EXPECT_GE(info.computeMajor, 8) << info.name << ": the build targets sm_80 and newer";
    EXPECT_GE(info.computeMinor, 0);
    EXPECT_GT(info.totalBytes, 0u);
    EXPECT_GT(info.freeBytes, 0u);
    EXPECT_LE(info.freeBytes, info.totalBytes);
    EXPECT_GT(info.runtimeVersion, 0);
    EXPECT_GT(info.driverVersion, 0);
    std::cout << "[ INFO     ] " << info.name << ", compute " << info.computeMajor << "."
              << info.computeMinor << ", " << (info.totalBytes >> 20) << " MiB, runtime "
              << info.runtimeVersion << ", driver " << info.driverVersion << ", built for " << arch
              << "\n";
  }
}

TEST(CudaAvailability, MissingDeviceIsReportedNotThrown) {
  CudaDeviceInfo info;
  ASSERT_NO_THROW(info = cudaDeviceInfo(kMissingDevice));
  EXPECT_FALSE(info.ok);
  EXPECT_FALSE(info.reason.empty());
  EXPECT_FALSE(info.compiledArchitectures.empty());
  CudaBackend be(kMissingDevice);
  const Availability av = be.available();
  EXPECT_FALSE(av.ok);
  EXPECT_FALSE(av.reason.empty());
}

TEST(CudaAvailability, UnavailableBackendRefusesWorkWithTheReason) {
  {
    SCOPED_TRACE("device " + std::to_string(kMissingDevice));
    CudaBackend missing(kMissingDevice);
    expectRefusedWithReason(missing);
  }
  CudaBackend be;
  if (!be.available().ok) {
    SCOPED_TRACE("device 0 (no usable GPU here)");
    expectRefusedWithReason(be);
    // Asking twice gives the same answer (the failure is remembered, not a crash the second time).
    EXPECT_FALSE(be.available().ok);
    expectRefusedWithReason(be);
  }
}

TEST(CudaAvailability, CalibrationWithoutDeviceThrowsError) {
  EXPECT_THROW(calibrateCuda(kMissingDevice), Error);
  if (!cudaDeviceInfo().ok) {
    EXPECT_THROW(calibrateCuda(), Error);
  }
}

TEST(CudaAvailability, SettingsNeedNoDevice) {
  CudaBackend be;
  EXPECT_EQ(be.name(), "cuda");
  EXPECT_FALSE(be.timesIncludeTransfers());
  EXPECT_EQ(be.softmaxPrecision(), SoftmaxPrecision::Fp32);
  EXPECT_FALSE(be.poisonOutputs());
  be.setPoisonOutputs(true);
  EXPECT_TRUE(be.poisonOutputs());
  for (auto p : {SoftmaxPrecision::Tf32, SoftmaxPrecision::Fp32Blocked, SoftmaxPrecision::Fp32}) {
    be.setSoftmaxPrecision(p);
    EXPECT_EQ(be.softmaxPrecision(), p);
  }
  be.setThreads(3);
  EXPECT_EQ(be.threads(), 3);
  be.setMatrixBudget(1234);
  EXPECT_EQ(be.matrixBudget(), 1234u);
}

TEST(SoftmaxPrecisionNames, RoundTripAndRejectUnknown) {
  EXPECT_EQ(toString(SoftmaxPrecision::Fp32), "fp32");
  EXPECT_EQ(toString(SoftmaxPrecision::Tf32), "tf32");
  EXPECT_EQ(toString(SoftmaxPrecision::Fp32Blocked), "fp32-blocked");
  for (auto p : {SoftmaxPrecision::Fp32, SoftmaxPrecision::Tf32, SoftmaxPrecision::Fp32Blocked})
    EXPECT_EQ(parseSoftmaxPrecision(toString(p)), p) << toString(p);
  for (const char* bad : {"", "fp16", "FP32 ", "bf16", "tf32x"}) {
    EXPECT_THROW(parseSoftmaxPrecision(bad), InvalidArgument) << "'" << bad << "'";
    const std::string msg = errorOf([&] { parseSoftmaxPrecision(bad); });
    EXPECT_TRUE(contains(msg, "fp32")) << "the message should list the valid names: " << msg;
  }
}
