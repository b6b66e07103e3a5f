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
  auto* load = new QPushButton(tr("Load…"), this);
  auto* save = new QPushButton(tr("Save…"), this);
  plot_ = new QCustomPlot(this);
  plot_->setMinimumSize(220, 220);
  plot_->setMouseTracking(true);
  plot_->installEventFilter(this);

  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel(tr("init"), this));
  bar->addWidget(init_);
  bar->addWidget(new QLabel(tr("paint"), this));
  bar->addWidget(brush_);
  bar->addWidget(reset);
  bar->addWidget(load);
  bar->addWidget(save);
  bar->addStretch(1);
  auto* lay = new QVBoxLayout(this);
  lay->setContentsMargins(2, 2, 2, 2);
  lay->addLayout(bar);
  lay->addWidget(plot_, 1);

  connect(init_, &QComboBox::activated, this, [this] { emit initChosen(init_->currentText()); });
  connect(reset, &QPushButton::clicked, this, [this] { emit resetRequested(); });
  connect(load, &QPushButton::clicked, this, &MixingEditor::load);
  connect(save, &QPushButton::clicked, this, &MixingEditor::save);
}

void MixingEditor::setInit(const QString& init) {
  const QSignalBlocker b(init_);
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
  if (!results_) return;
  plot_->replot(QCustomPlot::rpImmediateRefresh);
  fitAspect(plot_);
  plot_->replot(QCustomPlot::rpQueuedReplot);
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

void MixingEditor::editCell(int a, int b, double value) {
  if (a < 0 || b < 0 || a >= matrix_.rows() || b >= matrix_.cols()) return;
  if (matrix_(a, b) == value) return;
  MatrixD next = matrix_;
  next(a, b) = value;
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

bool MixingEditor::eventFilter(QObject* obj, QEvent* e) {
  if (obj != plot_) return QWidget::eventFilter(obj, e);
  switch (e->type()) {
    case QEvent::MouseButtonPress: {
      auto [a, b] = cellAt(static_cast<QMouseEvent*>(e)->pos());
      if (a < 0) break;
      painting_ = true;
      editCell(a, b, brush_->value());
      return true;
    }
    case QEvent::MouseMove: {
      auto [a, b] = cellAt(static_cast<QMouseEvent*>(e)->pos());
      if (a >= 0)
        plot_->setToolTip(tr("m[%1, %2] = %3").arg(a).arg(b).arg(matrix_(a, b), 0, 'g', 4));
      if (painting_ && a >= 0) editCell(a, b, brush_->value());
      break;
    }
    case QEvent::MouseButtonRelease: painting_ = false; break;
    case QEvent::MouseButtonDblClick: {
      painting_ = false;
      auto [a, b] = cellAt(static_cast<QMouseEvent*>(e)->pos());
      if (a < 0) break;
      bool ok = false;
      const double v = QInputDialog::getDouble(this, tr("Mixing weight"),
                                               tr("m[%1, %2] (≥ 0):").arg(a).arg(b), matrix_(a, b),
                                               0.0, 1e6, 4, &ok);
      if (ok) editCell(a, b, v);
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
