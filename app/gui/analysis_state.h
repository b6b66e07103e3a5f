// What the window holds between jobs: the input, each mechanism's prepared maps (for hover rows)
// and the Results the figure builders draw. Immutable once made, shared by shared_ptr<const>.
// computeAnalysis() reuses a mechanism's part when nothing it depends on changed, so changing M or
// the mixing matrix recomputes MHLA only.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/attention.h"
#include "attnscope/progress.h"
#include "model/pipeline.h"
#include "model/results.h"
#include "model/timing_comparison.h"
#include "session/session.h"

namespace attnscope::gui {

/// One mechanism computed on the selected heads.
struct MechanismPart {
  std::string key;  ///< everything the numbers depend on (see computeAnalysis)
  MechanismResult result;  ///< without spectra and timing
  std::vector<std::shared_ptr<const PreparedAttention>> prepared;  ///< per selected head
};

struct AnalysisState {
  std::shared_ptr<const Input> input;
  std::uint64_t inputGeneration = 0;
  std::array<std::shared_ptr<const MechanismPart>, 3> parts;
  std::array<bool, 3> recomputed{};  ///< which parts this state computed afresh
  std::shared_ptr<const Results> results;

  int n() const { return input ? input->qkv.n() : 0; }
  /// The query's rows of the three maps, averaged over the selected heads (GUI thread, O(N·r·H)).
  std::array<VectorD, 3> rowsFor(int query) const;
};

/// Loads the session's input (worker).
std::shared_ptr<const Input> loadInput(const Session& session);

/// Computes (or reuses from `previous`) each mechanism's part and assembles Results with the
/// session's query rows and metrics (no spectra, no timing). Throws attnscope::Error.
std::shared_ptr<const AnalysisState> computeAnalysis(
    const Session& session, std::shared_ptr<const Input> input, std::uint64_t inputGeneration,
    std::shared_ptr<const AnalysisState> previous, const JobControl& job);

/// Results with the query replaced (rows recomputed from the prepared maps; GUI thread, cheap).
std::shared_ptr<const Results> withQuery(const AnalysisState& state, int query);

/// Spectra of the three maps per selected head. A mechanism whose spectrum cannot be computed
/// (dense softmax above the size limit) gets an empty vector and a note in `notes`.
struct SpectraResult {
  std::array<std::vector<Spectrum>, 3> spectra;
  std::array<std::string, 3> notes;
};
SpectraResult computeSpectra(const AnalysisState& state, const SpectrumOptions& opts,
                             const JobControl& job);

/// Timing of the three mechanisms' forward on the selected heads, on the CPU and (when available)
/// the GPU, whatever backend the session computes on.
TimingComparison computeTiming(const Session& session, const AnalysisState& state, int repeats,
                               const JobControl& job);

/// Copies `base` and fills spectra and/or timing.
std::shared_ptr<const Results> withExtras(const Results& base, const SpectraResult* spectra,
                                          const TimingComparison* timing);

}  // namespace attnscope::gui
