// What one analysis of a session produced: immutable, shared between the worker that made it and
// every view / exporter as std::shared_ptr<const Results>.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "attnscope/input/input.h"
#include "attnscope/mechanism.h"
#include "attnscope/metrics.h"
#include "attnscope/spectrum.h"
#include "attnscope/timing.h"
#include "model/hybrid.h"
#include "model/kv_report.h"
#include "model/mixing_fit.h"
#include "model/model_views.h"
#include "model/sweep.h"
#include "session/session.h"

namespace attnscope {

/// The results of one mechanism. Per-head vectors follow Results::heads.
struct MechanismResult {
  MechanismSpec spec;
  std::string name;   ///< the registry id: softmax | linear | mhla | … (file names, JSON keys)
  std::string displayName;  ///< the registry's display name (legends)
  std::string label;  ///< MechanismSpec::label()
  std::uint32_t rgb = 0x808080;  ///< the registry's colour
  bool reference = false;        ///< the mechanism KL and output error are measured against
  bool showsBlocks = false;      ///< maps show the MHLA block boundaries
  std::vector<MatrixF> outputs;  ///< O per head, N by d_v
  std::vector<VectorD> rows;     ///< the query's row of A per head, length N
  VectorD shownRow;              ///< the selected head's row, or the mean over heads
  std::vector<Spectrum> spectra;    ///< per head (empty when spectra were not asked for)
  std::string spectrumNote;  ///< why `spectra` is empty although spectra were asked for
  std::vector<MapMetrics> metrics;  ///< per head (empty when metrics were not asked for)
  std::vector<double> klToSoftmax;  ///< per head; 0 for softmax, +inf where undefined
  std::vector<double> outputRelError;  ///< per head, ‖O − O_soft‖_F / ‖O_soft‖_F
  int rankBound = 0;  ///< theoretical bound (MATH.md)
  int r = 0;          ///< feature dimension (d_k for softmax)
  int m = 1;          ///< blocks
  /// Forward timings, one per backend timed (CPU first, then the GPU when available).
  std::vector<TimingResult> timings;

  /// The timing on `backend`, else the first one; null when not timed. (Tables show one number.)
  const TimingResult* timingFor(const std::string& backend) const {
    for (const TimingResult& t : timings)
      if (t.backend == backend) return &t;
    return timings.empty() ? nullptr : &timings.front();
  }
};

struct Results {
  Session session;                     ///< the session these results were computed from
  std::shared_ptr<const Input> input;  ///< tokens, Q/K/V, image
  std::vector<int> heads;              ///< head indices computed
  int n = 0, dk = 0, dv = 0, numHeads = 0;
  int query = 0;       ///< resolved query token
  int queryBlock = 0;  ///< MHLA block of the query
  std::shared_ptr<const BlockLayout> layout;
  MatrixD mixing;  ///< M by M (with the fitted mixing and several heads: the heads' mean)
  std::string mixingName;  ///< init name, file name, "custom" or "fitted"
  /// With the fitted mixing: each head's 𝓜 and the KL it and every initialisation reach.
  std::shared_ptr<const MixingFitReport> mixingFit;
  std::string layoutNote;  ///< how the MHLA layout differs from the one asked for (empty: it does not)
  std::string backend;     ///< what the maps, outputs and spectra were computed on
  std::string gpuName;     ///< the GPU's name when timings include it (legend text)
  std::string timingNote;  ///< "GPU: not available — <reason>" when only the CPU was timed
  /// One per registered mechanism, in registry order (the reference, softmax, first).
  std::vector<MechanismResult> mechanisms;
  /// The scaling sweep, when one was run for these results (render's sweep panel, sweep.csv).
  std::shared_ptr<const SweepResult> sweep;
  /// The whole N×N map of each mechanism (rows averaged over the selected heads, as shownRow), for
  /// the matrix and difference map modes; null when not computed (N > kMapMatrixMaxN, or row mode).
  std::shared_ptr<const std::vector<MatrixF>> mapMatrices;
  /// The model explorer's views (every layer and head of a checkpoint), when they were computed.
  std::shared_ptr<const ModelViews> modelViews;
  /// With a model: its heads, KV-cache sizes and the low-rank K/V report (model/kv_report.h).
  std::shared_ptr<const ModelFacts> model;
  /// The low-rank K/V sweep and energy ranks, when one was run (the kv-rank panel, kv_rank_sweep.csv).
  std::shared_ptr<const KvSweep> kvSweep;
  /// Layer sensitivity and schedule, when they were run (the hybrid panel, sensitivity.csv).
  std::shared_ptr<const LayerSensitivity> sensitivity;

  /// The mechanism with this registry id, or null.
  const MechanismResult* find(const std::string& id) const {
    for (const MechanismResult& m : mechanisms)
      if (m.name == id) return &m;
    return nullptr;
  }
  /// The feature dimension r of the linear-family mechanisms (d_k when there is none).
  int featureDimension() const {
    for (const MechanismResult& m : mechanisms)
      if (m.spec.kind->usesFeatureMap()) return m.r;
    return dk;
  }
  /// "head 2", "mean of 4 heads" — what the rows show.
  std::string headLabel() const;
};

}  // namespace attnscope
