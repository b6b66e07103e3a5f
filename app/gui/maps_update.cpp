#include "gui/maps_update.h"

#include <algorithm>
#include <qcustomplot.h>

#include "figures/maps_figure.h"

namespace attnscope::gui {

namespace {
double rowMax(const VectorD& r) { return r.size() ? std::max(r.maxCoeff(), 1e-300) : 1.0; }
}  // namespace

QCPRange mapColourRange(double hi, bool log) {
  return log ? QCPRange(hi * 1e-3, hi) : QCPRange(0.0, hi);
}

bool updateGridMaps(QCustomPlot* plot, const Results& res, const std::array<VectorD, 3>& rows,
                    int query, const ViewSettings& view) {
  const TokenSet& t = res.input->tokens;
  if (mapDisplayFor(t) != MapDisplay::Grid) return false;
  std::vector<QCPColorMap*> maps;
  std::vector<QCPGraph*> marks;
  for (int i = 0; i < plot->plottableCount(); ++i) {
    if (auto* m = qobject_cast<QCPColorMap*>(plot->plottable(i))) maps.push_back(m);
    if (auto* g = qobject_cast<QCPGraph*>(plot->plottable(i))) marks.push_back(g);
  }
  if (maps.size() != 3) return false;
  const int gr = t.gridRows, gc = t.gridCols;
  double shared = 0;
  for (const VectorD& r : rows) shared = std::max(shared, rowMax(r));
  for (int k = 0; k < 3; ++k) {
    QCPColorMapData* d = maps[k]->data();
    if (d->keySize() != gc || d->valueSize() != gr) return false;
    const double* src = rows[k].data() + t.gridFirstToken;
    for (int r = 0; r < gr; ++r)
      for (int c = 0; c < gc; ++c) d->setCell(c, r, src[r * gc + c]);
    const QCPRange range = mapColourRange(view.sharedScale ? shared : rowMax(rows[k]), view.logScale);
    maps[k]->setDataRange(range);
    if (!view.sharedScale)
      if (auto* s = qobject_cast<QCPColorScale*>(plot->plotLayout()->element(3, k)))
        s->setDataRange(range);
  }
  if (view.sharedScale)
    if (auto* s = qobject_cast<QCPColorScale*>(plot->plotLayout()->element(2, 3)))
      s->setDataRange(mapColourRange(shared, view.logScale));
  // Subtitles end in "max <row max>": keep the rest (map-wide metrics), update the max.
  for (int k = 0; k < 3; ++k)
    if (auto* sub = qobject_cast<QCPTextElement*>(plot->plotLayout()->element(1, k))) {
      QString text = sub->text();
      const int at = text.lastIndexOf(QStringLiteral("max "));
      if (at >= 0)
        sub->setText(text.left(at) + QStringLiteral("max %1").arg(rowMax(rows[k]), 0, 'g', 3));
    }
  const int q = query - t.gridFirstToken;
  for (QCPGraph* g : marks) {
    g->data()->clear();
    if (q >= 0 && q < gr * gc) g->addData(q % gc + 0.5, q / gc + 0.5);
  }
  return true;
}

}  // namespace attnscope::gui
