// One analysis path (issue 11): the window and `attnscope compute` give bit-identical numbers and
// write the same files; a mechanism added to the registry appears in compute's files, render's
// figure and every panel of the window.
#include <cmath>

#include <QDirIterator>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

#include "attnscope/error.h"
#include "attnscope/npy.h"
#include "attnscope/rng.h"
#include "cli/commands.h"
#include "extra_mechanism.h"
#include "sliding_window_kind.h"
#include "gui/figure_panel.h"
#include "gui/main_window.h"
#include "gui/maps_panel.h"
#include "model/mechanism_registry.h"
#include "window_waits.h"

using namespace attnscope;
using namespace attnscope::gui;

namespace {

// The analysis, then spectra and timing: wait until the window has results and nothing runs.
bool waitIdle(MainWindow& w) { return attnscope::gui::waits::waitResultsIdle(w); }

int runCli(const QStringList& args) {
  std::vector<std::string> argv{"attnscope"};
  for (const QString& a : args) argv.push_back(a.toStdString());
  return cli::runCli(argv);
}

QByteArray readAll(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QJsonObject readJson(const QString& path) { return QJsonDocument::fromJson(readAll(path)).object(); }

/// The JSON with every timing entry removed (timings are measured, never equal twice).
QJsonValue withoutTimings(const QJsonValue& v) {
  if (v.isArray()) {
    QJsonArray out;
    for (const QJsonValue& x : v.toArray()) out.append(withoutTimings(x));
    return out;
  }
  if (!v.isObject()) return v;
  QJsonObject out;
  const QJsonObject o = v.toObject();
  for (auto it = o.begin(); it != o.end(); ++it)
    if (it.key() != "timing" && it.key() != "timings" && it.key() != "timing_note")
      out[it.key()] = withoutTimings(it.value());
  return out;
}

QStringList filesIn(const QString& dir) {
  QStringList out = QDir(dir).entryList(QDir::Files, QDir::Name);
  out.removeAll("timing.csv");  // the window times after the spectra; compute only with --timing
  return out;
}

void writeNpyFile(const QString& path, const MatrixD& m) { writeNpy(path.toStdString(), m); }

}  // namespace

class OnePathTest : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    testing::registerExtraMechanism();
    // Q/K/V files of the .npy session: one head, N = 48, d_k = 8, d_v = 6.
    Rng rng(11);
    writeNpyFile(dir_.filePath("q.npy"), rng.normalMatrixD(48, 8));
    writeNpyFile(dir_.filePath("k.npy"), rng.normalMatrixD(48, 8));
    writeNpyFile(dir_.filePath("v.npy"), rng.normalMatrixD(48, 6));
  }
  void cleanupTestCase() { testing::unregisterExtraMechanism(); }

  void windowAndComputeAgree_data() {
    QTest::addColumn<QString>("name");
    QTest::newRow("image") << "image";
    QTest::newRow("text") << "text";
    QTest::newRow("synthetic, mean of heads") << "synthetic";
    QTest::newRow("npy") << "npy";
    QTest::newRow("causal text") << "causal";
    QTest::newRow("official normaliser") << "official";
  }
  // The window's analysis and Export data against `attnscope compute` on the same session: the
  // same files, byte for byte (outputs, rows, spectra, mixing, session), and the same metrics.
  void windowAndComputeAgree() {
    QFETCH(QString, name);
    Session s;
    if (name == "image") {
      s.source.kind = SourceKind::SampleImage;
      s.input.imageTokenBudget = 256;
    } else if (name == "text" || name == "causal" || name == "official") {
      s.source.kind = SourceKind::SampleText;
      s.input.textTokenBudget = 96;
      s.causal = name == "causal";
      if (name == "official") {
        s.blocks = 8;  // 96 tokens in 8 equal blocks: what the official normaliser needs
        s.normaliser = Normaliser::Official;
      }
    } else if (name == "synthetic") {
      s.source.kind = SourceKind::Synthetic;
      s.input.syntheticN = 160;
      s.input.heads = 3;
      s.input.dHead = 16;
      s.head = Session::kHeadMean;
    } else {
      s.source.kind = SourceKind::Npy;
      s.source.qPath = dir_.filePath("q.npy").toStdString();
      s.source.kPath = dir_.filePath("k.npy").toStdString();
      s.source.vPath = dir_.filePath("v.npy").toStdString();
      s.blocks = 6;
      s.mixing = "gaussian";
    }
    s.seed = 7;
    const QString sessionFile = dir_.filePath(name + ".json");
    saveSession(s, sessionFile);
    const QString cliDir = dir_.filePath(name + "-cli"), guiDir = dir_.filePath(name + "-gui");
    QCOMPARE(runCli({"compute", "--session", sessionFile, "--matrices", "--out-dir", cliDir}), 0);

    MainWindow w;
    w.resize(1400, 900);
    w.show();
    w.start(s);
    QVERIFY(waitIdle(w));
    QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
    QVERIFY2(!w.exportDataTo(guiDir).isEmpty(), qPrintable(w.lastError()));

    const QStringList files = filesIn(cliDir);
    QCOMPARE(filesIn(guiDir), files);
    for (const char* must : {"output_softmax.npy", "row_mhla.npy", "spectrum_linear.npy",
                             "matrix_mhla.npy", "rows.csv", "mixing.npy", "session.json"})
      QVERIFY2(files.contains(must), must);
    for (const QString& f : files) {
      if (f == "metrics.json") continue;
      QVERIFY2(readAll(cliDir + "/" + f) == readAll(guiDir + "/" + f),
               qPrintable(f + " differs between compute and the window"));
    }
    const QJsonValue cli = withoutTimings(readJson(cliDir + "/metrics.json"));
    const QJsonValue gui = withoutTimings(readJson(guiDir + "/metrics.json"));
    QVERIFY(cli.toObject().contains("mechanisms"));
    QCOMPARE(gui, cli);
    w.controller()->jobs()->cancel();
  }

  // The test-only mechanism of extra_mechanism.cpp in compute's files, render's figure and the
  // window's panels.
  void extraMechanismAppearsEverywhere() {
    const QString id = testing::kExtraId, label = testing::kExtraLabel;
    const QString out = dir_.filePath("extra-cli");
    QCOMPARE(runCli({"compute", "--sample", "image", "--tokens", "144", "--out-dir", out}), 0);
    for (const QString& f : {"output_" + id + ".npy", "row_" + id + ".npy",
                             "spectrum_" + id + ".npy"})
      QVERIFY2(QFile::exists(out + "/" + f), qPrintable(f));
    const QJsonObject metrics = readJson(out + "/metrics.json");
    QVERIFY(metrics["mechanisms"].toObject().contains(id));
    QCOMPARE(metrics["mechanism_order"].toArray().size(), 4);
    QCOMPARE(metrics["mechanisms"].toObject()[id].toObject()["label"].toString(), label);
    QVERIFY(readAll(out + "/rows.csv").startsWith("token,softmax,linear,mhla," + id.toUtf8()));
    // The extra's row is linear attention with φ = softplus: a different map from linear's.
    QVERIFY(readAll(out + "/row_" + id + ".npy") != readAll(out + "/row_linear.npy"));

    const QString svg = dir_.filePath("extra.svg");
    QCOMPARE(runCli({"render", "--sample", "image", "--tokens", "144", "--panels",
                     "maps,spectra,timing,metrics", "--repeats", "1", "--out", svg}),
             0);
    // Titles, legends, ticks and table headers are text in the SVG: the maps' title and the
    // metrics header show the label, the spectra legend and the timing ticks the id.
    const QString text = QString::fromUtf8(readAll(svg));
    QVERIFY2(text.count(label) >= 2, qPrintable(QString::number(text.count(label))));
    QVERIFY2(text.count(id) >= 2, qPrintable(QString::number(text.count(id))));

    MainWindow w;
    w.resize(1500, 950);
    w.show();
    Session s;
    s.input.imageTokenBudget = 144;
    w.start(s);
    QVERIFY(waitIdle(w));
    const auto res = w.controller()->results();
    QCOMPARE(int(res->mechanisms.size()), 4);
    QCOMPARE(QString::fromStdString(res->mechanisms[3].name), id);
    QVERIFY(!res->mechanisms[3].spectra.empty());
    QVERIFY(!res->mechanisms[3].timings.empty());
    int maps = 0;
    for (int i = 0; i < w.mapsPanel()->plot()->plottableCount(); ++i)
      maps += qobject_cast<QCPColorMap*>(w.mapsPanel()->plot()->plottable(i)) != nullptr;
    QCOMPARE(maps, 4);
    QCOMPARE(int(w.mapsPanel()->rows().size()), 4);
    auto texts = [](QCustomPlot* plot) {
      QStringList t;
      for (QCPLayoutElement* e : plot->plotLayout()->elements(true))
        if (auto* x = qobject_cast<QCPTextElement*>(e)) t << x->text();
      for (int i = 0; i < plot->plottableCount(); ++i) t << plot->plottable(i)->name();
      return t.join('\n');
    };
    QVERIFY(texts(w.mapsPanel()->plot()).contains(label));
    QVERIFY(texts(w.spectraPanel()->plot()).contains(id));
    // Hovering another token gives four rows.
    int hoveredRows = -1;
    connect(w.controller(), &ExplorerController::rowsReady, this,
            [&](const std::vector<VectorD>& rows, int) { hoveredRows = int(rows.size()); });
    w.controller()->hover(3);
    QCOMPARE(hoveredRows, 4);
    w.controller()->jobs()->cancel();
  }
  // A new kind of attention (tests/kinds/sliding_window_kind.cpp, a core plug-in) behind one
  // registry entry: compute's files and metrics, render's PNG and SVG, the window's panels and
  // hover rows — no other file knows it.
  void newKindAppearsEverywhere() {
    const QString id = testing::kSlidingWindowId, label = "sliding-window softmax (w=6)";
    MechanismEntry e;
    e.id = testing::kSlidingWindowId;
    e.displayName = "sliding window";
    e.rgb = 0xB05080;
    e.build = [](const MechanismContext& c) {
      return testing::slidingWindowSpec(6, c.causal, c.session.temperature);
    };
    registerMechanism(std::move(e));
    struct Unregister {
      ~Unregister() { unregisterMechanism(testing::kSlidingWindowId); }
    } unregister;

    const QString out = dir_.filePath("window-cli");
    QCOMPARE(runCli({"compute", "--sample", "text", "--tokens", "64", "--query", "20", "--out-dir", out}), 0);
    for (const QString& f : {"output_" + id + ".npy", "row_" + id + ".npy", "spectrum_" + id + ".npy"})
      QVERIFY2(QFile::exists(out + "/" + f), qPrintable(f));
    const QJsonObject metrics = readJson(out + "/metrics.json");
    QCOMPARE(metrics["mechanisms"].toObject()[id].toObject()["label"].toString(), label);
    // The exported row is the kind's: softmax weights inside |j − 20| ≤ 6, zero outside.
    const MatrixD row = toMatrix(readNpy((out + "/row_" + id + ".npy").toStdString()));
    QCOMPARE(int(row.size()), 64);
    double inside = 0;
    for (int j = 0; j < 64; ++j) {
      if (std::abs(j - 20) > 6) QCOMPARE(row.data()[j], 0.0);
      else inside += row.data()[j];
    }
    QVERIFY(std::abs(inside - 1.0) < 1e-6);

    for (const QString ext : {"svg", "png"}) {
      const QString fig = dir_.filePath("window." + ext);
      QCOMPARE(runCli({"render", "--sample", "text", "--tokens", "64", "--panels", "maps,spectra,metrics",
                       "--out", fig}),
               0);
      QVERIFY(QFileInfo(fig).size() > 1000);
      if (ext == "svg") QVERIFY(QString::fromUtf8(readAll(fig)).contains(label));
    }

    // bench times it by its id; an unknown id's error lists it among the choices.
    const QString json = dir_.filePath("window-bench.json");
    QCOMPARE(runCli({"bench", "--mechanisms", id, "--n", "64,100", "--repeats", "1", "--json", json}), 0);
    const QJsonArray timed = QJsonDocument::fromJson(readAll(json)).array();
    QCOMPARE(timed.size(), 2);
    for (const QJsonValue& t : timed) QCOMPARE(t.toObject()["mechanism"].toString(), id);
    QCOMPARE(runCli({"bench", "--mechanisms", "no-such-kind", "--n", "64"}), 2);
    try {
      mechanismEntry("no-such-kind");
      QFAIL("an unknown mechanism was found");
    } catch (const InvalidArgument& e) {
      QVERIFY2(QString(e.what()).contains(id), e.what());
    }

    MainWindow w;
    w.resize(1500, 950);
    w.show();
    Session s;
    s.source.kind = SourceKind::SampleText;
    s.input.textTokenBudget = 64;
    w.start(s);
    QVERIFY(waitIdle(w));
    QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
    const auto res = w.controller()->results();
    const MechanismResult* mr = res->find(id.toStdString());
    QVERIFY(mr != nullptr);
    QCOMPARE(QString::fromStdString(mr->label), label);
    QVERIFY(!mr->spectra.empty());
    QCOMPARE(int(w.mapsPanel()->rows().size()), int(res->mechanisms.size()));
    int hoveredRows = -1;
    connect(w.controller(), &ExplorerController::rowsReady, this,
            [&](const std::vector<VectorD>& rows, int) { hoveredRows = int(rows.size()); });
    w.controller()->hover(3);
    QCOMPARE(hoveredRows, int(res->mechanisms.size()));
    w.controller()->jobs()->cancel();
    QVERIFY(waitIdle(w));
  }
};

QTEST_MAIN(OnePathTest)
#include "test_one_path.moc"
