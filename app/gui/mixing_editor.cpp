#include "gui/mixing_editor.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QMouseEvent>
#include <QPushButton>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include "attnscope/error.h"
#include "attnscope/mixing.h"
#include "figures/mixing_figure.h"

namespace attnscope::gui {

MixingEditor::MixingEditor(QWidget* parent) : QWidget(parent) {
  init_ = new QComboBox(this);
  for (MixingInit k : allMixingInits()) init_->addItem(QString::fromStdString(toString(k)));
  init_->setToolTip(tr("Initialisation of the mixing matrix (docs/math.md, “Mixing initialisations”)"));
  brush_ = new QDoubleSpinBox(this);
  brush_->setRange(0.0, 1000.0);
  brush_->setDecimals(3);
  brush_->setSingleStep(0.05);
  brush_->setValue(0.0);
  brush_->setToolTip(tr("Value painted into the cells you drag over (double-click a cell to type one)"));
  auto* reset = new QPushButton(tr("Reset"), this);
  reset->setToolTip(tr("Drop hand edits and go back to the chosen initialisation"));
  auto* fit = new QPushButton(tr("Fit"), this);
  fit->setObjectName(QStringLiteral("fitMixing"));
  fit->setToolTip(tr("Fit 𝓜 to softmax, per head: the non-negative matrix that brings MHLA (this φ, these "
                     "blocks) closest to softmax in KL, solved to the optimum (docs/math.md, “Fitted mixing”)"));
  auto* load = new QPushButton(tr("Load…"), this);
  auto* save = new QPushButton(tr("Save…"), this);
  plot_ = new QCustomPlot(this);
  plot_->setMinimumSize(220, 220);
  plot_->setMouseTracking(true);
  plot_->installEventFilter(this);

  // Two short rows rather than one long one: the panel stays narrow (presentation fonts).
  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel(tr("init"), this));
  bar->addWidget(init_);
  bar->addWidget(new QLabel(tr("paint"), this));
  bar->addWidget(brush_);
  bar->addStretch(1);
  auto* files = new QHBoxLayout;
  files->addWidget(reset);
  files->addWidget(fit);
  files->addWidget(load);
  files->addWidget(save);
  files->addStretch(1);
  auto* lay = new QVBoxLayout(this);
  lay->setContentsMargins(2, 2, 2, 2);
  lay->setSpacing(2);
  lay->addLayout(bar);
  lay->addLayout(files);
  lay->addWidget(plot_, 1);

  connect(init_, &QComboBox::activated, this, [this](int i) {
    if (i < static_cast<int>(allMixingInits().size())) emit initChosen(init_->currentText());
  });
  connect(reset, &QPushButton::clicked, this, [this] { emit resetRequested(); });
  connect(fit, &QPushButton::clicked, this, [this] { emit initChosen(QStringLiteral("fitted")); });
  connect(load, &QPushButton::clicked, this, &MixingEditor::load);
  connect(save, &QPushButton::clicked, this, &MixingEditor::save);
}

void MixingEditor::setInit(const QString& init) {
  const QSignalBlocker b(init_);
  // The initialisations, then one more entry while the matrix is something else ("custom" after
  // painting, a loaded file's name), so the combo says what the heatmap shows (issue 27).
  const int inits = static_cast<int>(allMixingInits().size());
  while (init_->count() > inits) init_->removeItem(init_->count() - 1);
  if (init_->findText(init) < 0) init_->addItem(init);
  init_->setCurrentText(init);
}

QString MixingEditor::init() const { return init_->currentText(); }

void MixingEditor::setResults(std::shared_ptr<const Results> results, const ViewSettings& view) {
  results_ = std::move(results);
  view_ = view;
  if (!results_) return;
  matrix_ = results_->mixing;
  redraw();
}

