// End to end: runs the `attnscope` binary (path in $ATTNSCOPE_BIN) and checks exit codes, files,
// figure signatures, and that `compute` agrees with calling the core library directly.
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>
#include <signal.h>
#include <sys/resource.h>

#include "attnscope/eigen_backend.h"
#include "attnscope/mixing.h"
#include "attnscope/npy.h"
#include "attnscope/rng.h"
#include "model/backend_registry.h"
#include "cli_runner.h"
#include "st_writer.h"

using namespace attnscope;
using namespace attnscope::test;

namespace {


/// What this build and machine say about CUDA (the binary under test uses the same registry).
BackendEntry cudaEntry() {
  for (const BackendEntry& e : listBackends())
    if (e.name == "cuda") return e;
  return {};
}

}  // namespace

class CliTest : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  Qkv qkv_;  // what the .npy files hold: 1 head, N = 48, d_k = 8, d_v = 6
  QString q_, k_, v_;

 private slots:
  void initTestCase() {
    QVERIFY(!qEnvironmentVariable("ATTNSCOPE_BIN").isEmpty());
    QVERIFY(dir_.isValid());
    Rng rng(7);
    qkv_.addHead({rng.normalMatrix(48, 8), rng.normalMatrix(48, 8), rng.normalMatrix(48, 6)});
    q_ = dir_.filePath("q.npy");
    k_ = dir_.filePath("k.npy");
    v_ = dir_.filePath("v.npy");
    writeNpy(q_.toStdString(), qkv_.q[0]);
    writeNpy(k_.toStdString(), qkv_.k[0]);
    writeNpy(v_.toStdString(), qkv_.v[0]);
  }

  void helpForEveryCommand() {
    for (const QStringList& args : {QStringList{"--help"}, QStringList{"compute", "--help"},
                                    QStringList{"render", "--help"}, QStringList{"bench", "--help"},
                                    QStringList{"info", "--help"}}) {
      const Run r = run(args);
      REQUIRE_RUN(r, 0);
      QVERIFY2(r.out.contains("usage"), qPrintable(args.join(' ')));
    }
  }

  void infoDescribesAModel() {
    // A tiny GPT-2 checkpoint written by the tests' safetensors writer (D = 8, 2 layers, 2 heads).
    const QString dir = dir_.filePath("gpt2-tiny");
    QVERIFY(QDir().mkpath(dir));
    test::writeCheckpoint(dir.toStdString(), test::tinyGpt2());
    const Run r = run({"info", "--model", dir});
    REQUIRE_RUN(r, 0);
    for (const char* want : {"gpt2", "layers                 2", "heads                  2", "d_model                8",
                             "d_head                 4", "vocab size             11", "positions              7",
                             "dtype                  F32", "parameters"})
      QVERIFY2(r.out.contains(want), qPrintable(QString(want) + " in:\n" + r.out));
    // The same tensors without config.json: heads must be given.
    const QString bare = dir_.filePath("gpt2-bare.safetensors");
    QVERIFY(QFile::copy(dir + "/model.safetensors", bare));
    const Run noHeads = run({"info", "--model", bare});
    REQUIRE_RUN(noHeads, 1);
    QVERIFY2(noHeads.err.contains("--model-heads"), qPrintable(noHeads.err));
    const Run withHeads = run({"info", "--model", bare, "--model-heads", "2"});
    REQUIRE_RUN(withHeads, 0);
    QVERIFY(withHeads.out.contains("tensor names"));
    // A broken file: a clear error naming it, exit status 1.
    const QString broken = dir_.filePath("broken.safetensors");
    QFile f(broken);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray::fromHex("ffffffffffffffff"));
    f.close();
    const Run bad = run({"info", "--model", broken});
    REQUIRE_RUN(bad, 1);
    QVERIFY2(bad.err.contains(broken) && bad.err.contains("header length"), qPrintable(bad.err));
  }

  void infoListsBackends() {
    const Run r = run({"info"});
    REQUIRE_RUN(r, 0);
    QVERIFY(r.out.contains("attnscope 0."));
    QVERIFY(r.out.contains("eigen"));
    QVERIFY(r.out.contains("cuda"));
    QVERIFY(r.out.contains("hardware threads"));
    // The CUDA device: its details, or why there is none.
    const BackendEntry cuda = cudaEntry();
    QVERIFY2(r.out.contains("cuda device:"), qPrintable(r.out));
    if (cuda.availability.ok) {
      QVERIFY2(r.out.contains("compute capability") && r.out.contains("CUDA driver"),
               qPrintable(r.out));
      QVERIFY(r.out.contains(QString::fromStdString(cuda.device)));
    } else {
      QVERIFY2(r.out.contains(QString::fromStdString(cuda.availability.reason)), qPrintable(r.out));
    }
  }

  // Without a usable GPU, every command asked for cuda stops with one clear line and exit 1; with
  // one, bench says its times are device time and the JSON says they leave out the copies.
  void cudaOnTheCommandLine() {
    const BackendEntry cuda = cudaEntry();
    const QString json = dir_.filePath("bench_cuda.json");
    Run r = run(
        {"bench", "--backend", "cuda", "--n", "64", "--d", "16", "--repeats", "2", "--json", json});
    if (cuda.availability.ok) {
      REQUIRE_RUN(r, 0);
      QVERIFY2(r.out.contains("device time"), qPrintable(r.out));
      QFile f(json);
      QVERIFY(f.open(QIODevice::ReadOnly));
      const QJsonArray list = QJsonDocument::fromJson(f.readAll()).array();
      QCOMPARE(list.size(), 3);
      for (const QJsonValue& v : list) {
        QCOMPARE(v.toObject()["backend"].toString(), QString("cuda"));
        QCOMPARE(v.toObject()["includes_transfers"].toBool(true), false);
      }
      REQUIRE_RUN(run({"bench", "--backend", "cuda", "--n", "64", "--repeats", "1",
                       "--softmax-precision", "tf32", "--mechanisms", "softmax"}),
                  0);
      return;
    }
    const QString why = QString::fromStdString(cuda.availability.reason);
    QVERIFY(!why.isEmpty());
    REQUIRE_RUN(r, 1);
    QCOMPARE(r.err, "attnscope: error: the cuda backend is not available: " + why + "\n");
    QVERIFY(!QFile::exists(json));
    r = run({"bench", "--backend", "gpu", "--calibrate", "--n", "16"});
    REQUIRE_RUN(r, 1);
    QVERIFY2(r.err.contains(why), qPrintable(r.err));
    r = run({"render", "--sample", "text", "--backend", "cuda", "--out", dir_.filePath("c.png")});
    REQUIRE_RUN(r, 1);
    QVERIFY2(r.err.contains("the cuda backend is not available"), qPrintable(r.err));
    QVERIFY(!QFile::exists(dir_.filePath("c.png")));
    r = run({"compute", "--sample", "text", "--backend", "cuda", "--out-dir", dir_.filePath("c")});
    REQUIRE_RUN(r, 1);
    QVERIFY2(r.err.contains("the cuda backend is not available"), qPrintable(r.err));
  }

  // --timing times every available backend: metrics.json lists them, and says why the GPU is
  // missing when it is.
  void computeTimingListsEveryBackend() {
    const QString out = dir_.filePath("timed");
    REQUIRE_RUN(run({"compute", "--synthetic", "--synthetic-n", "64", "--timing", "--repeats", "1",
                     "--out-dir", out}),
                0);
    const QJsonObject metrics = readJson(out + "/metrics.json");
    const bool gpu = cudaEntry().availability.ok;
    for (const char* mech : {"softmax", "linear", "mhla"}) {
      const QJsonObject m = metrics["mechanisms"].toObject()[mech].toObject();
      QCOMPARE(m["timing"].toObject()["backend"].toString(), QString("eigen"));
      const QJsonArray all = m["timings"].toArray();
      QCOMPARE(all.size(), gpu ? 2 : 1);
      QCOMPARE(all[0].toObject()["backend"].toString(), QString("eigen"));
      QCOMPARE(all[0].toObject()["includes_transfers"].toBool(), true);
      QVERIFY(all[0].toObject()["median_ms"].toDouble() > 0);
      if (gpu) QCOMPARE(all[1].toObject()["includes_transfers"].toBool(true), false);
    }
    if (!gpu)
      QVERIFY2(metrics["timing_note"].toString().startsWith("GPU: not available — "),
               qPrintable(metrics["timing_note"].toString()));
  }

  void guiWithoutDisplaySaysSoAndBadUsageIsExit2() {
    // No display and no platform chosen: a clear message, not a Qt abort.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove("DISPLAY");
    env.remove("WAYLAND_DISPLAY");
    env.remove("QT_QPA_PLATFORM");
    const Run r = run({}, env);
#ifdef ATTNSCOPE_TEST_HAVE_GUI
    REQUIRE_RUN(r, 1);
    QVERIFY2(r.err.contains("no display"), qPrintable(r.err));
#else
    // Built with -DATTNSCOPE_GUI=OFF: the window is not there, and the message says so.
    REQUIRE_RUN(r, 2);
    QVERIFY2(r.err.contains("built without the window"), qPrintable(r.err));
#endif
    // `attnscope FILE` is the window on that file (issue 14 #18), not an unknown command.
    const QString file = dir_.filePath("open-me.txt");
    {
      QFile f(file);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("hello there");
    }
    const Run byFile = run({file}, env);
#ifdef ATTNSCOPE_TEST_HAVE_GUI
    REQUIRE_RUN(byFile, 1);
    QVERIFY2(byFile.err.contains("no display"), qPrintable(byFile.err));
#else
    REQUIRE_RUN(byFile, 2);
    QVERIFY2(byFile.err.contains("built without the window"), qPrintable(byFile.err));
#endif
    const Run typo = run({"comptue"});
    REQUIRE_RUN(typo, 2);
    QVERIFY2(typo.err.contains("unknown command 'comptue'"), qPrintable(typo.err));
    const Run two = run({"gui", "a.png", "b.png"});
    REQUIRE_RUN(two, 2);
    const Run help = run({"gui", "--help"});
    REQUIRE_RUN(help, 0);
    QVERIFY(help.out.contains("usage: attnscope gui"));
  }

  void computeOnSampleImage() {
    const QString out = dir_.filePath("image");
    const Run r = run({"compute", "--sample", "image", "--out-dir", out});
    REQUIRE_RUN(r, 0);
    const QJsonObject metrics = readJson(out + "/metrics.json");
    QVERIFY(!metrics.isEmpty());
    const int n = metrics["N"].toInt();
    QVERIFY(n > 100);
    QCOMPARE(metrics["M"].toInt(), 16);
    for (const char* mech : {"softmax", "linear", "mhla"}) {
      const MatrixD o = load(out + "/output_" + mech + ".npy");
      QCOMPARE(int(o.rows()), n);
      QCOMPARE(int(o.cols()), 64);
      const MatrixD row = load(out + "/row_" + mech + ".npy");
      QCOMPARE(int(row.size()), n);
      QVERIFY(std::abs(row.sum() - 1.0) < 1e-6);
      QVERIFY(load(out + "/spectrum_" + mech + ".npy").size() > 0);
      const QJsonObject m = metrics["mechanisms"].toObject()[mech].toObject();
      QVERIFY(m["heads"].toArray()[0].toObject().contains("normalised_entropy"));
      QVERIFY(m["rank_bound"].toInt() > 0);
    }
    QCOMPARE(int(load(out + "/mixing.npy").rows()), 16);
    QVERIFY(!readJson(out + "/session.json").isEmpty());
  }

  // Inputs are told apart by content (io/file_kind.h), not by their names.
  void inputsAreSniffedByContent() {
    auto write = [&](const QString& name, const QByteArray& bytes) {
      QFile f(dir_.filePath(name));
      if (f.open(QIODevice::WriteOnly)) f.write(bytes);
      return dir_.filePath(name);
    };
    // An extensionless GPL-like text is text (it was "not a readable image").
    const QString license = write(
        "LICENSE",
        "                    GNU GENERAL PUBLIC LICENSE\n"
        "                       Version 3, 29 June 2007\n\n"
        " Everyone is permitted to copy and distribute verbatim copies of this license\n"
        " document, but changing it is not allowed.\n\f\n"
        "                            Preamble\n\n"
        "  The GNU General Public License is a free, copyleft license for software and\n"
        "other kinds of works.\n");
    QString out = dir_.filePath("sniff_license");
    Run r = run({"compute", "--input", license, "--out-dir", out});
    REQUIRE_RUN(r, 0);
    QJsonObject input = readJson(out + "/metrics.json")["input"].toObject();
    QCOMPARE(input["kind"].toString(), QString("text"));
    QVERIFY(input["N"].toInt() > 20);

    // A PNG named picture.txt is an image.
    QImage img(96, 64, QImage::Format_RGB32);
    for (int y = 0; y < img.height(); ++y)
      for (int x = 0; x < img.width(); ++x) img.setPixel(x, y, qRgb(x * 2, y * 3, (x + y) % 256));
    const QString picture = dir_.filePath("picture.txt");
    QVERIFY(img.save(picture, "PNG"));
    out = dir_.filePath("sniff_picture");
    r = run({"compute", "--input", picture, "--tokens", "24", "--out-dir", out});
    REQUIRE_RUN(r, 0);
    input = readJson(out + "/metrics.json")["input"].toObject();
    QCOMPARE(input["kind"].toString(), QString("image"));
    QCOMPARE(input["grid"].toArray().size(), 2);

    // An .npy named q.png: --input says to pass it with --qkv, and --qkv reads it by content.
    const QString qPng = dir_.filePath("q.png"), kPng = dir_.filePath("k.png"),
                  vPng = dir_.filePath("v.png");
    writeNpy(qPng.toStdString(), qkv_.q[0]);
    writeNpy(kPng.toStdString(), qkv_.k[0]);
    writeNpy(vPng.toStdString(), qkv_.v[0]);
    r = run({"compute", "--input", qPng, "--out-dir", dir_.filePath("sniff_x")});
    REQUIRE_RUN(r, 2);
    QVERIFY2(r.err.contains("q.png") && r.err.contains("NumPy") && r.err.contains("--qkv"),
             qPrintable(r.err));
    out = dir_.filePath("sniff_qkv");
    r = run({"compute", "--qkv", qPng, kPng, vPng, "--out-dir", out});
    REQUIRE_RUN(r, 0);
    input = readJson(out + "/metrics.json")["input"].toObject();
    QCOMPARE(input["kind"].toString(), QString("npy"));
    QCOMPARE(input["N"].toInt(), 48);

    // A session saved under another name is still a session.
    const QString session = write("saved_session.txt", "\xEF\xBB\xBF\n  {\"version\": 1, \"query\": 3}");
    out = dir_.filePath("sniff_session");
    r = run({"compute", "--input", session, "--tokens", "64", "--out-dir", out});
    REQUIRE_RUN(r, 0);
    QCOMPARE(readJson(out + "/metrics.json")["query"].toInt(), 3);
  }

  void layoutsAreTheOnesUsed() {
    // 1D: N = 9 in M = 8 blocks of ⌈9/8⌉ = 2 leaves 3 empty: 5 blocks are used and said to be.
    const QString out1 = dir_.filePath("layout1d");
    const Run r = run({"compute", "--synthetic", "--synthetic-n", "9", "--blocks", "8", "--out-dir", out1});
    REQUIRE_RUN(r, 0);
    const QJsonObject m = readJson(out1 + "/metrics.json");
    QCOMPARE(m["M"].toInt(), 5);
    QVERIFY2(m["layout_note"].toString().contains("5 blocks are used"), qPrintable(m["layout_note"].toString()));
    QVERIFY2(r.err.contains("3 empty"), qPrintable(r.err));
    QCOMPARE(load(out1 + "/mixing.npy").rows(), 5);
    // 2D windows with off-grid tokens (the ViT CLS case): 3 tokens before a 5×9 grid, 2×3 windows.
    const QString out2 = dir_.filePath("layout2d");
    REQUIRE_RUN(run({"compute", "--qkv", q_, k_, v_, "--grid", "5x9", "--grid-first-token", "3", "--window", "2x3",
                     "--out-dir", out2}),
                0);
    const QJsonObject m2 = readJson(out2 + "/metrics.json");
    QCOMPARE(m2["M"].toInt(), 9);
    QVERIFY2(m2["layout"].toString().contains("2D 5×9 grid") && m2["layout"].toString().contains("3 off-grid tokens"),
             qPrintable(m2["layout"].toString()));
    QVERIFY(m2["layout_note"].toString().isEmpty());
  }

  void computeAgreesWithTheCoreLibrary() {
    const QString out = dir_.filePath("npy");
    const Run r = run({"compute", "--qkv", q_, k_, v_, "--blocks", "4", "--mixing", "exp",
                       "--query", "5", "--matrices", "--out-dir", out});
    REQUIRE_RUN(r, 0);
    EigenBackend backend(1);
    const MechanismSpec specs[3] = {
        MechanismSpec::softmax(),
        MechanismSpec::linear(),
        MechanismSpec::mhla(BlockLayout::oneD(48, 4), MixingInit::Exp),
    };
    const char* names[3] = {"softmax", "linear", "mhla"};
    for (int k = 0; k < 3; ++k) {
      const MatrixD expectO = backend.forward(specs[k], qkv_, HeadSel::one(0))[0].cast<double>();
      const MatrixD gotO = load(out + "/output_" + names[k] + ".npy");
      QVERIFY2(gotO.isApprox(expectO, 1e-6), names[k]);
      const VectorD expectRow = backend.attentionRow(specs[k], qkv_, HeadSel::one(0), 5)[0];
      const MatrixD gotRow = load(out + "/row_" + names[k] + ".npy");
      QVERIFY2((gotRow.transpose() - expectRow).norm() < 1e-9, names[k]);
      const MatrixD gotMap = load(out + "/matrix_" + names[k] + ".npy");
      QCOMPARE(int(gotMap.rows()), 48);
      QVERIFY(std::abs(gotMap.row(5).sum() - 1.0) < 1e-5);
      const VectorD expectSigma = backend.spectrum(specs[k], qkv_, HeadSel::one(0))[0].sigma;
      const MatrixD gotSigma = load(out + "/spectrum_" + names[k] + ".npy");
      QCOMPARE(gotSigma.size(), expectSigma.size());
      QVERIFY((gotSigma.transpose() - expectSigma).norm() < 1e-9);
    }
    QVERIFY(load(out + "/mixing.npy").isApprox(makeMixing(BlockLayout::oneD(48, 4), MixingInit::Exp)));
    const QJsonObject metrics = readJson(out + "/metrics.json");
    QCOMPARE(metrics["query"].toInt(), 5);
    QCOMPARE(metrics["bounds"].toObject()["linear"].toInt(), 8);
  }

  void savedSessionReproducesTheNumbers() {
    const QString a = dir_.filePath("repro_a"), b = dir_.filePath("repro_b");
    REQUIRE_RUN(run({"compute", "--sample", "text", "--blocks", "5", "--feature-map", "favor",
                     "--seed", "3", "--query", "7", "--out-dir", a}), 0);
    REQUIRE_RUN(run({"compute", "--session", a + "/session.json", "--out-dir", b}), 0);
    for (const char* f : {"output_mhla.npy", "row_softmax.npy", "spectrum_linear.npy", "mixing.npy"}) {
      // A missing file reads as "" on both sides: require each to exist and hold an .npy.
      const QByteArray got = head(b + "/" + f, 1 << 24), want = head(a + "/" + f, 1 << 24);
      QVERIFY2(want.startsWith("\x93NUMPY") && got.startsWith("\x93NUMPY"), f);
      QCOMPARE(got, want);
    }
  }

  void computeAllHeads() {
    const QString out = dir_.filePath("allheads");
    REQUIRE_RUN(run({"compute", "--synthetic", "--synthetic-n", "64", "--head", "all", "--out-dir", out}), 0);
    const NpyArray o = readNpy((out + "/output_softmax.npy").toStdString());
    QCOMPARE(o.shape.size(), size_t(3));
    QCOMPARE(o.shape[0], std::int64_t(4));
    QCOMPARE(o.shape[1], std::int64_t(64));
  }

  void renderWritesValidFigures() {
    for (const QString ext : {"png", "svg", "pdf"}) {
      const QString path = dir_.filePath("fig." + ext);
      const Run r = run({"render", "--sample", "image", "--out", path, "--dpi", "72", "--repeats", "1"});
      REQUIRE_RUN(r, 0);
      const QByteArray start = head(path, 4096);
      if (ext == "png") QVERIFY(start.startsWith("\x89PNG"));
      if (ext == "pdf") QVERIFY(start.startsWith("%PDF"));
      if (ext == "svg") QVERIFY(start.contains("<svg"));
    }
    // The print fonts of SVG keep the timing panel's whole title (issue 27 #5: "… (1 head, 1 ru…").
    QFile svg(dir_.filePath("fig.svg"));
    QVERIFY(svg.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(svg.readAll());
    QVERIFY2(text.contains("(1 head, 1 run)"), qPrintable(text.mid(text.indexOf("forward time"), 80)));
    const QImage img(dir_.filePath("fig.png"));
    QVERIFY(!img.isNull());
    QVERIFY(img.width() > 500 && img.height() > 300);
    // Not blank: many distinct colours, and the maps area is not all white.
    QSet<QRgb> colours;
    for (int y = 0; y < img.height(); y += 3)
      for (int x = 0; x < img.width(); x += 3) colours.insert(img.pixel(x, y));
    QVERIFY2(colours.size() > 200, qPrintable(QString::number(colours.size())));
  }

  // Issue 14: whole-map and difference modes through render (the window's code), a bad mode is a
  // usage error; vector figures are sized for print (180 mm per 1500 px) and hold no JPEG.
  void renderMapModesAndPrintSizes() {
    for (const char* mode : {"matrix", "difference"}) {
      const QString png = dir_.filePath(QString("mode-%1.png").arg(mode));
      REQUIRE_RUN(run({"render", "--sample", "text", "--panels", "maps", "--map-mode", mode, "--out", png, "--dpi", "60"}), 0);
      QVERIFY(!QImage(png).isNull());
    }
    const Run bad = run({"render", "--sample", "text", "--map-mode", "rows", "--out", dir_.filePath("x.png")});
    QCOMPARE(bad.code, 2);
    QVERIFY2(bad.err.contains("--map-mode"), qPrintable(bad.err));
    const QString svg = dir_.filePath("print.svg"), pdf = dir_.filePath("print.pdf");
    REQUIRE_RUN(run({"render", "--sample", "image", "--panels", "maps,mixing", "--out", svg, "--repeats", "1"}), 0);
    REQUIRE_RUN(run({"render", "--sample", "image", "--panels", "maps,mixing", "--no-image", "--out", pdf, "--repeats", "1"}), 0);
    const QRegularExpression width("width=\"([0-9.]+)mm\"");
    const QRegularExpressionMatch m = width.match(QString::fromUtf8(head(svg, 4096)));
    QVERIFY(m.hasMatch());
    QVERIFY2(std::abs(m.captured(1).toDouble() - 180.0) < 1.0, qPrintable(m.captured(0)));
    QFile f(pdf);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(!f.readAll().contains("DCTDecode"));
  }

  void renderTextAndNpyInputs() {
    REQUIRE_RUN(run({"render", "--sample", "text", "--panels", "maps,metrics", "--out",
                     dir_.filePath("text.png"), "--dpi", "60"}), 0);
    REQUIRE_RUN(run({"render", "--qkv", q_, k_, v_, "--grid", "6x8", "--panels", "maps,mixing,spectra",
                     "--out", dir_.filePath("grid.svg")}), 0);
    REQUIRE_RUN(run({"render", "--qkv", q_, k_, v_, "--panels", "maps", "--log-scale", "--colormap",
                     "magma", "--out", dir_.filePath("curve.png"), "--dpi", "60"}), 0);
    QVERIFY(!QImage(dir_.filePath("text.png")).isNull());
  }

  void hugeInputsStayWithinAMemoryLimit() {
#if defined(__SANITIZE_ADDRESS__)
    QSKIP("AddressSanitizer maps terabytes of shadow memory, which RLIMIT_DATA refuses; the release run checks this");
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    QSKIP("AddressSanitizer maps terabytes of shadow memory, which RLIMIT_DATA refuses; the release run checks this");
#endif
#endif
    // Under a 1.5 GiB data limit (each took 8 GiB or more before).
    const rlim_t limit = rlim_t(1536) << 20;
    // A text with one 8 MB word.
    const QString text = dir_.filePath("word.txt");
    {
      QFile f(text);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("start " + QByteArray(8 << 20, 'a') + " end");
    }
    const Run word = runWithMemoryLimit({"compute", "--input", text, "--out-dir", dir_.filePath("word")}, limit);
    REQUIRE_RUN(word, 0);
    // MHLA states of 64 blocks of 4096 × 4096: refused by the budget, not by the kernel.
    const std::string q = dir_.filePath("wide_q.npy").toStdString();
    writeNpy(q, MatrixF(MatrixF::Random(128, 4096)));
    const QString qs = QString::fromStdString(q);
    const Run wide = runWithMemoryLimit({"compute", "--qkv", qs, qs, qs, "--blocks", "64", "--out-dir",
                                         dir_.filePath("wide")}, limit);
    REQUIRE_RUN(wide, 1);
    QVERIFY2(wide.err.contains("block states") && wide.err.contains("memory budget"), qPrintable(wide.err));
  }

  void overflowingNumbersNameTheFileAndMechanism() {
    // Q = K = 1e38 are finite, but linear attention's normaliser overflows to inf.
    const std::string q = dir_.filePath("big_q.npy").toStdString(), v = dir_.filePath("big_v.npy").toStdString();
    writeNpy(q, MatrixF(MatrixF::Constant(16, 8, 1e38f)));
    writeNpy(v, MatrixF(MatrixF::Ones(16, 8)));
    const Run r = run({"compute", "--qkv", QString::fromStdString(q), QString::fromStdString(q),
                       QString::fromStdString(v), "--out-dir", dir_.filePath("big")});
    REQUIRE_RUN(r, 1);
    QVERIFY2(r.err.contains("big_q.npy: linear: the normaliser"), qPrintable(r.err));
  }

  void cliRangesAreTheSessionRanges() {
    // 0 means "automatic" / "all cores" on the command line as in a session file.
    const QString out = dir_.filePath("zeros");
    REQUIRE_RUN(run({"compute", "--sample", "image", "--tokens", "64", "--threads", "0", "--blocks", "0",
                     "--patch-size", "0", "--out-dir", out}),
                0);
    const QJsonObject s = readJson(out + "/session.json");
    QCOMPARE(s["compute"].toObject()["threads"].toInt(), 0);
    QCOMPARE(s["mhla"].toObject()["blocks"].toInt(), 0);
    QCOMPARE(s["input"].toObject()["patchSize"].toInt(), 0);
  }

  void figuresStayBounded() {
    // A 2 × 20000 image (a 1000 × 1 grid): the maps are capped at 3:1, so the SVG stays a page.
    const QString tall = dir_.filePath("tall.png");
    QImage img(2, 20000, QImage::Format_RGB32);
    img.fill(Qt::darkGreen);
    QVERIFY(img.save(tall));
    const QString svg = dir_.filePath("tall.svg");
    REQUIRE_RUN(run({"render", "--input", tall, "--out", svg, "--repeats", "1"}), 0);
    const QByteArray text = head(svg, 4096);
    const QRegularExpression size("width=\"([0-9.]+)mm\" height=\"([0-9.]+)mm\"");
    const QRegularExpressionMatch m = size.match(QString::fromUtf8(text));
    QVERIFY2(m.hasMatch(), text.constData());
    QVERIFY2(m.captured(2).toDouble() < 2 * m.captured(1).toDouble(), qPrintable(m.captured(0)));
    // A PNG past 200 MP is refused before it is allocated (was: OOM-killed at about 28 GB).
    const QString png = dir_.filePath("huge.png");
    const Run r = run({"render", "--sample", "image", "--width", "8000", "--dpi", "1200", "--out", png,
                       "--repeats", "1"});
    REQUIRE_RUN(r, 1);
    QVERIFY2(r.err.contains("above the limit of 200 MP"), qPrintable(r.err));
    QVERIFY(!QFile::exists(png));
  }

  void denseSpectrumLimitIsASetting() {
    // N = 300 above --max-dense-n 200: no dense softmax spectrum (a note says why), the factored MHLA
    // one still; the session keeps the limit.
    const QString out = dir_.filePath("dense-limit");
    const Run r = run({"compute", "--synthetic", "--synthetic-n", "300", "--max-dense-n", "200", "--out-dir", out});
    REQUIRE_RUN(r, 0);
    QVERIFY2(r.err.contains("--max-dense-n"), qPrintable(r.err));
    QVERIFY(!QFile::exists(out + "/spectrum_softmax.npy"));
    QVERIFY(QFile::exists(out + "/spectrum_mhla.npy"));
    QCOMPARE(readJson(out + "/session.json")["compute"].toObject()["maxDenseN"].toInt(), 200);
    const QString out2 = dir_.filePath("dense-default");
    REQUIRE_RUN(run({"compute", "--synthetic", "--synthetic-n", "300", "--out-dir", out2}), 0);
    QVERIFY(QFile::exists(out2 + "/spectrum_softmax.npy"));
    REQUIRE_RUN(run({"compute", "--synthetic", "--max-dense-n", "1", "--out-dir", out2}), 2);
  }

  void benchSkipsWhatWouldRunTooLong() {
    // Dense softmax at N = 262144 is ~3.6e13 FLOPs for warm-up + 1 run: it would need 600 GFLOP/s
    // to fit in 60 s; MHLA there is ~9e9 FLOPs, which fits even under ASan.
    const QString json = dir_.filePath("long.json");
    const Run r = run({"bench", "--mechanisms", "softmax,mhla", "--n", "256,262144", "--repeats", "1",
                       "--max-seconds", "60", "--json", json});
    REQUIRE_RUN(r, 0);
    QVERIFY2(r.err.contains("softmax N=262144: skipped: estimated"), qPrintable(r.err));
    QVERIFY2(r.out.contains("skipped"), qPrintable(r.out));
    const QJsonArray rows = QJsonDocument::fromJson(head(json, 1 << 20)).array();
    QCOMPARE(rows.size(), 3);  // softmax 256, mhla 256, mhla 262144
    QCOMPARE(rows[2].toObject()["n"].toInt(), 262144);
    QCOMPARE(rows[2].toObject()["mechanism"].toString(), QString("mhla"));
  }

  void benchSgemmGivesEachRowsFractionOfTheMachinesRate() {
    const QString json = dir_.filePath("bench_sgemm.json");
    const Run r = run({"bench", "--sgemm", "--n", "64", "--d", "16", "--repeats", "1", "--threads", "1000",
                       "--mechanisms", "linear,mhla", "--json", json});
    REQUIRE_RUN(r, 0);
    // Both the BLAS the core runs on and Eigen are measured; the fractions are of the faster.
    QVERIFY2(r.out.contains("sgemm (Eigen, 2048^3 floats"), qPrintable(r.out));
    QVERIFY2(r.out.contains("sgemm (BLAS, 2048^3 floats"), qPrintable(r.out));
    QVERIFY2(r.out.contains("BLAS: OpenBLAS"), qPrintable(r.out));
    QVERIFY2(r.out.contains("of sgemm"), qPrintable(r.out));
    const auto rateOf = [&](const QString& name) {
      const QRegularExpressionMatch m =
          QRegularExpression("sgemm \\(" + name + ", 2048\\^3 floats, \\d+ threads?\\): ([0-9.]+) GFLOP/s").match(r.out);
      return m.hasMatch() ? m.captured(1).toDouble() : -1.0;
    };
    const double blas = rateOf("BLAS"), eigen = rateOf("Eigen");
    QVERIFY2(blas > 0 && eigen > 0, qPrintable(r.out));
    const QJsonArray rows = QJsonDocument::fromJson(head(json, 1 << 20)).array();
    QCOMPARE(rows.size(), 2);
    for (const QJsonValue& v : rows) {
      const QJsonObject o = v.toObject();
      QVERIFY(o["sgemm_gflops"].toDouble() > 0);
      QVERIFY(o["fraction_of_sgemm"].toDouble() > 0);
      QCOMPARE(o["sgemm_n"].toInt(), 2048);
      // The fraction is of the faster of the two, and says which it was.
      QVERIFY2(std::abs(o["sgemm_gflops"].toDouble() - std::max(blas, eigen)) < 0.006, qPrintable(r.out));
      const QString engine = o["sgemm_engine"].toString();
      QVERIFY2(std::abs(o["sgemm_gflops"].toDouble() - (engine == "blas" ? blas : eigen)) < 0.006, qPrintable(engine));
      // --threads is clamped to the machine's cores.
      QVERIFY(o["threads"].toInt() >= 1 && o["threads"].toInt() <= attnscope::hardwareThreads());
    }
  }

  void benchPrintsAndWritesJson() {
    const QString json = dir_.filePath("bench.json");
    const Run r = run({"bench", "--n", "32,64", "--d", "16", "--blocks", "sqrt", "--repeats", "2",
                       "--threads", "1", "--json", json});
    REQUIRE_RUN(r, 0);
    QVERIFY(r.out.contains("median ms"));
    QFile f(json);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonArray list = QJsonDocument::fromJson(f.readAll()).array();
    QCOMPARE(list.size(), 6);
    for (const QJsonValue& v : list) {
      const QJsonObject o = v.toObject();
      for (const char* key : {"mechanism", "backend", "n", "d", "heads", "blocks", "median_ms",
                              "min_ms", "max_ms", "gflops"})
        QVERIFY2(o.contains(key), key);
    }
    QCOMPARE(list[2].toObject()["blocks"].toInt(), 6);  // round(sqrt(32))
  }

  // The scaling sweep from the command line: compute --sweep writes sweep.csv (every mechanism on
  // every backend at each N), render draws the sweep panel, bench --sweep prints the table.
  void sweepFromTheCommandLine() {
    const QString out = dir_.filePath("sweep_run");
    Run r = run({"compute", "--qkv", q_, k_, v_, "--sweep", "--sweep-max-n", "512", "--out-dir", out});
    REQUIRE_RUN(r, 0);
    QFile csv(out + "/sweep.csv");
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(csv.readAll()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines[0], QString("backend,n,mechanism,median_ms,min_ms,max_ms,gflops"));
    const int backends = cudaEntry().availability.ok ? 2 : 1;
    QCOMPARE(lines.size(), 1 + backends * 2 * 3);  // N = 256, 512; three mechanisms
    QVERIFY(lines.filter(QRegularExpression("^eigen,512,mhla,[0-9.e+-]+,")).size() == 1);
    for (const QString& l : lines.mid(1)) QVERIFY2(l.split(',')[3].toDouble() > 0, qPrintable(l));

    const QString png = dir_.filePath("sweep.png");
    r = run({"render", "--qkv", q_, k_, v_, "--panels", "sweep", "--sweep-max-n", "256", "--out", png});
    REQUIRE_RUN(r, 0);
    QImage img(png);
    QVERIFY(!img.isNull() && img.width() > 100);

    r = run({"bench", "--sweep", "--sweep-max-n", "256", "--d", "16"});
    REQUIRE_RUN(r, 0);
    QVERIFY2(r.out.contains("mhla") && r.out.contains("softmax") && r.out.contains(" 256 "),
             qPrintable(r.out));
    r = run({"render", "--qkv", q_, k_, v_, "--sweep-max-n", "256", "--out", png});
    REQUIRE_RUN(r, 2);
    QVERIFY2(r.err.contains("--sweep-max-n"), qPrintable(r.err));
  }

  // Issue 15, data loss: a full disk (a file-size limit) fails with exit 1 and keeps the old
  // results; a folder of other files is refused before any work; concurrent runs each leave a
  // complete folder.
  void aFullDiskKeepsTheOldResults() {
    const QString out = dir_.filePath("full_run");
    REQUIRE_RUN(run({"compute", "--qkv", q_, k_, v_, "--seed", "1", "--out-dir", out}), 0);
    const auto before = folderBytes(out);
    QVERIFY(before.contains("metrics.json") && before.contains("row_mhla.npy"));
    Run r = runWithFileLimit({"compute", "--qkv", q_, k_, v_, "--seed", "2", "--blocks", "4",
                              "--out-dir", out}, 3000);
    // Issue 23: the harness no longer ignores SIGXFSZ for the program (it was killed, exit 153, with
    // no message and a staging folder left): the message names the out-dir, not the staging path.
    REQUIRE_RUN(r, 1);
    QVERIFY2(r.err.contains("cannot write") && r.err.contains(out + "/") && r.err.contains("File too large"),
             qPrintable(r.err));
    QVERIFY2(!r.err.contains("/.full_run"), qPrintable(r.err));
    QCOMPARE(folderBytes(out), before);
    // No staging folder left beside it.
    QCOMPARE(QDir(dir_.path()).entryList({".full_run*"}, QDir::AllEntries | QDir::Hidden).size(), 0);

    const QString png = dir_.filePath("full.png");
    REQUIRE_RUN(run({"render", "--qkv", q_, k_, v_, "--panels", "maps", "--out", png}), 0);
    const QByteArray pngBefore = head(png, 1 << 24);
    r = runWithFileLimit({"render", "--qkv", q_, k_, v_, "--panels", "maps,mixing", "--out", png},
                         2000);
    REQUIRE_RUN(r, 1);
    QVERIFY2(r.err.contains(png) && r.err.contains("File too large"), qPrintable(r.err));
    QCOMPARE(head(png, 1 << 24), pngBefore);

    const QString json = dir_.filePath("full_bench.json");
    REQUIRE_RUN(run({"bench", "--n", "64", "--repeats", "1", "--json", json}), 0);
    const QByteArray jsonBefore = head(json, 1 << 20);
    r = runWithFileLimit({"bench", "--n", "64,128", "--repeats", "1", "--json", json}, 200);
    REQUIRE_RUN(r, 1);
    QCOMPARE(head(json, 1 << 20), jsonBefore);
  }

  void aFolderOfOtherFilesIsRefused() {
    const QString out = dir_.filePath("user_folder");
    QVERIFY(QDir().mkpath(out));
    QFile notes(out + "/notes.txt");
    QVERIFY(notes.open(QIODevice::WriteOnly));
    notes.write("my notes");
    notes.close();
    const Run r = run({"compute", "--qkv", q_, k_, v_, "--out-dir", out});
    REQUIRE_RUN(r, 1);
    QVERIFY2(r.err.contains("notes.txt") && r.err.contains("not an attnscope result"),
             qPrintable(r.err));
    QCOMPARE(QDir(out).entryList(QDir::Files), QStringList{"notes.txt"});
    // A place that cannot take a folder is named before any work.
    const Run ro = run({"compute", "--qkv", q_, k_, v_, "--out-dir", out + "/notes.txt/run"});
    REQUIRE_RUN(ro, 1);
    QVERIFY2(ro.err.contains("not a writable folder"), qPrintable(ro.err));
  }

  void concurrentRunsLeaveOneCompleteFolder() {
    const QString out = dir_.filePath("race_run");
    std::vector<std::unique_ptr<QProcess>> procs;
    for (int seed = 1; seed <= 4; ++seed) {
      auto p = std::make_unique<QProcess>();
      p->start(qEnvironmentVariable("ATTNSCOPE_BIN"),
               {"compute", "--synthetic", "--synthetic-n", "96", "--seed", QString::number(seed),
                "--out-dir", out});
      procs.push_back(std::move(p));
    }
    for (auto& p : procs) {
      QVERIFY(p->waitForFinished(120000));
      QVERIFY2(p->exitCode() == 0, p->readAllStandardError().constData());
    }
    // The folder is exactly one run's: the seed in session.json reproduces every file.
    const QJsonObject session = readJson(out + "/session.json");
    const QString seed = session["seed"].toString();
    QVERIFY(!seed.isEmpty());
    const QString ref = dir_.filePath("race_ref");
    REQUIRE_RUN(run({"compute", "--synthetic", "--synthetic-n", "96", "--seed", seed,
                     "--out-dir", ref}),
                0);
    QCOMPARE(folderBytes(out), folderBytes(ref));
    QCOMPARE(QDir(dir_.path()).entryList({".race_run*"}, QDir::AllEntries | QDir::Hidden).size(), 0);
  }

  void usageErrorsExitTwo_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("needle");
    QTest::newRow("unknown command") << QStringList{"frobnicate"} << "frobnicate";
    QTest::newRow("unknown flag") << QStringList{"compute", "--bogus", "--out-dir", "x"} << "--bogus";
    QTest::newRow("no out-dir") << QStringList{"compute", "--sample", "image"} << "--out-dir";
    QTest::newRow("no out") << QStringList{"render", "--sample", "image"} << "--out";
    QTest::newRow("bad extension") << QStringList{"render", "--out", "fig.jpg"} << ".png";
    QTest::newRow("feature map") << QStringList{"compute", "--feature-map", "tanh", "--out-dir", "x"} << "--feature-map";
    QTest::newRow("query") << QStringList{"compute", "--query", "abc", "--out-dir", "x"} << "--query";
    QTest::newRow("blocks") << QStringList{"compute", "--blocks", "-1", "--out-dir", "x"} << "--blocks";
    QTest::newRow("mixing") << QStringList{"compute", "--mixing", "spiral", "--out-dir", "x"} << "--mixing";
    QTest::newRow("two sources") << QStringList{"compute", "--sample", "text", "--synthetic", "--out-dir", "x"} << "only one";
    QTest::newRow("qkv needs 3") << QStringList{"compute", "--qkv", "a.npy", "--out-dir", "x"} << "--qkv";
    QTest::newRow("panels") << QStringList{"render", "--panels", "maps,pie", "--out", "f.png"} << "pie";
    QTest::newRow("bench n") << QStringList{"bench", "--n", "12,,3"} << "--n";
    QTest::newRow("bench backend") << QStringList{"bench", "--backend", "tpu"} << "tpu";
    QTest::newRow("calibrate needs cuda") << QStringList{"bench", "--calibrate"} << "--calibrate";
    QTest::newRow("sgemm is cpu only")
        << QStringList{"bench", "--backend", "cuda", "--sgemm"} << "--sgemm";
    QTest::newRow("calibrate on cpu")
        << QStringList{"bench", "--backend", "cpu", "--calibrate"} << "--backend cuda";
    QTest::newRow("precision needs cuda")
        << QStringList{"bench", "--softmax-precision", "tf32"} << "--softmax-precision";
    QTest::newRow("precision name")
        << QStringList{"bench", "--backend", "cuda", "--softmax-precision", "fp16"} << "fp16";
  }
  void usageErrorsExitTwo() {
    QFETCH(QStringList, args);
    QFETCH(QString, needle);
    const Run r = run(args);
    REQUIRE_RUN(r, 2);
    QVERIFY2(r.err.startsWith("attnscope: error: "), qPrintable(r.err));
    QVERIFY2(r.err.contains(needle), qPrintable(r.err));
  }

  void runtimeErrorsExitOne() {
    const QString missing = dir_.filePath("missing.png");
    Run r = run({"compute", "--input", missing, "--out-dir", dir_.filePath("x")});
    REQUIRE_RUN(r, 1);
    QVERIFY2(r.err.contains("missing.png"), qPrintable(r.err));

    const QString junk = dir_.filePath("junk.npy");
    QFile f(junk);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("this is not numpy");
    f.close();
    r = run({"compute", "--qkv", junk, k_, v_, "--out-dir", dir_.filePath("x")});
    REQUIRE_RUN(r, 1);
    QVERIFY2(r.err.contains("junk.npy"), qPrintable(r.err));

    const QString badSession = dir_.filePath("bad_session.json");
    QFile s(badSession);
    QVERIFY(s.open(QIODevice::WriteOnly));
    s.write(R"({"version": 1, "mhla": {"blocks": -2}})");
    s.close();
    r = run({"render", "--session", badSession, "--out", dir_.filePath("y.png")});
    REQUIRE_RUN(r, 1);
    QVERIFY2(r.err.contains("mhla.blocks"), qPrintable(r.err));

    r = run({"compute", "--sample", "image", "--matrices", "--matrix-budget", "1", "--out-dir",
             dir_.filePath("x")});
    REQUIRE_RUN(r, 1);

    r = run({"compute", "--sample", "text", "--query", "5000", "--out-dir", dir_.filePath("x")});
    REQUIRE_RUN(r, 1);
    QVERIFY2(r.err.contains("query"), qPrintable(r.err));
  }
  // Issue #7: huge requests get rows and timings, or a clear refusal, never an out-of-memory kill.
  void hugeRequestsGetRowsOrAClearRefusal() {
    // A million tokens: the O(N) mechanisms run and print their timings.
    Run r = run({"bench", "--n", "1048576", "--mechanisms", "linear,mhla", "--d", "8", "--blocks",
                 "sqrt", "--repeats", "1"});
    REQUIRE_RUN(r, 0);
    QVERIFY2(r.out.contains("linear") && r.out.contains("mhla") && r.out.contains("1048576"),
             qPrintable(r.out));
    // Q, K and V that would not fit the memory budget are refused before anything is allocated;
    // the N that fits still runs.
    r = run({"bench", "--n", "64,4194304", "--d", "4096", "--heads", "1", "--mechanisms", "linear",
             "--repeats", "1"});
    REQUIRE_RUN(r, 0);
    QVERIFY2(r.err.contains("N=4194304: skipped") && r.err.contains("memory budget"),
             qPrintable(r.err));
    QVERIFY2(r.out.contains("linear"), qPrintable(r.out));
    r = run({"bench", "--n", "4194304", "--d", "4096", "--repeats", "1"});
    REQUIRE_RUN(r, 1);
    QVERIFY2(r.err.contains("memory budget"), qPrintable(r.err));
    // A million text tokens: the token budget's range is named.
    r = run({"compute", "--sample", "text", "--tokens", "1000000", "--out-dir", dir_.filePath("x")});
    REQUIRE_RUN(r, 2);
    QVERIFY2(r.err.contains("--tokens") && r.err.contains("1..65536"), qPrintable(r.err));
  }
};

QTEST_GUILESS_MAIN(CliTest)
#include "test_cli.moc"
