// The command line's CUDA-only parts (device report, calibration, softmax precision), kept here so
// the subcommands have no #ifdef ATTNSCOPE_HAVE_CUDA of their own. In a build without the CUDA
// backend they say so.
#pragma once

#include <ostream>
#include <string>

#include "attnscope/backend.h"

namespace attnscope::cli {

/// The "cuda device:" section of `attnscope info`: name, compute capability, memory, runtime and
/// driver versions, compiled architectures, or why there is no usable device.
void printCudaDevice(std::ostream& out);

/// Whether `name` is fp32, tf32 or fp32-blocked (the --softmax-precision values).
bool isSoftmaxPrecision(const std::string& name);
/// Applies a softmax precision to a cuda backend. Throws Error for any other backend.
void applySoftmaxPrecision(Backend& backend, const std::string& name);

/// Measures and prints the GPU's copy bandwidth and FP32 / TF32 GEMM throughput. Throws Error
/// (CudaError) when the GPU cannot run it.
void printCudaCalibration(std::ostream& out);

}  // namespace attnscope::cli
