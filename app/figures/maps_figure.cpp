#include "figures/maps_figure.h"

#include <QImage>
#include <algorithm>
#include <cmath>
#include <qcustomplot.h>

#include "figures/colormaps.h"
#include "figures/token_text_element.h"

namespace attnscope {

namespace {

constexpr int kColorScaleW = 80;    // shared colour scale column (logical px)
constexpr int kIndependentH = 56;   // a horizontal colour scale under each map

struct GridExtent {
  int x0 = 0, y0 = 0, width = 0, height = 0;  // image pixels covered by the grid (0 when none)
};

GridExtent gridExtent(const TokenSet& t) {
  GridExtent e;
  if (!t.hasGrid() || t.imageWidth <= 0) return e;
  const int first = t.gridFirstToken, last = t.gridFirstToken + t.gridRows * t.gridCols - 1;
  if (last >= t.size()) return e;
  const PixelRect& a = t.tokens[first].rect;
  const PixelRect& b = t.tokens[last].rect;
  e.x0 = a.x;
  e.y0 = a.y;
  e.width = b.x + b.width - a.x;
  e.height = b.y + b.height - a.y;
  if (e.width <= 0 || e.height <= 0) e = GridExtent{};
  return e;
}

/// Height / width of one map drawn on the grid.
double gridAspect(const TokenSet& t) {
  const GridExtent e = gridExtent(t);
  if (e.width > 0) return double(e.height) / e.width;
  return double(t.gridRows) / t.gridCols;
}

/// The part of the image under the grid, dimmed so the heatmap reads on top of it.
QPixmap dimmedImage(const RgbImage& img, const GridExtent& e) {
  QImage out(e.width, e.height, QImage::Format_RGB32);
  for (int y = 0; y < e.height; ++y) {
    QRgb* line = reinterpret_cast<QRgb*>(out.scanLine(y));
    for (int x = 0; x < e.width; ++x) {
      const int sx = std::min(img.width - 1, e.x0 + x), sy = std::min(img.height - 1, e.y0 + y);
      const float r = img.at(sx, sy, 0), g = img.at(sx, sy, 1), b = img.at(sx, sy, 2);
      const float lum = 0.299f * r + 0.587f * g + 0.114f * b;
      // Half-desaturated and darkened.
      auto ch = [&](float c) { return std::clamp(int((0.5f * c + 0.5f * lum) * 0.55f * 255.f + 0.5f), 0, 255); };
      line[x] = qRgb(ch(r), ch(g), ch(b));
    }
  }
  return QPixmap::fromImage(out);
}

std::vector<QString> tokenLabels(const TokenSet& t) {
  std::vector<QString> labels;
  labels.reserve(t.tokens.size());
  for (const Token& tok : t.tokens) labels.push_back(displayLabel(tok.label));
  return labels;
}

double rowMax(const VectorD& row) { return row.size() ? std::max(row.maxCoeff(), 1e-300) : 1.0; }

QCPRange colourRange(double hi, bool log) {
  return log ? QCPRange(hi * 1e-3, hi) : QCPRange(0.0, hi);
}

double meanOf(const std::vector<MapMetrics>& m, double MapMetrics::*f) {
  double s = 0;
  for (const MapMetrics& x : m) s += x.*f;
  return m.empty() ? std::nan("") : s / m.size();
}

QString subtitle(const MechanismResult& m) {
  QStringList parts;
  if (!m.metrics.empty())
    parts << QStringLiteral("norm. entropy %1").arg(meanOf(m.metrics, &MapMetrics::meanNormalisedEntropy), 0, 'f', 3);
  if (!m.spectra.empty())
    parts << QStringLiteral("eff. rank %1").arg(m.spectra[0].effectiveRank, 0, 'f', 1);
  parts << QStringLiteral("max %1").arg(rowMax(m.shownRow), 0, 'g', 3);
  return parts.join(QStringLiteral("  ·  "));
}

QCPColorScale* addColourScale(QCustomPlot* plot, QCPAxis::AxisType type, const QCPColorGradient& g,
                              QCPRange range, bool log, const FigureStyle& style) {
  auto* scale = new QCPColorScale(plot);
  scale->setType(type);
  scale->setGradient(g);
  scale->setDataScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
  scale->setDataRange(range);
  scale->setBarWidth(style.px(12));
  scale->setLabel(QStringLiteral("attention weight"));
  QCPAxis* ax = scale->axis();
  ax->setTickLabelFont(style.font(0.8));
  ax->setLabelFont(style.font(0.85));
  if (log) ax->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
  return scale;
}

void hideAxes(QCPAxisRect* rect) {
  for (QCPAxis* ax : rect->axes()) {
    ax->setVisible(false);
    ax->grid()->setVisible(false);
  }
  rect->setAutoMargins(QCP::msNone);
  rect->setMargins(QMargins(2, 2, 2, 2));
}

/// One map over the patch grid.
void gridMap(QCustomPlot* plot, QCPLayoutGrid* cell, int column, const Results& res,
             const MechanismResult& m, const ViewSettings& view, const QCPColorGradient& g,
             QCPRange range, const FigureStyle& style, bool drawBlocks) {
  const TokenSet& t = res.input->tokens;
  const int rows = t.gridRows, cols = t.gridCols;
  auto* rect = new QCPAxisRect(plot);
  cell->addElement(2, column, rect);  // before any item: items look for an axis rect to clip to
  hideAxes(rect);
  QCPAxis* x = rect->axis(QCPAxis::atBottom);
  QCPAxis* y = rect->axis(QCPAxis::atLeft);
  x->setRange(0, cols);
  y->setRange(0, rows);
  y->setRangeReversed(true);
  requestAspect(rect, 1.0);

  const GridExtent e = gridExtent(t);
  const bool withImage = view.showImage && !res.input->image.empty() && e.width > 0;
  if (withImage) {
    auto* pix = new QCPItemPixmap(plot);
    pix->setClipAxisRect(rect);
    pix->topLeft->setAxes(x, y);
    pix->bottomRight->setAxes(x, y);
    pix->topLeft->setCoords(0, 0);
    pix->bottomRight->setCoords(cols, rows);
    pix->setPixmap(dimmedImage(res.input->image, e));
    pix->setScaled(true, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    pix->setLayer(QStringLiteral("grid"));
  }

  auto* map = new QCPColorMap(x, y);
  map->data()->setSize(cols, rows);
  map->data()->setRange(QCPRange(0.5, cols - 0.5), QCPRange(0.5, rows - 0.5));
  // Over the image, low weights are more transparent so the picture shows through.
  const bool log = view.logScale;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      const double w = m.shownRow[t.gridFirstToken + r * cols + c];
      map->data()->setCell(c, r, w);
      if (withImage) {
        double f = log ? (std::log(std::max(w, range.lower)) - std::log(range.lower)) /
                             (std::log(range.upper) - std::log(range.lower))
                       : w / range.upper;
        f = std::clamp(f, 0.0, 1.0);
        const double a = view.overlayOpacity * (0.45 + 0.55 * f);
        map->data()->setAlpha(c, r, static_cast<unsigned char>(std::lround(255.0 * a)));
      }
    }
  map->setInterpolate(false);
  map->setGradient(g);
  map->setDataScaleType(view.logScale ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
  map->setDataRange(range);

  if (drawBlocks && res.layout && res.layout->kind() == BlockLayout::Kind::TwoD) {
    const QPen pen(QColor(255, 255, 255, 150), style.px(1.2), Qt::DashLine);
    for (int c = res.layout->winCols(); c < cols; c += res.layout->winCols()) {
      auto* line = new QCPItemLine(plot);
      line->setClipAxisRect(rect);
      line->start->setAxes(x, y);
      line->end->setAxes(x, y);
      line->start->setCoords(c, 0);
      line->end->setCoords(c, rows);
      line->setPen(pen);
    }
    for (int r = res.layout->winRows(); r < rows; r += res.layout->winRows()) {
      auto* line = new QCPItemLine(plot);
      line->setClipAxisRect(rect);
      line->start->setAxes(x, y);
      line->end->setAxes(x, y);
      line->start->setCoords(0, r);
      line->end->setCoords(cols, r);
      line->setPen(pen);
    }
  }

  const int q = res.query - t.gridFirstToken;
  if (q >= 0 && q < rows * cols) {
    QCPGraph* mark = plot->addGraph(x, y);
    mark->setLineStyle(QCPGraph::lsNone);
    mark->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle,
                                          QPen(FigureStyle::queryColor(), style.px(2.5)),
                                          Qt::NoBrush, style.px(14)));
    mark->addData(q % cols + 0.5, q / cols + 0.5);
  }
}

/// One map as a curve over token index (tokens without geometry or labels).
void curveMap(QCustomPlot* plot, QCPLayoutGrid* cell, int column, const Results& res,
              const MechanismResult& m, int kind, double yMax, const FigureStyle& style) {
  auto* rect = new QCPAxisRect(plot);
  cell->addElement(2, column, rect);
  styleAxes(rect, style);
  QCPAxis* x = rect->axis(QCPAxis::atBottom);
  QCPAxis* y = rect->axis(QCPAxis::atLeft);
  x->setLabel(QStringLiteral("key token j"));
  y->setLabel(QStringLiteral("A[query, j]"));
  QCPGraph* g = plot->addGraph(x, y);
  const QColor c = FigureStyle::mechanismColor(kind);
  g->setPen(QPen(c, style.px(1.2)));
  QColor fill = c;
  fill.setAlpha(60);
  g->setBrush(fill);
  g->setLineStyle(QCPGraph::lsStepCenter);
  QVector<double> keys(res.n), vals(res.n);
  for (int j = 0; j < res.n; ++j) {
    keys[j] = j;
    vals[j] = m.shownRow[j];
  }
  g->setData(keys, vals, true);
  x->setRange(-0.5, res.n - 0.5);
  y->setRange(0, yMax * 1.08);
  auto* line = new QCPItemStraightLine(plot);
  line->setClipAxisRect(rect);
  line->point1->setAxes(x, y);
  line->point2->setAxes(x, y);
  line->point1->setCoords(res.query, 0);
  line->point2->setCoords(res.query, 1);
  line->setPen(QPen(FigureStyle::queryColor(), style.px(1.5), Qt::DashLine));
}

int mapWidth(int width, bool colourColumn, const FigureStyle& style) {
  return (width - (colourColumn ? style.px(kColorScaleW) : 0) - 4 * style.px(6)) / 3 - 4;
}

}  // namespace

