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
  std::function<void(Session&)> apply;
  bool runSweep = false;  ///< also start the scaling sweep
};

std::vector<Preset> lessonPresets();

/// The session the window opens with: the sample image, each map on its own colour scale (a shared
/// scale lets softmax's peak hide the structure of the flatter linear and MHLA maps).
Session startSession();

}  // namespace attnscope::gui
