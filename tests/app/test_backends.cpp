// The backend registry (CUDA listed with its availability and reason; makeBackend refuses an
// unavailable backend with that reason) and the timing figure (one bar series per backend timed,
// a note when the GPU is missing). Runs with and without a GPU: the checks follow what the
// registry reports, and a build without the CUDA backend must report it unavailable.
#include <QtTest>
#include <qcustomplot.h>

#include "attnscope/error.h"
#include "figures/timing_figure.h"
#include "model/backend_registry.h"
#include "model/timing_comparison.h"

using namespace attnscope;

namespace {

BackendEntry cudaEntry() {
  for (const BackendEntry& e : listBackends())
    if (e.name == "cuda") return e;
  return {};
}

TimingResult timing(const char* mechanism, const char* backend, double medianMs) {
  TimingResult t;
  t.mechanism = mechanism;
  t.backend = backend;
  t.n = 1024;
  t.d = 64;
  t.heads = 2;
  t.repeats = 5;
  t.medianMs = medianMs;
  t.minMs = medianMs * 0.9;
  t.maxMs = medianMs * 1.2;
  t.gflops = 10;
  t.includesTransfers = std::string(backend) != "cuda";
  return t;
}

/// Timings of the three mechanisms on the given backends (CPU 10× slower than the GPU).
Results timedResults(const std::vector<const char*>& backends) {
  Results r;
  const char* names[3] = {"softmax", "linear", "mhla"};
  r.mechanisms.resize(3);
  for (int k = 0; k < 3; ++k) {
    r.mechanisms[k].name = names[k];
    for (const char* b : backends)
      r.mechanisms[k].timings.push_back(
          timing(names[k], b, (k + 1) * (std::string(b) == "cuda" ? 0.1 : 1.0)));
  }
  return r;
}

QCPLegend* findLegend(QCustomPlot* plot) {
  for (QCPLayoutElement* e : plot->plotLayout()->elements(true))
    if (auto* l = qobject_cast<QCPLegend*>(e)) return l;
  return nullptr;
}

QStringList legendTexts(QCustomPlot* plot) {
  QStringList out;
  if (QCPLegend* l = findLegend(plot))
    for (int i = 0; i < l->itemCount(); ++i)
      if (auto* item = qobject_cast<QCPPlottableLegendItem*>(l->item(i)))
        out << item->plottable()->name();
  return out;
}

/// Bars that draw a timing (the legend's swatches have no data).
int barsWithData(QCustomPlot* plot) {
  int n = 0;
  for (int i = 0; i < plot->plottableCount(); ++i)
    if (auto* b = qobject_cast<QCPBars*>(plot->plottable(i)); b && b->dataCount() > 0) ++n;
  return n;
}

/// With ATTNSCOPE_SCREENSHOT_DIR set (the screenshot pass), saves the figure for a look.
void saveShot(QCustomPlot* plot, const char* name) {
  const QString dir = qEnvironmentVariable("ATTNSCOPE_SCREENSHOT_DIR");
  if (!dir.isEmpty()) plot->savePng(dir + "/" + name, plot->width(), plot->height());
}

QStringList texts(QCustomPlot* plot) {
  QStringList out;
  for (QCPLayoutElement* e : plot->plotLayout()->elements(true))
    if (auto* t = qobject_cast<QCPTextElement*>(e)) out << t->text();
  return out;
}

}  // namespace

class BackendTests : public QObject {
  Q_OBJECT
 private slots:
  void registryListsCudaWithItsAvailability() {
    const BackendEntry cuda = cudaEntry();
    QCOMPARE(QString::fromStdString(cuda.name), QString("cuda"));
#ifndef ATTNSCOPE_HAVE_CUDA
    QVERIFY(!cuda.availability.ok);
    QVERIFY2(QString::fromStdString(cuda.availability.reason).contains("no CUDA compiler"),
             cuda.availability.reason.c_str());
#endif
    if (cuda.availability.ok) {
      QVERIFY(!cuda.device.empty());
      QVERIFY(cuda.description.find(cuda.device) != std::string::npos);
      const auto b = makeBackend("cuda", 1);
      QCOMPARE(QString::fromStdString(b->name()), QString("cuda"));
      QVERIFY(!b->timesIncludeTransfers());
      QCOMPARE(QString::fromStdString(chooseBackend("gpu").name), QString("cuda"));
      return;
    }
    QVERIFY(!cuda.availability.reason.empty());
    QString message;
    try {
      makeBackend("cuda", 1);
    } catch (const Error& e) {
      message = QString::fromUtf8(e.what());
    }
    QVERIFY2(message.contains("the cuda backend is not available"), qPrintable(message));
    QVERIFY2(message.contains(QString::fromStdString(cuda.availability.reason)),
             qPrintable(message));
    // The window's fallback: eigen, saying which backend and why.
    const BackendChoice choice = chooseBackend("gpu");
    QCOMPARE(QString::fromStdString(choice.name), QString("eigen"));
    QVERIFY(QString::fromStdString(choice.notice)
                .contains(QString::fromStdString(cuda.availability.reason)));
    // The timing comparison runs on the CPU only and says why the GPU is missing.
    const TimingBackends tb = timingBackends(Session{});
    QCOMPARE(int(tb.backends.size()), 1);
    QCOMPARE(QString::fromStdString(tb.backends[0]->name()), QString("eigen"));
    QVERIFY2(QString::fromStdString(tb.note).startsWith("GPU: not available — "), tb.note.c_str());
  }

