// Issue 23 end to end: the `attnscope` binary on hostile model files and inputs. Each case once
// crashed (deep JSON: SIGSEGV), hung (a FIFO shard), took gigabytes (a 64 MiB text for 7 tokens) or
// said the wrong thing; now each is exit 0 or exit 1 with a short message naming the file.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "cli_runner.h"
#include "st_writer.h"

using namespace attnscope;
using namespace attnscope::test;

namespace {

void writeText(const QString& path, const QByteArray& bytes) {
  QFile f(path);
  QVERIFY(f.open(QIODevice::WriteOnly));
  f.write(bytes);
}

/// The tiny GPT-2 (vocabulary 11) with a tokenizer of its own 6 tokens for texts of "ab ab …":
/// "a" 0, "b" 1, "Ġ" 2, "ab" 3, "Ġa" 4, "Ġab" 5.
QString gpt2Folder(const QString& dir, TinyModel m = tinyGpt2()) {
  QDir().mkpath(dir);
  writeCheckpoint(dir.toStdString(), m);
  writeText(dir + "/vocab.json", R"({"a": 0, "b": 1, "Ġ": 2, "ab": 3, "Ġa": 4, "Ġab": 5})");
  writeText(dir + "/merges.txt", "#version: 0.2\na b\nĠ a\nĠa b\n");
  return dir;
}

TinyModel withConfig(TinyModel m, const QString& from, const QString& to) {
  const QString cfg = QString::fromStdString(m.config);
  if (!cfg.contains(from)) qWarning("config has no %s", qPrintable(from));
  m.config = QString(cfg).replace(from, to).toStdString();
  return m;
}

/// The last line of stderr (the error).
QString lastLine(const Run& r) { return r.err.trimmed().split('\n').last(); }

}  // namespace

