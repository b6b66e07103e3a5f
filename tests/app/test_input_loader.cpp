// Files → Input through the app layer: built-in samples, text files, .npy with a background image,
// and readable attention on the sample image.
#include <QTemporaryDir>
#include <QStringEncoder>
#include <QtTest>
#include <cmath>
#include <cstdio>

#include "attnscope/error.h"
#include "attnscope/npy.h"
#include "io/input_loader.h"
#include "io/samples.h"
#include "io/text_loader.h"

using namespace attnscope;

namespace {
template <typename F>
QString errorOf(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return QString::fromStdString(e.what());
  }
  return QString();
}

QString writeFile(const QTemporaryDir& dir, const QString& name, const QByteArray& bytes) {
  const QString path = dir.filePath(name);
  QFile f(path);
  f.open(QIODevice::WriteOnly);
  f.write(bytes);
  return path;
}

// Index of the token whose rect contains pixel (x, y).
int tokenAt(const TokenSet& s, int x, int y) {
  for (int i = 0; i < s.size(); ++i) {
    const PixelRect& r = s.tokens[i].rect;
    if (x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height) return i;
  }
  return -1;
}

// Softmax row i of head h with s = 1/√d_k: A_ij.
std::vector<double> softmaxRow(const HeadQKV& h, int i) {
  const double s = 1.0 / std::sqrt(static_cast<double>(h.Q.cols()));
  std::vector<double> a(h.K.rows());
  double mx = -1e300;
  for (int j = 0; j < h.K.rows(); ++j) {
    a[j] = s * h.Q.row(i).cast<double>().dot(h.K.row(j).cast<double>());
    mx = std::max(mx, a[j]);
  }
  double sum = 0;
  for (double& v : a) sum += (v = std::exp(v - mx));
  for (double& v : a) v /= sum;
  return a;
}
}  // namespace

class TestInputLoader : public QObject {
  Q_OBJECT
 private slots:
  void defaultInputIsTheSampleImage() {
    const Input in = defaultInput();
    QCOMPARE(in.tokens.kind, InputKind::Image);
    QCOMPARE(in.tokens.sourceWidth, 640);
    QCOMPARE(in.tokens.sourceHeight, 427);
    QVERIFY(in.tokens.size() <= 1024);
    QVERIFY(in.tokens.gridCols > in.tokens.gridRows);
    QCOMPARE(in.qkv.numHeads(), 4);
    QCOMPARE(in.qkv.dk(), 64);
    in.qkv.validate();
  }

  void sampleImagePatchesOfOneRegionAttendToEachOther() {
    for (double lambda : {0.0, 0.5}) {
      EmbeddingSettings e;
      e.positionWeight = lambda;
      const Input in = sampleImageInput(ImageInputSettings{}, e);
      const TokenSet& s = in.tokens;
      const int skyA = tokenAt(s, 150, 25), skyB = tokenAt(s, 480, 25);      // open sky, far apart
      const int grass = tokenAt(s, 345, 400), water = tokenAt(s, 600, 245);  // meadow, lake
      const int grassB = tokenAt(s, 10, 300);
      QVERIFY(skyA >= 0 && skyB >= 0 && grass >= 0 && water >= 0 && grassB >= 0);
      for (const HeadQKV& h : in.qkv.heads()) {
        auto score = [&](int i, int j) { return h.Q.row(i).dot(h.K.row(j)); };
        QVERIFY2(score(skyA, skyB) > score(skyA, grass), qPrintable(QString::number(lambda)));
        QVERIFY(score(skyA, skyB) > score(skyA, water));
        QVERIFY(score(grass, grassB) > score(grass, skyA));
      }
    }
  }

