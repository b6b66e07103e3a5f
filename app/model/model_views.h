// What the model explorer's views show (issue 13), computed from a ModelSurvey by modelViews()
// (model/model_survey.h) and drawn by the model-view, layer-curves, rollout and CLS-maps figure
// builders: plain numbers, no widgets. Carried in Results::modelViews, like the sweep.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/types.h"

namespace attnscope {

/// The metric a model-view cell is annotated with, and the three of the layer curves.
/// The first three are also the layer curves' (Curve::mean[3]); the head scores (MATH.md "Head
/// scores") are model-view metrics and layers.csv columns.
enum class SurveyMetric { Entropy, EffectiveRank, Kl, PreviousToken, Sink, Distance, FittedKl, Induction };
/// "entropy", "rank", "kl", "previous", "sink", "distance", "fitted-kl", "induction".
std::string toString(SurveyMetric m);
/// Throws InvalidArgument naming the choices.
SurveyMetric parseSurveyMetric(const std::string& name);
/// "normalised entropy", "effective rank", "KL to softmax".
std::string metricTitle(SurveyMetric m);

/// Head fusion of attention rollout (vit-explain).
enum class HeadFusion { Mean, Max, Min };
std::string toString(HeadFusion f);
HeadFusion parseHeadFusion(const std::string& name);

/// One small picture: `rows` by `cols` values, row-major, scaled to [0, 1] by its own maximum (NaN =
/// not drawn).
struct Thumbnail {
  int rows = 0, cols = 0;
  std::vector<float> values;
  /// The largest value before scaling (the cell's own range).
  double peak = 0;
};

struct ModelViews {
  int layers = 0, heads = 0, n = 0;
  int layer = 0;  ///< the selected layer
  int head = 0;   ///< the selected head (−1: mean over heads)
  int query = 0;  ///< the query the rows are of
  std::string queryLabel;  ///< "token 5 \"hello\"", "[CLS]", "whole matrix"

  /// Model view: layers × heads cells of one mechanism, row-major (layer, then head).
  std::string mechanism;         ///< registry id
  std::string mechanismName;     ///< display name
  SurveyMetric metric = SurveyMetric::Entropy;
  bool wholeMatrix = false;      ///< cells are whole maps (block means), not the query's row
  std::vector<Thumbnail> cells;  ///< layers·heads
  std::vector<double> cellMetric;  ///< layers·heads (NaN where not computed or not meaningful)
  /// Why the cells carry no metric, "" when they do (KL to softmax of softmax itself: 0 everywhere).
  std::string metricNote;
  /// Grouped-query models (issue 25 #4): query heads per key/value head (1: none), and per layer
  /// and KV head (layers·kvHeads) how alike the group's maps are: the mean cosine similarity of
  /// their rows over pairs of query heads and sampled queries (1 = the heads attend identically).
  int kvGroup = 1, kvHeads = 0;
  std::vector<double> groupAgreement;

  /// Layer curves: per mechanism (registry order) and metric, per layer: mean, min, max over heads.
  struct Curve {
    std::string mechanism, name;
    std::uint32_t rgb = 0;
    std::vector<double> mean[3], lo[3], hi[3];  ///< indexed by SurveyMetric
  };
  std::vector<Curve> curves;

  /// Rollout: per mechanism, the row of `rolloutQuery` of the rolled-out map (length N; empty
  /// when it was not computed, see rolloutNote).
  HeadFusion fusion = HeadFusion::Mean;
  double discardRatio = 0;
  int rolloutQuery = 0;
  std::vector<std::string> rolloutMechanisms, rolloutNames;
  std::vector<std::uint32_t> rolloutRgb;
  std::vector<VectorD> rolloutRows;
  std::string rolloutNote;

  /// CLS maps: per head of `layer`, the CLS token's row over the patch grid (gridRows × gridCols)
  /// for `mechanism`, and the fewest patches holding `clsMass` of it.
  int gridRows = 0, gridCols = 0, gridFirstToken = 0;
  double clsMass = 0.6;
  std::vector<Thumbnail> clsMaps;                ///< one per head (empty for models without CLS)
  std::vector<std::vector<char>> clsMasks;       ///< one per head, gridRows·gridCols
  std::string clsNote;                           ///< why there are no CLS maps
};

}  // namespace attnscope
