// Session JSON: round trip, defaults, and messages that name the bad field; the consistency rules
// (what one edit clears) and which work an edit makes stale.
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest>
#include <signal.h>
#include <sys/resource.h>
#include <functional>
#include <vector>

#include "attnscope/error.h"
#include "session/session.h"

using namespace attnscope;

class SessionTest : public QObject {
  Q_OBJECT

 private:
  static QString failure(const QByteArray& json) {
    try {
      Session::fromJson(QJsonDocument::fromJson(json).object(), "session.json");
    } catch (const FileError& e) {
      return QString::fromStdString(e.what());
    }
    return QString();
  }

 private slots:
  // Issue 15: a session file is small and says what it is.
  void oversizedOrForeignFilesAreRefused() {
    QTemporaryDir dir;
    const QString big = dir.filePath("big.json");
    {
      QFile f(big);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("{\"x\": [");
      const QByteArray chunk(1 << 20, ' ');
      for (int i = 0; i < 17; ++i) f.write(chunk);
      f.write("]}");
    }
    try {
      loadSession(big);
      QFAIL("a 17 MiB session was read");
    } catch (const FileError& e) {
      QVERIFY2(QString(e.what()).contains("more than the 16 MiB"), e.what());
    }
    try {
      Session::fromJson(QJsonObject{{"format", "something-else"}}, "other.json");
      QFAIL("a foreign format was accepted");
    } catch (const FileError& e) {
      QVERIFY2(QString(e.what()).contains("other.json: field 'format'"), e.what());
    }
    // Without the field (hand-written) it is read.
    QCOMPARE(Session::fromJson(QJsonObject{{"seed", "5"}}).seed, std::uint64_t(5));
  }

