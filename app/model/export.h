// The one data exporter: `attnscope compute` and the window's File ▸ Export data write the same
// files, with the same names and contents, through exportResults(). The layout (docs/user-guide.md "Exported
// files"), with <id> each registered mechanism (softmax, linear, mhla, …):
//   metrics.json         resultsToJson: metrics per mechanism and head, N, M, r, bounds, settings
//   session.json         the session the numbers came from (load it to reproduce them)
//   output_<id>.npy      O = A·V, [N, d_v] for one head, [H, N, d_v] for several
//   row_<id>.npy         the query's row of A, length N (mean over the selected heads)
//   rows.csv             token, then one column per mechanism: the same rows as text
//   spectrum_<id>.npy    singular values of A, [K] for one head, [H, K] zero-padded for several
//   spectra.csv          mechanism, head, k, sigma
//   mixing.npy, mixing.csv   the MHLA M×M mixing matrix
//   timing.csv           mechanism, backend, n, heads, median/min/max ms, GFLOP/s, transfers
//   sweep.csv            backend, n, mechanism, median/min/max ms, GFLOP/s (when a sweep ran)
//   matrix_<id>.npy      the dense N×N map ([H, N, N] for several heads), when asked for
//   tokens.json          {"ids": [...], "tokens": [...]} for a model's tokens: vocabulary ids and
//                        decoded pieces (text), token positions and labels (images: [CLS], (r,c))
//   q.npy, k.npy, v.npy  [H, N, d] float32, every head's Q, K, V, when asked for
//   layers.csv, layers.json  with a model survey (every layer and head): layer, head, mechanism,
//                        normalised entropy, effective and numerical rank, KL to softmax, output error
//   rollout_<id>.npy     with a rollout: the N×N rolled-out map of each mechanism (float64)
// Files whose numbers were not computed (spectra, timing, sweep) are left out. The folder is written
// whole or not at all (StagedFolder in core/atomic_file.h): a full disk, a cancel or a concurrent
// run never leaves a mix of two runs; a folder holding other files is refused, never replaced.
#pragma once

#include <QString>
#include <QStringList>
#include <cstddef>

#include "model/hybrid.h"
#include "model/results.h"

namespace attnscope {
struct ModelSurvey;
struct Rollout;
}

namespace attnscope {

struct ExportOptions {
  /// Also write matrix_<id>.npy (computed afresh on the session's backend).
  bool matrices = false;
  /// Also write q.npy, k.npy, v.npy: every head's Q, K, V the mechanisms ran on, [H, N, d].
  bool qkv = false;
  /// Largest total size of the dense maps of one mechanism (all selected heads, float32).
  std::size_t matrixBudgetBytes = kDefaultMatrixBudgetBytes;
  /// Every layer and head of a model (layers.csv, layers.json), and its rollout (rollout_<id>.npy).
  const ModelSurvey* survey = nullptr;
  const Rollout* rollout = nullptr;
  /// The low-rank K/V sweep (kv_rank_sweep.csv) and the layers' energy ranks (kv_energy.csv).
  const KvSweep* kvSweep = nullptr;
  /// Layer replacement: hybrid.json and (text models) nll.csv.
  const HybridReport* hybrid = nullptr;
  /// Layer sensitivity (sensitivity.csv) and the greedy schedule (schedule.csv).
  const LayerSensitivity* sensitivity = nullptr;
};

/// Bytes of one mechanism's dense maps for these results (N·N·heads·4).
std::size_t denseMapBytes(const Results& results);
/// Throws BudgetExceeded (naming `what`) when N×N float maps of `heads` heads exceed the budget.
void requireDenseMapBudget(int n, std::size_t heads, std::size_t budgetBytes, const char* what);

/// Throws FileError when `dir` exists and holds anything but files of this layout (the export
/// replaces the folder's contents, so it must not swallow other work). Call it before a long run.
void checkExportFolder(const QString& dir);
/// True for a file name of the layout above.
bool isExportFileName(const QString& name);

/// Writes the files above into `dir` (created if needed; its previous contents replaced). Throws FileError naming the file, or
/// BudgetExceeded when matrices were asked for and do not fit. @return the paths written.
QStringList exportResults(const Results& results, const QString& dir,
                          const ExportOptions& options = {});

}  // namespace attnscope
