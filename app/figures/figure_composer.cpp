#include "figures/figure_composer.h"

#include <QBuffer>
#include <QFileInfo>
#include <QImage>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <qcustomplot.h>
#include <sstream>

#include "attnscope/atomic_file.h"
#include "attnscope/error.h"
#include "figures/maps_figure.h"
#include "figures/metrics_figure.h"
#include "figures/model_figures.h"
#include "figures/mixing_figure.h"
#include "figures/spectra_figure.h"
#include "figures/sweep_figure.h"
#include "figures/timing_figure.h"

namespace attnscope {

std::string toString(Panel p) {
  switch (p) {
    case Panel::Maps: return "maps";
    case Panel::Mixing: return "mixing";
    case Panel::Spectra: return "spectra";
    case Panel::Timing: return "timing";
    case Panel::Metrics: return "metrics";
    case Panel::Sweep: return "sweep";
    case Panel::ModelView: return "model-view";
    case Panel::LayerCurves: return "layer-curves";
    case Panel::Rollout: return "rollout";
    case Panel::ClsMaps: return "cls-maps";
  }
  return "?";
}

std::vector<Panel> panelList() {
  return {Panel::Maps,      Panel::Mixing,      Panel::Spectra, Panel::Timing,  Panel::Metrics,
          Panel::Sweep,     Panel::ModelView,   Panel::LayerCurves, Panel::Rollout, Panel::ClsMaps};
}

bool isModelPanel(Panel p) {
  return p == Panel::ModelView || p == Panel::LayerCurves || p == Panel::Rollout || p == Panel::ClsMaps;
}

std::vector<Panel> allPanels() {
  return {Panel::Maps, Panel::Mixing, Panel::Spectra, Panel::Timing, Panel::Metrics};
}

std::vector<Panel> parsePanels(const std::string& list) {
  std::vector<Panel> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    bool found = false;
    for (Panel p : panelList())
      if (toString(p) == item) {
        found = true;
        if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
      }
    if (!found)
    {
      std::string names;
      for (Panel p : panelList()) names += (names.empty() ? "" : ", ") + toString(p);
      throw InvalidArgument("unknown panel '" + item + "' (expected " + names + ")");
    }
  }
  if (out.empty()) throw InvalidArgument("no panels given");
  return out;
}

struct FigureComposer::Placed {
  Panel panel;
  QRect rect;
  std::unique_ptr<QCustomPlot> plot;
};

