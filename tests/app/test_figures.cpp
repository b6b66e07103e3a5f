// The figure builders' in-place paths against fresh builds: the hover update of the maps (cell
// colours AND their transparency over the image, ranges, subtitles, markers) must leave the plot
// exactly as building it for that query would; the mixing heatmap's axes cover its cells exactly
// after the aspect fit.
#include <QtTest>
#include <qcustomplot.h>

#include <QSvgRenderer>
#include <QTemporaryDir>

#include "figures/figure_composer.h"
#include "figures/figure_style.h"
#include "figures/maps_figure.h"
#include "figures/mixing_figure.h"
#include "model/analysis.h"

using namespace attnscope;

namespace {

std::vector<QCPColorMap*> colourMaps(QCustomPlot* plot) {
  std::vector<QCPColorMap*> out;
  for (int i = 0; i < plot->plottableCount(); ++i)
    if (auto* m = qobject_cast<QCPColorMap*>(plot->plottable(i))) out.push_back(m);
  return out;
}

QStringList texts(QCustomPlot* plot) {
  QStringList out;
  for (QCPLayoutElement* e : plot->plotLayout()->elements(true))
    if (auto* t = qobject_cast<QCPTextElement*>(e)) out << t->text();
  return out;
}

QList<QCPRange> scaleRanges(QCustomPlot* plot) {
  QList<QCPRange> out;
  for (QCPLayoutElement* e : plot->plotLayout()->elements(true))
    if (auto* s = qobject_cast<QCPColorScale*>(e)) out << s->dataRange();
  return out;
}

std::shared_ptr<const Analysis> sampleAnalysis(int tokens) {
  Session s;
  s.input.imageTokenBudget = tokens;
  auto input = std::make_shared<const Input>(loadSessionInput(s));
  return computeAnalysis(s, input, 1, nullptr, JobControl{}, false);
}

}  // namespace

class FigureTests : public QObject {
  Q_OBJECT

 private slots:
  // Issue 27: a panel alone in the middle row (render --panels maps,mixing) is centred at about its
  // own size; several share the row's width as before.
  void aLonePanelInTheMiddleRowIsCentred() {
    auto a = sampleAnalysis(256);
    const int width = 1500;
    FigureComposer lone(a->results, ViewSettings{}, {Panel::Maps, Panel::Mixing}, FigureStyle{}, width);
    const QRect mix = lone.panelRect(Panel::Mixing);
    QVERIFY(!mix.isEmpty());
    QVERIFY2(std::abs(mix.center().x() - width / 2) <= 2, qPrintable(QString::number(mix.center().x())));
    QVERIFY2(mix.width() < width / 2, qPrintable(QString::number(mix.width())));
    QVERIFY(lone.panelRect(Panel::Spectra).isEmpty());
    FigureComposer two(a->results, ViewSettings{}, {Panel::Maps, Panel::Mixing, Panel::Spectra}, FigureStyle{}, width);
    const QRect m2 = two.panelRect(Panel::Mixing), s2 = two.panelRect(Panel::Spectra);
    QCOMPARE(m2.width(), s2.width());
    QVERIFY(m2.left() < width / 10 && s2.right() > width * 9 / 10);
  }

