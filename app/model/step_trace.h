// The step-through view's numbers (issue 28 #2): one query of one head taken through a mechanism's
// formulas stage by stage, with the input's real values. Softmax: q·k_j → scaled → exponentiated
// → normalised → weighted sum of V. Linear: φ(q), φ(K) → one summary S, z (the same for every
// query) → o = φ(q)ᵀS / φ(q)ᵀz. MHLA: blocks → a summary per block → the query block's row of 𝓜 →
// the mixed summary → the output and its map, block by block. Computed here, in double precision
// from the head's Q/K/V, never in the window: the steps panel draws it, tests check every stage
// against the core's rows and forward (MATH.md notation throughout).
#pragma once

#include <string>
#include <vector>

#include "attnscope/mechanism.h"
#include "attnscope/qkv.h"
#include "attnscope/types.h"

namespace attnscope {

struct Results;

/// One matrix or vector of a stage, with all its values (a vector is one row).
struct StepArray {
  std::string name;      ///< "q_i", "φ(K)", "S", "A_i"
  MatrixD values;        ///< rows × cols; a masked (causal) entry is NaN
  std::string rowsLabel, colsLabel;  ///< "token j", "d_k", …
  /// A vector over the tokens that is drawn on the image's patch grid (0: not on a grid).
  int gridRows = 0, gridCols = 0, gridFirst = 0;
  /// The entry to outline (a vector over the tokens: the query; over the blocks: its block); -1: none.
  int highlight = -1;
  /// "shape 1024×64" — what the panel prints beside the heatmap.
  std::string shape() const;
};

struct StepStage {
  std::string id;           ///< stable: "scores", "scaled", "exp", "normalised", "output", …
  std::string title;        ///< "Dot products q·k_j"
  std::string formula;      ///< MATH.md notation
  std::string explanation;  ///< one line (with the numbers that matter)
  std::vector<StepArray> arrays;
  /// The array called `name` (null when the stage has none).
  const StepArray* find(const std::string& name) const;
};

struct StepTrace {
  std::string mechanism;  ///< the kind's id: softmax | linear | mhla
  std::string label;      ///< MechanismSpec::label()
  int head = 0, query = 0, n = 0;
  /// Linear / MHLA: the other query the summary stage compares with (-1: none).
  int otherQuery = -1;
  std::vector<StepStage> stages;
  VectorD output;  ///< o_i (d_v): the last stage's output
  VectorD mapRow;  ///< A_i (N): the last stage's map row
};

/// The trace of `query` through `spec` on one head. `otherQuery` (-1: chosen) is the query the
/// summary stage compares with. `grid*` draw token vectors on a patch grid (0: none). Throws
/// InvalidArgument for a query out of range or a kind the step view does not know.
StepTrace traceSteps(const HeadQKV& x, const MechanismSpec& spec, int query, int otherQuery = -1,
                     int gridRows = 0, int gridCols = 0, int gridFirst = 0);

/// The trace of `res`'s pinned query on its head (the selected head; with every head or their
/// mean, the first computed) for the mechanism `mechanismId` (softmax | linear | mhla).
StepTrace traceSteps(const Results& res, const std::string& mechanismId);
/// The head traceSteps(res, …) takes.
int stepHead(const Results& res);
/// The mechanisms the step view can trace, in registry order ("softmax", "linear", "mhla").
std::vector<std::string> steppableMechanisms(const Results& res);

}  // namespace attnscope
