// One-click lessons: each sets up a session and shows a short caption in the window. Each lesson
// states numbers; its `claim` measures them on the lesson's results (the analysis the window runs)
// and says whether they hold, so a test keeps every caption true (issue 28 #3).
//
// A new lesson is one more entry of lessonPresets(): `apply` may set any session field — another
// input, a model (s.model.path, e.g. a built-in sample model), the view tab (s.view.explorer.panel:
// "maps", "steps", "model-view", "cls-maps", …) and the steps panel's mechanism and stage.
#pragma once

#include <QString>
#include <functional>
#include <vector>

#include "model/results.h"
#include "session/session.h"

namespace attnscope::gui {

/// What a lesson's claim measured, in words with the numbers, and whether the claim holds.
struct LessonClaim {
  QString measured;
  bool holds = false;
};

struct Preset {
  QString name;
  QString caption;
  std::function<void(Session&)> apply;  ///< the lesson's settings, applied to lessonBase()
  bool runSweep = false;  ///< also start the scaling sweep
  /// The caption's numbers measured on the lesson's results (with metrics and spectra). Empty:
  /// the lesson states no number.
  std::function<LessonClaim(const Results&)> claim;
};

std::vector<Preset> lessonPresets();

/// The measures the lessons state, on a mechanism (registry id) of `r`: the mean normalised
/// entropy over the computed heads (the metrics table's; NaN without metrics), and the share of the
/// query row's weight within `radius` patches of the query on the image grid (NaN without a grid).
double lessonEntropy(const Results& r, const std::string& id);
double lessonWeightNear(const Results& r, const std::string& id, double radius);
/// The radius, in patches, of the locality lesson's measure.
inline constexpr double kLessonNearRadius = 4.0;

/// The complete state a lesson starts from: startSession() (the sample image, every setting at
/// its default), keeping only how this machine computes (backend, threads, budgets) from
/// `current`. A lesson never inherits φ, τ, heads, M or a hand-edited 𝓜 from what was on screen.
Session lessonBase(const Session& current);
/// The session lesson `index` shows when started from `current`.
Session lessonSession(int index, const Session& current);

/// The session the window opens with: the sample image, every setting at the settings table's
/// default, as `render` and `compute` use them (each map on its own colour scale: view.sharedScale).
Session startSession();

}  // namespace attnscope::gui
