// A checkpoint as an input source in-process: the layer asked for, from one forward kept for the
// next request (the window's layer switch), and a fresh forward when the model's files change.
#include <QTemporaryDir>
#include <QtTest>

#include "attnscope/models/forward.h"
#include "model/model_source.h"
#include "st_writer.h"

using namespace attnscope;

namespace {

/// The Q/K/V of `layer` from a fresh forward of the checkpoint in `dir` on the sample image.
Qkv freshLayer(const Session& s, int layer) {
  const models::Checkpoint ckpt = models::Checkpoint::open(s.model.path);
  const models::ModelRunner runner(ckpt);
  Session one = s;
  one.model.layer = layer;
  return runSessionModel(one, ckpt, runner).forward.layer(layer).qkv;
}

bool same(const Qkv& a, const Qkv& b) {
  if (a.numHeads() != b.numHeads()) return false;
  for (int h = 0; h < a.numHeads(); ++h)
    if (a.q[h] != b.q[h] || a.k[h] != b.k[h] || a.v[h] != b.v[h]) return false;
  return true;
}

}  // namespace

class ModelSourceTest : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private slots:
  void givesTheLayerAskedForAndNoticesAChangedModel() {
    const std::string model = dir_.filePath("vit").toStdString();
    QVERIFY(QDir().mkpath(QString::fromStdString(model)));
    test::writeCheckpoint(model, test::tinyHfVit());
    Session s;
    s.source.kind = SourceKind::SampleImage;
    s.model.path = model;
    s.model.layer = 0;
    const Input first = loadModelInput(s);
    QCOMPARE(first.tokens.size(), 5);
    QCOMPARE(first.tokens.gridFirstToken, 1);
    QVERIFY(same(first.qkv, freshLayer(s, 0)));
    s.model.layer = 1;
    const Input second = loadModelInput(s);  // from the kept forward
    QVERIFY(same(second.qkv, freshLayer(s, 1)));
    QVERIFY(!same(second.qkv, first.qkv));
    QVERIFY(QString::fromStdString(second.tokens.notices.back()).contains("layer 1 of 2"));

    // New weights in the same folder (BF16 this time: the file changes size too).
    test::TinyModel changed = test::tinyHfVit();
    for (test::WTensor& t : changed.tensors) t.dtype = "BF16";
    for (double& v : changed.tensors[5].values) v = -v;
    test::writeCheckpoint(model, changed);
    const Input third = loadModelInput(s);
    QVERIFY(same(third.qkv, freshLayer(s, 1)));
    QVERIFY(!same(third.qkv, second.qkv));
  }
};

int runModelSourceTests(int argc, char** argv) {
  ModelSourceTest t;
  return QTest::qExec(&t, argc, argv);
}

#include "test_model_source.moc"