  // A full disk (a file-size limit) while saving: an error, and the old session file survives.
  void aFailedSaveKeepsTheOldFile() {
    QTemporaryDir dir;
    const QString path = dir.filePath("s.json");
    Session good;
    good.seed = 42;
    saveSession(good, path);
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray before = f.readAll();
    f.close();
    Session bigger = good;
    bigger.seed = 43;
    bigger.customMixing = MatrixD::Constant(40, 40, 1.0 / 40);  // a much longer file
    const auto oldHandler = ::signal(SIGXFSZ, SIG_IGN);
    rlimit saved{};
    ::getrlimit(RLIMIT_FSIZE, &saved);
    rlimit lim = saved;
    lim.rlim_cur = before.size() + 100;
    ::setrlimit(RLIMIT_FSIZE, &lim);
    bool threw = false;
    try {
      saveSession(bigger, path);
    } catch (const FileError& e) {
      threw = QString(e.what()).contains("s.json: cannot write");
    }
    ::setrlimit(RLIMIT_FSIZE, &saved);
    ::signal(SIGXFSZ, oldHandler);
    QVERIFY(threw);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), before);
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{"s.json"});
  }

  void roundTripKeepsEveryField() {
    Session s;
    s.source.kind = SourceKind::Npy;
    s.source.qPath = "/data/q.npy";
    s.source.kPath = "/data/k.npy";
    s.source.vPath = "/data/v.npy";
    s.source.gridRows = 14;
    s.source.gridCols = 14;
    s.source.gridFirstToken = 1;
    s.input.heads = 2;
    s.input.positionWeight = 0.25;
    s.seed = 12345678901234567ULL;  // beyond 2^53: kept exactly
    s.head = Session::kHeadMean;
    s.queryRow = 3;
    s.queryCol = 4;
    s.temperature = 0.5;
    s.featureMap = FeatureMapKind::Favor;
    s.favorFeatures = 128;
    s.windowRows = 2;
    s.windowCols = 7;
    s.mixing = "exp";
    s.customMixing = MatrixD::Identity(3, 3);
    s.normaliser = Normaliser::Official;
    s.causal = true;
    s.threads = 3;
    s.spectrumRelTol = 1e-6;
    s.matrixBudgetBytes = 123456789;
    s.view.colormap = "magma";
    s.view.logScale = true;
    s.view.sharedScale = true;
    s.view.overlayOpacity = 0.3;

    const QByteArray text = QJsonDocument(s.toJson()).toJson();
    const Session t = Session::fromJson(QJsonDocument::fromJson(text).object());
    QCOMPARE(QJsonDocument(t.toJson()).toJson(), text);
    QCOMPARE(t.seed, s.seed);
    QCOMPARE(t.head, Session::kHeadMean);
    QCOMPARE(t.queryRow, 3);
    QVERIFY(t.featureMap == FeatureMapKind::Favor);
    QVERIFY(t.normaliser == Normaliser::Official);
    QVERIFY(t.customMixing.isApprox(s.customMixing));
    QCOMPARE(t.matrixBudgetBytes, s.matrixBudgetBytes);
    QCOMPARE(t.view.colormap, std::string("magma"));
  }

  void emptyObjectGivesDefaultsAndUnknownKeysAreIgnored() {
    const Session s = Session::fromJson(
        QJsonDocument::fromJson(R"({"version": 1, "futureKey": {"x": 1}})").object());
    QVERIFY(s.source.kind == SourceKind::SampleImage);
    QCOMPARE(s.head, 0);
    QCOMPARE(s.blocks, 0);
    QCOMPARE(s.mixing, std::string("cos"));
  }

  void corruptFieldsAreNamed_data() {
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("field");
    QTest::newRow("blocks") << QByteArray(R"({"mhla": {"blocks": -3}})") << "mhla.blocks";
    QTest::newRow("blocks string") << QByteArray(R"({"mhla": {"blocks": "eight"}})") << "mhla.blocks";
    QTest::newRow("blocks fraction") << QByteArray(R"({"mhla": {"blocks": 2.5}})") << "mhla.blocks";
    QTest::newRow("mixing") << QByteArray(R"({"mhla": {"mixing": "bogus"}})") << "mhla.mixing";
    QTest::newRow("custom") << QByteArray(R"({"mhla": {"customMixing": [[1, 2], [3]]}})") << "mhla.customMixing";
    QTest::newRow("negative mixing") << QByteArray(R"({"mhla": {"customMixing": [[1, -2], [3, 1]]}})") << "mhla.customMixing";
    QTest::newRow("feature map") << QByteArray(R"({"featureMap": {"kind": "tanh"}})") << "featureMap.kind";
    QTest::newRow("temperature") << QByteArray(R"({"softmax": {"temperature": 0}})") << "softmax.temperature";
    QTest::newRow("head") << QByteArray(R"({"head": "some"})") << "head";
    QTest::newRow("source kind") << QByteArray(R"({"source": {"kind": "video"}})") << "source.kind";
    QTest::newRow("missing path") << QByteArray(R"({"source": {"kind": "image"}})") << "source.path";
    QTest::newRow("npy without v") << QByteArray(R"({"source": {"kind": "npy", "q": "a", "k": "b"}})") << "source.v";
    QTest::newRow("heads") << QByteArray(R"({"input": {"heads": 0}})") << "input.heads";
    QTest::newRow("causal") << QByteArray(R"({"causal": "yes"})") << "causal";
    QTest::newRow("opacity") << QByteArray(R"({"view": {"overlayOpacity": 2}})") << "view.overlayOpacity";
    QTest::newRow("version") << QByteArray(R"({"version": 99})") << "version";
    QTest::newRow("seed") << QByteArray(R"({"seed": -1})") << "seed";
  }
  void corruptFieldsAreNamed() {
    QFETCH(QByteArray, json);
    QFETCH(QString, field);
    const QString msg = failure(json);
    QVERIFY2(msg.startsWith("session.json: field '" + field + "'"), qPrintable(msg));
  }

  void fileErrorsNameTheFile() {
    QTemporaryDir dir;
    const QString bad = dir.filePath("bad.json");
    QFile f(bad);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{ not json");
    f.close();
    try {
      loadSession(bad);
      QFAIL("no error");
    } catch (const FileError& e) {
      QVERIFY(QString(e.what()).contains("bad.json"));
    }
    try {
      loadSession(dir.filePath("missing.json"));
      QFAIL("no error");
    } catch (const FileError& e) {
      QVERIFY(QString(e.what()).contains("missing.json"));
    }
  }

  // Each part of SessionChanges is set when, and only when, a field of its JSON object changes.
  void changesFollowTheJsonObjects() {
    struct Case {
      const char* field;
      std::function<void(Session&)> edit;
      SessionChanges expected;
    };
    const SessionChanges input{true, true, false, false}, analysis{false, true, false, false},
        query{false, false, true, false}, view{false, false, false, true};
    const std::vector<Case> cases{
        {"source.kind", [](Session& s) { s.source.kind = SourceKind::Synthetic; }, input},
        {"source.path", [](Session& s) { s.source.path = "/x.png"; }, input},
        {"source.grid", [](Session& s) {
           s.source.kind = SourceKind::Npy;
           s.source.gridRows = 3;
         }, input},
        {"input.imageTokenBudget", [](Session& s) { s.input.imageTokenBudget = 64; }, input},
        {"input.patchSize", [](Session& s) { s.input.patchSize = 8; }, input},
        {"input.heads", [](Session& s) { s.input.heads = 2; }, input},
        {"input.dModel", [](Session& s) { s.input.dModel = 64; }, input},
        {"input.positionWeight", [](Session& s) { s.input.positionWeight = 0.25; }, input},
        {"input.syntheticTieQK", [](Session& s) { s.input.syntheticTieQK = true; }, input},
        {"seed", [](Session& s) { s.seed = 5000000000ULL; }, input},
        {"head", [](Session& s) { s.head = Session::kHeadMean; }, analysis},
        {"temperature", [](Session& s) { s.temperature = 0.001; }, analysis},
        {"featureMap", [](Session& s) { s.featureMap = FeatureMapKind::Favor; }, analysis},
        {"favorFeatures", [](Session& s) { s.favorFeatures = 300; }, analysis},
        {"blocks", [](Session& s) { s.blocks = 4; }, analysis},
        {"windows", [](Session& s) { s.windowRows = s.windowCols = 4; }, analysis},
        {"mixing", [](Session& s) { s.mixing = "identity"; }, analysis},
        {"mixingFile", [](Session& s) { s.mixingFile = "/m.csv"; }, analysis},
        {"customMixing", [](Session& s) { s.customMixing = MatrixD::Identity(2, 2); }, analysis},
        {"normaliser", [](Session& s) { s.normaliser = Normaliser::Official; }, analysis},
        {"causal", [](Session& s) { s.causal = true; }, analysis},
        {"backend", [](Session& s) { s.backend = "cuda"; }, analysis},
        {"threads", [](Session& s) { s.threads = 3; }, analysis},
        {"spectrumRelTol", [](Session& s) { s.spectrumRelTol = 1e-6; }, analysis},
        {"matrixBudgetBytes", [](Session& s) { s.matrixBudgetBytes = 123456789; }, analysis},
        {"query", [](Session& s) { s.pinQuery(5); }, query},
        {"query cell", [](Session& s) { s.pinQueryCell(2, 3); }, query},
        {"colormap", [](Session& s) { s.view.colormap = "magma"; }, view},
        {"logScale", [](Session& s) { s.view.logScale = true; }, view},
        {"sharedScale", [](Session& s) { s.view.sharedScale = true; }, view},
        {"overlayOpacity", [](Session& s) { s.view.overlayOpacity = 0.3; }, view},
        {"showImage", [](Session& s) { s.view.showImage = false; }, view},
    };
    auto same = [](const SessionChanges& a, const SessionChanges& b) {
      return a.input == b.input && a.analysis == b.analysis && a.query == b.query &&
             a.view == b.view;
    };
    for (const Case& c : cases) {
      Session s;
      c.edit(s);
      const SessionChanges got = Session::changes(Session{}, s);
      QVERIFY2(same(got, c.expected), c.field);
      QVERIFY2(same(Session::changes(s, Session{}), c.expected), c.field);  // and back
    }
    QVERIFY(!Session::changes(Session{}, Session{}).any());
    // Two parts at once.
    Session s;
    s.temperature = 2;
    s.view.logScale = true;
    const SessionChanges both = Session::changes(Session{}, s);
    QVERIFY(both.analysis && both.view && !both.input && !both.query);
  }

  // A setting added to toJson later is covered without being listed: it counts as analysis.
  void anUnknownTopLevelKeyCountsAsAnalysis() {
    const QJsonObject base = Session{}.toJson();
    QJsonObject later = base;
    later["attention-dropout"] = QJsonObject{{"rate", 0.1}};
    const SessionChanges added = Session::changes(base, later);
    QVERIFY(added.analysis && !added.input && !added.query && !added.view);
    QJsonObject changed = later;
    changed["attention-dropout"] = QJsonObject{{"rate", 0.2}};
    const SessionChanges c = Session::changes(later, changed);
    QVERIFY(c.analysis && !c.input && !c.query && !c.view);
  }

  void rulesClearWhatAnEditInvalidates() {
    Session pinned;
    pinned.pinQuery(7);
    pinned.customMixing = MatrixD::Identity(4, 4);
    pinned.mixingFile = "/m.csv";
    pinned.windowRows = pinned.windowCols = 4;

    // New input: the query and the hand-edited mixing go; the same input keeps them.
    Session s = pinned;
    s.setSource(pinned.source);
    QCOMPARE(s.query, 7);
    QCOMPARE(s.customMixing.rows(), 4);
    SessionSource text;
    text.kind = SourceKind::Text;
    text.path = "/notes.txt";
    s.setSource(text);
    QCOMPARE(s.query, -1);
    QCOMPARE(s.customMixing.size(), 0);
    QCOMPARE(s.mixingFile, std::string("/m.csv"));
    QCOMPARE(s.source.path, std::string("/notes.txt"));

    // Blocks: the windows and the M×M mixing go; the same layout keeps the mixing.
    s = pinned;
    s.setBlocks(9);
    QCOMPARE(s.blocks, 9);
    QCOMPARE(s.windowRows, 0);
    QCOMPARE(s.windowCols, 0);
    QCOMPARE(s.customMixing.size(), 0);
    QVERIFY(s.mixingFile.empty());
    QCOMPARE(s.query, 7);
    s.setCustomMixing(MatrixD::Identity(9, 9));
    s.setBlocks(9);
    QCOMPARE(s.customMixing.rows(), 9);

    // Windows: blocks back to 0, mixing goes; clearing windows keeps blocks.
    s.setWindows(2, 3);
    QCOMPARE(s.blocks, 0);
    QCOMPARE(s.windowRows, 2);
    QCOMPARE(s.windowCols, 3);
    QCOMPARE(s.customMixing.size(), 0);
    s.setCustomMixing(MatrixD::Identity(2, 2));
    s.setWindows(2, 3);
    QCOMPARE(s.customMixing.rows(), 2);
    s.blocks = 5;
    s.setWindows(0, 7);
    QCOMPARE(s.windowRows, 0);
    QCOMPARE(s.windowCols, 0);
    QCOMPARE(s.blocks, 5);

    // Mixing: an init clears the file and the hand edit; a file clears the hand edit.
    s = pinned;
    s.setMixingFile("/other.npy");
    QCOMPARE(s.customMixing.size(), 0);
    QCOMPARE(s.mixingFile, std::string("/other.npy"));
    s.setCustomMixing(MatrixD::Identity(4, 4));
    s.setMixingInit("identity");
    QCOMPARE(s.mixing, std::string("identity"));
    QCOMPARE(s.customMixing.size(), 0);
    QVERIFY(s.mixingFile.empty());
    s = pinned;
    s.resetMixing();
    QCOMPARE(s.customMixing.size(), 0);
    QVERIFY(s.mixingFile.empty());
    QCOMPARE(s.mixing, pinned.mixing);

    // Query.
    s.pinQueryCell(2, 3);
    QCOMPARE(s.query, -1);
    QCOMPARE(s.queryRow, 2);
    s.pinQuery(4);
    QCOMPARE(s.queryRow, -1);
    QCOMPARE(s.queryCol, -1);
    s.clearQuery();
    QCOMPARE(s.query, -1);

    // Fitting to a loaded input: what it lacks goes back to automatic / head 0.
    s = pinned;
    s.head = 3;
    s.fitToInput(64, 8, 8, 4);
    QCOMPARE(s.query, 7);
    QCOMPARE(s.head, 3);
    s.fitToInput(7, 0, 0, 2);
    QCOMPARE(s.query, -1);
    QCOMPARE(s.head, 0);
    s.pinQueryCell(2, 3);
    s.fitToInput(64, 8, 8, 1);
    QCOMPARE(s.queryRow, 2);
    s.fitToInput(64, 8, 3, 1);
    QCOMPARE(s.queryRow, -1);
    QCOMPARE(s.queryCol, -1);
    s.head = Session::kHeadMean;
    s.fitToInput(64, 8, 8, 1);
    QCOMPARE(s.head, Session::kHeadMean);
  }

  void relativePathsResolveAgainstTheSessionFolder() {
    QTemporaryDir dir;
    Session s;
    s.source.kind = SourceKind::Text;
    s.source.path = "notes.txt";
    saveSession(s, dir.filePath("s.json"));
    const Session t = loadSession(dir.filePath("s.json"));
    QCOMPARE(QString::fromStdString(t.source.path), QDir(dir.path()).absoluteFilePath("notes.txt"));
  }
};

QTEST_GUILESS_MAIN(SessionTest)
#include "test_session.moc"
