// Session JSON: round trip, defaults, and messages that name the bad field.
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest>

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
    s.view.sharedScale = false;
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
