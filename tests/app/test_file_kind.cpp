// What a file is, by content (io/file_kind.h): every magic, sessions behind a BOM or blanks,
// extensionless text, names that lie, the extension as a tie-breaker only, and file errors. Also
// that the image and .npy loaders then read by content too.
#include <QBuffer>
#include <QDir>
#include <QImage>
#include <QTemporaryDir>
#include <QtTest>

#include "attnscope/error.h"
#include "attnscope/npy.h"
#include "io/file_kind.h"
#include "io/image_loader.h"
#include "io/input_loader.h"

using namespace attnscope;

Q_DECLARE_METATYPE(attnscope::FileKind)

namespace {

QByteArray bytes(const char* data, int size) { return QByteArray(data, size); }

QString writeFile(const QTemporaryDir& dir, const QString& name, const QByteArray& content) {
  const QString path = dir.filePath(name);
  QFile f(path);
  if (!f.open(QIODevice::WriteOnly)) return {};
  f.write(content);
  return path;
}

QByteArray encode(const QImage& img, const char* format) {
  QByteArray out;
  QBuffer buf(&out);
  buf.open(QIODevice::WriteOnly);
  img.save(&buf, format);
  return out;
}

QImage testImage() {
  QImage img(7, 5, QImage::Format_RGB32);
  img.fill(qRgb(200, 30, 60));
  return img;
}

const char* kLicense =
    "                    GNU GENERAL PUBLIC LICENSE\n"
    "                       Version 3, 29 June 2007\n\n"
    " Copyright (C) 2007 Free Software Foundation, Inc. <https://fsf.org/>\n"
    " Everyone is permitted to copy and distribute verbatim copies\n"
    " of this license document, but changing it is not allowed.\n\f\n"
    "                            Preamble\n";

}  // namespace

