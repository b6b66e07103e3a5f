// The model explorer's analysis (issue 13): every layer and head of a checkpoint through every
// registered mechanism on the model's own Q/K/V — the same computeAnalysis / computeSpectra the
// single-layer path runs, once per layer with every head — plus attention rollout (Abnar & Zuidema
// 2020, as vit-explain) and DINO's CLS maps with a mass threshold. One path for the window and
// `attnscope compute --layer all` / `render --panels model-view,…`.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/attention.h"
#include "attnscope/progress.h"
#include "model/analysis.h"
#include "model/model_source.h"
#include "model/model_views.h"
#include "model/results.h"
#include "session/session.h"

namespace attnscope {

/// One head of one layer through one mechanism (MATH.md "Metrics").
struct HeadMeasures {
  double entropy = 0;        ///< mean normalised row entropy
  double effectiveRank = 0;  ///< NaN when the spectrum was not computed (dense above the limit)
  int numericalRank = 0;     ///< 0 when not computed
  double kl = 0;             ///< mean KL(softmax ‖ this); 0 for softmax, +inf where undefined
  double outputError = 0;    ///< ‖O − O_soft‖_F / ‖O_soft‖_F
  // Head scores (MATH.md "Head scores"), over every query up to 256 of them, else 256 spread evenly.
  double previousToken = 0;  ///< mean_t A_{t,t−1}
  double sink = 0;           ///< mean_t A_{t,0} (the first token: BOS, CLS)
  double distance = 0;       ///< images: mean_t Σ_j A_tj ‖pos_t − pos_j‖ over the grid, in patches (NaN for text)
  /// Text models: mean over the second copy of a seeded random sequence repeated twice of A_{t,t−R+1}
  /// (MATH.md "Head scores"; NaN for images or when not computed).
  double induction = 0;
  /// MHLA: mean KL(softmax ‖ MHLA with this head's fitted 𝓜) (MATH.md "Fitted mixing"); NaN for
  /// the other mechanisms (softmax: 0).
  double fittedKl = 0;
};

/// The induction sequence (MATH.md "Head scores"): `repeat` distinct ids drawn (seeded) from the
/// middle 80 % of a `vocabulary`-sized vocabulary, away from the byte/control tokens at its start
/// and the special tokens at its end, then the same ids again. Throws InvalidArgument when the
/// vocabulary is too small.
std::vector<int> inductionSequence(int vocabulary, int repeat, std::uint64_t seed);
/// The induction score of one map on that sequence: mean_{t = R … 2R−1} A_{t, t−R+1}.
double inductionScore(const PreparedAttention& map, int repeat);
/// Repeated tokens behind the induction score (R).
inline constexpr int kInductionRepeat = 50;

/// A survey estimated to take longer than this says so (SurveyOptions::notice).
inline constexpr double kSurveyNoticeSeconds = 10.0;

struct SurveyOptions {
  bool spectra = true;  ///< effective and numerical ranks (dense for softmax, within session.maxDenseN)
  /// MHLA's fitted 𝓜 per head and its KL (HeadMeasures::fittedKl).
  bool fittedMixing = true;
  /// Text models: one more forward on the induction sequence (HeadMeasures::induction).
  bool induction = true;
  /// Issue 23 #10: the survey's time is estimated from its first layer (that layer's time × layers);
  /// above this many seconds it is refused (BudgetExceeded naming the estimate); 0 = no limit.
  double maxSeconds = 0;
  /// Receives the estimate when it is above kSurveyNoticeSeconds (may be empty).
  std::function<void(const std::string&)> notice;
  /// Whole-map thumbnails (block means of every N×N map): up to this N (0 = none).
  int matrixThumbnailMaxN = 512;
  int thumbnailSide = 48;  ///< whole-map thumbnails are at most this many cells a side
};

struct ModelSurvey {
  Session session;                     ///< what it was computed for
  std::shared_ptr<const ModelRun> run;  ///< the forward: tokens, image, every layer's Q/K/V
  int layers = 0, heads = 0, n = 0;
  std::vector<std::string> mechanisms, names;  ///< registry ids and display names
  std::vector<std::uint32_t> rgb;
  /// (layer·heads + head)·mechanisms + mechanism
  std::vector<HeadMeasures> measures;
  /// Per layer, the analysis of every head (what computeAnalysis gives with head = all): the
  /// window's layer switch takes the selected heads from it (selectHeads in analysis.h).
  std::vector<std::shared_ptr<const Analysis>> analyses;
  /// [layer][mechanism][head]: rows of any query in O(N·r)
  std::vector<std::vector<std::vector<std::shared_ptr<const PreparedAttention>>>> prepared;
  /// Whole-map thumbnails, indexed like `measures` (empty above SurveyOptions::matrixThumbnailMaxN).
  std::vector<Thumbnail> matrixThumbnails;
  /// Why a mechanism has no ranks (per mechanism, empty when it has them).
  std::vector<std::string> spectrumNotes;
  /// Whether the ranks were computed (addRanks).
  bool ranks = false;
  /// Why there are no induction scores (text models; empty when they were computed).
  std::string inductionNote;
  /// The induction sequence the scores were measured on (inductionSequence; empty: none).
  std::vector<int> inductionIds;