  void registryKeepsEigenAndNames() {
    QCOMPARE(QString::fromStdString(canonicalBackendName("cpu")), QString("eigen"));
    QCOMPARE(QString::fromStdString(canonicalBackendName("gpu")), QString("cuda"));
    QVERIFY_THROWS_EXCEPTION(InvalidArgument, canonicalBackendName("tpu"));
    QCOMPARE(QString::fromStdString(makeBackend("cpu", 1)->name()), QString("eigen"));
    const BackendChoice eigen = chooseBackend("eigen");
    QCOMPARE(QString::fromStdString(eigen.name), QString("eigen"));
    QVERIFY(eigen.notice.empty());
  }

  void timingLabelsNameTheDeviceAndDeviceTime() {
    QCOMPARE(QString::fromStdString(timingLabel(timing("softmax", "eigen", 1), "X")),
             QString("CPU (Eigen)"));
    QCOMPARE(QString::fromStdString(timingLabel(timing("softmax", "cuda", 1), "NVIDIA H100")),
             QString("GPU (NVIDIA H100, device time)"));
    TimingResult withCopies = timing("softmax", "cuda", 1);
    withCopies.includesTransfers = true;
    QCOMPARE(QString::fromStdString(timingLabel(withCopies, "")), QString("GPU (CUDA)"));
  }

  void timingFigureDrawsOneSeriesPerBackend() {
    QCustomPlot plot;
    plot.resize(600, 320);
    Results two = timedResults({"eigen", "cuda"});
    two.gpuName = "Test GPU";
    two.timingNote = "GPU: not available — stale";  // ignored: the GPU was timed
    buildTimingFigure(&plot, two, FigureStyle{});
    QCOMPARE(legendTexts(&plot), (QStringList{"CPU (Eigen)", "GPU (Test GPU, device time)"}));
    QCOMPARE(barsWithData(&plot), 6);
    QCOMPARE(plot.axisRect()->axis(QCPAxis::atLeft)->scaleType(), QCPAxis::stLogarithmic);
    for (const QString& t : texts(&plot)) QVERIFY2(!t.contains("not available"), qPrintable(t));
    plot.replot();
    saveShot(&plot, "timing-cpu-gpu.png");

    const Results one = [] {
      Results r = timedResults({"eigen"});
      r.timingNote = "GPU: not available — no CUDA driver";
      return r;
    }();
    buildTimingFigure(&plot, one, FigureStyle{});
    QVERIFY(legendTexts(&plot).isEmpty());  // one backend: named in the title
    QVERIFY2(texts(&plot).filter("forward time on CPU (Eigen)").size() == 1,
             qPrintable(texts(&plot).join(" | ")));
    QCOMPARE(barsWithData(&plot), 3);
    QCOMPARE(plot.axisRect()->axis(QCPAxis::atLeft)->scaleType(), QCPAxis::stLinear);
    QVERIFY2(texts(&plot).contains("GPU: not available — no CUDA driver"),
             qPrintable(texts(&plot).join(" | ")));
    plot.replot();
    saveShot(&plot, "timing-cpu-only.png");

    buildTimingFigure(&plot, timedResults({}), FigureStyle{});  // not timed yet
    QCOMPARE(barsWithData(&plot), 0);
    QVERIFY(texts(&plot).contains("not timed"));
  }
};

int runBackendTests(int argc, char** argv) {
  BackendTests t;
  return QTest::qExec(&t, argc, argv);
}

#include "test_backends.moc"