FigureComposer::FigureComposer(std::shared_ptr<const Results> results, ViewSettings view,
                               std::vector<Panel> panels, FigureStyle style, int width)
    : results_(std::move(results)), view_(std::move(view)), style_(std::move(style)), width_(width) {
  const Results& r = *results_;
  const TokenSet& t = r.input->tokens;
  const int margin = style_.px(12);
  const int inner = width_ - 2 * margin;

  // Header: source and what the rows show.
  std::ostringstream h;
  // A file's name, not its absolute path (a figure in a paper must not show /home/…).
  const QString source = QString::fromStdString(t.sourceName);
  h << (source.contains(QLatin1Char('/')) ? QFileInfo(source).fileName().toStdString() : t.sourceName)
    << "  ·  N = " << r.n;
  if (t.hasGrid()) h << " (" << t.gridRows << "×" << t.gridCols << " patches)";
  h << ", " << r.numHeads << " head" << (r.numHeads == 1 ? "" : "s") << ", d_k = " << r.dk;
  header_ = QString::fromStdString(h.str());
  std::ostringstream s;
  s << "query token " << r.query;
  if (t.hasGrid() && r.query >= t.gridFirstToken) {
    const int q = r.query - t.gridFirstToken;
    s << " (row " << q / t.gridCols << ", col " << q % t.gridCols << ")";
  } else if (r.query < t.size() && !t.tokens[r.query].label.empty()) {
    s << " \"" << t.tokens[r.query].label << "\"";
  }
  s << "  ·  " << r.headLabel() << "  ·  MHLA " << r.layout->describe() << ", mixing "
    << r.mixingName << "  ·  " << r.backend;
  subheader_ = QString::fromStdString(s.str());
  // Both lines wrap at the figure's width (a narrow export never cuts them).
  h1_ = QFontMetrics(style_.font(1.3, true)).boundingRect(QRect(0, 0, inner, 1 << 20), Qt::TextWordWrap, header_).height();
  h2_ = QFontMetrics(style_.font(0.95)).boundingRect(QRect(0, 0, inner, 1 << 20), Qt::TextWordWrap, subheader_).height();
  headerHeight_ = h1_ + h2_ + style_.px(16);

  auto make = [&](Panel p, QRect rect) {
    auto placed = std::make_unique<Placed>();
    placed->panel = p;
    placed->rect = rect;
    placed->plot = std::make_unique<QCustomPlot>();
    QCustomPlot* plot = placed->plot.get();
    switch (p) {
      case Panel::Maps: buildMapsFigure(plot, r, view_, style_); break;
      case Panel::Mixing: buildMixingFigure(plot, r, view_, style_); break;
      case Panel::Spectra: buildSpectraFigure(plot, r, style_); break;
      case Panel::Timing: buildTimingFigure(plot, r, style_); break;
      case Panel::Metrics: buildMetricsFigure(plot, r, style_); break;
      case Panel::Sweep: buildSweepFigure(plot, r.sweep ? *r.sweep : SweepResult{}, style_); break;
      case Panel::ModelView: buildModelViewFigure(plot, r, view_, style_); break;
      case Panel::LayerCurves: buildLayerCurvesFigure(plot, r, style_); break;
      case Panel::Rollout: buildRolloutFigure(plot, r, view_, style_); break;
      case Panel::ClsMaps: buildClsMapsFigure(plot, r, view_, style_); break;
    }
    // Lay the plot out at its final size, then fix the aspect of maps.
    plot->setViewport(QRect(QPoint(0, 0), rect.size()));
    plot->replot(QCustomPlot::rpImmediateRefresh);
    fitAspect(plot);
    placed_.push_back(std::move(placed));
  };

  auto has = [&](Panel p) { return std::find(panels.begin(), panels.end(), p) != panels.end(); };
  int y = headerHeight_;
  const int gap = style_.px(14);
  if (has(Panel::Maps)) {
    const int hgt = mapsFigureHeight(r, view_, style_, inner);
    make(Panel::Maps, QRect(margin, y, inner, hgt));
    y += hgt + gap;
  }
  // The middle row: mixing, spectra, timing side by side (in the order asked for).
  std::vector<Panel> middle;
  for (Panel p : panels)
    if (p == Panel::Mixing || p == Panel::Spectra || p == Panel::Timing || p == Panel::Sweep)
      middle.push_back(p);
  if (!middle.empty()) {
    const int n = static_cast<int>(middle.size());
    const int w = (inner - (n - 1) * gap) / n;
    const int hgt = std::min(style_.px(430), std::max(style_.px(320), w * 4 / 5));
    for (int i = 0; i < n; ++i) make(middle[i], QRect(margin + i * (w + gap), y, w, hgt));
    y += hgt + gap;
  }
  if (has(Panel::Metrics)) {
    const int hgt = metricsFigureHeight(style_);
    make(Panel::Metrics, QRect(margin, y, inner, hgt));
    y += hgt + gap;
  }
  // The model explorer's panels, each the full width, in the order asked for.
  for (Panel p : panels) {
    if (!isModelPanel(p)) continue;
    int hgt = style_.px(360);
    if (p == Panel::ModelView) hgt = modelViewFigureHeight(r, style_, inner);
    if (p == Panel::ClsMaps) hgt = clsMapsFigureHeight(r, style_, inner);
    if (p == Panel::Rollout) {
      const std::shared_ptr<const Results> rr = rolloutResults(r);
      hgt = rr ? mapsFigureHeight(*rr, view_, style_, inner) : style_.px(120);
    }
    make(p, QRect(margin, y, inner, hgt));
    y += hgt + gap;
  }
  height_ = y + margin - gap;
}

FigureComposer::~FigureComposer() = default;

QSize FigureComposer::size() const { return QSize(width_, height_); }

void FigureComposer::paint(QCPPainter* painter) const {
  painter->fillRect(QRect(0, 0, width_, height_), Qt::white);
  const int margin = style_.px(12);
  painter->setPen(Qt::black);
  painter->setFont(style_.font(1.3, true));
  painter->drawText(QRect(margin, style_.px(6), width_ - 2 * margin, h1_),
                    Qt::AlignLeft | Qt::AlignVCenter | Qt::TextWordWrap, header_);
  painter->setPen(QColor(70, 70, 70));
  painter->setFont(style_.font(0.95));
  painter->drawText(QRect(margin, style_.px(6) + h1_ + style_.px(2), width_ - 2 * margin, h2_),
                    Qt::AlignLeft | Qt::AlignVCenter | Qt::TextWordWrap, subheader_);
  for (const auto& p : placed_) {
    painter->save();
    painter->translate(p->rect.topLeft());
    painter->setClipRect(QRect(QPoint(0, 0), p->rect.size()));
    p->plot->toPainter(painter, p->rect.width(), p->rect.height());
    painter->restore();
  }
}