MapDisplay mapDisplayFor(const TokenSet& t) {
  if (t.hasGrid()) return MapDisplay::Grid;
  if (t.kind == InputKind::Text) return MapDisplay::Text;
  for (const Token& tok : t.tokens)
    if (!tok.label.empty()) return MapDisplay::Text;
  return MapDisplay::Curve;
}

int mapsFigureHeight(const Results& res, const ViewSettings& view, const FigureStyle& style,
                     int width) {
  const TokenSet& t = res.input->tokens;
  const MapDisplay d = mapDisplayFor(t);
  const bool colourColumn = d != MapDisplay::Curve && view.sharedScale;
  const int w = mapWidth(width, colourColumn, style);
  const int titles = QFontMetrics(style.font(1.15, true)).height() +
                     QFontMetrics(style.font(0.85)).height() + style.px(14);
  int body = 0;
  switch (d) {
    case MapDisplay::Grid: body = static_cast<int>(w * gridAspect(t)) + 6; break;
    case MapDisplay::Text:
      body = std::min(style.px(1400),
                      TokenTextElement::heightFor(tokenLabels(t), style.font(0.9), w - 4) + 8);
      break;
    case MapDisplay::Curve: body = style.px(240); break;
  }
  const int scales = (d != MapDisplay::Curve && !view.sharedScale) ? style.px(kIndependentH) : 0;
  return titles + body + scales;
}

