#include "figures/maps_figure.h"

#include <QImage>
#include <optional>
#include <algorithm>
#include <cmath>
#include <qcustomplot.h>

#include "figures/colormaps.h"
#include "figures/token_text_element.h"

namespace attnscope {

namespace {

constexpr int kColorScaleW = 80;    // shared colour scale column (logical px)
constexpr int kIndependentH = 56;   // a horizontal colour scale under each map
// A map is at most this many times as tall as it is wide (a 1×100000 image's grid would otherwise
// make a figure kilometres tall); a taller grid is drawn narrower inside that height.
constexpr double kMaxMapAspect = 3.0;

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

QString subtitle(const MechanismResult& m, const VectorD& row) {
  QStringList parts;
  if (!m.metrics.empty())
    parts << QStringLiteral("norm. entropy %1").arg(meanOf(m.metrics, &MapMetrics::meanNormalisedEntropy), 0, 'f', 3);
  if (!m.spectra.empty())
    parts << QStringLiteral("eff. rank %1").arg(m.spectra[0].effectiveRank, 0, 'f', 1);
  parts << QStringLiteral("max %1").arg(rowMax(row), 0, 'g', 3);
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
  ax->ticker()->setTickCount(3);
  ax->setNumberFormat(QStringLiteral("g"));
  ax->setNumberPrecision(2);
  if (type == QCPAxis::atBottom || type == QCPAxis::atTop) {
    // A horizontal bar under each map: its end labels are centred on the bar's ends, so the bar
    // keeps half a label of room each side (labels of neighbouring maps never meet, the last is
    // never clipped: issue 14 #5).
    const int half = QFontMetrics(ax->tickLabelFont()).horizontalAdvance(QStringLiteral("0.0000")) / 2 +
                     style.px(4);
    scale->setAutoMargins(QCP::msTop | QCP::msBottom);
    scale->setMargins(QMargins(half, 0, half, 0));
  }
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

/// A line segment in plot coordinates (block boundaries), clipped to `rect`.
void addSegment(QCustomPlot* plot, QCPAxisRect* rect, QCPAxis* x, QCPAxis* y, QPointF from, QPointF to,
                const QPen& pen) {
  auto* line = new QCPItemLine(plot);
  line->setClipAxisRect(rect);
  line->start->setAxes(x, y);
  line->end->setAxes(x, y);
  line->start->setCoords(from);
  line->end->setCoords(to);
  line->setPen(pen);
}

// Object names that the hover path finds the parts of a built figure by.
QString mapName(int k) { return QStringLiteral("attnscope-map-%1").arg(k); }
QString subtitleName(int k) { return QStringLiteral("attnscope-subtitle-%1").arg(k); }
QString scaleName(int k) { return QStringLiteral("attnscope-scale-%1").arg(k); }
QString markName(int k) { return QStringLiteral("attnscope-query-%1").arg(k); }
const QString kSharedScaleName = QStringLiteral("attnscope-scale-shared");

/// Whether grid maps are drawn over the (dimmed) image.
bool drawsImage(const Results& res, const ViewSettings& view) {
  return view.showImage && !res.input->image.empty() && gridExtent(res.input->tokens).width > 0;
}

/// The top of a row's colour range: its largest weight, without the query's own when the view
/// says so (and some other weight is positive).
double rangeTop(const VectorD& row, const ViewSettings& view, int query) {
  if (!view.rangeWithoutQuery || query < 0 || query >= row.size() || row.size() < 2) return rowMax(row);
  double hi = 0;
  for (Eigen::Index j = 0; j < row.size(); ++j)
    if (j != query) hi = std::max(hi, row[j]);
  return hi > 0 ? hi : rowMax(row);
}

/// The colour range of each map: one shared range, or each map's own.
std::vector<QCPRange> mapRanges(const std::vector<const VectorD*>& rows, const ViewSettings& view, int query) {
  double shared = 0;
  for (const VectorD* r : rows) shared = std::max(shared, rangeTop(*r, view, query));
  std::vector<QCPRange> out;
  for (const VectorD* r : rows)
    out.push_back(colourRange(view.sharedScale ? shared : rangeTop(*r, view, query), view.logScale));
  return out;
}
QCPRange sharedRange(const std::vector<const VectorD*>& rows, const ViewSettings& view, int query) {
  double shared = 0;
  for (const VectorD* r : rows) shared = std::max(shared, rangeTop(*r, view, query));
  return colourRange(shared, view.logScale);
}

/// A symmetric range [−a, a] covering `values`.
QCPRange signedRange(double absMax) {
  const double a = absMax > 0 ? absMax : 1e-12;
  return QCPRange(-a, a);
}

/// Cell values and, over the image, each cell's opacity (low weights more transparent so the
/// picture shows through). Both the build and the hover path fill cells here.
void fillGridCells(QCPColorMapData* data, const TokenSet& t, const VectorD& row,
                   const ViewSettings& view, QCPRange range, bool withImage) {
  const int rows = t.gridRows, cols = t.gridCols;
  const bool log = view.logScale;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      const double w = row[t.gridFirstToken + r * cols + c];
      data->setCell(c, r, w);
      if (withImage) {
        double f = log ? (std::log(std::max(w, range.lower)) - std::log(range.lower)) /
                             (std::log(range.upper) - std::log(range.lower))
                       : w / range.upper;
        f = std::clamp(f, 0.0, 1.0);
        const double a = view.overlayOpacity * (0.45 + 0.55 * f);
        data->setAlpha(c, r, static_cast<unsigned char>(std::lround(255.0 * a)));
      }
    }
}

/// The query marker's position on the grid (none when the query is off the grid).
void placeMark(QCPGraph* mark, const TokenSet& t, int query) {
  mark->data()->clear();
  const int q = query - t.gridFirstToken;
  if (q >= 0 && q < t.gridRows * t.gridCols) mark->addData(q % t.gridCols + 0.5, q / t.gridCols + 0.5);
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
  const bool withImage = drawsImage(res, view);
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

  auto* map = new CellMap(x, y);
  map->setObjectName(mapName(column));
  map->data()->setSize(cols, rows);
  map->data()->setRange(QCPRange(0.5, cols - 0.5), QCPRange(0.5, rows - 0.5));
  fillGridCells(map->data(), t, m.shownRow, view, range, withImage);
  map->setInterpolate(false);
  map->setGradient(g);
  map->setDataScaleType(view.logScale ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
  map->setDataRange(range);

  if (drawBlocks && res.layout && res.layout->kind() == BlockLayout::Kind::TwoD) {
    const QPen pen(QColor(255, 255, 255, 150), style.px(1.2), Qt::DashLine);
    const std::vector<int>& colCuts = res.layout->colCuts();
    const std::vector<int>& rowCuts = res.layout->rowCuts();
    for (std::size_t i = 1; i + 1 < colCuts.size(); ++i)
      addSegment(plot, rect, x, y, {double(colCuts[i]), 0.0}, {double(colCuts[i]), double(rows)}, pen);
    for (std::size_t i = 1; i + 1 < rowCuts.size(); ++i)
      addSegment(plot, rect, x, y, {0.0, double(rowCuts[i])}, {double(cols), double(rowCuts[i])}, pen);
  }

  QCPGraph* mark = plot->addGraph(x, y);
  mark->setObjectName(markName(column));
  mark->setLineStyle(QCPGraph::lsNone);
  mark->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle,
                                        QPen(FigureStyle::queryColor(), style.px(2.5)),
                                        Qt::NoBrush, style.px(14)));
  placeMark(mark, t, res.query);
}

/// One map as a curve over token index (tokens without geometry or labels).
void curveMap(QCustomPlot* plot, QCPLayoutGrid* cell, int column, const Results& res,
              const MechanismResult& m, QCPRange range, const FigureStyle& style) {
  auto* rect = new QCPAxisRect(plot);
  cell->addElement(2, column, rect);
  styleAxes(rect, style);
  QCPAxis* x = rect->axis(QCPAxis::atBottom);
  QCPAxis* y = rect->axis(QCPAxis::atLeft);
  x->setLabel(QStringLiteral("key token j"));
  y->setLabel(QStringLiteral("A[query, j]"));
  QCPGraph* g = plot->addGraph(x, y);
  const QColor c = FigureStyle::colour(m.rgb);
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
  y->setRange(range.lower * 1.08, range.upper * 1.08);
  auto* line = new QCPItemStraightLine(plot);
  line->setClipAxisRect(rect);
  line->point1->setAxes(x, y);
  line->point2->setAxes(x, y);
  line->point1->setCoords(res.query, 0);
  line->point2->setCoords(res.query, 1);
  line->setPen(QPen(FigureStyle::queryColor(), style.px(1.5), Qt::DashLine));
}

int mapWidth(int width, int maps, bool colourColumn, const FigureStyle& style) {
  maps = std::max(1, maps);
  return (width - (colourColumn ? style.px(kColorScaleW) : 0) - (maps + 1) * style.px(6)) / maps - 4;
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
  const int w = mapWidth(width, static_cast<int>(res.mechanisms.size()), colourColumn, style);
  const int titles = QFontMetrics(style.font(1.15, true)).height() +
                     QFontMetrics(style.font(0.85)).height() + style.px(14);
  int body = 0;
  switch (d) {
    case MapDisplay::Grid: body = static_cast<int>(w * std::min(gridAspect(t), kMaxMapAspect)) + 6; break;
    case MapDisplay::Text:
      body = std::min(style.px(1400),
                      TokenTextElement::heightFor(tokenLabels(t), style.font(0.9), w - 4) + 8);
      break;
    case MapDisplay::Curve: body = style.px(240); break;
  }
  const int scales = (d != MapDisplay::Curve && !view.sharedScale) ? style.px(kIndependentH) : 0;
  return titles + body + scales;
}

namespace {

/// The whole maps (matrix and difference modes): each mechanism's N×N map with tokens in MHLA
/// block order (its blocks are squares on the diagonal), block boundaries drawn; in difference
/// mode every map but the first (softmax) shows A − A_softmax on a signed scale.
void buildMatrixMaps(QCustomPlot* plot, const Results& res, const ViewSettings& view, const FigureStyle& style) {
  QCPLayoutGrid* grid = plot->plotLayout();
  const std::vector<MatrixF>& mats = *res.mapMatrices;
  const int nm = static_cast<int>(res.mechanisms.size());
  const int n = res.n;
  const bool diff = view.mapMode == "difference";
  const std::vector<int>& order = res.layout->order();
  const QCPColorGradient seq = makeGradient(view.colormap), div = divergingGradient();
  for (int k = 0; k < nm; ++k) {
    const MechanismResult& m = res.mechanisms[k];
    const bool signedMap = diff && k > 0;
    QString label = QString::fromStdString(m.label);
    if (signedMap) label += QStringLiteral(" − ") + QString::fromStdString(res.mechanisms[0].name);
    auto* title = new FittedText(plot, label, style.font(1.15, true));
    title->setTextColor(FigureStyle::colour(m.rgb).darker(120));
    grid->addElement(0, k, title);
    auto* sub = new FittedText(plot, signedMap ? QStringLiteral("whole map difference, tokens in block order")
                                                : QStringLiteral("whole %1×%1 map, tokens in block order").arg(n),
                               style.font(0.85));
    sub->setTextColor(QColor(80, 80, 80));
    grid->addElement(1, k, sub);
    auto* rect = new QCPAxisRect(plot);
    grid->addElement(2, k, rect);
    hideAxes(rect);
    QCPAxis* x = rect->axis(QCPAxis::atBottom);
    QCPAxis* y = rect->axis(QCPAxis::atLeft);
    x->setRange(0, n);
    y->setRange(0, n);
    y->setRangeReversed(true);
    requestAspect(rect, 1.0);
    auto* map = new CellMap(x, y);
    map->data()->setSize(n, n);
    map->data()->setRange(QCPRange(0.5, n - 0.5), QCPRange(0.5, n - 0.5));
    // The range: the 99.5th percentile of the weights (or of |difference|), so a few peaks do not
    // make the rest of the matrix one colour; the diagonal (each query on itself) is left out
    // with rangeWithoutQuery. Values above it show in the top colour.
    std::vector<float> mags;
    mags.reserve(static_cast<std::size_t>(n) * n);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        double v = mats[k](order[i], order[j]);
        if (signedMap) v -= mats[0](order[i], order[j]);
        if (!(view.rangeWithoutQuery && i == j)) mags.push_back(static_cast<float>(std::abs(v)));
        map->data()->setCell(j, i, v);
      }
    double top = 0;
    if (!mags.empty()) {
      auto at = mags.begin() + static_cast<std::ptrdiff_t>((mags.size() - 1) * 995 / 1000);
      std::nth_element(mags.begin(), at, mags.end());
      top = *at;
      if (top <= 0) top = *std::max_element(mags.begin(), mags.end());
    }
    const QCPRange range = signedMap ? signedRange(top) : colourRange(std::max(top, 1e-300), view.logScale && !diff);
    map->setInterpolate(false);
    map->setGradient(signedMap ? div : seq);
    map->setDataScaleType(view.logScale && !diff && !signedMap ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    map->setDataRange(range);
    // Block boundaries (every map: the structure MHLA's mixing acts on).
    const std::vector<int>& off = res.layout->offsets();
    const QPen pen(signedMap ? QColor(60, 60, 60, 120) : QColor(255, 255, 255, 140), style.px(0.8));
    for (std::size_t b = 1; b + 1 < off.size() && off.size() <= 257; ++b)
      for (bool vertical : {true, false})
        addSegment(plot, rect, x, y, vertical ? QPointF(off[b], 0) : QPointF(0, off[b]),
                   vertical ? QPointF(off[b], n) : QPointF(n, off[b]), pen);
    QCPColorScale* scale = addColourScale(plot, QCPAxis::atBottom, signedMap ? div : seq, range,
                                          view.logScale && !signedMap && !diff, style);
    if (signedMap) scale->setLabel(QStringLiteral("difference of weights"));
    grid->addElement(3, k, scale);
    grid->setColumnStretchFactor(k, 1.0);
  }
  grid->setRowStretchFactor(0, 0.001);
  grid->setRowStretchFactor(1, 0.001);
  grid->setRowStretchFactor(2, 1.0);
  grid->setRowStretchFactor(3, 0.001);
}

}  // namespace

void buildMapsFigure(QCustomPlot* plot, const Results& res, const ViewSettings& view,
                     const FigureStyle& style) {
  resetPlot(plot, style);
  const int nm = static_cast<int>(res.mechanisms.size());
  if (view.mapMode != "row" && res.mapMatrices && int(res.mapMatrices->size()) == nm) {
    buildMatrixMaps(plot, res, view, style);
    return;
  }
  // Difference of rows (above the whole-map limit, or before the whole maps came): each map's row
  // minus softmax's, on a signed scale, without the image.
  const bool diffRows = view.mapMode == "difference" && nm > 1;
  QCPLayoutGrid* grid = plot->plotLayout();
  const TokenSet& t = res.input->tokens;
  const MapDisplay display = mapDisplayFor(t);
  std::vector<VectorD> diffs;
  std::vector<const VectorD*> rows;
  for (const MechanismResult& m : res.mechanisms) rows.push_back(&m.shownRow);
  std::vector<QCPRange> ranges = mapRanges(rows, view, res.query);
  ViewSettings v = view;
  if (diffRows) {
    v.showImage = false;
    v.logScale = false;
    v.sharedScale = false;
    diffs.resize(static_cast<std::size_t>(nm));
    for (int k = 1; k < nm; ++k) {
      diffs[k] = res.mechanisms[k].shownRow - res.mechanisms[0].shownRow;
      rows[k] = &diffs[k];
      ranges[k] = signedRange(diffs[k].cwiseAbs().maxCoeff());
    }
    ranges[0] = colourRange(rangeTop(res.mechanisms[0].shownRow, view, res.query), false);
  }
  const QCPColorGradient seq = makeGradient(view.colormap), div = divergingGradient();
  std::optional<Results> shownRes;
  if (diffRows) {
    shownRes.emplace(res);
    for (int k = 1; k < nm; ++k) shownRes->mechanisms[k].shownRow = diffs[k];
  }
  const Results& R = diffRows ? *shownRes : res;

  const bool colourColumn = display != MapDisplay::Curve && v.sharedScale;
  for (int k = 0; k < nm; ++k) {
    const MechanismResult& m = R.mechanisms[k];
    const QCPColorGradient& gradient = diffRows && k > 0 ? div : seq;
    QString label = QString::fromStdString(m.label);
    if (diffRows && k > 0) label += QStringLiteral(" − ") + QString::fromStdString(res.mechanisms[0].name);
    auto* title = new FittedText(plot, label, style.font(1.15, true));
    title->setTextColor(FigureStyle::colour(m.rgb).darker(120));
    grid->addElement(0, k, title);
    auto* sub = new FittedText(plot, subtitle(m, m.shownRow), style.font(0.85));
    sub->setObjectName(subtitleName(k));
    sub->setTextColor(QColor(80, 80, 80));
    grid->addElement(1, k, sub);

    switch (display) {
      case MapDisplay::Grid:
        gridMap(plot, grid, k, R, m, v, gradient, ranges[k], style, m.showsBlocks);
        break;
      case MapDisplay::Text: {
        std::vector<double> w(m.shownRow.data(), m.shownRow.data() + m.shownRow.size());
        grid->addElement(2, k, new TokenTextElement(plot, tokenLabels(t), std::move(w), res.query,
                                                    gradient, ranges[k], v.logScale,
                                                    style.font(0.9)));
        break;
      }
      case MapDisplay::Curve:
        curveMap(plot, grid, k, R, m, ranges[k], style);
        break;
    }
    if (display != MapDisplay::Curve && !v.sharedScale) {
      QCPColorScale* scale =
          addColourScale(plot, QCPAxis::atBottom, gradient, ranges[k], v.logScale, style);
      if (diffRows && k > 0) scale->setLabel(QStringLiteral("difference of weights"));
      scale->setObjectName(scaleName(k));
      grid->addElement(3, k, scale);
    }
  }
  if (colourColumn) {
    QCPColorScale* scale = addColourScale(plot, QCPAxis::atRight, seq,
                                          sharedRange(rows, v, res.query), v.logScale, style);
    scale->setObjectName(kSharedScaleName);
    scale->setMinimumSize(style.px(kColorScaleW), 10);
    scale->setMaximumSize(style.px(kColorScaleW), QWIDGETSIZE_MAX);
    grid->addElement(2, nm, scale);
  }
  for (int c = 0; c < nm; ++c) grid->setColumnStretchFactor(c, 1.0);
  if (colourColumn) grid->setColumnStretchFactor(nm, 0.01);
  grid->setRowStretchFactor(0, 0.001);
  grid->setRowStretchFactor(1, 0.001);
  grid->setRowStretchFactor(2, 1.0);
  if (grid->rowCount() > 3) grid->setRowStretchFactor(3, 0.001);
}

bool updateMapsRows(QCustomPlot* plot, const Results& res, const std::vector<VectorD>& rows,
                    int query, const ViewSettings& view) {
  const TokenSet& t = res.input->tokens;
  const int nm = static_cast<int>(res.mechanisms.size());
  if (view.mapMode != "row" || mapDisplayFor(t) != MapDisplay::Grid || int(rows.size()) != nm) return false;
  std::vector<QCPColorMap*> maps;
  std::vector<QCPGraph*> marks;
  std::vector<QCPTextElement*> subs;
  for (int k = 0; k < nm; ++k) {
    QCPColorMap* map = nullptr;
    QCPGraph* mark = nullptr;
    for (int i = 0; i < plot->plottableCount(); ++i) {
      QCPAbstractPlottable* p = plot->plottable(i);
      if (p->objectName() == mapName(k)) map = qobject_cast<QCPColorMap*>(p);
      if (p->objectName() == markName(k)) mark = qobject_cast<QCPGraph*>(p);
    }
    if (!map || !mark || rows[k].size() != res.n) return false;
    if (map->data()->keySize() != t.gridCols || map->data()->valueSize() != t.gridRows) return false;
    maps.push_back(map);
    marks.push_back(mark);
    QCPTextElement* sub = nullptr;
    for (QCPLayoutElement* e : plot->plotLayout()->elements(true))
      if (e && e->objectName() == subtitleName(k)) sub = qobject_cast<QCPTextElement*>(e);
    subs.push_back(sub);
  }
  std::vector<const VectorD*> rowPtrs;
  for (const VectorD& r : rows) rowPtrs.push_back(&r);
  const std::vector<QCPRange> ranges = mapRanges(rowPtrs, view, query);
  const bool withImage = drawsImage(res, view);
  for (int k = 0; k < nm; ++k) {
    fillGridCells(maps[k]->data(), t, rows[k], view, ranges[k], withImage);
    maps[k]->setDataRange(ranges[k]);
    placeMark(marks[k], t, query);
    if (subs[k]) subs[k]->setText(subtitle(res.mechanisms[k], rows[k]));
  }
  for (QCPLayoutElement* e : plot->plotLayout()->elements(true)) {
    auto* scale = qobject_cast<QCPColorScale*>(e);
    if (!scale) continue;
    if (scale->objectName() == kSharedScaleName) scale->setDataRange(sharedRange(rowPtrs, view, query));
    for (int k = 0; k < nm; ++k)
      if (scale->objectName() == scaleName(k)) scale->setDataRange(ranges[k]);
  }
  return true;
}

}  // namespace attnscope
