// The CUDA backend plugin (libattnscope_cuda.so, gpu/plugin/), opened with dlopen the first time a
// backend list, a CUDA backend or the device report is asked for, so that starting the program
// never maps the CUDA runtime, cuBLAS or cuSOLVER by itself. On a machine without the NVIDIA driver
// the plugin is not even opened: the reason is the missing driver library.
#pragma once

#include <string>
#include <vector>

namespace attnscope {

struct CudaPluginApi;

/// The plugin's file name.
constexpr const char* kCudaPluginFile = "libattnscope_cuda.so";

struct CudaPlugin {
  const CudaPluginApi* api = nullptr;  ///< null when the plugin cannot run here
  std::string path;                    ///< the file opened (or the first candidate that exists)
  std::string error;                   ///< why api is null: no driver, plugin missing, load error
};

/// Where the plugin is looked for, in order: $ATTNSCOPE_CUDA_PLUGIN when set (a file), else next
/// to the executable (the build tree) and in the install's library folder relative to it
/// (bin/../lib/…/attnscope).
std::vector<std::string> cudaPluginCandidates();

/// Opened once per process (thread-safe); later calls return the same result.
const CudaPlugin& cudaPlugin();

}  // namespace attnscope
