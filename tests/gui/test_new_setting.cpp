// Issue 22 #3: a setting is one registerSetting() call. This file adds "slidingWindow.window" (the
// window w of the test-only sliding-window kind, read by its mechanism entry) and nothing else in
// the project knows it; it must show up everywhere a setting does: the session file (round trip and
// a named error), compute's and render's flags, help and errors, compute's files, the window's
// controls (an edit re-runs the analysis), what an edit makes stale, and how messages name it.
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>
#include <iostream>
#include <sstream>

#include "attnscope/error.h"
#include "attnscope/npy.h"
#include "cli_in_process.h"
#include "gui/controls_panel.h"
#include "gui/main_window.h"
#include "model/mechanism_registry.h"
#include "session/settings.h"
#include "sliding_window_kind.h"
#include "window_waits.h"

using namespace attnscope;
using namespace attnscope::gui;

namespace {

const char* kKey = "slidingWindow.window";

using Run = attnscope::testing::CliRun;
Run runCli(const QStringList& args) { return attnscope::testing::runCliInProcess(args); }

QJsonObject readJson(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(f.readAll()).object() : QJsonObject();
}

std::int64_t windowOf(const Session& s) { return std::get<std::int64_t>(settingValue(s, kKey)); }

}  // namespace

class NewSettingTest : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    Setting w;
    w.key = kKey;
    w.type = SettingType::Int;
    w.def = std::int64_t(6);
    w.min = 1;
    w.max = 4096;
    w.help = "sliding-window softmax: each query sees the keys within W tokens (default 6)";
    w.flag = "sliding-window";
    w.metavar = "W";
    w.control = ControlKind::Spin;
    w.section = "Sliding window";
    w.label = "window w";
    w.stale = stale::kAnalysis | stale::kTiming;
    registerSetting(std::move(w));

    MechanismEntry e;
    e.id = attnscope::testing::kSlidingWindowId;
    e.displayName = "sliding window";
    e.rgb = 0xB05080;
    e.build = [](const MechanismContext& c) {
      return attnscope::testing::slidingWindowSpec(int(windowOf(c.session)), c.causal, c.session.temperature);
    };
    registerMechanism(std::move(e));
  }

  void cleanupTestCase() {
    unregisterMechanism(attnscope::testing::kSlidingWindowId);
    unregisterSetting(kKey);
    QVERIFY(findSetting(kKey) == nullptr);
  }

  void registrationIsChecked() {
    Setting again;
    again.key = kKey;
    QVERIFY_THROWS_EXCEPTION(InvalidArgument, registerSetting(again));
    Setting inside;  // inside a structured built-in setting's JSON object
    inside.key = "source.extra";
    QVERIFY_THROWS_EXCEPTION(InvalidArgument, registerSetting(inside));
    Setting taken;
    taken.key = "other.thing";
    taken.flag = "blocks";
    QVERIFY_THROWS_EXCEPTION(InvalidArgument, registerSetting(taken));
    Setting badDefault;
    badDefault.key = "other.thing";
    badDefault.min = 1;
    badDefault.max = 2;
    badDefault.def = std::int64_t(5);
    QVERIFY_THROWS_EXCEPTION(InvalidArgument, registerSetting(badDefault));
  }

  void sessionFileRoundTripAndNamedErrors() {
    Session s;
    QCOMPARE(windowOf(s), std::int64_t(6));  // the default until set
    editSetting(s, *findSetting(kKey), std::int64_t(11));
    const QJsonObject json = s.toJson();
    QCOMPARE(json["slidingWindow"].toObject()["window"].toInt(), 11);
    const Session t = Session::fromJson(json);
    QCOMPARE(windowOf(t), std::int64_t(11));
    QCOMPARE(t.toJson(), json);

    for (const char* bad : {R"({"slidingWindow": {"window": 0}})", R"({"slidingWindow": {"window": "wide"}})",
                            R"({"slidingWindow": {"window": 2.5}})"}) {
      try {
        Session::fromJson(QJsonDocument::fromJson(bad).object());
        QFAIL(bad);
      } catch (const FileError& e) {
        QVERIFY2(QString(e.what()).startsWith("session.json: field 'slidingWindow.window' must be an integer in 1..4096"),
                 e.what());
      }
    }
    try {
      Session::fromJson(QJsonDocument::fromJson(R"({"slidingWindow": 3})").object());
      QFAIL("a number where an object belongs");
    } catch (const FileError& e) {
      QVERIFY2(QString(e.what()).contains("field 'slidingWindow' must be an object"), e.what());
    }
  }

  void anEditMakesTheAnalysisStale() {
    Session a, b;
    editSetting(b, *findSetting(kKey), std::int64_t(9));
    const SessionChanges c = Session::changes(a, b);
    QVERIFY(c.analysis && !c.input && !c.query && !c.view);
    QVERIFY(settingsKey(a, stale::kTiming) != settingsKey(b, stale::kTiming));
    QCOMPARE(settingsKey(a, stale::kForward), settingsKey(b, stale::kForward));
  }

  void messagesNameItAsEachFrontEndDoes() {
    const std::string text = "widen it with " + settingRef(kKey) + " or lower " + settingRef("compute.maxDenseN");
    QCOMPARE(wordSettings(text, SettingWording::Flag), std::string("widen it with --sliding-window or lower --max-dense-n"));
    QCOMPARE(wordSettings(text, SettingWording::Control),
             std::string("widen it with “window w” (Sliding window) or lower “dense spectra ≤ N” (Mechanisms)"));
  }

  void commandLineHelpErrorsAndFiles() {
    for (const char* cmd : {"compute", "render"}) {
      const Run help = runCli({cmd, "--help"});
      QCOMPARE(help.code, 0);
      QVERIFY2(help.out.contains("--sliding-window W") && help.out.contains("each query sees the keys within W"),
               qPrintable(help.out));
    }
    const Run bad = runCli({"compute", "--sample", "text", "--sliding-window", "0", "--out-dir", dir_.filePath("x")});
    QCOMPARE(bad.code, 2);
    QVERIFY2(bad.err.contains("--sliding-window: expected an integer in 1..4096, got '0'"), qPrintable(bad.err));

    const QString out = dir_.filePath("w3");
    const Run ok = runCli({"compute", "--sample", "text", "--tokens", "64", "--query", "20", "--sliding-window", "3",
                           "--out-dir", out});
    QVERIFY2(ok.code == 0, qPrintable(ok.err));
    const QString id = attnscope::testing::kSlidingWindowId;
    const QJsonObject metrics = readJson(out + "/metrics.json");
    QCOMPARE(metrics["mechanisms"].toObject()[id].toObject()["label"].toString(),
             QString("sliding-window softmax (w=3)"));
    QCOMPARE(metrics["settings"].toObject()["slidingWindow"].toObject()["window"].toInt(), 3);
    // The row is the kind's with w = 3: zero outside |j − 20| ≤ 3, summing to one inside.
    const MatrixD row = toMatrix(readNpy((out + "/row_" + id + ".npy").toStdString()));
    double inside = 0;
    for (int j = 0; j < 64; ++j) {
      if (std::abs(j - 20) > 3)
        QCOMPARE(row.data()[j], 0.0);
      else
        inside += row.data()[j];
    }
    QVERIFY(std::abs(inside - 1.0) < 1e-6);
    // The saved session carries it, and --session reproduces it.
    const Session saved = loadSession(out + "/session.json");
    QCOMPARE(windowOf(saved), std::int64_t(3));
    const QString again = dir_.filePath("again");
    QCOMPARE(runCli({"compute", "--session", out + "/session.json", "--out-dir", again}).code, 0);
    QCOMPARE(readJson(again + "/metrics.json")["mechanisms"].toObject()[id].toObject()["label"].toString(),
             QString("sliding-window softmax (w=3)"));

    const QString svg = dir_.filePath("w4.svg");
    const Run render = runCli({"render", "--sample", "text", "--tokens", "64", "--sliding-window", "4", "--panels",
                               "maps,metrics", "--out", svg});
    QVERIFY2(render.code == 0, qPrintable(render.err));
    QFile f(svg);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(QString::fromUtf8(f.readAll()).contains("sliding-window softmax (w=4)"));
  }

  void theWindowHasItsControl() {
    MainWindow w;
    w.resize(1500, 950);
    w.show();
    auto* box = qobject_cast<QSpinBox*>(w.controls()->control(kKey));
    QVERIFY(box != nullptr);
    QCOMPARE(box->minimum(), 1);
    QCOMPARE(box->maximum(), 4096);
    QVERIFY(box->toolTip().contains("each query sees the keys within W"));
    Session s;
    s.source.kind = SourceKind::SampleText;
    s.input.textTokenBudget = 64;
    editSetting(s, *findSetting(kKey), std::int64_t(5));
    w.start(s);
    QVERIFY(waits::waitResultsIdle(w));
    QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
    QCOMPARE(box->value(), 5);
    const std::string id = attnscope::testing::kSlidingWindowId;
    QCOMPARE(w.controller()->results()->find(id)->label, std::string("sliding-window softmax (w=5)"));

    box->setValue(8);  // an edit: the analysis runs again with the new w
    QVERIFY(waits::waitResultsIdle(w));
    QCOMPARE(windowOf(w.controller()->session()), std::int64_t(8));
    QCOMPARE(w.controller()->results()->find(id)->label, std::string("sliding-window softmax (w=8)"));
    w.controller()->jobs()->cancel();
    QVERIFY(waits::waitIdle(w));
  }
};

QTEST_MAIN(NewSettingTest)
#include "test_new_setting.moc"
