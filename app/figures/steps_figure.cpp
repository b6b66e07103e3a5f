#include "figures/steps_figure.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "figures/colormaps.h"
#include "model/step_trace.h"

namespace attnscope {

namespace {

/// Largest side of a drawn matrix; larger ones are averaged down to this many cells.
constexpr int kMaxCells = 64;
/// Largest strip of a token vector off the grid.
constexpr int kMaxStrip = 256;
/// Matrices with at most this many cells print their numbers.
constexpr int kNumberCells = 48;

/// `v` averaged down to at most `rows` × `cols` cells (NaN entries left out; a cell of only NaN is NaN).
MatrixD downsample(const MatrixD& v, int rows, int cols) {
  const int R = int(v.rows()), C = int(v.cols());
  const int r = std::min(R, rows), c = std::min(C, cols);
  if (r == R && c == C) return v;
  MatrixD out(r, c);
  for (int i = 0; i < r; ++i)
    for (int j = 0; j < c; ++j) {
      const int i0 = int(std::int64_t(i) * R / r), i1 = int(std::int64_t(i + 1) * R / r);
      const int j0 = int(std::int64_t(j) * C / c), j1 = int(std::int64_t(j + 1) * C / c);
      double sum = 0;
      int count = 0;
      for (int a = i0; a < i1; ++a)
        for (int b = j0; b < j1; ++b)
          if (!std::isnan(v(a, b))) {
            sum += v(a, b);
            ++count;
          }
      out(i, j) = count ? sum / count : std::numeric_limits<double>::quiet_NaN();
    }
  return out;
}

QString number(double v) {
  if (std::isnan(v)) return QStringLiteral("–");
  const double a = std::abs(v);
  if (a != 0 && (a < 1e-3 || a >= 1e4)) return QString::number(v, 'e', 1);
  return QString::number(v, 'g', a >= 100 ? 4 : 3);
}

struct Drawn {
  MatrixD cells;      // what is drawn, rows × cols
  QString note;       // "64×64 averages", "on the 32×32 grid"
  int markRow = -1, markCol = -1;  // the query's cell
};

Drawn drawnCells(const StepArray& a) {
  Drawn d;
  const MatrixD& v = a.values;
  if (a.gridRows > 0 && v.rows() == 1) {
    d.cells = MatrixD::Constant(a.gridRows, a.gridCols, std::numeric_limits<double>::quiet_NaN());
    for (int r = 0; r < a.gridRows; ++r)
      for (int c = 0; c < a.gridCols; ++c) {
        const int t = a.gridFirst + r * a.gridCols + c;
        if (t < v.cols()) d.cells(r, c) = v(0, t);
      }
    const int q = a.highlight - a.gridFirst;
    if (a.highlight >= 0 && q >= 0 && q < a.gridRows * a.gridCols) {
      d.markRow = q / a.gridCols;
      d.markCol = q % a.gridCols;
    }
    d.note = QStringLiteral("on the %1×%2 grid").arg(a.gridRows).arg(a.gridCols);
    if (a.gridFirst > 0) d.note += QStringLiteral(", %1 token(s) before it not drawn").arg(a.gridFirst);
    if (d.cells.rows() > kMaxCells || d.cells.cols() > kMaxCells) d.cells = downsample(d.cells, kMaxCells, kMaxCells);
    return d;
  }
  const bool strip = v.rows() == 1;
  d.cells = downsample(v, strip ? 1 : kMaxCells, strip ? kMaxStrip : kMaxCells);
  if (d.cells.rows() != v.rows() || d.cells.cols() != v.cols())
    d.note = QStringLiteral("shown as %1×%2 averages").arg(d.cells.rows()).arg(d.cells.cols());
  if (strip && a.highlight >= 0 && a.highlight < v.cols()) {
    d.markRow = 0;
    d.markCol = int(std::int64_t(a.highlight) * d.cells.cols() / v.cols());
  }
  return d;
}

/// The largest entries of a long vector, "j=12: 0.31, j=40: 0.12, …".
QString topValues(const StepArray& a, int k) {
  const MatrixD& v = a.values;
  if (v.rows() != 1 || v.cols() <= kNumberCells) return {};
  std::vector<int> idx;
  for (int j = 0; j < v.cols(); ++j)
    if (!std::isnan(v(0, j))) idx.push_back(j);
  k = std::min<int>(k, int(idx.size()));
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int x, int y) { return v(0, x) > v(0, y); });
  QStringList parts;
  for (int i = 0; i < k; ++i) parts << QStringLiteral("%1: %2").arg(idx[i]).arg(number(v(0, idx[i])));
  return QStringLiteral("largest ") + parts.join(QStringLiteral(", "));
}