  void sampleImageMapsAreNeitherOneHotNorUniform() {
    const Input in = defaultInput();
    const int n = in.tokens.size();
    for (const HeadQKV& h : in.qkv.heads()) {
      double meanNormEntropy = 0, meanMax = 0;
      int rows = 0;
      for (int i = 0; i < n; i += 37, ++rows) {
        const std::vector<double> a = softmaxRow(h, i);
        double ent = 0, mx = 0;
        for (double v : a) {
          if (v > 0) ent -= v * std::log(v);
          mx = std::max(mx, v);
        }
        meanNormEntropy += ent / std::log(static_cast<double>(n));
        meanMax += mx;
      }
      meanNormEntropy /= rows;
      meanMax /= rows;
      std::printf("sample image head: mean normalised entropy %.3f, mean max weight %.3f\n",
                  meanNormEntropy, meanMax);
      QVERIFY(meanNormEntropy > 0.3 && meanNormEntropy < 0.95);
      QVERIFY(meanMax < 0.5);
    }
  }

  void sampleTextEqualWordsAttendToEachOther() {
    const Input in = sampleTextInput(TextInputSettings{}, EmbeddingSettings{});
    const TokenSet& s = in.tokens;
    QVERIFY(s.size() > 100);
    std::vector<int> harbour, other;
    for (int i = 0; i < s.size(); ++i)
      (s.tokens[i].label == "harbour" ? harbour : other).push_back(i);
    QVERIFY(harbour.size() >= 5);
    const HeadQKV& h = in.qkv.head(0);
    const std::vector<double> a = softmaxRow(h, harbour[2]);
    double toHarbour = 0;
    for (int j : harbour) toHarbour += a[j];
    std::printf("sample text: attention from 'harbour' to the %zu 'harbour' tokens: %.3f\n",
                harbour.size(), toHarbour);
    QVERIFY(toHarbour > 3.0 * harbour.size() / s.size());
    // Byte spans slice back to the labels.
    const std::string text = sampleText();
    for (const Token& t : s.tokens)
      QCOMPARE(text.substr(t.byteBegin, t.byteEnd - t.byteBegin), t.label);
  }

  void imageFileInputNamesTheFile() {
    QTemporaryDir dir;
    QImage img(90, 30, QImage::Format_RGB32);
    img.fill(qRgb(20, 40, 60));
    const QString path = dir.filePath("wide.png");
    QVERIFY(img.save(path));
    const Input in = loadImageInput(path, ImageInputSettings{}, EmbeddingSettings{});
    QCOMPARE(QString::fromStdString(in.tokens.sourceName), path);
    QVERIFY(in.tokens.gridCols > in.tokens.gridRows);
    const QString junk = writeFile(dir, "junk.jpg", "not really a jpeg");
    const QString msg =
        errorOf([&] { loadImageInput(junk, ImageInputSettings{}, EmbeddingSettings{}); });
    QVERIFY2(msg.contains("junk.jpg"), qPrintable(msg));
  }

  void textFiles() {
    QTemporaryDir dir;
    const QString good = writeFile(dir, "good.txt", "Boats and more boats.\n");
    const Input in = loadTextInput(good, TextInputSettings{}, EmbeddingSettings{});
    QCOMPARE(in.tokens.size(), 5);
    QString msg = errorOf([&] { loadTextInput(writeFile(dir, "zero.txt", ""), {}, {}); });
    QVERIFY2(msg.contains("zero.txt") && msg.contains("0 bytes"), qPrintable(msg));
    msg = errorOf([&] { loadTextInput(writeFile(dir, "blank.txt", " \n\t \n"), {}, {}); });
    QVERIFY2(msg.contains("blank.txt") && msg.contains("no tokens"), qPrintable(msg));
    msg = errorOf([&] { readTextFile(writeFile(dir, "big.txt", QByteArray(100, 'a')), 50); });
    QVERIFY2(msg.contains("big.txt") && msg.contains("limit"), qPrintable(msg));
    msg = errorOf([&] { loadTextInput(dir.filePath("absent.txt"), {}, {}); });
    QVERIFY2(msg.contains("absent.txt") && msg.contains("not found"), qPrintable(msg));
    const Input bad = loadTextInput(writeFile(dir, "latin1.txt", "caf\xE9 au lait"), {}, {});
    QCOMPARE(bad.tokens.size(), 3);
    QVERIFY(QString::fromStdString(bad.tokens.notices.at(0)).contains("U+FFFD"));
  }