  // Issue 14: exported heatmaps are lossless (no JPEG in the PDF; cells drawn as vector
  // rectangles), and the SVG drawn back looks like the PNG of the same figure.
  void vectorExportsDrawHeatmapsAsCells() {
    auto a = sampleAnalysis(256);
    ViewSettings view;
    view.showImage = false;  // the photo under the maps is a bitmap by nature
    FigureComposer composer(a->results, view, {Panel::Maps, Panel::Mixing}, FigureStyle{}, 1000);
    QTemporaryDir dir;
    const QString pdf = dir.filePath("f.pdf"), svg = dir.filePath("f.svg"), png = dir.filePath("f.png");
    composer.exportTo(pdf, 96);
    composer.exportTo(svg, 96);
    composer.exportTo(png, 96);
    QFile p(pdf), v(svg);
    QVERIFY(p.open(QIODevice::ReadOnly) && v.open(QIODevice::ReadOnly));
    QVERIFY(!p.readAll().contains("DCTDecode"));
    const QByteArray svgText = v.readAll();
    QSvgRenderer renderer(svgText);
    QVERIFY(renderer.isValid());
    const QImage ref(png);
    QImage drawn(ref.size(), QImage::Format_RGB32);
    drawn.fill(Qt::white);
    {
      QPainter painter(&drawn);
      renderer.render(&painter, QRectF(QPointF(0, 0), QSizeF(ref.size())));
    }
    // Mean absolute difference per channel: text antialiasing differs, cells must not.
    double diff = 0;
    for (int y = 0; y < ref.height(); ++y)
      for (int x = 0; x < ref.width(); ++x) {
        const QRgb r = ref.pixel(x, y), d = drawn.pixel(x, y);
        diff += std::abs(qRed(r) - qRed(d)) + std::abs(qGreen(r) - qGreen(d)) + std::abs(qBlue(r) - qBlue(d));
      }
    diff /= 3.0 * ref.width() * ref.height();
    qInfo("SVG drawn back vs PNG: mean |difference| %.2f / 255", diff);
    QVERIFY2(diff < 6.0, qPrintable(QString::number(diff)));
  }

  // Issue 27: the window and `render` draw the maps on one default, the settings table's: a colour
  // scale per map (a shared one left linear's and MHLA's flatter maps blank beside softmax's peak).
  void defaultColourScalesArePerMap() {
    auto a = sampleAnalysis(256);
    QCustomPlot plot;
    plot.resize(1200, 420);
    buildMapsFigure(&plot, *a->results, Session{}.view, FigureStyle{});
    const QList<QCPRange> ranges = scaleRanges(&plot);
    QCOMPARE(ranges.size(), int(a->results->mechanisms.size()));
    QVERIFY2(ranges[1].upper < 0.8 * ranges[0].upper,  // linear's own top, well below softmax's peak
             qPrintable(QString("%1 vs %2").arg(ranges[1].upper).arg(ranges[0].upper)));
  }

  void hoverUpdateEqualsAFreshBuild_data() {
    QTest::addColumn<bool>("sharedScale");
    QTest::addColumn<bool>("logScale");
    QTest::addColumn<bool>("showImage");
    QTest::newRow("shared, linear, over the image") << true << false << true;
    QTest::newRow("independent, log, over the image") << false << true << true;
    QTest::newRow("shared, bare grid") << true << false << false;
  }
  void hoverUpdateEqualsAFreshBuild() {
    QFETCH(bool, sharedScale);
    QFETCH(bool, logScale);
    QFETCH(bool, showImage);
    ViewSettings view;
    view.sharedScale = sharedScale;
    view.logScale = logScale;
    view.showImage = showImage;
    view.overlayOpacity = 0.8;
    const auto analysis = sampleAnalysis(256);
    const Results& pinned = *analysis->results;
    const TokenSet& t = pinned.input->tokens;
    QVERIFY(t.hasGrid());
    // A hovered token far from the pinned one, so every cell's weight changes.
    const int hovered = t.gridFirstToken + 1;
    QVERIFY(hovered != pinned.query);

    QCustomPlot updated, fresh;
    for (QCustomPlot* p : {&updated, &fresh}) p->resize(1200, 420);
    buildMapsFigure(&updated, pinned, view, FigureStyle{});
    QVERIFY(updateMapsRows(&updated, pinned, analysis->rowsFor(hovered), hovered, view));
    buildMapsFigure(&fresh, *withQuery(*analysis, hovered), view, FigureStyle{});

    const auto a = colourMaps(&updated), b = colourMaps(&fresh);
    QCOMPARE(int(a.size()), int(pinned.mechanisms.size()));
    QCOMPARE(a.size(), b.size());
    int alphaCells = 0;
    for (std::size_t k = 0; k < a.size(); ++k) {
      QCOMPARE(a[k]->dataRange(), b[k]->dataRange());
      QCPColorMapData *da = a[k]->data(), *db = b[k]->data();
      for (int r = 0; r < t.gridRows; ++r)
        for (int c = 0; c < t.gridCols; ++c) {
          QCOMPARE(da->cell(c, r), db->cell(c, r));
          QCOMPARE(int(da->alpha(c, r)), int(db->alpha(c, r)));
          alphaCells += da->alpha(c, r) != 255;
        }
    }
    // Over the image the cells fade with their weight; on the bare grid they are opaque.
    QCOMPARE(alphaCells > 0, showImage);
    QCOMPARE(texts(&updated), texts(&fresh));
    QCOMPARE(scaleRanges(&updated), scaleRanges(&fresh));
    for (int i = 0; i < fresh.graphCount(); ++i) {
      QCOMPARE(updated.graph(i)->dataCount(), fresh.graph(i)->dataCount());
      if (fresh.graph(i)->dataCount() > 0) {
        QCOMPARE(updated.graph(i)->data()->begin()->key, fresh.graph(i)->data()->begin()->key);
        QCOMPARE(updated.graph(i)->data()->begin()->value, fresh.graph(i)->data()->begin()->value);
      }
    }
  }