  const HeadMeasures& at(int layer, int head, int mechanism) const {
    return measures[(static_cast<std::size_t>(layer) * heads + head) * mechanisms.size() + mechanism];
  }
  /// The registry index of `id`; throws InvalidArgument naming the ids.
  int mechanismIndex(const std::string& id) const;
};

/// Runs (or reuses, model_source.h) the forward of session.model on the session's source and
/// analyses every layer with every head. Progress over the layers; Cancelled between heads.
/// Throws InvalidArgument / FileError as the single-layer path does.
std::shared_ptr<const ModelSurvey> surveyModel(const Session& session, const SurveyOptions& options = {},
                                               const JobControl& job = {});

/// Fills the effective and numerical ranks of every head from its spectrum (the spectrum the
/// single-layer path computes: factored where a form exists, dense within session.maxDenseN, else
/// a note). The slow part of a survey at large N (causal maps are dense); surveyModel runs it when
/// SurveyOptions::spectra is set, the window as a second job.
void addRanks(ModelSurvey& survey, const JobControl& job = {});

/// Attention rollout of every mechanism: per layer the heads fused (mean | max | min), the lowest
/// `discardRatio` of the fused entries set to 0 (never entry (0, 0)), Ā = (A + I)/2 with rows
/// renormalised, R = Ā_L ⋯ Ā_1.
struct Rollout {
  HeadFusion fusion = HeadFusion::Mean;
  double discardRatio = 0;
  std::vector<MatrixD> maps;  ///< per mechanism, N × N (empty when not computed)
  std::string note;           ///< why there are none
};
/// Dense maps of every head of every layer, one at a time (each N² within session.matrixBudgetBytes,
/// else the note says so and `maps` stays empty).
std::shared_ptr<const Rollout> computeRollout(const ModelSurvey& survey, HeadFusion fusion, double discardRatio,
                                              const JobControl& job = {});

/// The steps of the rollout, for tests and other callers.
/// @param[in] heads  #heads matrices, each N by N
MatrixD fuseHeads(const std::vector<MatrixD>& heads, HeadFusion fusion);
/// The lowest floor(ratio·N²) entries (ties by index) set to 0, except entry (0, 0).
void discardLowest(MatrixD& fused, double ratio);
/// @param[in] fused  per layer, N by N (after discardLowest); @return R = Ā_L ⋯ Ā_1
MatrixD rolloutChain(const std::vector<MatrixD>& fused);

/// The fewest entries (largest first, ties by index) whose sum reaches `fraction` of the total.
std::vector<char> massMask(const VectorD& values, double fraction);

/// What the views show for the session's layer, head, query and explorer settings (cheap: rows of
/// the prepared maps). `rollout` may be null. Throws InvalidArgument for an unknown mechanism.
ModelViews modelViews(const ModelSurvey& survey, const Rollout* rollout, const Session& session, int query);

/// `base` with Results::modelViews for its query (modelViews()).
std::shared_ptr<const Results> withModelViews(const Results& base, const ModelSurvey& survey, const Rollout* rollout,
                                              const Session& session);

/// layers.csv: layer,head,mechanism,entropy,effective_rank,numerical_rank,kl,output_error,previous_token,sink,
/// attention_distance,induction,kl_fitted_mhla.
std::string surveyCsv(const ModelSurvey& survey);
/// layers.json: {"layers", "heads", "n", "rows": [{layer, head, mechanism, …}], "induction_ids"} (non-finite → null).
std::string surveyJson(const ModelSurvey& survey);

}  // namespace attnscope