  // Issue 15: UTF-16/32 texts (Notepad's "Unicode") and BOMs read as their text; devices refused.
  void unicodeEncodingsAndBoms() {
    QTemporaryDir dir;
    const QString text = QStringLiteral("Boats and more boats, café.\n");
    const Input ref = loadTextInput(writeFile(dir, "ref.txt", text.toUtf8()), {}, {});
    auto labels = [](const Input& in) {
      QStringList out;
      for (const Token& t : in.tokens.tokens) out << QString::fromStdString(t.label);
      return out;
    };
    struct Case {
      const char* name;
      QByteArray bytes;
      const char* notice;  // "" = none expected
    };
    auto encode = [&](QStringConverter::Encoding e, bool bom) {
      QStringEncoder enc(e, bom ? QStringConverter::Flag::WriteBom : QStringConverter::Flag::Default);
      return QByteArray(enc(text));
    };
    const std::vector<Case> cases = {
        {"utf8bom.txt", "\xEF\xBB\xBF" + text.toUtf8(), ""},
        {"utf16le.txt", encode(QStringConverter::Utf16LE, true), "UTF-16LE (byte-order mark)"},
        {"utf16be.txt", encode(QStringConverter::Utf16BE, true), "UTF-16BE (byte-order mark)"},
        {"utf32le.txt", encode(QStringConverter::Utf32LE, true), "UTF-32LE"},
        {"utf16be-nobom.txt", encode(QStringConverter::Utf16BE, false), "no byte-order mark"},
        {"utf16le-nobom.txt", encode(QStringConverter::Utf16LE, false), "no byte-order mark"},
        {"utf32le-nobom.txt", encode(QStringConverter::Utf32LE, false), "UTF-32LE (no byte-order mark"},
        {"utf32be-nobom.txt", encode(QStringConverter::Utf32BE, false), "UTF-32BE (no byte-order mark"},
    };
    for (const Case& c : cases) {
      const Input in = loadTextInput(writeFile(dir, c.name, c.bytes), {}, {});
      QVERIFY2(labels(in) == labels(ref), c.name);
      const QString notices = QString::fromStdString(
          in.tokens.notices.empty() ? std::string() : in.tokens.notices.front());
      if (*c.notice)
        QVERIFY2(notices.contains(c.notice), qPrintable(QString(c.name) + ": " + notices));
      else
        QVERIFY2(in.tokens.notices.empty(), qPrintable(QString(c.name) + ": " + notices));
    }
    const QString msg = errorOf([&] { loadTextInput("/dev/urandom", {}, {}); });
    QVERIFY2(msg.contains("/dev/urandom") && msg.contains("not a regular file"), qPrintable(msg));
  }

  void npyWithBackgroundImage() {
    QTemporaryDir dir;
    MatrixF m = MatrixF::Random(6, 4);
    NpyQkvSettings s;
    s.qPath = dir.filePath("q.npy").toStdString();
    s.kPath = dir.filePath("k.npy").toStdString();
    s.vPath = dir.filePath("v.npy").toStdString();
    writeNpy(s.qPath, m);
    writeNpy(s.kPath, m);
    writeNpy(s.vPath, m);
    s.gridRows = 2;
    s.gridCols = 3;
    QImage bg(60, 40, QImage::Format_RGB32);
    bg.fill(qRgb(0, 128, 255));
    const QString bgPath = dir.filePath("bg.png");
    QVERIFY(bg.save(bgPath));
    const Input in = loadNpyQkvInput(s, bgPath);
    QCOMPARE(in.image.width, 60);
    QCOMPARE(in.tokens.tokens[4].rect.x, 20);
    QCOMPARE(in.tokens.tokens[4].rect.y, 20);
    const QString msg = errorOf([&] { loadNpyQkvInput(s, dir.filePath("nobg.png")); });
    QVERIFY2(msg.contains("nobg.png"), qPrintable(msg));
  }
};

int runInputLoaderTests(int argc, char** argv) {
  TestInputLoader t;
  return QTest::qExec(&t, argc, argv);
}

#include "test_input_loader.moc"
