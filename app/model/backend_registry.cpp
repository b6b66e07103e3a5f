#include "model/backend_registry.h"

#include "attnscope/eigen_backend.h"
#include "attnscope/error.h"

namespace attnscope {

namespace {
Availability cudaAvailability() {
  // No CUDA backend is compiled into this build yet (gpu/ registers itself here when it is).
  return {false, "this build has no CUDA backend (configure with -DATTNSCOPE_CUDA=ON on a machine "
                 "with the CUDA toolkit, once gpu/ exists)"};
}
}  // namespace

std::vector<BackendEntry> listBackends() {
  return {
      {"eigen", "CPU reference (Eigen, OpenMP)", Availability{true, {}}},
      {"cuda", "NVIDIA GPU (CUDA, cuBLAS)", cudaAvailability()},
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
  }
  throw Error("the " + canonical + " backend is not available: not built");
}

}  // namespace attnscope