  void hoverUpdateRefusesOtherDisplays() {
    Session s;
    s.source.kind = SourceKind::SampleText;
    s.input.textTokenBudget = 64;
    auto input = std::make_shared<const Input>(loadSessionInput(s));
    const auto analysis = computeAnalysis(s, input, 1, nullptr, JobControl{}, false);
    QCustomPlot plot;
    plot.resize(900, 400);
    buildMapsFigure(&plot, *analysis->results, ViewSettings{}, FigureStyle{});
    QVERIFY(!updateMapsRows(&plot, *analysis->results, analysis->rowsFor(3), 3, ViewSettings{}));
  }

  // After the aspect fit the heatmap's axes span exactly its M×M cells (no widened range), and
  // its cells are square on screen.
  void mixingAxesMatchTheCells_data() {
    QTest::addColumn<int>("tokens");
    QTest::addColumn<int>("blocks");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::newRow("2D, 16 windows, wide panel") << 256 << 16 << 700 << 360;
    QTest::newRow("2D, many windows, tall panel") << 4096 << 64 << 380 << 700;
    QTest::newRow("2D, about 65 windows") << 4096 << 65 << 600 << 420;
  }
  void mixingAxesMatchTheCells() {
    QFETCH(int, tokens);
    QFETCH(int, blocks);
    QFETCH(int, width);
    QFETCH(int, height);
    Session s;
    s.input.imageTokenBudget = tokens;
    s.blocks = blocks;
    auto input = std::make_shared<const Input>(loadSessionInput(s));
    AnalysisFrame frame = beginAnalysis(s, input);
    const Results& res = *frame.results;
    const int m = static_cast<int>(res.mixing.rows());
    QVERIFY(m > 1);
    QCustomPlot plot;
    plot.resize(width, height);
    buildMixingFigure(&plot, res, ViewSettings{}, FigureStyle{});
    plot.replot(QCustomPlot::rpImmediateRefresh);
    for (int pass = 0; pass < 2; ++pass) {  // fitting twice (a resize) changes nothing
      fitAspect(&plot);
      QCPAxisRect* rect = plot.axisRect(0);
      const QCPRange x = rect->axis(QCPAxis::atBottom)->range();
      const QCPRange y = rect->axis(QCPAxis::atLeft)->range();
      QCOMPARE(x.lower, -0.5);
      QCOMPARE(x.upper, m - 0.5);
      QCOMPARE(y.lower, -0.5);
      QCOMPARE(y.upper, m - 0.5);
      QVERIFY2(std::abs(rect->width() - rect->height()) <= 2,
               qPrintable(QString("%1×%2 px").arg(rect->width()).arg(rect->height())));
      QVERIFY(rect->width() > 50);
    }
  }
};

int runFigureTests(int argc, char** argv) {
  FigureTests t;
  return QTest::qExec(&t, argc, argv);
}

#include "test_figures.moc"