class CliHostileTest : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    QVERIFY2(!qEnvironmentVariableIsEmpty("ATTNSCOPE_BIN"), "set ATTNSCOPE_BIN to the attnscope binary");
  }

  // Item 1: ~100,000 levels of nesting where a number is expected crashed info (SIGSEGV).
  void deeplyNestedConfigIsAShortError() {
    const QString deep = QString(100000, '[') + "1" + QString(100000, ']');
    const QString model = gpt2Folder(dir_.filePath("deep"), withConfig(tinyGpt2(), "\"n_head\": 2", "\"n_head\": " + deep));
    const Run r = run({"info", "--model", model});
    REQUIRE_RUN(r, 1);
    QVERIFY2(r.err.contains("config.json") && r.err.contains("nested deeper than 64 levels"), qPrintable(r.err.left(400)));
    QVERIFY2(r.err.size() < 400, qPrintable(r.err.left(400)));
  }

  // Item 2: a shard that is a FIFO blocked open() forever.
  void aFifoShardIsRefusedAtOnce() {
    const QString model = dir_.filePath("fifo");
    QDir().mkpath(model);
    writeSharded(model.toStdString(), tinyGpt2().tensors, 2);
    writeText(model + "/config.json", QByteArray::fromStdString(tinyGpt2().config));
    const QString shard = model + "/model-00002-of-00002.safetensors";
    QVERIFY(QFile::remove(shard));
    QCOMPARE(::mkfifo(QFile::encodeName(shard).constData(), 0600), 0);
    const auto t0 = std::chrono::steady_clock::now();
    const Run r = run({"info", "--model", model});
    REQUIRE_RUN(r, 1);
    QVERIFY2(r.err.contains(shard) && r.err.contains("is a FIFO, not a regular file"), qPrintable(r.err));
    QVERIFY(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30));
  }

  // Item 7: 64 MiB of text through GPT-2's tokenizer to keep n_positions = 7 tokens took 3.87 GB;
  // under a 1 GiB data limit it must now run, and say the text was cut.
  void aHugeTextIsTokenizedWithinTheBudget() {
    const QString model = gpt2Folder(dir_.filePath("huge"));
    QByteArray text;
    text.reserve(64 << 20);
    while (text.size() + 24 <= (64 << 20)) text += "ab ab ab ab ab ab ab ab ";  // the text size cap: 64 MiB
    const QString input = dir_.filePath("huge.txt");
    writeText(input, text);
    const QStringList args{"compute", "--model", model, "--input", input, "--out-dir", dir_.filePath("huge-out")};
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer maps terabytes of shadow memory, which RLIMIT_DATA refuses: the sanitizer
    // run checks the tokens and the notice; the release run checks the memory bound too.
    const Run r = run(args);
#else
    const Run r = runWithMemoryLimit(args, rlim_t(1) << 30);
#endif
    REQUIRE_RUN(r, 0);
    QVERIFY2(r.err.contains("the text has more than 7 tokens; the first 7 are used (the model's n_positions)"),
             qPrintable(r.err));
    const QJsonArray ids = readJson(dir_.filePath("huge-out") + "/tokens.json")["ids"].toArray();
    QCOMPARE(ids.size(), 7);
    // " ab" is "Ġ" "ab": the merge "a b" ranks first, and "Ġ ab" is no merge.
    QCOMPARE(ids[0].toInt(), 3);  // "ab"
    QCOMPARE(ids[1].toInt(), 2);  // "Ġ"
    QCOMPARE(ids[2].toInt(), 3);  // "ab"
  }

  // Item 11: an activation or epsilon the forward does not compute is refused by name.
  void unknownActivationsAndNegativeEpsilonAreRefused() {
    Run r = run({"info", "--model", gpt2Folder(dir_.filePath("relu"), withConfig(tinyGpt2(), "\"gelu_new\"", "\"relu\""))});
    REQUIRE_RUN(r, 1);
    QVERIFY2(r.err.contains("config.json") && r.err.contains("\"activation_function\" \"relu\" is not supported"),
             qPrintable(r.err));
    r = run({"info", "--model",
             gpt2Folder(dir_.filePath("eps"), withConfig(tinyGpt2(), "\"layer_norm_epsilon\": 1e-05", "\"layer_norm_epsilon\": -1e-05"))});
    REQUIRE_RUN(r, 1);
    QVERIFY2(r.err.contains("config.json") && r.err.contains("\"layer_norm_epsilon\" must not be negative"), qPrintable(r.err));
    TinyModel vit = tinyHfVit();
    vit.config = QString::fromStdString(vit.config).replace("\"layer_norm_eps\"", "\"hidden_act\": \"swish\", \"layer_norm_eps\"").toStdString();
    const QString vitDir = dir_.filePath("swish");
    QDir().mkpath(vitDir);
    writeCheckpoint(vitDir.toStdString(), vit);
    r = run({"info", "--model", vitDir});
    REQUIRE_RUN(r, 1);
    QVERIFY2(r.err.contains("config.json") && r.err.contains("\"hidden_act\" \"swish\" is not supported"), qPrintable(r.err));
  }

  // Item 11: a NaN in h.0's MLP was reported as "layer 1" with no tensor, and refused --layer 0.
  void aNanWeightIsNamedAndOnlyItsLayersAreRefused() {
    const QString input = dir_.filePath("ab3.txt");
    writeText(input, "ab ab ab");
    for (const char* tensor : {"h.0.mlp.c_fc.weight", "h.0.attn.c_attn.weight"}) {
      TinyModel m = tinyGpt2();
      for (WTensor& t : m.tensors)
        if (t.name == tensor) t.values[3] = std::numeric_limits<double>::quiet_NaN();  // a Q column of c_attn
      const QString model = gpt2Folder(dir_.filePath(QString("nan_") + tensor), m);
      const bool mlp = QString(tensor).contains("mlp");
      // The MLP's NaN reaches layer 1's Q/K/V, not layer 0's.
      const Run first = run({"compute", "--model", model, "--input", input, "--layer", "0", "--out-dir", dir_.filePath("nan-out0")});
      const QString want = QString("tensor '") + tensor + "' (NaN at element 3)";
      if (mlp) {
        REQUIRE_RUN(first, 0);
      } else {
        REQUIRE_RUN(first, 1);
        QVERIFY2(first.err.contains("layer 0, head 0: Q contains NaN") && first.err.contains(want), qPrintable(first.err));
      }
      const Run second = run({"compute", "--model", model, "--input", input, "--layer", "1", "--out-dir", dir_.filePath("nan-out1")});
      REQUIRE_RUN(second, 1);
      QVERIFY2(second.err.contains("layer 1, head 0:") && second.err.contains(want), qPrintable(second.err));
    }
  }

  // Item 11: a folder named tokenizer.json was "not valid JSON".
  void aFolderNamedTokenizerJsonIsSaidToBeOne() {
    const QString model = gpt2Folder(dir_.filePath("tokdir"));
    QVERIFY(QDir().mkpath(model + "/tokenizer.json"));
    const QString input = dir_.filePath("ab.txt");
    writeText(input, "ab ab");
    const Run r = run({"compute", "--model", model, "--input", input, "--out-dir", dir_.filePath("tokdir-out")});
    REQUIRE_RUN(r, 1);
    QVERIFY2(r.err.contains(model + "/tokenizer.json: is a folder, not a file"), qPrintable(r.err));
  }

  // Item 11: a session whose model path holds a NUL printed Qt's "Broken filename" and cut the reason.
  void aSessionPathWithANulIsRefusedClearly() {
    const QString model = gpt2Folder(dir_.filePath("nulpath"));
    const QString input = dir_.filePath("ab2.txt");
    writeText(input, "ab ab");
    const QString out = dir_.filePath("nul-out");
    REQUIRE_RUN(run({"compute", "--model", model, "--input", input, "--out-dir", out}), 0);
    QByteArray session;
    {
      QFile f(out + "/session.json");
      QVERIFY(f.open(QIODevice::ReadOnly));
      session = f.readAll();
    }
    const QByteArray quoted = QJsonDocument(QJsonArray{model}).toJson(QJsonDocument::Compact).mid(1).chopped(1);
    QVERIFY2(session.contains(quoted), session.constData());
    session.replace(quoted, QByteArray(quoted).insert(quoted.size() - 1, "\\u0000x"));
    const QString file = dir_.filePath("nul.json");
    writeText(file, session);
    const Run r = run({"compute", "--session", file, "--out-dir", dir_.filePath("nul-out2")});
    QVERIFY2(r.code == 1 || r.code == 2, qPrintable(r.err));
    QVERIFY2(r.err.contains("nul.json: field 'model.path' contains a NUL character"), qPrintable(r.err));
    QVERIFY2(!r.err.contains("Broken filename"), qPrintable(r.err));
  }
};

QTEST_MAIN(CliHostileTest)
#include "test_cli_hostile.moc"
