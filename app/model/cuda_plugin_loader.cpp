#include "model/cuda_plugin_loader.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "attnscope/cuda_plugin.h"
#include "model/build_info.h"

#ifndef ATTNSCOPE_VERSION
#define ATTNSCOPE_VERSION "unknown"
#endif
#ifndef ATTNSCOPE_PLUGIN_RELDIR
#define ATTNSCOPE_PLUGIN_RELDIR "../lib/attnscope"
#endif

namespace attnscope {

namespace {

namespace fs = std::filesystem;

std::string lastDlError() {
  const char* e = dlerror();
  return e ? e : "unknown error";
}

CudaPlugin openPlugin() {
  CudaPlugin p;
  // The driver first: without libcuda.so.1 no CUDA program can run, and not opening the plugin
  // keeps the CUDA runtime and the math libraries (hundreds of MB) out of this process.
  if (void* driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL); !driver) {
    p.error = "no NVIDIA driver: libcuda.so.1 cannot be loaded (" + lastDlError() + ")";
    return p;
  }  // (left open: the plugin's CUDA runtime loads it again)
  const std::vector<std::string> candidates = cudaPluginCandidates();
  for (const std::string& c : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(c, ec)) {
      p.path = c;
      break;
    }
  }
  if (p.path.empty()) {
    std::string where;
    for (const std::string& c : candidates) where += (where.empty() ? "" : ", ") + c;
    p.error = std::string("the CUDA backend plugin ") + kCudaPluginFile +
              " is not installed (looked for " + where + "; Debian: install the attnscope-cuda package)";
    return p;
  }
  void* handle = dlopen(p.path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    p.error = "cannot load the CUDA backend plugin: " + lastDlError();
    return p;
  }
  using Entry = const CudaPluginApi* (*)();
  auto entry = reinterpret_cast<Entry>(dlsym(handle, ATTNSCOPE_CUDA_PLUGIN_SYMBOL));
  const CudaPluginApi* api = entry ? entry() : nullptr;
  if (!api) {
    p.error = p.path + ": not an attnscope CUDA plugin (no " ATTNSCOPE_CUDA_PLUGIN_SYMBOL ")";
    dlclose(handle);
    return p;
  }
  if (api->abi != kCudaPluginAbi || std::string(api->version) != ATTNSCOPE_VERSION) {
    p.error = p.path + ": built for attnscope " + api->version + " (plugin interface " +
              std::to_string(api->abi) + "), not this attnscope " ATTNSCOPE_VERSION +
              " (interface " + std::to_string(kCudaPluginAbi) + ")";
    dlclose(handle);
    return p;
  }
  p.api = api;  // never closed: backends made by it may live until exit
  return p;
}

}  // namespace

std::vector<std::string> cudaPluginCandidates() {
  if (const char* env = std::getenv("ATTNSCOPE_CUDA_PLUGIN"); env && *env) return {env};
  const std::string exeDir = executableDir();
  if (exeDir.empty()) return {};
  const fs::path dir(exeDir);
  return {(dir / kCudaPluginFile).string(),
          (dir / ATTNSCOPE_PLUGIN_RELDIR / kCudaPluginFile).lexically_normal().string()};
}

const CudaPlugin& cudaPlugin() {
  static const CudaPlugin plugin = openPlugin();
  return plugin;
}

}  // namespace attnscope