/// One array: its name and shape above, the heatmap, its value range and notes below.
void addArray(QCustomPlot* plot, QCPLayoutGrid* cell, const StepArray& a, const ViewSettings& view,
              const FigureStyle& style) {
  const Drawn d = drawnCells(a);
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (Eigen::Index i = 0; i < a.values.size(); ++i)
    if (!std::isnan(a.values.data()[i])) {
      lo = std::min(lo, a.values.data()[i]);
      hi = std::max(hi, a.values.data()[i]);
    }
  if (!std::isfinite(lo)) lo = hi = 0;
  auto* title = new FittedText(plot, QStringLiteral("%1   %2").arg(QString::fromStdString(a.name),
                                                                   QString::fromStdString(a.shape())),
                               style.font(1.0, true));
  cell->addElement(0, 0, title);

  auto* rect = new QCPAxisRect(plot);
  styleAxes(rect, style);
  cell->addElement(1, 0, rect);
  const int R = int(d.cells.rows()), C = int(d.cells.cols());
  QCPAxis* x = rect->axis(QCPAxis::atBottom);
  QCPAxis* y = rect->axis(QCPAxis::atLeft);
  for (QCPAxis* ax : {x, y}) {
    ax->grid()->setVisible(false);
    ax->setTicks(false);
    ax->setTickLabels(false);
    ax->setLabelFont(style.font(0.8));
  }
  x->setLabel(QString::fromStdString(a.gridRows > 0 && a.values.rows() == 1 ? std::string() : a.colsLabel));
  y->setLabel(QString::fromStdString(R > 1 && a.gridRows == 0 ? a.rowsLabel : std::string()));
  x->setRange(-0.5, C - 0.5);
  y->setRange(-0.5, R - 0.5);
  y->setRangeReversed(true);
  // Square cells; a vector's strip is drawn with taller cells (about a sixth of its width high).
  requestAspect(rect, R == 1 && C > 6 ? 6.0 / C : 1.0);

  auto* map = new CellMap(x, y);
  // A single row or column is drawn as two (QCPColorMap draws nothing over a range of size 0):
  // the same cells, spanning −0.5 … 0.5 like any other.
  const int dataR = std::max(R, 2), dataC = std::max(C, 2);
  map->data()->setSize(dataC, dataR);
  map->data()->setRange(C == 1 ? QCPRange(-0.25, 0.25) : QCPRange(0, C - 1),
                        R == 1 ? QCPRange(-0.25, 0.25) : QCPRange(0, R - 1));
  for (int r = 0; r < dataR; ++r)
    for (int c = 0; c < dataC; ++c) map->data()->setCell(c, r, d.cells(std::min(r, R - 1), std::min(c, C - 1)));
  map->setInterpolate(false);
  const bool signedValues = lo < 0 && hi > 0;
  QCPColorGradient g = signedValues ? divergingGradient() : makeGradient(view.colormap);
  g.setNanHandling(QCPColorGradient::nhNanColor);
  g.setNanColor(QColor(215, 215, 215));
  map->setGradient(g);
  const double amp = std::max(std::abs(lo), std::abs(hi));
  map->setDataRange(signedValues ? QCPRange(-amp, amp) : QCPRange(lo, hi > lo ? hi : lo + 1));

  // Small arrays print their numbers in the cells.
  if (R * C <= kNumberCells && C <= 12 && d.note.isEmpty()) {
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) {
        auto* t = new QCPItemText(plot);
        t->setClipToAxisRect(true);
        t->setClipAxisRect(rect);
        t->position->setAxes(x, y);
        t->position->setCoords(c, r);
        t->setText(number(d.cells(r, c)));
        t->setFont(style.font(C > 8 ? 0.6 : 0.75));
        const double f = map->dataRange().size() > 0 ? (d.cells(r, c) - map->dataRange().lower) / map->dataRange().size() : 0;
        t->setColor(signedValues ? Qt::black : f > 0.6 ? Qt::black : Qt::white);
      }
  }
  if (d.markRow >= 0) {
    auto* box = new QCPItemRect(plot);
    box->setClipAxisRect(rect);
    for (auto* p : {box->topLeft, box->bottomRight}) p->setAxes(x, y);
    box->topLeft->setCoords(d.markCol - 0.5, d.markRow - 0.5);
    box->bottomRight->setCoords(d.markCol + 0.5, d.markRow + 0.5);
    box->setPen(QPen(FigureStyle::queryColor(), style.px(2)));
  }
  QString info = QStringLiteral("range [%1, %2]").arg(number(lo), number(hi));
  if (!d.note.isEmpty()) info += QStringLiteral(" · ") + d.note;
  const QString top = topValues(a, 3);
  if (!top.isEmpty()) info += QStringLiteral(" · ") + top;
  auto* under = new FittedText(plot, info, style.font(0.75));
  under->setTextColor(QColor(90, 90, 90));
  cell->addElement(2, 0, under);
  cell->setRowStretchFactor(0, 0.001);
  cell->setRowStretchFactor(2, 0.001);
}

