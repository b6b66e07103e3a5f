// The CUDA backend (DESIGN.md "The seams"): the same Backend as the Eigen core, run on an NVIDIA GPU.
// This header is host-facing and has no CUDA types, so the app includes it with a plain C++ compiler.
//
// What runs where:
//  - forward (all mechanisms, all heads batched): GPU kernels + cuBLAS;
//  - rows of the maps (hover) and dense maps (within the budget): GPU kernels, normalised on the host
//    in double precision exactly as the Eigen backend does;
//  - dense spectra (softmax, causal maps): cuSOLVER (double); factored spectra of bidirectional linear
//    attention and MHLA: on the host (Eigen), from the same factored form as the Eigen backend.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "attnscope/backend.h"
#include "attnscope/cuda_error.h"
#include "attnscope/error.h"

namespace attnscope {

/// What the CUDA runtime says about device `device` (never throws).
struct CudaDeviceInfo {
  bool ok = false;
  std::string reason;        ///< why not usable, when !ok (no driver, no device, no kernel image, ...)
  std::string name;          ///< e.g. "NVIDIA H100 80GB HBM3"
  int computeMajor = 0, computeMinor = 0;
  std::size_t totalBytes = 0, freeBytes = 0;
  int runtimeVersion = 0;    ///< e.g. 13000
  int driverVersion = 0;     ///< 0 when no driver is installed
  std::string compiledArchitectures;  ///< the CMAKE_CUDA_ARCHITECTURES this library was built for
};
CudaDeviceInfo cudaDeviceInfo(int device = 0);

/// Softmax forward precision. Fp32 runs the fused flash-style kernel (FP32 FMA). Tf32 is opt-in:
/// tiled GEMM + row softmax + GEMM with cuBLAS TF32 tensor-core products (about 1e-3 relative error,
/// see tests/gpu). Fp32Blocked is the same tiled path with FP32 products (for checks and any d).
enum class SoftmaxPrecision { Fp32, Tf32, Fp32Blocked };
std::string toString(SoftmaxPrecision p);
SoftmaxPrecision parseSoftmaxPrecision(const std::string& name);  ///< fp32 | tf32 | fp32-blocked

/// Measured device speeds, for stating kernel speed as a fraction of what the GPU can do.
struct CudaCalibration {
  double copyGBps = 0;       ///< device-to-device cudaMemcpy, (read + write bytes) / time
  double sgemmTflops = 0;    ///< cuBLAS FP32 GEMM, n = 8192
  double tf32GemmTflops = 0; ///< the same GEMM with TF32 tensor cores
};
/// Times a 1 GiB device copy and an 8192³ GEMM (median of 5 each). Throws CudaError.
CudaCalibration calibrateCuda(int device = 0);

class CudaBackend final : public Backend {
 public:
  /// Nothing touches the GPU until the first computation; available() says whether one can run.
  explicit CudaBackend(int device = 0);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  std::string name() const override { return "cuda"; }
  /// Asked of the driver once per backend (every Backend call checks it, hover rows included).
  Availability available() const override;
  /// softmax, linear and mhla; no other kind has kernels here.
  bool supports(const MechanismSpec& spec) const override;
  /// Host threads for the parts that run on the host (factored spectra); < 1 means all cores.
  void setThreads(int threads) override;
  int threads() const override { return threads_; }

  void setSoftmaxPrecision(SoftmaxPrecision p) { softmaxPrecision_ = p; }
  SoftmaxPrecision softmaxPrecision() const { return softmaxPrecision_; }
  /// Fill every device output with NaN before each kernel run, so tests can check that the kernels
  /// wrote every entry (off by default: it costs a memset per output).
  void setPoisonOutputs(bool on) { poison_ = on; }
  bool poisonOutputs() const { return poison_; }

  std::unique_ptr<PreparedAttention> prepare(const MechanismSpec& spec,
                                             const HeadQKV& head) override;
  MatrixF forwardHead(const MechanismSpec& spec, const HeadQKV& head) override;

  /// Uploads Q, K, V once, then times `repeats` batched forwards over all heads with CUDA events
  /// (device time only: no host↔device copies), after one warm-up run.
  std::vector<double> timeRuns(const MechanismSpec& spec, const Qkv& qkv, int repeats,
                               const JobControl& job) override;
  bool timesIncludeTransfers() const override { return false; }

 protected:
  /// All selected heads in one batched launch sequence.
  std::vector<MatrixF> forwardHeads(const MechanismSpec& spec, const Qkv& qkv,
                                    const std::vector<int>& sel, const JobControl& job) override;

 private:
  std::vector<double> timeResident(const MechanismSpec& spec, const Qkv& qkv, int repeats,
                                   const JobControl& job);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int device_ = 0;
  int threads_ = 1;
  SoftmaxPrecision softmaxPrecision_ = SoftmaxPrecision::Fp32;
  bool poison_ = false;
  mutable std::once_flag availableOnce_;
  mutable Availability available_;
};

}  // namespace attnscope
