// What this attnscope is: its version and build options, for `attnscope info` and the window's
// Help ▸ About (one list, so both say the same).
#pragma once

#include <string>
#include <vector>

namespace attnscope {

/// "0.1.0".
std::string attnscopeVersion();

struct BuildFact {
  std::string key;    ///< "compiler", "C++ standard", "native (-march)", ...
  std::string value;  ///< "GCC 12.2.0", "201703", "yes", ...
};
/// Compiler, C++ standard, -march=native, CUDA backend built, assertions, CPU code path (and
/// whether this CPU has it), Eigen version and SIMD, Qt run-time and build versions.
std::vector<BuildFact> buildFacts();

/// The folder of the running program (from /proc/self/exe); empty when it cannot be read.
std::string executableDir();

}  // namespace attnscope