class TestFileKind : public QObject {
  Q_OBJECT
 private slots:
  void sniffBytesByContent_data() {
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<QString>("name");
    QTest::addColumn<FileKind>("expected");
    const QByteArray pixels = bytes("\x00\x01\x02\xFF\xFE\x80", 6);
    // Every image magic wins over any name.
    QTest::newRow("png") << bytes("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) << "a.txt" << FileKind::Image;
    QTest::newRow("jpeg") << bytes("\xFF\xD8\xFF\xE0\0\x10JFIF", 10) << "a.json" << FileKind::Image;
    QTest::newRow("gif87a") << QByteArray("GIF87a\x07\0") << "LICENSE" << FileKind::Image;
    QTest::newRow("gif89a") << QByteArray("GIF89a") << "a.npy" << FileKind::Image;
    QTest::newRow("bmp") << bytes("BM\x46\0\0\0\0\0\0\0\x36\0\0\0", 14) << "a.md" << FileKind::Image;
    QTest::newRow("webp") << QByteArray("RIFF\x24\x01\x01\x01WEBPVP8 ") << "a" << FileKind::Image;
    QTest::newRow("tiff-le") << bytes("II*\0\x08\0\0\0", 8) << "a.txt" << FileKind::Image;
    QTest::newRow("tiff-be") << bytes("MM\0*\0\0\0\x08", 8) << "a.txt" << FileKind::Image;
    // NumPy magic, whatever the name.
    QTest::newRow("npy named .png") << bytes("\x93NUMPY\x01\0v\0{'descr'", 18) << "q.png" << FileKind::Npy;
    // A '{' first (after blanks, after a BOM) is a session, even in a .txt.
    QTest::newRow("brace") << QByteArray("{\"version\": 1}") << "s" << FileKind::Session;
    QTest::newRow("blanks + brace") << QByteArray(" \n\t\r\n {\"a\": 1}") << "s.json" << FileKind::Session;
    QTest::newRow("bom + brace") << QByteArray("\xEF\xBB\xBF{\"a\": 1}") << "s" << FileKind::Session;
    QTest::newRow("bom + blanks + brace") << QByteArray("\xEF\xBB\xBF\n  {") << "s" << FileKind::Session;
    QTest::newRow("json-looking .txt") << QByteArray("{\"query\": 3}\n") << "notes.txt" << FileKind::Session;
    // Text: extensionless, or any text-looking bytes whatever the extension says.
    QTest::newRow("LICENSE") << QByteArray(kLicense) << "LICENSE" << FileKind::Text;
    QTest::newRow("README.png with text") << QByteArray("# Read me\n") << "README.png" << FileKind::Text;
    QTest::newRow("json array") << QByteArray("[1, 2, 3]") << "a.json" << FileKind::Text;
    QTest::newRow("BMW is not a BMP") << QByteArray("BMW cars are German cars.") << "cars.bmp" << FileKind::Text;
    QTest::newRow("RIFF without WEBP") << QByteArray("RIFF raff and more text") << "r.webp" << FileKind::Text;
    QTest::newRow("brace later") << QByteArray("text then {braces}") << "t" << FileKind::Text;
    QTest::newRow("empty") << QByteArray() << "empty.png" << FileKind::Text;
    QTest::newRow("utf-8 text") << QByteArray("Zoë’s café — 注意力\n") << "t.npy" << FileKind::Text;
    // A multi-byte character cut by the end of the head is still text.
    QTest::newRow("cut sequence") << QByteArray(kSniffBytes - 1, 'a') + "\xE2" << "t.png" << FileKind::Text;
    // Content that names no kind for sure: the extension breaks the tie.
    QTest::newRow("ppm binary") << QByteArray("P6\n2 2\n255\n") + pixels << "a.ppm" << FileKind::Image;
    QTest::newRow("pgm ascii") << QByteArray("P2\n2 2\n255\n0 1\n2 3\n") << "a.PGM" << FileKind::Image;
    QTest::newRow("pnm header, no image name") << QByteArray("P6 is a row of seats\n") << "seats" << FileKind::Text;
    QTest::newRow("xpm") << QByteArray("/* XPM */\nstatic char *x[] = {\n") << "x.xpm" << FileKind::Image;
    QTest::newRow("binary .png") << pixels << "broken.png" << FileKind::Image;
    QTest::newRow("binary .npy") << pixels << "junk.npy" << FileKind::Npy;
    QTest::newRow("binary .json") << pixels << "junk.json" << FileKind::Session;
    QTest::newRow("binary, no name") << pixels << "blob" << FileKind::Text;
    QTest::newRow("latin-1 .tif") << QByteArray("caf\xE9 au lait") << "c.tif" << FileKind::Image;
    QTest::newRow("latin-1 text") << QByteArray("caf\xE9 au lait") << "cafe" << FileKind::Text;
  }
  void sniffBytesByContent() {
    QFETCH(QByteArray, head);
    QFETCH(QString, name);
    QFETCH(FileKind, expected);
    const FileKind got = sniffBytes(head, name);
    QVERIFY2(got == expected, qPrintable(QString("%1: got %2, expected %3")
                                             .arg(name, QString(fileKindName(got)), QString(fileKindName(expected)))));
  }

  void sniffFilesOnDisk() {
    QTemporaryDir dir;
    QCOMPARE(sniffFileKind(writeFile(dir, "LICENSE", kLicense)), FileKind::Text);
    QCOMPARE(sniffFileKind(writeFile(dir, "picture.txt", encode(testImage(), "PNG"))), FileKind::Image);
    QCOMPARE(sniffFileKind(writeFile(dir, "photo.png", encode(testImage(), "JPEG"))), FileKind::Image);
    const QString npy = dir.filePath("q.png");
    writeNpy(npy.toStdString(), MatrixF(MatrixF::Random(4, 3)));
    QCOMPARE(sniffFileKind(npy), FileKind::Npy);
    QCOMPARE(sniffFileKind(writeFile(dir, "session.txt", "\xEF\xBB\xBF  {}")), FileKind::Session);
    QCOMPARE(sniffFileKind(writeFile(dir, "empty", "")), FileKind::Text);
    // A long file is sniffed by its head: megabytes of text after a '{'.
    QCOMPARE(sniffFileKind(writeFile(dir, "long", "{" + QByteArray(4 << 20, 'x'))), FileKind::Session);
  }

  void fileErrorsNameTheFile() {
    QTemporaryDir dir;
    for (const QString& path : {dir.filePath("missing.txt"), dir.filePath("LICENSE")}) {
      try {
        sniffFileKind(path);
        QFAIL("no error for a missing file");
      } catch (const FileError& e) {
        const QString msg = QString::fromStdString(e.what());
        QVERIFY2(msg.contains(path) && msg.contains("no such file"), qPrintable(msg));
      }
    }
    QVERIFY(QDir(dir.path()).mkdir("folder.png"));
    try {
      sniffFileKind(dir.filePath("folder.png"));
      QFAIL("no error for a folder");
    } catch (const FileError& e) {
      const QString msg = QString::fromStdString(e.what());
      QVERIFY2(msg.contains("folder.png") && msg.contains("folder"), qPrintable(msg));
    }
  }

  // What the sniffer calls an image or an array, the loaders read whatever the name says.
  void loadersReadByContent() {
    QTemporaryDir dir;
    const QString png = writeFile(dir, "picture.txt", encode(testImage(), "PNG"));
    const LoadedImage a = loadImageFile(png);
    QCOMPARE(a.image.width, 7);
    QCOMPARE(a.image.height, 5);
    const QString jpg = writeFile(dir, "photo.png", encode(testImage(), "JPEG"));
    QCOMPARE(loadImageFile(jpg).image.width, 7);
    const QString bmp = writeFile(dir, "LOGO", encode(testImage(), "BMP"));
    QCOMPARE(sniffFileKind(bmp), FileKind::Image);
    QCOMPARE(loadImageFile(bmp).image.height, 5);
    NpyQkvSettings s;
    s.qPath = dir.filePath("q.png").toStdString();
    s.kPath = dir.filePath("k.txt").toStdString();
    s.vPath = dir.filePath("v").toStdString();
    for (const std::string& p : {s.qPath, s.kPath, s.vPath}) writeNpy(p, MatrixF(MatrixF::Random(6, 4)));
    const Input in = loadNpyQkvInput(s, QString());
    QCOMPARE(in.tokens.size(), 6);
  }
};

int runFileKindTests(int argc, char** argv) {
  TestFileKind t;
  return QTest::qExec(&t, argc, argv);
}

#include "test_file_kind.moc"
