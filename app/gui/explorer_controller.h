// The window's model: holds the session, the loaded input and the latest analysis, decides what a
// session edit must recompute (reload the input, re-run the mechanisms whose settings changed, or
// only redraw), and runs that work on JobRunner channels. Hover rows are computed here on the GUI
// thread from the prepared maps (O(N·r) per mechanism and head).
#pragma once

#include <QObject>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "gui/job_runner.h"
#include "model/analysis.h"
#include "model/model_survey.h"
#include "model/sweep.h"
#include "session/session.h"

namespace attnscope::gui {

class ExplorerController : public QObject {
  Q_OBJECT
 public:
  explicit ExplorerController(QObject* parent = nullptr);

  const Session& session() const { return session_; }
  /// Applies an edited session: reloads, re-analyses or only redraws as needed. A backend that
  /// cannot run here is replaced by eigen (emits backendFellBack).
  void setSession(const Session& session);
  /// Results for the pinned query with spectra and timing where computed (may be null).
  std::shared_ptr<const Results> results() const { return full_; }
  std::shared_ptr<const Analysis> state() const { return state_; }
  /// The session the results on screen were computed from.
  const Session& analysedSession() const { return analysedSession_; }
  /// The last scaling sweep (null before one ran).
  std::shared_ptr<const SweepResult> sweep() const { return sweep_; }
  JobRunner* jobs() { return &jobs_; }

  /// Rows of every mechanism's map for a hovered token (emits rowsReady); -1 goes back to the
  /// pinned one.
  void hover(int token);
  /// Pins the query token (updates results; no recompute).
  void pin(int token);
  void computeSpectra();
  void computeTiming();
  /// Scaling sweep: N = 256, 512, … up to maxN (a backend stops after the size where one softmax
  /// forward took longer than kSweepDefaultLimitMs, 1.5 s).
  void startSweep(int maxN = kSweepDefaultMaxN);
  /// The low-rank K/V sweep of the session's model (issue 25 #5): kept for this model and input
  /// (not the rank setting), shown in the results' kvSweep.
  void startKvSweep();
  /// Layer sensitivity and the greedy schedule of `mechanism` (issue 26 #3) for the session's model
  /// and input: shown in the results' sensitivity while they stay the same.
  void startSensitivity(const std::string& mechanism = "linear");
  /// The model with `replaced` layers' attention replaced (issue 26 #3, the Hybrid view's per-layer
  /// toggles), scored against the unchanged model on a worker: hybridReady.
  void startHybrid(const std::map<int, std::string>& replaced);
  /// The model survey (every layer and head) of the session's model, when one is open and computed.
  std::shared_ptr<const ModelSurvey> survey() const { return survey_; }
  /// Its attention rollout, when computed.
  std::shared_ptr<const Rollout> rollout() const { return rollout_; }
  /// Layers and heads of the open model (0 when none is open or it has not loaded yet).
  int modelLayers() const { return survey_ ? survey_->layers : modelLayers_; }
  int modelHeads() const { return survey_ ? survey_->heads : (input_ ? input_->qkv.numHeads() : 0); }
  /// Surveys every layer and head of the session's model when that is not on hand (after a
  /// cancelled survey: Run ▸ Survey every layer).
  void surveyNow() { updateSurvey(); }
  /// Number of analysis jobs that finished and were applied (tests).
  int analysesApplied() const { return analysesApplied_; }

 signals:
  /// A new analysis: every panel redraws.
  void analysisReady(std::shared_ptr<const attnscope::Results> results);
  /// Only the pinned query changed.
  void queryChanged(std::shared_ptr<const attnscope::Results> results);
  /// Spectra or timing arrived (results now include them).
  void extrasReady(std::shared_ptr<const attnscope::Results> results);
  void spectraNote(const QString& note);
  void rowsReady(const std::vector<attnscope::VectorD>& rows, int query);
  void viewChanged(const attnscope::ViewSettings& view);
  void sweepReady(std::shared_ptr<const attnscope::SweepResult> sweep);
  /// The low-rank K/V sweep arrived (results now include it).
  void kvSweepReady(std::shared_ptr<const attnscope::Results> results);
  /// Layer sensitivity arrived (results now include it).
  void sensitivityReady(std::shared_ptr<const attnscope::Results> results);
  /// A hybrid run (startHybrid) finished.
  void hybridReady(std::shared_ptr<const attnscope::HybridReport> report);
  /// The model views changed (a survey or rollout arrived, or the layer, head, query or view did).
  void modelViewsReady(std::shared_ptr<const attnscope::Results> results);
  void inputLoaded(int numHeads);
  /// Loading a new input failed: the controller went back to `session`, the one whose input is
  /// still shown (the window puts its controls back to it).
  void sessionReverted(const attnscope::Session& session);
  void error(const QString& message);
  /// The survey of every layer stopped before it finished (cancelled or failed): the model panels
  /// have no views until it runs again.
  void surveyStopped(const QString& why);
  /// The session asked for a backend that is unavailable here; the controller's session now uses
  /// eigen instead. `message` says which and why.
  void backendFellBack(const QString& message);

 private:
  void loadInput();
  void analyse();
  void rebuildFull();
  /// Starts the survey (and rollout) when the session's model needs one that is not there yet.
  void updateSurvey();
  void startRollout();
  /// The ranks of every head (addRanks) as a job of their own after the survey.
  void startRanks();
  /// After a failed load: finish the work the load cancelled for the session we went back to.
  void resumeAfterRevert();

  JobRunner jobs_;
  Session session_;
  /// The session to go back to if the pending input load fails (the one whose input is shown).
  Session beforeLoad_;
  bool loadPending_ = false;
  /// The session the current state_ was computed for.
  Session analysedSession_;
  std::shared_ptr<const Input> input_;
  std::uint64_t inputGen_ = 0;
  /// The input (and its generation) of the analysis on screen.
  std::shared_ptr<const Input> analysedInput_;
  std::uint64_t analysedGen_ = 0;
  std::string timingKey_;
  /// The whole maps of state_ (matrix and difference map modes), and the state they belong to.
  std::shared_ptr<const std::vector<MatrixF>> matrices_;
  std::shared_ptr<const Analysis> matricesFor_, matricesPending_;
  /// Starts the whole-map job when the view's map mode needs it and it is missing.
  void ensureMatrices();  ///< what timing_ timed (timingKey in the .cpp)
  /// A cancelled or refused analysis: back to the session (and input) on screen, keeping the
  /// query and view as they are; emits sessionReverted. False when nothing is on screen yet.
  bool revertToScreen();
  std::shared_ptr<const Analysis> state_;
  std::shared_ptr<const Results> queryResults_, full_;
  std::optional<SpectraResult> spectra_;
  std::optional<TimingComparison> timing_;
  std::shared_ptr<const SweepResult> sweep_;
  std::shared_ptr<const KvSweep> kvSweep_;
  std::string kvSweepKey_;  ///< the model and input kvSweep_ belongs to
  std::shared_ptr<const LayerSensitivity> sensitivity_;
  std::string sensitivityKey_;  ///< the model, input and mechanism settings sensitivity_ belongs to
  int analysesApplied_ = 0;
  std::shared_ptr<const ModelSurvey> survey_;
  std::shared_ptr<const Rollout> rollout_;
  std::string surveyKey_, rolloutKey_;
  int modelLayers_ = 0;
};

}  // namespace attnscope::gui