void buildMapsFigure(QCustomPlot* plot, const Results& res, const ViewSettings& view,
                     const FigureStyle& style) {
  resetPlot(plot, style);
  QCPLayoutGrid* grid = plot->plotLayout();
  const TokenSet& t = res.input->tokens;
  const MapDisplay display = mapDisplayFor(t);
  const QCPColorGradient gradient = makeGradient(view.colormap);

  double sharedHi = 0;
  for (const MechanismResult& m : res.mechanisms) sharedHi = std::max(sharedHi, rowMax(m.shownRow));

  const bool colourColumn = display != MapDisplay::Curve && view.sharedScale;
  for (int k = 0; k < 3; ++k) {
    const MechanismResult& m = res.mechanisms[k];
    auto* title = new QCPTextElement(plot, QString::fromStdString(m.label), style.font(1.15, true));
    title->setTextColor(FigureStyle::mechanismColor(k).darker(120));
    grid->addElement(0, k, title);
    auto* sub = new QCPTextElement(plot, subtitle(m), style.font(0.85));
    sub->setTextColor(QColor(80, 80, 80));
    grid->addElement(1, k, sub);

    const double hi = view.sharedScale ? sharedHi : rowMax(m.shownRow);
    const QCPRange range = colourRange(hi, view.logScale);
    switch (display) {
      case MapDisplay::Grid:
        gridMap(plot, grid, k, res, m, view, gradient, range, style, k == 2);
        break;
      case MapDisplay::Text: {
        std::vector<double> w(m.shownRow.data(), m.shownRow.data() + m.shownRow.size());
        grid->addElement(2, k, new TokenTextElement(plot, tokenLabels(t), std::move(w), res.query,
                                                    gradient, range, view.logScale,
                                                    style.font(0.9)));
        break;
      }
      case MapDisplay::Curve:
        curveMap(plot, grid, k, res, m, k, hi, style);
        break;
    }
    if (display != MapDisplay::Curve && !view.sharedScale)
      grid->addElement(3, k, addColourScale(plot, QCPAxis::atBottom, gradient, range, view.logScale, style));
  }
  if (colourColumn) {
    QCPColorScale* scale = addColourScale(plot, QCPAxis::atRight, gradient,
                                          colourRange(sharedHi, view.logScale), view.logScale, style);
    scale->setMinimumSize(style.px(kColorScaleW), 10);
    scale->setMaximumSize(style.px(kColorScaleW), QWIDGETSIZE_MAX);
    grid->addElement(2, 3, scale);
  }
  for (int c = 0; c < 3; ++c) grid->setColumnStretchFactor(c, 1.0);
  if (colourColumn) grid->setColumnStretchFactor(3, 0.01);
  grid->setRowStretchFactor(0, 0.001);
  grid->setRowStretchFactor(1, 0.001);
  grid->setRowStretchFactor(2, 1.0);
  if (grid->rowCount() > 3) grid->setRowStretchFactor(3, 0.001);
}

}  // namespace attnscope
