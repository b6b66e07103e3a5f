// Image decoding: formats (grey, alpha, 16-bit, indexed, JPEG, BMP), limits, and bad files.
#include <QBuffer>
#include <QTemporaryDir>
#include <QtTest>
#include <cstring>

#include "attnscope/error.h"
#include "io/image_loader.h"
#include "io/samples.h"

using attnscope::FileError;
using attnscope::ImageLoadOptions;
using attnscope::LoadedImage;

namespace {
QByteArray encode(const QImage& img, const char* format) {
  QByteArray bytes;
  QBuffer buf(&bytes);
  buf.open(QIODevice::WriteOnly);
  img.save(&buf, format);
  return bytes;
}

// The error message of loadImageData / loadImageFile, or "" if none was thrown.
template <typename F>
QString errorOf(F&& f) {
  try {
    f();
  } catch (const FileError& e) {
    return QString::fromStdString(e.what());
  }
  return QString();
}

quint32 crc32(const QByteArray& data) {
  quint32 c = 0xFFFFFFFFu;
  for (char ch : data) {
    c ^= static_cast<quint8>(ch);
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}

void appendBE(QByteArray& out, quint32 v) {
  for (int s = 24; s >= 0; s -= 8) out.append(static_cast<char>((v >> s) & 0xFF));
}

// A PNG signature and IHDR chunk claiming width×height RGB pixels, a tiny IDAT, then IEND.
QByteArray pngHeaderOnly(quint32 width, quint32 height) {
  QByteArray png("\x89PNG\r\n\x1a\n", 8);
  QByteArray ihdr("IHDR");
  appendBE(ihdr, width);
  appendBE(ihdr, height);
  ihdr.append(QByteArray("\x08\x02\x00\x00\x00", 5));
  appendBE(png, 13);
  png.append(ihdr);
  appendBE(png, crc32(ihdr));
  const QByteArray idat = QByteArray("IDAT") + QByteArray("\x78\x9c\x03\x00", 4);
  appendBE(png, 4);
  png.append(idat);
  appendBE(png, crc32(idat));
  appendBE(png, 0);
  png.append("IEND");
  appendBE(png, crc32("IEND"));
  return png;
}
}  // namespace

class TestImageLoader : public QObject {
  Q_OBJECT
 private slots:
  void greyImage() {
    QImage img(4, 3, QImage::Format_Grayscale8);
    img.fill(128);
    const LoadedImage l = attnscope::loadImageData(encode(img, "PNG"), "grey.png");
    QCOMPARE(l.image.width, 4);
    QCOMPARE(l.image.height, 3);
    for (int c = 0; c < 3; ++c) QVERIFY(qAbs(l.image.at(2, 1, c) - 128 / 255.f) < 1e-6f);
  }
  void alphaIsCompositedOnWhite() {
    QImage img(2, 1, QImage::Format_ARGB32);
    img.setPixel(0, 0, qRgba(0, 0, 0, 0));      // fully transparent black → white
    img.setPixel(1, 0, qRgba(255, 0, 0, 255));  // opaque red stays red
    const LoadedImage l = attnscope::loadImageData(encode(img, "PNG"), "alpha.png");
    QCOMPARE(l.image.at(0, 0, 0), 1.f);
    QCOMPARE(l.image.at(0, 0, 2), 1.f);
    QCOMPARE(l.image.at(1, 0, 0), 1.f);
    QCOMPARE(l.image.at(1, 0, 1), 0.f);
  }
  void sixteenBitKeepsPrecision() {
    QImage img(2, 2, QImage::Format_RGBX64);
    img.fill(QColor::fromRgba64(1000, 30000, 65535));
    const QByteArray png = encode(img, "PNG");
    const LoadedImage l = attnscope::loadImageData(png, "deep.png");
    QVERIFY(qAbs(l.image.at(1, 1, 0) - 1000 / 65535.f) < 1e-6f);
    QVERIFY(qAbs(l.image.at(1, 1, 1) - 30000 / 65535.f) < 1e-6f);
    QImage grey(3, 1, QImage::Format_Grayscale16);
    grey.fill(QColor::fromRgba64(257 * 3 + 1, 257 * 3 + 1, 257 * 3 + 1));
    const LoadedImage g = attnscope::loadImageData(encode(grey, "PNG"), "grey16.png");
    QCOMPARE(g.image.width, 3);
    QVERIFY(g.image.at(0, 0, 0) > 0.0f && g.image.at(0, 0, 0) < 0.02f);
  }
  void indexedImage() {
    QImage img(3, 2, QImage::Format_Indexed8);
    img.setColorTable({qRgb(255, 0, 0), qRgb(0, 0, 255)});
    img.fill(0);
    img.setPixel(2, 1, 1);
    const LoadedImage l = attnscope::loadImageData(encode(img, "PNG"), "indexed.png");
    QCOMPARE(l.image.at(0, 0, 0), 1.f);
    QCOMPARE(l.image.at(2, 1, 2), 1.f);
    QCOMPARE(l.image.at(2, 1, 0), 0.f);
  }
  void jpegAndBmp() {
    QImage img(20, 10, QImage::Format_RGB32);
    img.fill(qRgb(10, 200, 30));
    for (const char* fmt : {"JPEG", "BMP"}) {
      const LoadedImage l = attnscope::loadImageData(encode(img, fmt), QString("x.") + fmt);
      QCOMPARE(l.image.width, 20);
      QCOMPARE(l.image.height, 10);
      QVERIFY(qAbs(l.image.at(5, 5, 1) - 200 / 255.f) < 0.03f);
    }
  }
  void oneByOne() {
    QImage img(1, 1, QImage::Format_RGB32);
    img.fill(qRgb(0, 0, 0));
    const LoadedImage l = attnscope::loadImageData(encode(img, "PNG"), "dot.png");
    QCOMPARE(l.image.width, 1);
    QCOMPARE(l.image.rgb.size(), std::size_t(3));
  }
  void bigImageIsReadScaled() {
    QImage img(400, 200, QImage::Format_RGB32);
    img.fill(qRgb(200, 100, 50));
    ImageLoadOptions opt;
    opt.maxPixels = 20000;
    for (const char* fmt : {"JPEG", "PNG"}) {
      const LoadedImage l = attnscope::loadImageData(encode(img, fmt), "big", opt);
      QVERIFY(static_cast<long long>(l.image.width) * l.image.height <= 20000);
      QCOMPARE(l.image.width, 200);
      QCOMPARE(l.image.height, 100);
      QCOMPARE(l.fileWidth, 400);
      QCOMPARE(l.notices.size(), std::size_t(1));
      QVERIFY(QString::fromStdString(l.notices[0]).contains("scaled down to 200×100"));
    }
  }
  void hugeHeaderIsRefused() {
    const QString msg =
        errorOf([] { attnscope::loadImageData(pngHeaderOnly(100000, 100000), "huge.png"); });
    QVERIFY2(msg.contains("huge.png"), qPrintable(msg));
    QVERIFY2(msg.contains("100000×100000"), qPrintable(msg));
    QVERIFY2(msg.contains("too large"), qPrintable(msg));
  }
  void emptyFiles() {
    QTemporaryDir dir;
    const QString path = dir.filePath("empty.png");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.close();
    QString msg = errorOf([&] { attnscope::loadImageFile(path); });
    QVERIFY2(msg.contains("empty.png") && msg.contains("0 bytes"), qPrintable(msg));
    msg = errorOf([&] { attnscope::loadImageData(QByteArray(), "mem.png"); });
    QVERIFY2(msg.contains("mem.png") && msg.contains("empty"), qPrintable(msg));
    msg = errorOf([&] { attnscope::loadImageFile(dir.filePath("missing.png")); });
    QVERIFY2(msg.contains("missing.png") && msg.contains("not found"), qPrintable(msg));
  }
  void corruptImage() {
    QByteArray junk("\x89PNG\r\n\x1a\n", 8);
    junk.append(QByteArray(200, '\x5a'));
    QString msg = errorOf([&] { attnscope::loadImageData(junk, "corrupt.png"); });
    QVERIFY2(msg.contains("corrupt.png"), qPrintable(msg));
    msg = errorOf([&] { attnscope::loadImageData(QByteArray("hello, not an image"), "text.png"); });
    QVERIFY2(msg.contains("text.png") && msg.contains("not a readable image"), qPrintable(msg));
  }
  void truncatedImage() {
    QFile f(attnscope::sampleImagePath());
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray png = f.readAll();
    for (double keep : {0.5, 0.1}) {
      const QByteArray cut = png.left(static_cast<int>(png.size() * keep));
      const QString msg = errorOf([&] { attnscope::loadImageData(cut, "cut.png"); });
      QVERIFY2(msg.contains("cut.png") && msg.contains("truncated"), qPrintable(msg));
    }
    QImage img(64, 64, QImage::Format_RGB32);
    img.fill(qRgb(1, 2, 3));
    const QByteArray jpg = encode(img, "JPEG");
    const QString msg =
        errorOf([&] { attnscope::loadImageData(jpg.left(jpg.size() / 2), "cut.jpg"); });
    QVERIFY2(msg.contains("cut.jpg") && msg.contains("truncated"), qPrintable(msg));
  }
};

int runImageLoaderTests(int argc, char** argv) {
  TestImageLoader t;
  return QTest::qExec(&t, argc, argv);
}

#include "test_image_loader.moc"