FigureStyle exportStyle(const QString& path, FigureStyle base) {
  const QString ext = QFileInfo(path).suffix().toLower();
  if (ext == QLatin1String("svg") || ext == QLatin1String("pdf")) base.scale *= kVectorFontScale;
  return base;
}

void FigureComposer::exportTo(const QString& path, int dpi) const {
  const std::string name = path.toStdString();
  const QString ext = QFileInfo(path).suffix().toLower();
  if (ext == "png") {
    const double scale = dpi / 96.0;
    // Checked before anything is allocated: --width 8000 --dpi 1200 would be a 28 GB image.
    const double w = width_ * scale + 0.5, h = height_ * scale + 0.5;
    constexpr double kMaxPngPixels = 200e6;  // 800 MB as RGB32
    if (w * h > kMaxPngPixels) {
      std::ostringstream os;
      os.precision(4);
      os << name << ": the PNG would be " << std::llround(w) << " × " << std::llround(h) << " pixels ("
         << w * h / 1e6 << " MP) at " << dpi << " dpi, above the limit of " << kMaxPngPixels / 1e6
         << " MP: lower --dpi or --width, or write an SVG or PDF";
      throw BudgetExceeded(os.str());
    }
    QImage img(QSize(int(w), int(h)), QImage::Format_RGB32);
    if (img.isNull()) throw BudgetExceeded(name + ": the image is too large at " + std::to_string(dpi) + " dpi");
    img.setDotsPerMeterX(int(dpi / 0.0254 + 0.5));
    img.setDotsPerMeterY(int(dpi / 0.0254 + 0.5));
    img.fill(Qt::white);
    {
      QCPPainter painter(&img);
      painter.setRenderHint(QPainter::Antialiasing);
      painter.setRenderHint(QPainter::TextAntialiasing);
      painter.setRenderHint(QPainter::SmoothPixmapTransform);
      painter.scale(scale, scale);
      paint(&painter);
    }
    QBuffer png;
    png.open(QIODevice::WriteOnly);
    if (!img.save(&png, "PNG")) throw FileError(name + ": cannot encode the PNG");
    writeFileAtomically(name, std::string_view(png.data().constData(), png.data().size()));
  } else if (ext == "svg") {
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QSvgGenerator svg;
    svg.setOutputDevice(&buffer);
    svg.setSize(size());
    svg.setViewBox(QRect(QPoint(0, 0), size()));
    svg.setResolution(kVectorDpi);  // physical size for print (figure_composer.h)
    svg.setTitle(QStringLiteral("attnscope figure"));
    {
      QCPPainter painter(&svg);
      painter.setMode(QCPPainter::pmVectorized);
      paint(&painter);
    }
    writeFileAtomically(name, std::string_view(buffer.data().constData(), buffer.data().size()));
  } else if (ext == "pdf") {
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    {
      QPdfWriter pdf(&buffer);
      pdf.setCreator(QStringLiteral("attnscope"));
      pdf.setTitle(QStringLiteral("attnscope figure"));
      pdf.setResolution(kVectorDpi);
      pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
      pdf.setPageSize(QPageSize(QSizeF(width_ * 72.0 / kVectorDpi, height_ * 72.0 / kVectorDpi), QPageSize::Point,
                                QString(), QPageSize::ExactMatch));
      QCPPainter painter(&pdf);
      painter.setMode(QCPPainter::pmVectorized);
      // Bitmaps (colour bars, the photo under the maps) Flate-compressed, never JPEG.
      painter.setRenderHint(QPainter::LosslessImageRendering);
      paint(&painter);
    }
    writeFileAtomically(name, std::string_view(buffer.data().constData(), buffer.data().size()));
  } else {
    throw InvalidArgument(name + ": unknown figure format '" + ext.toStdString() +
                          "' (expected .png, .svg or .pdf)");
  }
}

}  // namespace attnscope