void MixingEditor::redraw() {
  if (!results_) return;
  auto shown = std::make_shared<Results>(*results_);
  shown->mixing = matrix_;
  buildMixingFigure(plot_, *shown, view_, style_);
  plot_->replot(QCustomPlot::rpImmediateRefresh);
  fitAspect(plot_);
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

void MixingEditor::resizeEvent(QResizeEvent* e) {
  QWidget::resizeEvent(e);
  // A fresh build at the new size (an M×M figure is cheap): refitting the old one's margins
  // after a large change (presentation fonts) could leave the matrix a few pixels wide.
  redraw();
}

std::pair<int, int> MixingEditor::cellAt(const QPoint& pos) const {
  for (int i = 0; i < plot_->plottableCount(); ++i) {
    auto* m = qobject_cast<QCPColorMap*>(plot_->plottable(i));
    if (!m || !m->keyAxis()->axisRect()->rect().contains(pos)) continue;
    const int b = static_cast<int>(std::lround(m->keyAxis()->pixelToCoord(pos.x())));
    const int a = static_cast<int>(std::lround(m->valueAxis()->pixelToCoord(pos.y())));
    if (a >= 0 && b >= 0 && a < matrix_.rows() && b < matrix_.cols()) return {a, b};
  }
  return {-1, -1};
}

void MixingEditor::editCell(int a, int b, double value) { editCells({{a, b}}, value); }

void MixingEditor::editCells(const std::vector<std::pair<int, int>>& cells, double value) {
  MatrixD next = matrix_;
  bool changed = false;
  for (auto [a, b] : cells) {
    if (a < 0 || b < 0 || a >= next.rows() || b >= next.cols() || next(a, b) == value) continue;
    next(a, b) = value;
    changed = true;
  }
  if (!changed) return;
  try {
    validateMixing(next, static_cast<int>(next.rows()));
  } catch (const Error& e) {
    emit errorOccurred(QString::fromStdString(e.what()));
    return;
  }
  matrix_ = next;
  redraw();
  emit mixingEdited(matrix_);
}

namespace {

/// The cells of the line from `from` to `to` (both included, 8-connected, Bresenham), so a drag
/// that moves several cells between two mouse events paints each cell it crossed.
std::vector<std::pair<int, int>> cellLine(std::pair<int, int> from, std::pair<int, int> to) {
  std::vector<std::pair<int, int>> out;
  int a = from.first, b = from.second;
  const int da = std::abs(to.first - a), db = std::abs(to.second - b);
  const int sa = a < to.first ? 1 : -1, sb = b < to.second ? 1 : -1;
  int err = db - da;
  for (;;) {
    out.emplace_back(a, b);
    if (a == to.first && b == to.second) break;
    const int e2 = 2 * err;
    if (e2 > -da) {
      err -= da;
      b += sb;
    }
    if (e2 < db) {
      err += db;
      a += sa;
    }
  }
  return out;
}

}  // namespace

bool MixingEditor::eventFilter(QObject* obj, QEvent* e) {
  if (obj != plot_) return QWidget::eventFilter(obj, e);
  switch (e->type()) {
    case QEvent::MouseButtonPress: {
      const auto cell = cellAt(static_cast<QMouseEvent*>(e)->pos());
      if (cell.first < 0) break;
      painting_ = true;
      lastCell_ = pressCell_ = cell;
      beforePress_ = matrix_;
      editCell(cell.first, cell.second, brush_->value());
      return true;
    }
    case QEvent::MouseMove: {
      const auto cell = cellAt(static_cast<QMouseEvent*>(e)->pos());
      if (cell.first >= 0)
        plot_->setToolTip(tr("m[%1, %2] = %3").arg(cell.first).arg(cell.second)
                              .arg(matrix_(cell.first, cell.second), 0, 'g', 4));
      if (painting_ && cell.first >= 0 && cell != lastCell_) {
        editCells(lastCell_.first >= 0 ? cellLine(lastCell_, cell) : std::vector{cell}, brush_->value());
        lastCell_ = cell;
        pressCell_ = {-1, -1};  // a stroke, not a click
      }
      break;
    }
    case QEvent::MouseButtonRelease:
      painting_ = false;
      lastCell_ = {-1, -1};
      break;
    case QEvent::MouseButtonDblClick: {
      painting_ = false;
      lastCell_ = {-1, -1};
      const auto [a, b] = cellAt(static_cast<QMouseEvent*>(e)->pos());
      if (a < 0) break;
      // The double-click's first press painted this cell: undo that, then ask.
      if (pressCell_ == std::make_pair(a, b) && beforePress_.rows() == matrix_.rows() &&
          beforePress_ != matrix_) {
        matrix_ = beforePress_;
        redraw();
        emit mixingEdited(matrix_);
      }
      pressCell_ = {-1, -1};
      std::optional<double> v;
      if (prompt_) {
        v = prompt_(a, b, matrix_(a, b));
      } else {
        bool ok = false;
        const double x = QInputDialog::getDouble(this, tr("Mixing weight"),
                                                 tr("m[%1, %2] (≥ 0):").arg(a).arg(b), matrix_(a, b),
                                                 0.0, 1e6, 4, &ok);
        if (ok) v = x;
      }
      if (v) editCell(a, b, *v);
      return true;
    }
    default: break;
  }
  return QWidget::eventFilter(obj, e);
}

void MixingEditor::load() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Load mixing matrix"), QString(),
                                                    tr("Mixing matrix (*.csv *.npy *.txt)"));
  if (!path.isEmpty()) emit mixingLoaded(path);
}

void MixingEditor::save() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Save mixing matrix"),
                                                    QStringLiteral("mixing.csv"),
                                                    tr("CSV (*.csv);;NumPy (*.npy)"));
  if (path.isEmpty()) return;
  try {
    saveMixing(path.toStdString(), matrix_);
  } catch (const Error& e) {
    emit errorOccurred(QString::fromStdString(e.what()));
  }
}

}  // namespace attnscope::gui
