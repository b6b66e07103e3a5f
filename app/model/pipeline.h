// Session → Input → resolved mechanisms: the first steps of every analysis (model/analysis.h runs
// the mechanisms). No widgets.
#pragma once

#include <memory>
#include <string>

#include "attnscope/backend.h"
#include "attnscope/input/input.h"
#include "attnscope/mechanism.h"
#include "attnscope/progress.h"
#include "io/input_loader.h"
#include "model/mechanism_registry.h"
#include "model/mixing_fit.h"
#include "model/results.h"
#include "session/session.h"

namespace attnscope {

/// Decodes the session's source with its input settings (app/io/input_loader.h). Throws
/// FileError / InvalidArgument naming the file.
/// A model's forward reports progress to `job` and stops between layers when it says so.
Input loadSessionInput(const Session& session, const JobControl& job = {});
/// The session's image or text source (a file or the sample) as io's readSource reads it, for
/// the native inputs and the models alike; InvalidArgument for a source of another kind.
SourceContent readSessionSource(const Session& session);

/// The registered mechanisms resolved for these tokens.
struct ResolvedMechanisms {
  std::vector<MechanismSpec> specs;  ///< one per mechanismRegistry() entry, in its order
  std::shared_ptr<const BlockLayout> layout;
  MatrixD mixing;          ///< M by M
  std::string mixingName;  ///< init name, file name, "custom" or "fitted"
  std::string layoutNote;  ///< how the layout differs from the one asked for (empty: it does not)
  /// With the fitted mixing: each selected head's fit (MHLA specs carry them as headMixing).
  std::shared_ptr<const MixingFitReport> mixingFit;
};

/// The session's mixing file: CSV or .npy (mixing.h), or FILE.safetensors#TENSOR, a learned matrix of
/// an MHLA checkpoint (refused, naming its negative entries, when it has any). Throws FileError.
MatrixD loadSessionMixing(const std::string& path);

/// MHLA layout: 2D windows when the tokens form a full patch grid (no causal mask), from
/// session.windowRows×windowCols or about session.blocks (default 16) windows; else 1D with
/// session.blocks (default min(8, N)) chunks. Mixing: custom matrix, else file, else init, or
/// "fitted": 𝓜 fitted per selected head against softmax (model/mixing_fit.h; progress and cancel
/// through `job`). Throws InvalidArgument / FileError.
ResolvedMechanisms resolveMechanisms(const Session& session, const Input& input, const JobControl& job = {});

/// The query token: grid cell, index, or automatic (grid centre / middle token). Throws
/// InvalidArgument when out of range.
int resolveQuery(const Session& session, const TokenSet& tokens);

/// The heads a session selects for this many heads (throws InvalidArgument when out of range).
std::vector<int> selectedHeads(const Session& session, int numHeads);

/// What every analysis starts from: a Results with the settings, sizes, heads, query, layout and
/// mixing filled in (no mechanism numbers yet), the resolved mechanisms and the backend to use.
struct AnalysisFrame {
  std::shared_ptr<Results> results;
  ResolvedMechanisms mechanisms;
  std::unique_ptr<Backend> backend;
};
/// Throws InvalidArgument / FileError for settings that do not fit the input.
AnalysisFrame beginAnalysis(const Session& session, std::shared_ptr<const Input> input,
                            const JobControl& job = {});
/// Fills the descriptive fields of a mechanism's result (id, names, colour, label, rank bound, r,
/// M) from its registry entry and spec; the numbers are left to the caller.
void describeMechanism(MechanismResult& result, const MechanismSpec& spec,
                       const MechanismEntry& entry, int n, int dk);

}  // namespace attnscope
