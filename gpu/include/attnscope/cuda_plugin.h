// The CUDA backend as a plugin library (libattnscope_cuda.so), opened with dlopen on first use so
// that a program start without a GPU maps neither the CUDA runtime nor cuBLAS / cuSOLVER
// (app/model/cuda_plugin_loader.*). The library exports one C function, attnscope_cuda_plugin(),
// returning this table. Both sides are built from the same tree with the same compiler (the table
// carries C++ types; `abi` guards against a stale library from another version).
#pragma once

#include <string>

#include "attnscope/backend.h"
#include "attnscope/cuda_backend.h"

namespace attnscope {

/// Bumped whenever CudaPluginApi, CudaDeviceInfo, CudaCalibration or Backend change.
constexpr int kCudaPluginAbi = 1;

struct CudaPluginApi {
  int abi = kCudaPluginAbi;
  /// The attnscope version the library was built from (checked against the program's).
  const char* version = "";
  /// cudaDeviceInfo(device); never throws.
  CudaDeviceInfo (*deviceInfo)(int device) = nullptr;
  /// Whether a CudaBackend on `device` can run, with the reason when not; never throws.
  Availability (*availability)(int device) = nullptr;
  /// A new CudaBackend on `device` with `threads` host threads; the caller owns (and deletes) it.
  Backend* (*makeBackend)(int device, int threads) = nullptr;
  /// Sets the softmax precision of a backend made by makeBackend. Throws InvalidArgument for an
  /// unknown name or Error for a backend that is not the plugin's.
  void (*setSoftmaxPrecision)(Backend& backend, const std::string& name) = nullptr;
  /// calibrateCuda(device). Throws CudaError.
  CudaCalibration (*calibrate)(int device) = nullptr;
};

}  // namespace attnscope

/// The plugin's only exported symbol.
extern "C" const attnscope::CudaPluginApi* attnscope_cuda_plugin();
#define ATTNSCOPE_CUDA_PLUGIN_SYMBOL "attnscope_cuda_plugin"
