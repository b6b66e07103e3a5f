// The window's work area, made from the panel table (figures/panels.h): the input view, and a
// widget per panel descriptor where its dock says (view tabs, the bottom row, the timing tabs, the
// right column). The maps and the mixing matrix are the interactive MapsPanel and MixingEditor;
// every other panel is a FigurePanel on its descriptor's builder. The host feeds each panel the
// results it needs as the controller emits them, and keeps the view tab and the session's
// view.explorer.panel in step. A registered panel appears here with no change to the window.
#pragma once

#include <QWidget>
#include <map>
#include <memory>
#include <string>

#include "figures/figure_style.h"
#include "figures/panels.h"

class QAction;
class QSplitter;
class QTabWidget;

namespace attnscope::gui {

class ExplorerController;
class FigurePanel;
class InputView;
class MapsPanel;
class MixingEditor;

class PanelHost : public QWidget {
  Q_OBJECT
 public:
  PanelHost(ExplorerController& controller, QWidget* parent = nullptr);

  InputView* inputView() const { return input_; }
  MapsPanel* maps() const { return maps_; }
  MixingEditor* mixing() const { return mixing_; }
  /// The FigurePanel of `panel` (null for the maps and the mixing editor, or an unknown panel).
  FigurePanel* figure(const Panel& panel) const;
  QTabWidget* viewTabs() const { return viewTabs_; }
  QTabWidget* timingTabs() const { return timingTabs_; }

  /// Selects the view tab of panel `id` (nothing for an id without one).
  void showView(const std::string& id);
  /// Redraws every panel in `style` (presentation mode).
  void setStyle(const FigureStyle& style);
  /// Focus on the view (issue 27, layout): the view tabs (maps or a model tab) take the whole
  /// height beside the input; the bottom row (mixing, spectra, timing, metrics) steps aside and
  /// comes back as it was. Checkable; in the View menu and in the view tabs' corner.
  QAction* focusViewAction() const { return focusView_; }
  bool viewFocused() const;

 signals:
  /// The user chose the view tab of panel `id`.
  void viewChosen(const std::string& id);

 private:
  /// Gives `res` to the figure panels whose descriptor `pick` accepts.
  template <class Pick>
  void feed(const std::shared_ptr<const Results>& res, Pick pick);

  ExplorerController& controller_;
  InputView* input_;
  MapsPanel* maps_;
  MixingEditor* mixing_;
  QTabWidget *viewTabs_, *timingTabs_;
  QSplitter* bottom_;
  QAction* focusView_;
  std::map<std::string, FigurePanel*> figures_;  ///< by panel id
  std::vector<std::string> viewIds_;             ///< the panel of each view tab
};

}  // namespace attnscope::gui
