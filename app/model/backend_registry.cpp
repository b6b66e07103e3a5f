#include "model/backend_registry.h"

#include "attnscope/eigen_backend.h"
#include "attnscope/error.h"
#ifdef ATTNSCOPE_HAVE_CUDA
#include "attnscope/cuda_plugin.h"
#include "model/cuda_plugin_loader.h"
#endif

namespace attnscope {

namespace {

struct CudaStatus {
  Availability availability;
  std::string device;
};

CudaStatus probeCuda() {
#ifdef ATTNSCOPE_HAVE_CUDA
  CudaStatus s;
  // The plugin library is opened here, on the first question about CUDA (not at start-up).
  const CudaPlugin& plugin = cudaPlugin();
  if (!plugin.api) return {{false, plugin.error}, {}};
  try {
    s.availability = plugin.api->availability(0);
    if (s.availability.ok) s.device = plugin.api->deviceInfo(0).name;
  } catch (const std::exception& e) {
    s.availability = {false, e.what()};
  }
  if (!s.availability.ok && s.availability.reason.empty())
    s.availability.reason = "the CUDA runtime gave no reason";
  return s;
#else
  return {{false,
           "this build has no CUDA backend: no CUDA compiler was found at configure time "
           "(or it was configured with -DATTNSCOPE_CUDA=OFF)"},
          {}};
#endif
}

/// Asked once: the first CUDA runtime call initialises the driver (slow), and whether a device
/// exists does not change while the program runs. Thread-safe (static initialisation).
const CudaStatus& cudaStatus() {
  static const CudaStatus status = probeCuda();
  return status;
}

}  // namespace

std::vector<BackendEntry> listBackends() {
  const CudaStatus& cuda = cudaStatus();
  const std::string gpu = cuda.device.empty() ? std::string("NVIDIA GPU") : cuda.device;
  return {
      {"eigen", "CPU reference (Eigen, OpenMP)", Availability{true, {}}, {}},
      {"cuda", gpu + " (CUDA, cuBLAS)", cuda.availability, cuda.device},
  };
}

std::string canonicalBackendName(const std::string& name) {
  if (name == "cpu" || name == "eigen") return "eigen";
  if (name == "cuda" || name == "gpu") return "cuda";
  throw InvalidArgument("unknown backend '" + name + "' (expected cpu or cuda)");
}

std::unique_ptr<Backend> makeBackend(const std::string& name, int threads) {
  const std::string canonical = canonicalBackendName(name);
  for (const BackendEntry& e : listBackends()) {
    if (e.name != canonical) continue;
    if (!e.availability.ok)
      throw Error("the " + e.name + " backend is not available: " + e.availability.reason);
    if (canonical == "eigen") return std::make_unique<EigenBackend>(threads);
#ifdef ATTNSCOPE_HAVE_CUDA
    if (canonical == "cuda") {
      return std::unique_ptr<Backend>(cudaPlugin().api->makeBackend(0, threads));
    }
#endif
  }
  throw Error("the " + canonical + " backend is not available: not built");
}

BackendChoice chooseBackend(const std::string& requested) {
  std::string canonical;
  try {
    canonical = canonicalBackendName(requested);
  } catch (const InvalidArgument&) {
    return {requested, {}};
  }
  for (const BackendEntry& e : listBackends())
    if (e.name == canonical && !e.availability.ok)
      return {"eigen", "the " + canonical + " backend is not available (" + e.availability.reason +
                           "); computing on eigen (CPU) instead"};
  return {canonical, {}};
}

}  // namespace attnscope
