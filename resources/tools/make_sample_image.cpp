// Renders resources/sample.png, attnscope's built-in sample image: a lakeside village with distinct
// regions (sky, hills, water, meadow, road) and repeated objects (balloons, houses, trees, boats),
// so that attention maps on it are visibly meaningful. Deterministic: no randomness.
//
// Build and run once (or configure with -DATTNSCOPE_SAMPLE_TOOLS=ON):
//   g++ -std=c++17 -fPIC make_sample_image.cpp $(pkg-config --cflags --libs Qt6Gui) -o make_sample
//   QT_QPA_PLATFORM=offscreen ./make_sample ../sample.png
#include <QGuiApplication>
#include <QImage>
#include <QLinearGradient>
#include <QPainter>
#include <QPainterPath>
#include <QRadialGradient>
#include <cstdio>

namespace {
constexpr int kW = 640, kH = 427;

void drawSky(QPainter& p) {
  QLinearGradient g(0, 0, 0, 175);
  g.setColorAt(0, QColor(92, 162, 226));
  g.setColorAt(1, QColor(196, 226, 245));
  p.fillRect(0, 0, kW, 176, g);
  QRadialGradient sun(560, 58, 34);
  sun.setColorAt(0, QColor(255, 244, 170));
  sun.setColorAt(0.8, QColor(255, 214, 90));
  sun.setColorAt(1, QColor(255, 214, 90, 0));
  p.setPen(Qt::NoPen);
  p.setBrush(sun);
  p.drawEllipse(QPointF(560, 58), 34, 34);
}

void drawBalloon(QPainter& p, double cx, double cy, double r, QColor a, QColor b) {
  // Envelope in vertical stripes, a small basket hanging below.
  QPainterPath env;
  env.addEllipse(QPointF(cx, cy), r, r * 1.15);
  p.save();
  p.setClipPath(env);
  const int stripes = 6;
  for (int s = 0; s < stripes; ++s) {
    p.setBrush(s % 2 ? b : a);
    p.drawRect(QRectF(cx - r + s * 2 * r / stripes, cy - r * 1.2, 2 * r / stripes + 0.5, r * 2.4));
  }
  p.restore();
  p.setPen(QPen(QColor(90, 70, 50), 1));
  p.drawLine(QPointF(cx - r * 0.45, cy + r * 1.0), QPointF(cx - r * 0.18, cy + r * 1.55));
  p.drawLine(QPointF(cx + r * 0.45, cy + r * 1.0), QPointF(cx + r * 0.18, cy + r * 1.55));
  p.setPen(Qt::NoPen);
  p.setBrush(QColor(120, 80, 45));
  p.drawRect(QRectF(cx - r * 0.2, cy + r * 1.55, r * 0.4, r * 0.3));
}

void drawHills(QPainter& p) {
  QPainterPath far;
  far.moveTo(0, 176);
  far.cubicTo(90, 120, 170, 130, 250, 160);
  far.cubicTo(320, 120, 420, 110, 500, 150);
  far.cubicTo(560, 135, 610, 140, kW, 160);
  far.lineTo(kW, 192);
  far.lineTo(0, 192);
  p.setBrush(QColor(104, 132, 150));
  p.drawPath(far);
  QPainterPath near;
  near.moveTo(0, 180);
  near.cubicTo(120, 160, 220, 170, 330, 184);
  near.cubicTo(440, 168, 540, 166, kW, 182);
  near.lineTo(kW, 194);
  near.lineTo(0, 194);
  p.setBrush(QColor(62, 110, 84));
  p.drawPath(near);
}

void drawWater(QPainter& p) {
  QLinearGradient g(0, 192, 0, 262);
  g.setColorAt(0, QColor(48, 98, 160));
  g.setColorAt(1, QColor(28, 70, 128));
  p.fillRect(0, 192, kW, 70, g);
  p.setPen(QPen(QColor(150, 190, 225), 1.2));
  for (int row = 0; row < 5; ++row)
    for (int k = 0; k < 9; ++k) {
      const double x = 20 + k * 70 + (row % 2) * 35;
      const double y = 202 + row * 12;
      p.drawLine(QPointF(x, y), QPointF(x + 22, y));
    }
  p.setPen(Qt::NoPen);
}

void drawBoat(QPainter& p, double x, double y) {
  QPainterPath hull;
  hull.moveTo(x - 22, y);
  hull.lineTo(x + 22, y);
  hull.lineTo(x + 15, y + 8);
  hull.lineTo(x - 15, y + 8);
  hull.closeSubpath();
  p.setBrush(QColor(140, 60, 40));
  p.drawPath(hull);
  QPainterPath sail;
  sail.moveTo(x - 1, y - 2);
  sail.lineTo(x - 1, y - 34);
  sail.lineTo(x - 20, y - 2);
  sail.closeSubpath();
  p.setBrush(QColor(248, 248, 240));
  p.drawPath(sail);
}

void drawMeadow(QPainter& p) {
  QLinearGradient g(0, 262, 0, kH);
  g.setColorAt(0, QColor(118, 178, 72));
  g.setColorAt(1, QColor(76, 142, 52));
  p.fillRect(0, 262, kW, kH - 262, g);
  p.fillRect(0, 262, kW, 3, QColor(214, 200, 150));  // a thin beach line
}

void drawRoad(QPainter& p) {
  p.fillRect(0, 336, kW, 26, QColor(92, 92, 96));
  p.setBrush(QColor(240, 236, 220));
  for (int x = 8; x < kW; x += 40) p.drawRect(QRectF(x, 347.5, 20, 3));
}

void drawHouse(QPainter& p, double x, double y) {
  // x, y: top-left of the wall; 56 wide, 34 high; gabled roof above.
  p.setBrush(QColor(244, 236, 214));
  p.drawRect(QRectF(x, y, 56, 34));
  QPainterPath roof;
  roof.moveTo(x - 6, y + 1);
  roof.lineTo(x + 28, y - 22);
  roof.lineTo(x + 62, y + 1);
  roof.closeSubpath();
  p.setBrush(QColor(186, 52, 40));
  p.drawPath(roof);
  p.setBrush(QColor(110, 70, 40));
  p.drawRect(QRectF(x + 22, y + 14, 12, 20));
  p.setBrush(QColor(120, 170, 210));
  p.drawRect(QRectF(x + 6, y + 9, 10, 9));
  p.drawRect(QRectF(x + 40, y + 9, 10, 9));
}

void drawTree(QPainter& p, double x, double y) {
  // x: trunk centre, y: ground line. Three stacked triangles on a brown trunk.
  p.setBrush(QColor(100, 66, 38));
  p.drawRect(QRectF(x - 3, y - 10, 6, 10));
  p.setBrush(QColor(30, 92, 44));
  for (int k = 0; k < 3; ++k) {
    const double base = y - 8 - k * 12, half = 17 - k * 4;
    QPainterPath t;
    t.moveTo(x - half, base);
    t.lineTo(x + half, base);
    t.lineTo(x, base - 20);
    t.closeSubpath();
    p.drawPath(t);
  }
}
}  // namespace

