// One-click lessons: each sets up a session and shows a short caption in the window.
#pragma once

#include <QString>
#include <functional>
#include <vector>

#include "session/session.h"

namespace attnscope::gui {

struct Preset {
  QString name;
  QString caption;
  std::function<void(Session&)> apply;  ///< the lesson's settings, applied to lessonBase()
  bool runSweep = false;  ///< also start the scaling sweep
};

std::vector<Preset> lessonPresets();

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