void message(QCustomPlot* plot, const QString& text, const FigureStyle& style) {
  auto* t = new FittedText(plot, text, style.font(1.0));
  t->setTextColor(QColor(110, 110, 110));
  plot->plotLayout()->addElement(0, 0, t);
}

}  // namespace

int stepCount(const Results& res, const ViewSettings& view) {
  try {
    return std::max<int>(1, int(traceSteps(res, view.stepMechanism).stages.size()));
  } catch (const std::exception&) {
    return 1;
  }
}

void buildStepsFigure(QCustomPlot* plot, const Results& res, const ViewSettings& view, const FigureStyle& style) {
  resetPlot(plot, style);
  StepTrace t;
  try {
    t = traceSteps(res, view.stepMechanism);
  } catch (const std::exception& e) {
    message(plot, QStringLiteral("Steps: %1").arg(QString::fromUtf8(e.what())), style);
    return;
  }
  const int count = int(t.stages.size());
  const int k = std::clamp(view.step, 0, count - 1);
  const StepStage& st = t.stages[std::size_t(k)];
  QCPLayoutGrid* grid = plot->plotLayout();
  auto* title = new FittedText(plot,
                               QStringLiteral("Step %1 of %2 · %3 · %4").arg(k + 1).arg(count)
                                   .arg(QString::fromStdString(t.label), QString::fromStdString(st.title)),
                               style.font(1.25, true));
  grid->addElement(0, 0, title);
  auto* sub = new FittedText(plot,
                             QStringLiteral("query %1 · head %2 · N = %3").arg(t.query).arg(t.head).arg(t.n),
                             style.font(0.85));
  sub->setTextColor(QColor(90, 90, 90));
  grid->addElement(1, 0, sub);
  auto* formula = new FittedText(plot, QString::fromStdString(st.formula), style.font(1.3));
  formula->setTextColor(QColor(20, 40, 120));
  grid->addElement(2, 0, formula);

  auto* body = new QCPLayoutGrid;
  body->setColumnSpacing(style.px(18));
  grid->addElement(3, 0, body);
  for (std::size_t i = 0; i < st.arrays.size(); ++i) {
    auto* cell = new QCPLayoutGrid;
    cell->setRowSpacing(style.px(2));
    body->addElement(0, int(i), cell);
    addArray(plot, cell, st.arrays[i], view, style);
    const MatrixD& v = st.arrays[i].values;
    body->setColumnStretchFactor(int(i), v.size() <= 4 ? 0.35 : 1.0);  // a number needs little room
  }
  auto* expl = new FittedText(plot, QString::fromStdString(st.explanation), style.font(1.0));
  expl->setTextColor(QColor(30, 30, 30));
  grid->addElement(4, 0, expl);
  for (int r : {0, 1, 2, 4}) grid->setRowStretchFactor(r, 0.001);
}

int stepsFigureHeight(const Results&, const ViewSettings&, const FigureStyle& style, int width) {
  return std::clamp(width * 9 / 20, style.px(380), style.px(720));
}

}  // namespace attnscope
