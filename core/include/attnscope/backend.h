// The Backend seam (DESIGN.md): every compute backend (Eigen CPU, CUDA) implements this; the GUI and
// the command line only talk to it. Every call takes one head or all heads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "attnscope/attention.h"
#include "attnscope/mechanism.h"
#include "attnscope/progress.h"
#include "attnscope/qkv.h"
#include "attnscope/spectrum.h"

namespace attnscope {

/// Bytes a linear-attention / MHLA forward holds for its block states (chunk summaries, block
/// sums, mixed states: about (3·M + N/64)·r·d_v floats, plus favor's r×d_k projection); 0 for softmax.
double linearStateBytes(const MechanismSpec& spec, int n, int dk, int dv);
/// Throws BudgetExceeded (saying M, r, d_v and the sizes) when linearStateBytes exceeds the budget.
/// Every Backend call checks it before it allocates.
void requireStateBudget(const MechanismSpec& spec, int n, int dk, int dv, std::size_t budgetBytes);

struct Availability {
  bool ok = false;
  std::string reason;  ///< why not, when !ok
};

class Backend {
 public:
  virtual ~Backend() = default;

  /// Short name: "eigen", "cuda".
  virtual std::string name() const = 0;
  /// Whether the backend can run here, and if not, why (no driver, no device, ...).
  virtual Availability available() const = 0;
  /// Whether this backend runs `spec`'s kind of attention (ggml's supports_op): every call refuses,
  /// by the kind's name, a spec it does not support — never another kind's path. The Eigen backend
  /// runs every registered kind (each kind's CPU hooks are the reference).
  virtual bool supports(const MechanismSpec& spec) const = 0;
  /// Throws InvalidArgument naming the kind and this backend when !supports(spec).
  void requireSupport(const MechanismSpec& spec) const;
  /// Worker threads (CPU) used by this backend's calls; values < 1 mean "all cores".
  virtual void setThreads(int threads) = 0;
  virtual int threads() const = 0;
  /// Budget for dense N×N maps (default 2 GiB).
  void setMatrixBudget(std::size_t bytes) { matrixBudget_ = bytes; }
  std::size_t matrixBudget() const { return matrixBudget_; }

  /// Prepares one head for repeated row queries (hovering): heavy work once, rows in O(N·r).
  virtual std::unique_ptr<PreparedAttention> prepare(const MechanismSpec& spec,
                                                     const HeadQKV& head) = 0;
  /// The efficient forward path on one head. @return N by d_v
  virtual MatrixF forwardHead(const MechanismSpec& spec, const HeadQKV& head) = 0;

  /// Output O = A·V for each selected head (efficient path, never an N×N matrix except
  /// materialised softmax). Validates inputs and settings first.
  std::vector<MatrixF> forward(const MechanismSpec& spec, const Qkv& qkv, HeadSel heads,
                               const JobControl& job = {});
  /// Row `query` of A for each selected head (length N each).
  std::vector<VectorD> attentionRow(const MechanismSpec& spec, const Qkv& qkv, HeadSel heads,
                                    int query);
  /// Dense N×N maps, refused (BudgetExceeded) above matrixBudget().
  std::vector<MatrixF> attentionMatrix(const MechanismSpec& spec, const Qkv& qkv, HeadSel heads,
                                       const JobControl& job = {});
  /// Singular-value spectra (factored for bidirectional linear and MHLA, else dense).
  std::vector<Spectrum> spectrum(const MechanismSpec& spec, const Qkv& qkv, HeadSel heads,
                                 const SpectrumOptions& opts = {}, const JobControl& job = {});

  /// Milliseconds of `repeats` forwards over all heads of `qkv`, each after one untimed warm-up
  /// run. Inputs must already be validated. The default times forwardHead() per head with the
  /// wall clock; a device backend times its resident data (see timesIncludeTransfers()).
  virtual std::vector<double> timeRuns(const MechanismSpec& spec, const Qkv& qkv, int repeats,
                                       const JobControl& job);
  /// Whether timeRuns() counts copying inputs and outputs between host and device.
  virtual bool timesIncludeTransfers() const { return true; }

 protected:
  /// requireSupport, availability, Q/K/V, the spec for them, the state budget.
  void check(const MechanismSpec& spec, const Qkv& qkv) const;

  /// Forward of the heads `sel` (validated). The default calls forwardHead() for each; a device
  /// backend overrides it to run all heads in one batched launch.
  virtual std::vector<MatrixF> forwardHeads(const MechanismSpec& spec, const Qkv& qkv,
                                            const std::vector<int>& sel, const JobControl& job);

 private:
  std::size_t matrixBudget_ = kDefaultMatrixBudgetBytes;
};

}  // namespace attnscope
