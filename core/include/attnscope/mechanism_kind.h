// Attention kinds as plug-ins. Every kind of attention (softmax, linear, MHLA, and any added one)
// implements MechanismKind once, in its own file, and registers itself; nothing else switches on
// the kind. A MechanismSpec names its kind and carries the kind's settings; the Backend asks the
// kind for everything it computes on the CPU, and each backend says which kinds it runs
// (Backend::supports): a kind a backend lacks is refused by name, never run on another kind's path.
//
// Shape contracts (every hook): one head, Q N by d_k, K N by d_k, V N by d_v, N ≥ 1; the spec has
// been validated for N and d_k before any hook but validate() runs.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/types.h"

namespace attnscope {

struct MechanismSpec;
struct HeadQKV;
class PreparedAttention;

/// What the CPU backend hands a kind's hooks.
struct CpuExec {
  int threads = 1;                 ///< OpenMP threads worth using for this work
  std::size_t matrixBudget = 0;    ///< bytes a dense N×N intermediate may take
};

class MechanismKind {
 public:
  virtual ~MechanismKind() = default;

  /// Short stable name: "softmax", "linear", "mhla" (session files, timing.csv, errors).
  virtual std::string id() const = 0;
  /// Whether φ, r and the favor features mean anything for this kind (linear family: yes).
  virtual bool usesFeatureMap() const { return false; }
  /// Throws InvalidArgument when `spec`'s kind-specific settings cannot apply to N tokens of key
  /// width d_k (the common checks, N ≥ 1 and d_k ≥ 1, ran before).
  virtual void validate(const MechanismSpec& spec, int n, int dk) const = 0;
  /// "softmax (τ=2)", "linear (relu)", "MHLA (M=16, cos)" — without ", causal" (added by the spec).
  virtual std::string label(const MechanismSpec& spec) const = 0;
  /// Theoretical rank bound of the N×N map for bidirectional attention (MATH.md); causal maps are
  /// full rank (N) whatever the kind, which the spec applies.
  virtual int rankBound(const MechanismSpec& spec, int n, int dk) const = 0;
  /// FLOPs of one forward on one head (MATH.md "FLOP counts").
  virtual double flops(const MechanismSpec& spec, int n, int dk, int dv) const = 0;
  /// Bytes of state the efficient forward holds beyond Q, K, V and the output (checked against the
  /// memory budget before anything allocates); 0 for a kind that streams.
  virtual double stateBytes(const MechanismSpec& /*spec*/, int /*n*/, int /*dk*/, int /*dv*/) const {
    return 0;
  }

  /// The kind's rows, dense maps and spectra on one head (the CPU reference every other backend
  /// is checked against).
  virtual std::unique_ptr<PreparedAttention> prepareCpu(const MechanismSpec& spec, const HeadQKV& head,
                                                        const CpuExec& exec) const = 0;
  /// The efficient forward on one head. @return N by d_v. The default multiplies the prepared
  /// map's rows by V in chunks of rows (exact, O(N²·d) time, O(chunk·N) memory): right for a kind
  /// whose map has no cheaper form.
  virtual MatrixF forwardCpu(const MechanismSpec& spec, const HeadQKV& head, const CpuExec& exec) const;
};

using MechanismKindPtr = std::shared_ptr<const MechanismKind>;

/// The built-in kinds.
const MechanismKindPtr& softmaxKind();
const MechanismKindPtr& linearKind();
const MechanismKindPtr& mhlaKind();

/// Every registered kind: the built-ins, then added ones in registration order.
std::vector<MechanismKindPtr> mechanismKinds();
/// The kind with this id; throws InvalidArgument listing the registered ids when there is none.
MechanismKindPtr findMechanismKind(const std::string& id);
/// Adds a kind (its id must be new and made of [a-z0-9_-]; throws InvalidArgument otherwise).
/// Registering the same object twice is a no-op, so a kind may register itself from any caller.
void registerMechanismKind(MechanismKindPtr kind);

}  // namespace attnscope
