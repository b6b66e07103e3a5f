// Waiting for the window's background jobs in offscreen GUI tests (the event loop keeps running).
#pragma once

#include <QElapsedTimer>
#include <QtTest>

#include "gui/main_window.h"

namespace attnscope::gui::waits {

/// Processes events until no job runs (or `timeoutMs` passes); false on the timeout.
inline bool waitIdle(MainWindow& w, int timeoutMs = 300000, int stepMs = 5) {
  QElapsedTimer t;
  t.start();
  QTest::qWait(stepMs);
  while (w.controller()->jobs()->busy()) {
    if (t.elapsed() > timeoutMs) return false;
    QTest::qWait(stepMs);
  }
  return true;
}

/// Processes events until the window has results and no job runs (the analysis, then spectra and
/// timing); false on the timeout.
inline bool waitResultsIdle(MainWindow& w, int timeoutMs = 300000, int stepMs = 5) {
  QElapsedTimer t;
  t.start();
  QTest::qWait(stepMs);
  while (!w.controller()->results() || w.controller()->jobs()->busy()) {
    if (t.elapsed() > timeoutMs) return false;
    QTest::qWait(stepMs);
  }
  return true;
}

}  // namespace attnscope::gui::waits