int main(int argc, char** argv) {
  QGuiApplication app(argc, argv);
  const QString out = argc > 1 ? QString::fromLocal8Bit(argv[1]) : QStringLiteral("sample.png");
  QImage img(kW, kH, QImage::Format_RGB32);
  QPainter p(&img);
  p.setRenderHint(QPainter::Antialiasing);
  p.setPen(Qt::NoPen);
  drawSky(p);
  drawBalloon(p, 110, 62, 22, QColor(220, 60, 60), QColor(250, 200, 60));
  drawBalloon(p, 250, 98, 18, QColor(220, 60, 60), QColor(250, 200, 60));
  drawBalloon(p, 395, 48, 22, QColor(220, 60, 60), QColor(250, 200, 60));
  drawHills(p);
  drawWater(p);
  drawBoat(p, 150, 238);
  drawBoat(p, 420, 228);
  drawMeadow(p);
  for (int k = 0; k < 5; ++k) drawHouse(p, 40 + k * 120, 294);
  drawRoad(p);
  for (int k = 0; k < 6; ++k) drawTree(p, 50 + k * 108, 418);
  p.end();
  if (!img.convertToFormat(QImage::Format_RGB888).save(out, "PNG", 9)) {
    std::fprintf(stderr, "cannot write %s\n", qPrintable(out));
    return 1;
  }
  return 0;
}
