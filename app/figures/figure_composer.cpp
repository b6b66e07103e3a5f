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
#include "attnscope/setting_ref.h"

namespace attnscope {

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

  auto make = [&](const PanelDescriptor& d, QRect rect) {
    auto placed = std::make_unique<Placed>();
    placed->panel = d.panel;
    placed->rect = rect;
    placed->plot = std::make_unique<QCustomPlot>();
    QCustomPlot* plot = placed->plot.get();
    d.build(plot, r, view_, style_);
    // Lay the plot out at its final size, then fix the aspect of maps.
    plot->setViewport(QRect(QPoint(0, 0), rect.size()));
    plot->replot(QCustomPlot::rpImmediateRefresh);
    fitAspect(plot);
    placed_.push_back(std::move(placed));
  };
  auto heightOf = [&](const PanelDescriptor& d) {
    return d.height ? d.height(r, view_, style_, inner) : style_.px(360);
  };
  // Each place's panels in the order asked for; below the middle row, the panels that need no
  // model come before the model explorer's.
  std::vector<const PanelDescriptor*> top, row, below, belowModel;
  for (const Panel& p : panels) {
    const PanelDescriptor& d = panelDescriptor(p);
    // A model panel without the model's views would export its placeholder (issue 27 #8).
    if (d.needsModel() && !r.modelViews)
      throw InvalidArgument("the " + d.id() + " panel shows every layer and head of a model: " +
                            (r.session.model.active() ? std::string("they are still being computed, export when they are shown")
                                                      : "open one first (" + settingRef("model.path") + ")"));
    (d.place == PanelPlace::Top ? top : d.place == PanelPlace::Row ? row : d.needsModel() ? belowModel : below)
        .push_back(&d);
  }
  below.insert(below.end(), belowModel.begin(), belowModel.end());
  int y = headerHeight_;
  const int gap = style_.px(14);
  for (const PanelDescriptor* d : top) {
    const int hgt = heightOf(*d);
    make(*d, QRect(margin, y, inner, hgt));
    y += hgt + gap;
  }
  // The middle row: mixing, spectra, timing, sweep side by side.
  if (!row.empty()) {
    const int n = static_cast<int>(row.size());
    int w = (inner - (n - 1) * gap) / n;
    const int hgt = std::min(style_.px(430), std::max(style_.px(320), w * 4 / 5));
    // A panel alone in the row (render --panels maps,mixing) is centred at about its own size, not
    // stretched over the figure's width with two thirds of it empty (issue 27).
    int x0 = margin;
    if (n == 1) {
      w = std::min(inner, hgt * 3 / 2);
      x0 = margin + (inner - w) / 2;
    }
    for (int i = 0; i < n; ++i) make(*row[static_cast<std::size_t>(i)], QRect(x0 + i * (w + gap), y, w, hgt));
    y += hgt + gap;
  }
  for (const PanelDescriptor* d : below) {
    const int hgt = heightOf(*d);
    make(*d, QRect(margin, y, inner, hgt));
    y += hgt + gap;
  }
  height_ = y + margin - gap;
}

FigureComposer::~FigureComposer() = default;

QSize FigureComposer::size() const { return QSize(width_, height_); }

QRect FigureComposer::panelRect(const Panel& panel) const {
  for (const auto& p : placed_)
    if (p->panel == panel) return p->rect;
  return QRect();
}

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

void FigureComposer::exportTo(const QString& path, int dpi) const { exportTo(path, dpi, 0.0); }

void FigureComposer::exportTo(const QString& path, int dpi, double pixelsPerInch) const {
  const std::string name = path.toStdString();
  const QString ext = QFileInfo(path).suffix().toLower();
  const double vectorPpi = pixelsPerInch > 0 ? pixelsPerInch : kVectorDpi;
  if (ext == "png") {
    const double scale = dpi / (pixelsPerInch > 0 ? pixelsPerInch : 96.0);
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
    svg.setResolution(int(vectorPpi + 0.5));  // physical size for print (figure_composer.h)
    svg.setTitle(QStringLiteral("attnscope figure"));
    {
      QCPPainter painter(&svg);
      painter.setMode(QCPPainter::pmVectorized);
      paint(&painter);
    }
    writeFileAtomically(name, std::string_view(buffer.data().constData(), buffer.data().size()));
  } else if (ext == "pdf") {
    exportPdfPages({this}, path, vectorPpi);
  } else {
    throw InvalidArgument(name + ": unknown figure format '" + ext.toStdString() +
                          "' (expected .png, .svg or .pdf)");
  }
}

std::vector<ViewSettings> figurePages(const Results& results, const ViewSettings& view,
                                      const std::vector<Panel>& panels) {
  for (const Panel& p : panels) {
    const PanelDescriptor& d = panelDescriptor(p);
    if (!d.pages) continue;
    std::vector<ViewSettings> pages = d.pages(results, view);
    if (!pages.empty()) return pages;
  }
  return {view};
}

FigureWritten exportFigureFile(std::shared_ptr<const Results> results, const ViewSettings& view,
                               const std::vector<Panel>& panels, const QString& path, int dpi,
                               const FigureStyle& style, int width, double pixelsPerInch) {
  FigureWritten w;
  const bool pdf = QFileInfo(path).suffix().toLower() == QLatin1String("pdf");
  const std::vector<ViewSettings> views = pdf ? figurePages(*results, view, panels) : std::vector<ViewSettings>{view};
  std::vector<std::unique_ptr<FigureComposer>> pages;
  for (const ViewSettings& v : views) pages.push_back(std::make_unique<FigureComposer>(results, v, panels, style, width));
  w.pages = int(pages.size());
  w.size = pages.front()->size();
  if (pages.size() == 1) {
    pages.front()->exportTo(path, dpi, pixelsPerInch);
  } else {
    std::vector<const FigureComposer*> list;
    for (const auto& p : pages) list.push_back(p.get());
    exportPdfPages(list, path, pixelsPerInch);
  }
  return w;
}

void exportPdfPages(const std::vector<const FigureComposer*>& pages, const QString& path, double pixelsPerInch) {
  const double ppi = pixelsPerInch > 0 ? pixelsPerInch : kVectorDpi;
  const std::string name = path.toStdString();
  if (pages.empty()) throw InvalidArgument(name + ": a PDF needs at least one page");
  QBuffer buffer;
  buffer.open(QIODevice::WriteOnly);
  {
    auto pageSize = [&](const FigureComposer* f) {
      return QPageSize(QSizeF(f->size().width() * 72.0 / ppi, f->size().height() * 72.0 / ppi), QPageSize::Point,
                       QString(), QPageSize::ExactMatch);
    };
    QPdfWriter pdf(&buffer);
    pdf.setCreator(QStringLiteral("attnscope"));
    pdf.setTitle(QStringLiteral("attnscope figure"));
    pdf.setResolution(int(ppi + 0.5));
    pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
    pdf.setPageSize(pageSize(pages.front()));
    QCPPainter painter(&pdf);
    painter.setMode(QCPPainter::pmVectorized);
    // Bitmaps (colour bars, the photo under the maps) Flate-compressed, never JPEG.
    painter.setRenderHint(QPainter::LosslessImageRendering);
    for (std::size_t i = 0; i < pages.size(); ++i) {
      if (i > 0) {
        pdf.setPageSize(pageSize(pages[i]));
        if (!pdf.newPage()) throw FileError(name + ": cannot start page " + std::to_string(i + 1));
      }
      pages[i]->paint(&painter);
    }
  }
  writeFileAtomically(name, std::string_view(buffer.data().constData(), buffer.data().size()));
}

}  // namespace attnscope
