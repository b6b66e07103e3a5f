#include "attnscope/blas_library.h"
#include "model/build_info.h"

#include <QtGlobal>
#include <Eigen/Core>
#include <filesystem>
#include <system_error>

#include "attnscope/eigen_backend.h"

#ifndef ATTNSCOPE_VERSION
#define ATTNSCOPE_VERSION "unknown"
#endif

namespace attnscope {

namespace {
std::string compilerName() {
#if defined(__clang__)
  return "Clang " __clang_version__;
#elif defined(__GNUC__)
  return "GCC " __VERSION__;
#elif defined(_MSC_VER)
  return "MSVC " + std::to_string(_MSC_VER);
#else
  return "unknown";
#endif
}
}  // namespace

std::string attnscopeVersion() { return ATTNSCOPE_VERSION; }

std::string executableDir() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

std::vector<BuildFact> buildFacts() {
  const CpuCodePath path = cpuCodePath();
  return {
      {"compiler", compilerName()},
      {"C++ standard", std::to_string(__cplusplus)},
#ifdef ATTNSCOPE_NATIVE_BUILD
      {"native (-march)", "yes"},
#else
      {"native (-march)", "no"},
#endif
#ifdef ATTNSCOPE_HAVE_CUDA
      {"CUDA backend built", "yes"},
#else
      {"CUDA backend built", "no"},
#endif
#ifdef NDEBUG
      {"assertions", "off"},
#else
      {"assertions", "on"},
#endif
      {"CPU code path", path.level + (path.cpuSupports ? "" : " (NOT supported by this CPU)")},
      {"Eigen", std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
                    std::to_string(EIGEN_MINOR_VERSION) + " (SIMD: " + Eigen::SimdInstructionSetsInUse() + ")"},
      {"BLAS", blasSummary()},
      {"Qt", std::string(qVersion()) + " (built with " QT_VERSION_STR ")"},
  };
}

}  // namespace attnscope
