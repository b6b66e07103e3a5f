#include "model/workbench.h"

#include "attnscope/error.h"
#include "attnscope/setting_ref.h"
#include "model/model_source.h"
#include "model/pipeline.h"

namespace attnscope {

WorkResult runWork(const Session& session, const WorkPlan& plan, const WorkHooks& hooks) {
  if ((plan.survey || plan.rollout || plan.modelViews) && !session.model.active())
    throw InvalidArgument("every layer and head (the model views, layers.csv, rollout) needs a model: " +
                          settingRef("model.path"));
  if ((!plan.replace.empty() || !plan.layerSensitivity.empty()) && !session.model.active())
    throw InvalidArgument("replacing layers needs a model: " + settingRef("model.path"));
  if (plan.kvSweep && !session.model.active())
    throw InvalidArgument("the low-rank K/V sweep needs a model: " + settingRef("model.path"));
  if (plan.rollout && !plan.survey) throw InvalidArgument("the rollout needs the survey of every layer");
  auto stage = [&](const char* name) { return hooks.stage ? hooks.stage(name) : JobControl{}; };
  auto ended = [&] {
    if (hooks.stageEnded) hooks.stageEnded();
  };
  WorkResult w;
  w.input = std::make_shared<const Input>(loadSessionInput(session));
  if (hooks.loaded) hooks.loaded(*w.input);
  w.results = analyse(session, w.input, plan.analysis, stage("analysis"));
  ended();
  if (hooks.analysed) hooks.analysed(*w.results);
  if (plan.sweep) {
    auto out = std::make_shared<Results>(*w.results);
    out->sweep = std::make_shared<const SweepResult>(runSweep(session, plan.sweepMaxN, kSweepDefaultLimitMs, stage("sweep")));
    ended();
    w.results = std::move(out);
  }
  if (plan.survey) {
    w.survey = surveyModel(session, plan.surveyOptions, stage("survey"));
    ended();
    if (plan.rollout) {
      w.rollout = computeRollout(*w.survey, parseHeadFusion(session.view.explorer.fusion),
                                 session.view.explorer.discardRatio, stage("rollout"));
      ended();
    }
    if (plan.modelViews) w.results = withModelViews(*w.results, *w.survey, w.rollout.get(), session);
  }
  if (plan.kvSweep) {
    auto out = std::make_shared<Results>(*w.results);
    out->kvSweep = std::make_shared<const KvSweep>(kvRankSweep(session, stage("kv-sweep")));
    ended();
    w.results = std::move(out);
  }
  if (!plan.replace.empty()) {
    w.hybrid = std::make_shared<const HybridReport>(runHybrid(session, plan.replace, stage("hybrid")));
    ended();
  }
  if (!plan.layerSensitivity.empty()) {
    w.sensitivity = std::make_shared<const LayerSensitivity>(
        layerSensitivity(session, plan.layerSensitivity, stage("sensitivity")));
    ended();
    auto out = std::make_shared<Results>(*w.results);
    out->sensitivity = w.sensitivity;
    w.results = std::move(out);
  }
  return w;
}

}  // namespace attnscope
