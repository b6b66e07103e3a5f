#include "gui/explorer_controller.h"

#include "attnscope/error.h"
#include "model/backend_registry.h"
#include "model/model_source.h"

#include <QJsonDocument>
#include <sstream>
#include <QJsonObject>

namespace attnscope::gui {

namespace {

/// True when some number (not only the view or the query) changes.
bool analysisChanged(const Session& a, const Session& b) {
  return Session::changes(a, b).analysis;
}

/// What a model survey depends on: the session without the layer, head, query and view (a survey
/// holds every layer and head; the views pick from it).
std::string surveyKey(const Session& s) {
  if (!s.model.active()) return std::string();
  QJsonObject o = s.toJson();
  QJsonObject model = o.value(QStringLiteral("model")).toObject();
  model.remove(QStringLiteral("layer"));
  o[QStringLiteral("model")] = model;
  for (const char* k : {"head", "query", "view"}) o.remove(QLatin1String(k));
  return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

/// What a low-rank K/V sweep depends on: the model and input (not the layer, head, view or the
/// rank setting: the sweep covers every rank).
std::string kvSweepKey(const Session& s) {
  Session t = s;
  t.model.kvRank = 0;
  t.model.kvRankLayer = -1;
  return surveyKey(t);
}

/// What a timing depends on: the input, the sizes and the settings marked stale::kTiming (the
/// kernels, threads, head, layer; not τ, 𝓜 or the query).
std::string timingKey(const Session& s, std::uint64_t gen, const Results& r) {
  std::ostringstream k;
  k << gen << '|' << r.layout->m() << '|' << r.n << '|' << settingsKey(s, stale::kTiming);
  return k.str();
}

std::string rolloutKey(const Session& s) { return settingsKey(s, stale::kRollout); }

}  // namespace

ExplorerController::ExplorerController(QObject* parent) : QObject(parent) {
  connect(&jobs_, &JobRunner::failed, this, [this](const QString& channel, const QString& m) {
    // A setting the analysis refused (the official normaliser on unequal blocks, …): the
    // session goes back to the one on screen, so every control tells the truth (issue 14 #9).
    if (channel == QStringLiteral("analysis") && !loadPending_ && state_) {
      emit error(m + tr(" (kept the previous settings)"));
      revertToScreen();
      return;
    }
    if (channel != QStringLiteral("input") || !loadPending_) {
      emit error(m);
      return;
    }
    loadPending_ = false;
    if (!input_) {
      emit error(m);
      return;
    }
    // A failed load keeps what the user had: the previous input, results and session.
    session_ = beforeLoad_;
    emit error(m + tr(" (kept the previous input)"));
    emit sessionReverted(session_);
    resumeAfterRevert();
  });
  // A cancelled analysis (Esc, Cancel; not one a new load replaced) leaves on screen what was
  // there: the controls go back to it, so they never show a setting whose numbers never came
  // (issue 14 #17: a 65536-token load whose analysis was cancelled).
  connect(&jobs_, &JobRunner::finished, this,
          [this](const QString& channel, const QString&, JobOutcome outcome, const QString&) {
            if (outcome == JobOutcome::Cancelled && channel == QStringLiteral("analysis") && !loadPending_)
              revertToScreen();
          });
  // A survey that did not finish is started again by the next analysis or Run ▸ Survey every
  // layer (its key is forgotten); the model panels say why they are empty.
  connect(&jobs_, &JobRunner::finished, this,
          [this](const QString& channel, const QString&, JobOutcome outcome, const QString& message) {
            if (channel != QStringLiteral("survey") || outcome == JobOutcome::Done) return;
            surveyKey_.clear();
            emit surveyStopped(outcome == JobOutcome::Cancelled ? tr("cancelled") : message);
          });
  // A cancelled load (Esc, Cancel) also keeps the previous input and its session.
  connect(&jobs_, &JobRunner::finished, this,
          [this](const QString& channel, const QString&, JobOutcome outcome, const QString&) {
            if (outcome != JobOutcome::Cancelled || channel != QStringLiteral("input") || !loadPending_)
              return;
            loadPending_ = false;
            if (!input_) return;
            session_ = beforeLoad_;
            emit sessionReverted(session_);
            resumeAfterRevert();
          });
}

void ExplorerController::setSession(const Session& requested) {
  Session s = requested;
  const BackendChoice backend = chooseBackend(s.backend);
  if (!backend.notice.empty()) s.backend = backend.name;
  const Session old = session_;
  const bool first = !input_;
  session_ = s;
  const SessionChanges changed = Session::changes(old, s);
  if (first || changed.input) {
    if (!loadPending_) beforeLoad_ = old;  // the session of the input on screen
    loadPending_ = true;
    loadInput();
  } else if (changed.analysis) {
    analyse();
  } else if (state_ && changed.query) {
    try {
      pin(resolveQuery(s, input_->tokens));
    } catch (const Error& e) {
      emit error(QString::fromStdString(e.what()));
    }
    emit viewChanged(s.view);
  } else {
    emit viewChanged(s.view);
    ensureMatrices();
    if (survey_ && !(old.view.explorer == s.view.explorer)) {
      if (rolloutKey(old) != rolloutKey(s)) startRollout();
      rebuildFull();
      emit modelViewsReady(full_);
    }
  }
  if (!backend.notice.empty()) emit backendFellBack(QString::fromStdString(backend.notice));
}

void ExplorerController::loadInput() {
  const Session s = session_;
  jobs_.cancel(QStringLiteral("analysis"));
  jobs_.cancel(QStringLiteral("spectra"));
  jobs_.start(QStringLiteral("input"), tr("loading input"),
              [s](const JobControl& job) {
                auto input = std::make_shared<const Input>(loadSessionInput(s, job));
                // The model's layers (its forward was kept by the load: no second forward).
                const int layers = s.model.active() ? static_cast<int>(sessionModelRun(s)->forward.layers.size()) : 0;
                return std::make_pair(input, layers);
              },
              [this](std::pair<std::shared_ptr<const Input>, int> loaded) {
                loadPending_ = false;
                input_ = std::move(loaded.first);
                modelLayers_ = loaded.second;
                ++inputGen_;
                const TokenSet& t = input_->tokens;
                session_.fitToInput(t.size(), t.gridRows, t.gridCols, input_->qkv.numHeads());
                // state_ stays: it is what is on screen until the new analysis lands (a cancelled
                // analysis goes back to it; its parts are keyed by the input generation, so none
                // is reused for the new input).
                emit inputLoaded(input_->qkv.numHeads());
                analyse();
              });
}

void ExplorerController::analyse() {
  if (!input_) return;
  const Session s = session_;
  auto input = input_;
  auto gen = inputGen_;
  auto previous = state_;
  jobs_.cancel(QStringLiteral("spectra"));
  jobs_.cancel(QStringLiteral("timing"));
  // A layer or head of the surveyed model: its numbers are in the survey already.
  std::shared_ptr<const Analysis> surveyed;
  if (survey_ && surveyKey(s) == surveyKey_) {
    try {
      surveyed = survey_->analyses.at(static_cast<std::size_t>(sessionLayer(s, survey_->layers)));
    } catch (const std::exception&) {
      surveyed.reset();  // computeAnalysis names what is wrong
    }
  }
  jobs_.start(QStringLiteral("analysis"), tr("computing attention"),
              [s, input, gen, previous, surveyed](const JobControl& job) {
                if (surveyed) return selectHeads(*surveyed, s, input, gen);
                return computeAnalysis(s, input, gen, previous, job);
              },
              [this, s, input, gen](std::shared_ptr<const Analysis> analysis) {
                state_ = std::move(analysis);
                analysedSession_ = s;
                analysedInput_ = input;
                analysedGen_ = gen;
                // A custom 𝓜 the layout could not use was dropped (layoutNote says so): the
                // session drops it too, so a save does not keep it.
                if (s.customMixing.size() > 0 && state_->results->mixingName != "custom") {
                  analysedSession_.customMixing = MatrixD();
                  const MatrixD& now = session_.customMixing;
                  if (now.rows() == s.customMixing.rows() && now.cols() == s.customMixing.cols() &&
                      now == s.customMixing)
                    session_.customMixing = MatrixD();
                }
                queryResults_ = state_->results;
                spectra_.reset();
                // Timing measures cost, which a mixing edit, τ or the query do not change: the
                // last timing stays unless what it timed changed (issue 14: re-timing on every
                // edit overlapped other work and read 20–33 ms instead of 3.5 ms).
                if (timingKey(s, gen, *state_->results) != timingKey_) timing_.reset();
                ++analysesApplied_;
                rebuildFull();
                emit analysisReady(full_);
                if (survey_) emit modelViewsReady(full_);
                ensureMatrices();
                computeSpectra();  // timing follows the spectra so the two do not contend
                updateSurvey();
              });
}

bool ExplorerController::revertToScreen() {
  if (!state_ || !analysedInput_) return false;
  Session back = analysedSession_;  // its numbers; the query and view as they are now
  back.query = session_.query;
  back.queryRow = session_.queryRow;
  back.queryCol = session_.queryCol;
  back.view = session_.view;
  const bool inputBack = input_ != analysedInput_;
  if (Session::changes(back, session_).analysis == false && !inputBack) return false;
  session_ = back;
  if (inputBack) {
    input_ = analysedInput_;
    inputGen_ = analysedGen_;
  }
  emit sessionReverted(session_);
  if (inputBack) emit inputLoaded(input_->qkv.numHeads());
  return true;
}

void ExplorerController::resumeAfterRevert() {
  // Starting the load cancelled the analysis and spectra jobs; redo only what is missing.
  if (!state_ || analysisChanged(analysedSession_, session_)) {
    analyse();
  } else if (!spectra_) {
    computeSpectra();
  } else if (!timing_) {
    computeTiming();
  }
}

void ExplorerController::rebuildFull() {
  if (!queryResults_) return;
  auto full = withExtras(*queryResults_, spectra_ ? &*spectra_ : nullptr,
                         timing_ ? &*timing_ : nullptr);
  full->sweep = sweep_;
  if (kvSweep_ && kvSweepKey(session_) == kvSweepKey_) full->kvSweep = kvSweep_;
  if (sensitivity_ && surveyKey(session_) == sensitivityKey_) full->sensitivity = sensitivity_;
  if (matrices_ && matricesFor_ == state_) full->mapMatrices = matrices_;
  // The survey on hand belongs to this session's model and input only when their keys agree: a
  // session of another model keeps the old survey until its own arrives, and its layer may not
  // exist there (issue 27 #3: "layer 8 does not exist" after loading a 12-layer model's session).
  if (survey_ && session_.model.active() && surveyKey(survey_->session) == surveyKey(session_)) {
    try {
      full = std::const_pointer_cast<Results>(withModelViews(*full, *survey_, rollout_.get(), session_));
    } catch (const Error& e) {
      emit error(QString::fromStdString(e.what()));
    }
  }
  full_ = std::move(full);
}

void ExplorerController::updateSurvey() {
  const std::string key = surveyKey(session_);
  if (key.empty()) {
    for (const char* c : {"survey", "rollout", "ranks"}) jobs_.cancel(QLatin1String(c));
    survey_.reset();
    rollout_.reset();
    surveyKey_.clear();
    modelLayers_ = 0;
    return;
  }
  if (key == surveyKey_) return;
  surveyKey_ = key;
  survey_.reset();
  rollout_.reset();
  rolloutKey_.clear();
  const Session s = session_;
  jobs_.start(QStringLiteral("survey"), tr("every layer and head"),
              [s](const JobControl& job) {
                SurveyOptions o;
                o.spectra = false;  // the ranks follow as their own job (dense causal spectra are slow)
                return surveyModel(s, o, job);
              },
              [this, key](std::shared_ptr<const ModelSurvey> survey) {
                if (key != surveyKey_) return;
                survey_ = std::move(survey);
                modelLayers_ = survey_->layers;
                rebuildFull();
                emit modelViewsReady(full_);
                startRollout();
                startRanks();
              });
}

void ExplorerController::startRanks() {
  if (!survey_ || survey_->ranks) return;
  auto survey = survey_;
  jobs_.start(QStringLiteral("ranks"), tr("ranks of every head"),
              [survey](const JobControl& job) {
                auto ranked = std::make_shared<ModelSurvey>(*survey);
                addRanks(*ranked, job);
                return std::shared_ptr<const ModelSurvey>(std::move(ranked));
              },
              [this, survey](std::shared_ptr<const ModelSurvey> ranked) {
                if (survey != survey_) return;
                survey_ = std::move(ranked);
                rebuildFull();
                emit modelViewsReady(full_);
              });
}

void ExplorerController::startRollout() {
  if (!survey_) return;
  const Session s = session_;
  const std::string key = rolloutKey(s);
  rolloutKey_ = key;
  auto survey = survey_;
  HeadFusion fusion = HeadFusion::Mean;
  try {
    fusion = parseHeadFusion(s.view.explorer.fusion);
  } catch (const Error& e) {
    emit error(QString::fromStdString(e.what()));
    return;
  }
  const double discard = s.view.explorer.discardRatio;
  jobs_.start(QStringLiteral("rollout"), tr("attention rollout"),
              [survey, fusion, discard](const JobControl& job) { return computeRollout(*survey, fusion, discard, job); },
              [this, survey, key](std::shared_ptr<const Rollout> rollout) {
                if (key != rolloutKey_ || !survey_ || survey->run != survey_->run ||
                    survey->session.toJson() != survey_->session.toJson())
                  return;
                rollout_ = std::move(rollout);
                rebuildFull();
                emit modelViewsReady(full_);
              });
}

void ExplorerController::ensureMatrices() {
  if (!state_ || session_.view.mapMode == "row" || state_->n() > kMapMatrixMaxN ||
      (matrices_ && matricesFor_ == state_) || (matricesPending_ == state_ && jobs_.busy(QStringLiteral("matrix"))))
    return;
  auto state = state_;
  matricesPending_ = state;
  jobs_.start(QStringLiteral("matrix"), tr("whole maps"),
              [state](const JobControl& job) { return computeMapMatrices(*state, job); },
              [this, state](std::shared_ptr<const std::vector<MatrixF>> m) {
                if (state != state_) return;
                matrices_ = std::move(m);
                matricesFor_ = state;
                rebuildFull();
                emit viewChanged(session_.view);
              });
}

void ExplorerController::hover(int token) {
  if (!state_) return;
  const int q = token >= 0 ? token : queryResults_->query;
  if (q >= state_->n()) return;
  emit rowsReady(state_->rowsFor(q), q);
}

void ExplorerController::pin(int token) {
  if (!state_ || token < 0 || token >= state_->n()) return;
  session_.pinQuery(token);
  queryResults_ = withQuery(*state_, token);
  rebuildFull();
  emit queryChanged(full_);
  if (survey_) emit modelViewsReady(full_);
}

void ExplorerController::computeSpectra() {
  if (!state_) return;
  auto state = state_;
  const SpectrumOptions opts = spectrumOptions(session_);
  emit spectraNote(tr("computing spectra…"));
  jobs_.start(QStringLiteral("spectra"), tr("rank spectra"),
              [state, opts](const JobControl& job) {
                return attnscope::computeSpectra(*state, opts, job);
              },
              [this, state](SpectraResult spectra) {
                if (state != state_) return;
                spectra_ = std::move(spectra);
                QStringList notes;
                for (const std::string& note : spectra_->notes)
                  if (!note.empty()) notes << QString::fromStdString(wordSettings(note, SettingWording::Control));
                emit spectraNote(notes.join(QLatin1Char('\n')));
                rebuildFull();
                emit extrasReady(full_);
                if (!timing_) computeTiming();
              });
}

void ExplorerController::computeTiming() {
  if (!state_) return;
  auto state = state_;
  const Session s = session_;
  jobs_.start(QStringLiteral("timing"), tr("timing"),
              [state, s](const JobControl& job) {
                return attnscope::computeTiming(s, *state, 5, job);
              },
              [this, state, key = timingKey(s, analysedGen_, *state->results)](TimingComparison timing) {
                if (state != state_) return;
                timing_ = std::move(timing);
                timingKey_ = key;
                rebuildFull();
                emit extrasReady(full_);
              });
}

void ExplorerController::startSweep(int maxN) {
  const Session s = session_;
  jobs_.start(QStringLiteral("sweep"), tr("scaling sweep"),
              [s, maxN](const JobControl& job) {
                return std::make_shared<const SweepResult>(
                    runSweep(s, maxN, kSweepDefaultLimitMs, job));
              },
              [this](std::shared_ptr<const SweepResult> sweep) {
                sweep_ = std::move(sweep);
                rebuildFull();
                emit sweepReady(sweep_);
              });
}

void ExplorerController::startKvSweep() {
  const Session s = session_;
  if (!s.model.active()) {
    emit error(tr("The low-rank K/V sweep needs a model: File ▸ Open model…"));
    return;
  }
  jobs_.start(QStringLiteral("kv-sweep"), tr("low-rank K/V sweep"),
              [s](const JobControl& job) { return std::make_shared<const KvSweep>(kvRankSweep(s, job)); },
              [this, s](std::shared_ptr<const KvSweep> sweep) {
                kvSweep_ = std::move(sweep);
                kvSweepKey_ = kvSweepKey(s);
                rebuildFull();
                if (full_) emit kvSweepReady(full_);
              });
}

void ExplorerController::startSensitivity(const std::string& mechanism) {
  const Session s = session_;
  if (!s.model.active()) {
    emit error(tr("Layer sensitivity needs a model: File ▸ Open model…"));
    return;
  }
  jobs_.start(QStringLiteral("sensitivity"), tr("layer sensitivity"),
              [s, mechanism](const JobControl& job) {
                return std::make_shared<const LayerSensitivity>(layerSensitivity(s, mechanism, job));
              },
              [this, s](std::shared_ptr<const LayerSensitivity> result) {
                sensitivity_ = std::move(result);
                sensitivityKey_ = surveyKey(s);
                rebuildFull();
                if (full_) emit sensitivityReady(full_);
              });
}

void ExplorerController::startHybrid(const std::map<int, std::string>& replaced) {
  const Session s = session_;
  if (!s.model.active()) {
    emit error(tr("A hybrid needs a model: File ▸ Open model…"));
    return;
  }
  if (replaced.empty()) {
    emit error(tr("Choose the layers to replace first"));
    return;
  }
  jobs_.start(QStringLiteral("hybrid"), tr("hybrid forward"),
              [s, replaced](const JobControl& job) {
                return std::make_shared<const HybridReport>(runHybrid(s, replaced, job));
              },
              [this](std::shared_ptr<const HybridReport> report) { emit hybridReady(std::move(report)); });
}

}  // namespace attnscope::gui
