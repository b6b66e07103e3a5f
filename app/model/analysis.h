// The one analysis path, shared by the window and every subcommand: session + input → each
// registered mechanism's outputs, prepared maps, rows, metrics (computeAnalysis), then spectra
// (computeSpectra) and timings (computeTiming) as separate steps that the window runs as separate
// jobs and `analyse` runs one after the other. An Analysis is immutable once made; computeAnalysis
// reuses a mechanism's part from the previous Analysis when its key (everything its numbers
// depend on, derived from its resolved spec) is unchanged, so editing the mixing matrix recomputes
// MHLA only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "attnscope/attention.h"
#include "attnscope/progress.h"
#include "model/pipeline.h"
#include "model/results.h"
#include "model/timing_comparison.h"
#include "session/session.h"

namespace attnscope {

/// One mechanism computed on the selected heads.
struct MechanismPart {
  std::string key;         ///< everything the numbers depend on (partKey)
  MechanismResult result;  ///< without spectra and timing
  std::vector<std::shared_ptr<const PreparedAttention>> prepared;  ///< per selected head
};

struct Analysis {
  std::shared_ptr<const Input> input;
  std::uint64_t inputGeneration = 0;
  std::vector<std::shared_ptr<const MechanismPart>> parts;  ///< registry order
  std::vector<bool> recomputed;  ///< which parts this analysis computed afresh
  /// The session's query rows and metrics (no spectra, no timing).
  std::shared_ptr<const Results> results;

  int n() const { return input ? input->qkv.n() : 0; }
  /// The query's row of each mechanism's map, averaged over the selected heads (O(N·r·H) each;
  /// cheap enough for the GUI thread's hover).
  std::vector<VectorD> rowsFor(int query) const;
};

struct AnalysisOptions {
  bool spectra = true;
  bool metrics = true;
  bool timing = false;
  int timingRepeats = 5;
};

/// What mechanism `spec`'s numbers depend on: the spec's own key (MechanismSpec::key, every field:
/// kind, causal mask, τ, φ, layout, mixing, normaliser, kind parameters), the input generation, the
/// heads, the backend and budget, and
/// whether metrics were computed. Two equal keys give bit-identical numbers.
std::string partKey(const MechanismSpec& spec, const Session& session, std::uint64_t inputGeneration,
                    const std::vector<int>& heads, bool metrics);

/// Computes (or reuses from `previous`) each mechanism's part and assembles Results with the
/// session's query rows and metrics. Throws attnscope::Error (Cancelled on cancel).
std::shared_ptr<const Analysis> computeAnalysis(const Session& session,
                                                std::shared_ptr<const Input> input,
                                                std::uint64_t inputGeneration,
                                                std::shared_ptr<const Analysis> previous,
                                                const JobControl& job, bool metrics = true);

/// The key computeAnalysis gives each mechanism's part (the reference's own key is part of every
/// other one: they are measured against it).
std::vector<std::string> partKeys(const std::vector<MechanismSpec>& specs, const Session& session,
                                  std::uint64_t inputGeneration, const std::vector<int>& heads, bool metrics);

/// The analysis of the session's heads taken from `all`, an analysis of every head of the same
/// Q/K/V (`input`) with the same settings: the numbers computeAnalysis would give, without
/// computing them again (the window's layer switch reads them from the model survey). Throws
/// InvalidArgument when `all` lacks a head the session selects.
std::shared_ptr<const Analysis> selectHeads(const Analysis& all, const Session& session,
                                            std::shared_ptr<const Input> input, std::uint64_t inputGeneration);

/// Results with the query replaced (rows recomputed from the prepared maps; cheap).
std::shared_ptr<const Results> withQuery(const Analysis& analysis, int query);

/// Spectra of every mechanism's map per selected head. A mechanism whose spectrum cannot be
/// computed (dense softmax above the size limit) gets no spectra and a note.
struct SpectraResult {
  std::vector<std::vector<Spectrum>> spectra;  ///< per part
  std::vector<std::string> notes;              ///< per part, empty when computed
};
/// The spectrum options a session asks for (relative tolerance, largest dense N).
SpectrumOptions spectrumOptions(const Session& session);
SpectraResult computeSpectra(const Analysis& analysis, const SpectrumOptions& options,
                             const JobControl& job);

/// Timing of every mechanism's forward on the selected heads, on the CPU and (when available) the
/// GPU, whatever backend the session computes on.
TimingComparison computeTiming(const Session& session, const Analysis& analysis, int repeats,
                               const JobControl& job);

/// Copies `base` and fills spectra (with their notes) and/or timing.
std::shared_ptr<Results> withExtras(const Results& base, const SpectraResult* spectra,
                                          const TimingComparison* timing);

/// The whole analysis in one call (the command line): computeAnalysis, withQuery, then
/// computeSpectra and computeTiming as asked, assembled by withExtras — the steps the window runs
/// as jobs — with progress over all of it.
std::shared_ptr<const Results> analyse(const Session& session, std::shared_ptr<const Input> input,
                                        const AnalysisOptions& options = {},
                                        const JobControl& job = {});

/// Largest N whose whole maps the matrix and difference map modes show (three float N×N maps:
/// 50 MB at 2048).
inline constexpr int kMapMatrixMaxN = 2048;
/// Every row of every mechanism's map (rowsFor, so the selected heads are averaged as in the
/// row view), as float N×N matrices. Throws BudgetExceeded above kMapMatrixMaxN; cancellable.
std::shared_ptr<const std::vector<MatrixF>> computeMapMatrices(const Analysis& analysis,
                                                               const JobControl& job = {});
/// `results` with the map matrices its view's map mode needs (itself when none is needed or
/// N > kMapMatrixMaxN: the figure then shows rows).
std::shared_ptr<const Results> withMapMatrices(const Analysis& analysis,
                                               std::shared_ptr<const Results> results,
                                               const ViewSettings& view, const JobControl& job = {});

}  // namespace attnscope
