#include "cli/cuda_report.h"

#include <cstdio>
#include <iomanip>

#include "attnscope/error.h"
#include "model/backend_registry.h"
#ifdef ATTNSCOPE_HAVE_CUDA
#include "attnscope/cuda_plugin.h"
#include "model/cuda_plugin_loader.h"
#endif

namespace attnscope::cli {

namespace {

/// 13000 → "13.0" (CUDA encodes versions as 1000·major + 10·minor).
[[maybe_unused]] std::string cudaVersion(int v) {
  if (v <= 0) return "none";
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

[[maybe_unused]] std::string gib(std::size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", double(bytes) / double(1ull << 30));
  return buf;
}

}  // namespace

void printCudaDevice(std::ostream& out) {
  out << "\ncuda device:\n";
#ifdef ATTNSCOPE_HAVE_CUDA
  const CudaPlugin& plugin = cudaPlugin();
  if (!plugin.api) {
    out << "  unavailable            " << plugin.error << "\n";
    return;
  }
  out << "  plugin                 " << plugin.path << "\n";
  const CudaDeviceInfo info = plugin.api->deviceInfo(0);
  if (info.ok) {
    out << "  name                   " << info.name << "\n"
        << "  compute capability     " << info.computeMajor << "." << info.computeMinor << "\n"
        << "  memory                 " << gib(info.totalBytes) << " (" << gib(info.freeBytes)
        << " free)\n";
  } else {
    out << "  unavailable            " << info.reason << "\n";
  }
  out << "  CUDA runtime           " << cudaVersion(info.runtimeVersion) << "\n"
      << "  CUDA driver            " << cudaVersion(info.driverVersion) << "\n"
      << "  compiled for           " << info.compiledArchitectures << "\n";
#else
  for (const BackendEntry& b : listBackends())
    if (b.name == "cuda") out << "  unavailable            " << b.availability.reason << "\n";
#endif
}

bool isSoftmaxPrecision(const std::string& name) {
  return name == "fp32" || name == "tf32" || name == "fp32-blocked";
}

void applySoftmaxPrecision(Backend& backend, const std::string& name) {
#ifdef ATTNSCOPE_HAVE_CUDA
  if (backend.name() == "cuda" && cudaPlugin().api) {
    cudaPlugin().api->setSoftmaxPrecision(backend, name);
    return;
  }
#endif
  throw Error("--softmax-precision " + name + " applies to the cuda backend only, not " +
              backend.name());
}

void printCudaCalibration(std::ostream& out) {
#ifdef ATTNSCOPE_HAVE_CUDA
  out << "calibrating the GPU (1 GiB device copy, 8192³ GEMMs; median of 5)...\n" << std::flush;
  if (!cudaPlugin().api) throw Error("the cuda backend is not available: " + cudaPlugin().error);
  const CudaCalibration c = cudaPlugin().api->calibrate(0);
  out << std::fixed << std::setprecision(1) << "  device copy            " << c.copyGBps
      << " GB/s (read + write)\n"
      << "  FP32 GEMM (cuBLAS)     " << std::setprecision(2) << c.sgemmTflops << " TFLOP/s\n"
      << "  TF32 GEMM (cuBLAS)     " << c.tf32GemmTflops << " TFLOP/s\n";
  out.unsetf(std::ios::floatfield);
  out << std::setprecision(6) << std::flush;
#else
  (void)out;
  throw Error("the cuda backend is not available: this build has no CUDA backend");
#endif
}

}  // namespace attnscope::cli
