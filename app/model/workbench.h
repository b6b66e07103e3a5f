// One plan for the work behind a figure or an export (issue 22 #4): load the session's input,
// analyse it (spectra, metrics, timing as asked), run the scaling sweep, survey every layer and head
// of the model, roll its attention out, and attach the model views. `compute` and `render` run a
// plan in order (runWork); the window's controller runs the same stages, one job each, as edits and
// panels ask for them (gui/explorer_controller.cpp). Which stages a figure needs comes from its
// panels (figures/panels.h planForPanels).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <map>

#include "model/analysis.h"
#include "model/hybrid.h"
#include "model/model_survey.h"
#include "model/sweep.h"

namespace attnscope {

struct WorkPlan {
  AnalysisOptions analysis;
  bool sweep = false;                  ///< the scaling sweep (Results::sweep)
  int sweepMaxN = kSweepDefaultMaxN;
  bool survey = false;                 ///< every layer and head of the session's model
  bool rollout = false;                ///< attention rollout (needs the survey)
  bool modelViews = false;             ///< Results::modelViews from the survey (and rollout)
  bool kvSweep = false;                ///< the low-rank K/V sweep (Results::kvSweep; needs a model)
  /// Layer replacement (model/hybrid.h): layer → mechanism id; empty = none.
  std::map<int, std::string> replace;
  /// Layer sensitivity and schedule of this mechanism (model/hybrid.h); empty = none.
  std::string layerSensitivity;
  /// How the survey runs (its time limit and estimate notice).
  SurveyOptions surveyOptions;
};

/// What a plan produced.
struct WorkResult {
  std::shared_ptr<const Input> input;
  std::shared_ptr<const Results> results;    ///< with the sweep and model views as planned
  std::shared_ptr<const ModelSurvey> survey;  ///< null unless planned
  std::shared_ptr<const Rollout> rollout;     ///< null unless planned; its note says why it is empty
  std::shared_ptr<const HybridReport> hybrid; ///< null unless layers were replaced
  std::shared_ptr<const LayerSensitivity> sensitivity;  ///< null unless planned
};

/// How a front end follows the stages ("analysis", "sweep", "survey", "rollout", "kv-sweep"): `stage` gives the
/// JobControl (progress, cancel) of a stage and `stageEnded` closes it; `loaded` sees the input
/// before the analysis (it may refuse: a budget), `analysed` the results before the later stages.
/// Any hook may be empty.
struct WorkHooks {
  std::function<JobControl(const std::string& stage)> stage;
  std::function<void()> stageEnded;
  std::function<void(const Input&)> loaded;
  std::function<void(const Results&)> analysed;
};

/// Runs `plan` for `session` in order. Throws what the stages throw (InvalidArgument, FileError,
/// BudgetExceeded, Cancelled); a rollout with no maps is not an error (WorkResult::rollout->note).
WorkResult runWork(const Session& session, const WorkPlan& plan, const WorkHooks& hooks = {});

}  // namespace attnscope
