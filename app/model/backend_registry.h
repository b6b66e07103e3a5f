// The compute backends this build knows: the Eigen CPU backend always, CUDA when it is built. The
// GUI lists them with their availability; the command line picks one by name.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "attnscope/backend.h"

namespace attnscope {

struct BackendEntry {
  std::string name;         ///< "eigen", "cuda"
  std::string description;  ///< one line for `attnscope info` and the GUI
  Availability availability;
  std::string device;  ///< the GPU's name when CUDA is available (empty for the CPU)
};

/// Every backend, available or not (with the reason). CUDA's availability is asked once per
/// process and then remembered.
std::vector<BackendEntry> listBackends();
/// "cpu" and "eigen" → "eigen"; "cuda" → "cuda"; throws InvalidArgument for other names.
std::string canonicalBackendName(const std::string& name);
/// A ready backend. Throws Error "the cuda backend is not available: <reason>" when it cannot run.
std::unique_ptr<Backend> makeBackend(const std::string& name, int threads);

/// What the window computes on when a session asks for `requested`: the same backend when it can
/// run here, else "eigen" with `notice` saying why ("the cuda backend is not available (…);
/// computing on eigen (CPU) instead"). Unknown names are returned unchanged (makeBackend reports
/// them).
struct BackendChoice {
  std::string name;
  std::string notice;  ///< empty when no fallback happened
};
BackendChoice chooseBackend(const std::string& requested);

}  // namespace attnscope
