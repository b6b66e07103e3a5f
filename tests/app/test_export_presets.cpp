// Export presets (issue 29): "single column (3.5 in)", "double column (7.16 in)" and "slide 16:9"
// make a figure exactly that wide as PNG (pixels / dpi), SVG (its width attribute) and PDF (the page),
// through FigureComposer and through `attnscope render --preset` (the binary in $ATTNSCOPE_BIN).
#include <QFile>
#include <QImage>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>

#include "figures/export_presets.h"
#include "figures/figure_composer.h"
#include "figures/figure_style.h"
#include "model/analysis.h"

using namespace attnscope;

namespace {

std::shared_ptr<const Analysis> sampleAnalysis() {
  Session s;
  s.input.imageTokenBudget = 64;
  auto input = std::make_shared<const Input>(loadSessionInput(s));
  return computeAnalysis(s, input, 1, nullptr, JobControl{}, false);
}

QByteArray readAll(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

/// The SVG's width attribute in inches (QSvgGenerator writes millimetres).
double svgWidthInches(const QByteArray& svg) {
  const QRegularExpressionMatch m = QRegularExpression(R"(<svg[^>]*\swidth="([0-9.]+)mm")").match(QString::fromUtf8(svg));
  return m.hasMatch() ? m.captured(1).toDouble() / 25.4 : -1;
}

/// The first MediaBox's width in inches.
double pdfWidthInches(const QByteArray& pdf) {
  const QRegularExpressionMatch m =
      QRegularExpression(R"(/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\])").match(QString::fromLatin1(pdf));
  return m.hasMatch() ? m.captured(1).toDouble() / 72.0 : -1;
}

}  // namespace

class ExportPresetTests : public QObject {
  Q_OBJECT

 private slots:
  void presetsAreTheAskedWidths() {
    QCOMPARE(int(exportPresets().size()), 3);
    QCOMPARE(findExportPreset("single-column").widthInches, 3.5);
    QCOMPARE(findExportPreset("double-column").widthInches, 7.16);
    QVERIFY(std::abs(findExportPreset("slide-16x9").widthInches - 13.333) < 0.001);
    QVERIFY_THROWS_EXCEPTION(InvalidArgument, findExportPreset("a4"));
  }

  void everyFormatIsThePresetsWidth() {
    const auto a = sampleAnalysis();
    QTemporaryDir dir;
    for (const ExportPreset& p : exportPresets()) {
      FigureStyle style;
      style.scale = p.fontScale;
      FigureComposer composer(a->results, ViewSettings{}, {Panel::Maps}, style, p.layoutWidth());
      const QString png = dir.filePath(QString::fromStdString(p.id) + ".png");
      const QString svg = dir.filePath(QString::fromStdString(p.id) + ".svg");
      const QString pdf = dir.filePath(QString::fromStdString(p.id) + ".pdf");
      composer.exportTo(png, p.pngDpi, p.pixelsPerInch);
      composer.exportTo(svg, p.pngDpi, p.pixelsPerInch);
      composer.exportTo(pdf, p.pngDpi, p.pixelsPerInch);
      const QImage image(png);
      QVERIFY(!image.isNull());
      // pixels = inches × dpi (±1 for rounding), and the PNG says that dpi.
      QVERIFY2(std::abs(image.width() - p.widthInches * p.pngDpi) <= 1.0,
               qPrintable(QString("%1: %2 px").arg(QString::fromStdString(p.id)).arg(image.width())));
      QVERIFY(std::abs(image.dotsPerMeterX() * 0.0254 - p.pngDpi) < 1.0);
      const double svgInches = svgWidthInches(readAll(svg));
      QVERIFY2(std::abs(svgInches - p.widthInches) < 0.02, qPrintable(QString::number(svgInches)));
      const QByteArray pdfBytes = readAll(pdf);
      const double pdfInches = pdfWidthInches(pdfBytes);
      QVERIFY2(std::abs(pdfInches - p.widthInches) < 0.02, qPrintable(QString::number(pdfInches)));
      // The fonts are embedded (what pdffonts lists as "emb yes"): every font descriptor object
      // carries a font file stream, so no font is left to the reader's substitutes.
      const qsizetype descriptors = pdfBytes.count("/Type/FontDescriptor") + pdfBytes.count("/Type /FontDescriptor");
      QVERIFY2(descriptors > 0 && pdfBytes.count("/FontFile") == descriptors,
               qPrintable(QString("%1 font descriptors, %2 embedded font files").arg(descriptors).arg(pdfBytes.count("/FontFile"))));
    }
  }

  void renderPresetOnTheCommandLine() {
    const QString bin = qEnvironmentVariable("ATTNSCOPE_BIN");
    QVERIFY(!bin.isEmpty());
    QTemporaryDir dir;
    const QString out = dir.filePath("col.png");
    QProcess p;
    p.start(bin, {"render", "--sample", "text", "--panels", "maps", "--preset", "single-column", "--out", out});
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitCode(), 0);
    QVERIFY2(QString::fromUtf8(p.readAllStandardError()).contains("(3.50 × "), "the size is reported");
    const QImage image(out);
    QVERIFY(std::abs(image.width() - 3.5 * 300) <= 1.0);
    // --dpi still chooses the density: the same 3.5 in at 600 dpi.
    p.start(bin, {"render", "--sample", "text", "--panels", "maps", "--preset", "single-column", "--dpi", "600",
                  "--out", out});
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitCode(), 0);
    QVERIFY(std::abs(QImage(out).width() - 3.5 * 600) <= 1.0);
    // Usage errors: an unknown preset (the message lists the ids), and --preset with --width.
    p.start(bin, {"render", "--sample", "text", "--preset", "a4", "--out", out});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(QString::fromUtf8(p.readAllStandardError()).contains("single-column, double-column, slide-16x9"));
    p.start(bin, {"render", "--sample", "text", "--preset", "slide-16x9", "--width", "900", "--out", out});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 2);
  }
};

QTEST_MAIN(ExportPresetTests)
#include "test_export_presets.moc"
