// End to end with trained checkpoints (issue 12): tiny random GPT-2 and ViT checkpoints in the real
// layouts, written by the tests; `compute --model` must give the ids of the checkpoint's tokenizer
// and exactly the Q/K/V and attention probabilities of the independent double-precision reference.
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <set>

#include "attnscope/models/byte_unicode.h"
#include "attnscope/npy.h"
#include "cli_runner.h"

#include "forward_reference.h"
#include "llama_reference.h"
#include "st_writer.h"

using namespace attnscope;
using namespace attnscope::test;

namespace {

/// tinyGpt2 with a byte-level vocabulary: the 256 byte symbols (ids 0–255) and four merges.
TinyModel byteGpt2() {
  TinyModel m = tinyGpt2();
  for (WTensor& t : m.tensors)
    if (t.name == "wte.weight") t = randomTensor("wte.weight", {260, 8}, 4242);
  const QString cfg = QString::fromStdString(m.config).replace("\"vocab_size\": 11", "\"vocab_size\": 260");
  m.config = cfg.toStdString();
  return m;
}

void writeText(const QString& path, const QByteArray& bytes) {
  QFile f(path);
  QVERIFY(f.open(QIODevice::WriteOnly));
  f.write(bytes);
}

/// The 256 byte symbols (ids 0–255) and the merges' results "he" 256, "ll" 257, "hell" 258, "Ġw" 259.
QJsonObject byteVocab() {
  QJsonObject vocab;
  for (int b = 0; b < 256; ++b)
    vocab[QString::fromStdString(models::byteSymbol(static_cast<std::uint8_t>(b)))] = b;
  const QString space = QString::fromStdString(models::byteSymbol(' '));
  vocab["he"] = 256;
  vocab["ll"] = 257;
  vocab["hell"] = 258;
  vocab[space + "w"] = 259;
  return vocab;
}

void writeByteTokenizer(const QString& dir) {
  const QJsonObject vocab = byteVocab();
  const QString space = QString::fromStdString(models::byteSymbol(' '));
  writeText(dir + "/vocab.json", QJsonDocument(vocab).toJson());
  writeText(dir + "/merges.txt", ("#version: 0.2\nh e\nl l\nhe ll\n" + space + " w\n").toUtf8());
}

double relativeError(const NpyArray& got, std::size_t offset, const Mat& want) {
  double diff = 0, scale = 1e-30;
  const std::size_t cols = want[0].size();
  for (std::size_t i = 0; i < want.size(); ++i)
    for (std::size_t j = 0; j < cols; ++j) {
      diff = std::max(diff, std::abs(got.data[offset + i * cols + j] - want[i][j]));
      scale = std::max(scale, std::abs(want[i][j]));
    }
  return diff / scale;
}

NpyArray npy(const QString& path) { return readNpy(path.toStdString()); }

void writeLlamaTokenizer(const QString& dir) {
  writeText(dir + "/tokenizer.json", QByteArray::fromStdString(llamaTokenizerJson()));
}

}  // namespace

class CliModelTest : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private slots:
  void gpt2ComputeGivesTheModelsOwnQkvAndAttention() {
    const QString model = dir_.filePath("gpt2");
    QVERIFY(QDir().mkpath(model));
    const TinyModel m = byteGpt2();
    writeCheckpoint(model.toStdString(), m);
    writeByteTokenizer(model);
    const QString text = dir_.filePath("hello.txt");
    writeText(text, "hello world");
    const QString out = dir_.filePath("gpt2-out");
    const Run r = run({"compute", "--model", model, "--input", text, "--head", "all", "--matrices", "--dump-qkv",
                       "--out-dir", out});
    REQUIRE_RUN(r, 0);

    // The checkpoint's tokenizer: "hell" "o" " w" "o" "r" "l" "d".
    const QJsonObject tokens = readJson(out + "/tokens.json");
    const QList<int> wantIds{258, 'o', 259, 'o', 'r', 'l', 'd'};
    QCOMPARE(tokens["ids"].toArray().size(), wantIds.size());
    for (int i = 0; i < wantIds.size(); ++i) QCOMPARE(tokens["ids"].toArray()[i].toInt(), wantIds[i]);
    QCOMPARE(tokens["tokens"].toArray()[2].toString(), QString(" w"));

    // q, k, v of the last layer and the model's probabilities, against the reference.
    const std::vector<int> ids(wantIds.begin(), wantIds.end());
    const RefForward ref = referenceGpt2(m.tensors, RefConfig{}, ids);
    const RefLayer& last = ref.layers[1];
    const NpyArray q = npy(out + "/q.npy"), k = npy(out + "/k.npy"), v = npy(out + "/v.npy");
    QCOMPARE(q.shape, (std::vector<std::int64_t>{2, 7, 4}));
    QVERIFY(q.dtype == NpyDtype::Float32);
    const NpyArray p = npy(out + "/matrix_softmax.npy");
    QCOMPARE(p.shape, (std::vector<std::int64_t>{2, 7, 7}));
    for (std::size_t h = 0; h < 2; ++h) {
      QVERIFY(relativeError(q, h * 28, last.q[h]) < 1e-4);
      QVERIFY(relativeError(k, h * 28, last.k[h]) < 1e-4);
      QVERIFY(relativeError(v, h * 28, last.v[h]) < 1e-4);
      QVERIFY2(relativeError(p, h * 49, last.probabilities[h]) < 1e-4, "softmax is the model's causal attention");
    }
    // The session records the model; MHLA runs causal 1D blocks.
    const QJsonObject session = readJson(out + "/session.json");
    QCOMPARE(session["model"].toObject()["path"].toString(), QDir(model).absolutePath());
    const QJsonObject metrics = readJson(out + "/metrics.json");
    QVERIFY2(QJsonDocument(metrics).toJson().contains("1D"), "GPT-2's MHLA uses 1D blocks");

    // --layer 0 gives layer 0's Q.
    const QString out0 = dir_.filePath("gpt2-out0");
    REQUIRE_RUN(run({"compute", "--model", model, "--input", text, "--layer", "0", "--dump-qkv", "--out-dir", out0}), 0);
    QVERIFY(relativeError(npy(out0 + "/q.npy"), 28, ref.layers[0].q[1]) < 1e-4);

    // A longer text is cut to n_positions with a notice.
    const QString longText = dir_.filePath("long.txt");
    writeText(longText, "hello world hello world");
    const Run cut = run({"compute", "--model", model, "--input", longText, "--out-dir", dir_.filePath("gpt2-long")});
    REQUIRE_RUN(cut, 0);
    QVERIFY2(cut.err.contains("n_positions"), qPrintable(cut.err));

    // render draws the same analysis.
    const QString png = dir_.filePath("gpt2.png");
    REQUIRE_RUN(run({"render", "--model", model, "--input", text, "--out", png, "--dpi", "60", "--repeats", "1"}), 0);
    QVERIFY(!QImage(png).isNull());
  }

  void vitComputeRunsOnThePatchGridWithClsOffTheGrid() {
    const QString model = dir_.filePath("vit");
    QVERIFY(QDir().mkpath(model));
    const TinyModel m = tinyHfVit();
    writeCheckpoint(model.toStdString(), m);
    const QString out = dir_.filePath("vit-out");
    const Run r = run({"compute", "--model", model, "--sample", "image", "--dump-qkv", "--out-dir", out});
    REQUIRE_RUN(r, 0);
    QVERIFY2(r.err.contains("preprocessed"), qPrintable(r.err));
    const QJsonArray labels = readJson(out + "/tokens.json")["tokens"].toArray();
    QCOMPARE(labels.size(), 5);
    QCOMPARE(labels[0].toString(), QString("[CLS]"));
    QCOMPARE(labels[4].toString(), QString("(1,1)"));
    QCOMPARE(npy(out + "/q.npy").shape, (std::vector<std::int64_t>{2, 5, 4}));
    const QByteArray metrics = QJsonDocument(readJson(out + "/metrics.json")).toJson();
    QVERIFY2(metrics.contains("2D") && metrics.contains("off-grid"), metrics.constData());

    // Native resolution: the sample's 3:2 aspect within 6 patches → a 2 × 3 grid, positions resampled.
    const QString native = dir_.filePath("vit-native");
    const Run n = run({"compute", "--model", model, "--sample", "image", "--native-resolution", "--tokens", "6",
                       "--dump-qkv", "--out-dir", native});
    REQUIRE_RUN(n, 0);
    const QJsonArray nativeLabels = readJson(native + "/tokens.json")["tokens"].toArray();
    QCOMPARE(nativeLabels.size(), 7);
    QCOMPARE(nativeLabels[6].toString(), QString("(1,2)"));
    QCOMPARE(npy(native + "/q.npy").shape, (std::vector<std::int64_t>{2, 7, 4}));
  }

  void imageModelsReplaceALayerAndCompareTheClsEmbedding() {
    const QString model = dir_.filePath("vit-hybrid");
    QVERIFY(QDir().mkpath(model));
    writeCheckpoint(model.toStdString(), tinyHfVit());
    const QString out = dir_.filePath("vit-hybrid-out"), same = dir_.filePath("vit-hybrid-softmax");
    REQUIRE_RUN(run({"compute", "--model", model, "--sample", "image", "--replace", "0=mhla", "--out-dir", out}), 0);
    const double cosine = readJson(out + "/hybrid.json")["cls_cosine"].toDouble();
    QVERIFY2(cosine > -1.0001 && cosine < 0.99999, qPrintable(QString::number(cosine)));
    QVERIFY(!QFile::exists(out + "/nll.csv"));
    REQUIRE_RUN(run({"compute", "--model", model, "--sample", "image", "--replace", "1=softmax", "--out-dir", same}), 0);
    QVERIFY(readJson(same + "/hybrid.json")["cls_cosine"].toDouble() > 0.99999);
    // Head scores: the mean attention distance is a distance on the patch grid (≥ 0, ≤ its diagonal).
    const QString all = dir_.filePath("vit-all");
    REQUIRE_RUN(run({"compute", "--model", model, "--sample", "image", "--layer", "all", "--out-dir", all}), 0);
    QFile csv(all + "/layers.csv");
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QStringList rows = QString::fromUtf8(csv.readAll()).trimmed().split('\n');
    QVERIFY(rows.size() > 1);
    for (int i = 1; i < rows.size(); ++i) {
      const double d = rows[i].split(',')[10].toDouble();
      QVERIFY2(d > 0 && d <= std::sqrt(2.0) + 1e-9, qPrintable(rows[i]));  // the tiny ViT's grid is 2 × 2
    }
  }

  void everyImageFamilyComputes() {
    struct Case {
      const char* name;
      TinyModel model;
      int tokens;
      const char* second;  // label of token 1
    };
    const std::vector<Case> cases{{"timm", tinyTimmVit(), 5, "(0,0)"},
                                  {"dinov2", tinyDinov2(0), 5, "(0,0)"},
                                  {"dinov2-reg", tinyDinov2(2), 7, "[REG 0]"},
                                  {"vit-prefixed", tinyHfVit("vit."), 5, "(0,0)"}};
    for (const Case& c : cases) {
      const QString model = dir_.filePath(c.name);
      QVERIFY(QDir().mkpath(model));
      writeCheckpoint(model.toStdString(), c.model);
      // DINOv2 folders carry their processor's settings (its defaults would crop to 224 pixels).
      if (QString(c.name).startsWith("dinov2"))
        writeText(model + "/preprocessor_config.json",
                  R"({"image_processor_type": "BitImageProcessor", "do_resize": true, "size": {"shortest_edge": 8},
                      "resample": 3, "do_center_crop": true, "crop_size": {"height": 8, "width": 8},
                      "do_rescale": true, "rescale_factor": 0.00392156862745098, "do_normalize": true,
                      "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]})");
      const QString out = dir_.filePath(QString(c.name) + "-out");
      const Run r = run({"compute", "--model", model, "--sample", "image", "--dump-qkv", "--head", "all",
                         "--matrices", "--out-dir", out});
      REQUIRE_RUN(r, 0);
      const QJsonArray labels = readJson(out + "/tokens.json")["tokens"].toArray();
      QCOMPARE(labels.size(), c.tokens);
      QCOMPARE(labels[1].toString(), QString(c.second));
      QCOMPARE(npy(out + "/q.npy").shape, (std::vector<std::int64_t>{2, c.tokens, 4}));
      // The model's attention: rows of its probabilities sum to 1, no mask.
      const NpyArray p = npy(out + "/matrix_softmax.npy");
      QCOMPARE(p.shape, (std::vector<std::int64_t>{2, c.tokens, c.tokens}));
      double row = 0;
      for (int j = 0; j < c.tokens; ++j) row += p.data[static_cast<std::size_t>(j)];
      QVERIFY(std::abs(row - 1.0) < 1e-5);
      QVERIFY(p.data[static_cast<std::size_t>(c.tokens - 1)] > 0);
    }
  }

  void llamaComputeGivesGroupedHeadsRopeAndTheTokenizersBos() {
    // Issue 25 #3: Llama 3 style (4 query heads over 1 KV head, llama3 RoPE scaling, BF16, tied).
    const QString model = dir_.filePath("llama");
    QVERIFY(QDir().mkpath(model));
    LlamaSpec spec = llama3Spec();
    spec.vocab = 261;
    const TinyModel m = tinyLlama(spec);
    writeCheckpoint(model.toStdString(), m);
    writeLlamaTokenizer(model);

    const Run info = run({"info", "--model", model});
    REQUIRE_RUN(info, 0);
    QVERIFY2(info.out.contains("llama - Llama family"), qPrintable(info.out));
    QVERIFY2(info.out.contains("key/value heads        1 (grouped-query attention: 4 query heads per key/value head)"),
             qPrintable(info.out));
    QVERIFY2(info.out.contains("d_head                 8"), qPrintable(info.out));
    QVERIFY2(info.out.contains("rotary positions       theta 10000, llama3 scaling (factor 4"), qPrintable(info.out));
    QVERIFY2(info.out.contains("tied to the token embedding"), qPrintable(info.out));

    const QString text = dir_.filePath("llama.txt");
    writeText(text, "hello world");
    const QString out = dir_.filePath("llama-out");
    REQUIRE_RUN(run({"compute", "--model", model, "--input", text, "--layer", "1", "--head", "all", "--matrices",
                     "--dump-qkv", "--out-dir", out}),
                0);
    // <|begin_of_text|> "hell" "o" " w" "o" "r" "l" "d": BOS from the post-processor, shown as a token.
    const QJsonObject tokens = readJson(out + "/tokens.json");
    const QList<int> wantIds{260, 258, 'o', 259, 'o', 'r', 'l', 'd'};
    QCOMPARE(tokens["ids"].toArray().size(), wantIds.size());
    for (int i = 0; i < wantIds.size(); ++i) QCOMPARE(tokens["ids"].toArray()[i].toInt(), wantIds[i]);
    QCOMPARE(tokens["tokens"].toArray()[0].toString(), QString("<|begin_of_text|>"));
    QCOMPARE(tokens["tokens"].toArray()[3].toString(), QString(" w"));

    // Q after RoPE; K after RoPE and V expanded from the one KV head to the 4 query heads.
    const std::vector<int> ids(wantIds.begin(), wantIds.end());
    const LlamaRef ref = referenceLlama(m, spec, ids);
    const RefLayer& last = ref.forward.layers[1];
    const NpyArray q = npy(out + "/q.npy"), k = npy(out + "/k.npy"), v = npy(out + "/v.npy");
    QCOMPARE(q.shape, (std::vector<std::int64_t>{4, 8, 8}));
    QCOMPARE(k.shape, (std::vector<std::int64_t>{4, 8, 8}));
    QCOMPARE(v.shape, (std::vector<std::int64_t>{4, 8, 8}));
    const NpyArray p = npy(out + "/matrix_softmax.npy");
    QCOMPARE(p.shape, (std::vector<std::int64_t>{4, 8, 8}));
    for (std::size_t h = 0; h < 4; ++h) {
      QVERIFY(relativeError(q, h * 64, last.q[h]) < 1e-4);
      QVERIFY(relativeError(k, h * 64, last.k[h]) < 1e-4);
      QVERIFY(relativeError(v, h * 64, last.v[h]) < 1e-4);
      QVERIFY2(relativeError(p, h * 64, last.probabilities[h]) < 1e-4, "softmax is the model's causal attention");
    }
    // metrics.json: the groups and the KV cache per token.
    const QJsonObject facts = readJson(out + "/metrics.json")["model"].toObject();
    QCOMPARE(facts["kv_heads"].toInt(), 1);
    QCOMPARE(facts["group_size"].toInt(), 4);
    QCOMPARE(facts["kv_cache_numbers_per_token_layer"].toObject()["gqa"].toInt(), 16);
    QCOMPARE(facts["kv_cache_numbers_per_token_layer"].toObject()["mha"].toInt(), 64);
    QCOMPARE(facts["kv_cache_bytes_per_token_bf16"].toObject()["gqa"].toInt(), 16 * 2 * 2);

    // Issue 25 #5: --kv-rank 2 runs every layer on the rank-2 latent of [K/α | V], RoPE after.
    const QString low = dir_.filePath("llama-rank2");
    const Run lr = run({"compute", "--model", model, "--input", text, "--layer", "1", "--head", "all", "--matrices",
                        "--dump-qkv", "--kv-rank", "2", "--out-dir", low});
    REQUIRE_RUN(lr, 0);
    QVERIFY2(lr.err.contains("K/V at rank 2 (every layer)") && lr.err.contains("RoPE is applied after the low-rank step"),
             qPrintable(lr.err));
    const LlamaRef ref2 = referenceLlama(m, spec, ids, 2);
    const NpyArray k2 = npy(low + "/k.npy"), p2 = npy(low + "/matrix_softmax.npy");
    for (std::size_t h = 0; h < 4; ++h) {
      QVERIFY(relativeError(k2, h * 64, ref2.forward.layers[1].k[h]) < 1e-4);
      QVERIFY(relativeError(p2, h * 64, ref2.forward.layers[1].probabilities[h]) < 1e-4);
    }
    const QJsonObject kv = readJson(low + "/kv_rank.json");
    QCOMPARE(kv["rank"].toInt(), 2);
    QCOMPARE(kv["full_rank"].toInt(), 8);  // min(N = 8, 2·H_kv·d = 16)
    double wantNll = 0, wantLow = 0;
    for (std::size_t i = 0; i < ref.losses.size(); ++i) {
      wantNll += ref.losses[i] / ref.losses.size();
      wantLow += ref2.losses[i] / ref2.losses.size();
    }
    QVERIFY2(std::abs(kv["delta_nll"].toDouble() - (wantLow - wantNll)) < 1e-4, qPrintable(QString::number(kv["delta_nll"].toDouble())));
    QCOMPARE(kv["kl"].toArray().size(), 2);
    QVERIFY(kv["kl"].toArray()[1].toArray()[0].toDouble() > 0);
    QCOMPARE(readJson(low + "/metrics.json")["model"].toObject()["kv_cache_numbers_per_token_layer"].toObject()["latent"].toInt(), 2);
    // One layer only: layer 0 keeps its own K/V.
    const QString one = dir_.filePath("llama-rank2-l0");
    REQUIRE_RUN(run({"compute", "--model", model, "--input", text, "--layer", "0", "--dump-qkv", "--kv-rank", "2",
                     "--kv-rank-layer", "1", "--out-dir", one}),
                0);
    QVERIFY(relativeError(npy(one + "/k.npy"), 0, ref.forward.layers[0].k[0]) < 1e-4);
    const Run badLayer = run({"compute", "--model", model, "--input", text, "--kv-rank", "2", "--kv-rank-layer", "5",
                              "--out-dir", dir_.filePath("llama-bad")});
    REQUIRE_RUN(badLayer, 1);
    QVERIFY2(badLayer.err.contains("--kv-rank-layer 5 does not exist"), qPrintable(badLayer.err));

    // The sweep: ranks 1, 2, 4, 8 (full): at full rank nothing changes; the layers' energy ranks.
    const QString sweep = dir_.filePath("llama-sweep");
    REQUIRE_RUN(run({"compute", "--model", model, "--input", text, "--kv-rank-sweep", "--out-dir", sweep}), 0);
    QFile csv(sweep + "/kv_rank_sweep.csv");
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(csv.readAll()).trimmed().split('\n');
    QCOMPARE(lines.size(), 5);
    QVERIFY(lines[0].startsWith("rank,cache_numbers_per_token_layer"));
    const QStringList second = lines[2].split(','), full = lines[4].split(',');
    QCOMPARE(second[0], QString("2"));
    QVERIFY2(std::abs(second[4].toDouble() - (wantLow - wantNll)) < 1e-4, qPrintable(lines[2]));
    QCOMPARE(full[0], QString("8"));
    QVERIFY2(std::abs(full[4].toDouble()) < 1e-6 && std::abs(full[5].toDouble()) < 1e-6, qPrintable(lines[4]));
    QFile energy(sweep + "/kv_energy.csv");
    QVERIFY(energy.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(energy.readAll()).trimmed().split('\n').size(), 3);  // header + 2 layers
    // The panels: the K/V sweep figure and the model view grouped by KV head.
    const QString png = dir_.filePath("llama-kv.png");
    REQUIRE_RUN(run({"render", "--model", model, "--input", text, "--panels", "kv-rank,model-view", "--out", png,
                     "--dpi", "60"}),
                0);
    QVERIFY(!QImage(png).isNull());
    REQUIRE_RUN(run({"compute", "--sample", "text", "--kv-rank-sweep", "--out-dir", dir_.filePath("no-model")}), 2);

    // Issue 26 #2: layer 1's attention replaced by the session's linear attention (φ = relu + 1e-6,
    // causal) against the reference with linear attention in layer 1; softmax in its place changes
    // nothing but rounding.
    const QString hy = dir_.filePath("llama-hybrid");
    REQUIRE_RUN(run({"compute", "--model", model, "--input", text, "--replace", "1=linear", "--out-dir", hy}), 0);
    const QJsonObject h = readJson(hy + "/hybrid.json");
    const LlamaRef lin = referenceLlama(m, spec, ids, 0, {1});
    double wantLin = 0;
    for (double x : lin.losses) wantLin += x / lin.losses.size();
    QVERIFY2(std::abs(h["nll_original"].toDouble() - wantNll) < 1e-4, qPrintable(QString::number(h["nll_original"].toDouble())));
    QVERIFY2(std::abs(h["nll"].toDouble() - wantLin) < 1e-4, qPrintable(QString::number(h["nll"].toDouble())));
    QCOMPARE(h["tokens_scored"].toInt(), 7);
    QVERIFY(h["top1_agreement"].toDouble() >= 0 && h["top1_agreement"].toDouble() <= 1);
    QVERIFY(h["kl_next_token"].toDouble() > 0);
    QFile nllCsv(hy + "/nll.csv");
    QVERIFY(nllCsv.open(QIODevice::ReadOnly));
    const QStringList nllLines = QString::fromUtf8(nllCsv.readAll()).trimmed().split('\n');
    QCOMPARE(nllLines.size(), 8);
    QCOMPARE(nllLines[1].split(',')[1], QString::number(wantIds[1]));  // position 0 predicts token 1
    const QString same = dir_.filePath("llama-hybrid-softmax");
    REQUIRE_RUN(run({"compute", "--model", model, "--input", text, "--replace", "0=softmax,1=softmax", "--out-dir", same}), 0);
    const QJsonObject hs = readJson(same + "/hybrid.json");
    QVERIFY2(std::abs(hs["delta_nll"].toDouble()) < 1e-5 && hs["top1_agreement"].toDouble() == 1.0,
             qPrintable(QString::number(hs["delta_nll"].toDouble())));
    // Issue 26 #3: sensitivity (each layer alone) agrees with --replace; the schedule adds layers
    // least harmful first and its last row is every layer replaced.
    const QString sens = dir_.filePath("llama-sensitivity");
    REQUIRE_RUN(run({"compute", "--model", model, "--input", text, "--layer-sensitivity", "linear", "--out-dir", sens}), 0);
    auto csvRows = [](const QString& path) {
      QFile f(path);
      return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()).trimmed().split('\n') : QStringList();
    };
    const QStringList alone = csvRows(sens + "/sensitivity.csv"), schedule = csvRows(sens + "/schedule.csv");
    QCOMPARE(alone.size(), 3);
    QCOMPARE(schedule.size(), 3);
    QVERIFY2(std::abs(alone[2].split(',')[2].toDouble() - (wantLin - wantNll)) < 1e-4, qPrintable(alone[2]));
    const double d0 = alone[1].split(',')[2].toDouble(), d1 = alone[2].split(',')[2].toDouble();
    QCOMPARE(schedule[1].split(',')[1], QString(d0 <= d1 ? "0" : "1"));
    QCOMPARE(schedule[1].split(',')[2].toDouble(), std::min(d0, d1));
    const QString both = dir_.filePath("llama-hybrid-both");
    REQUIRE_RUN(run({"compute", "--model", model, "--input", text, "--replace", "0=linear,1=linear", "--out-dir", both}), 0);
    QVERIFY2(std::abs(schedule[2].split(',')[2].toDouble() - readJson(both + "/hybrid.json")["delta_nll"].toDouble()) < 1e-9,
             qPrintable(schedule[2]));
    // Issue 26 #4: head scores in layers.csv against naive loops over the reference's probabilities.
    const QString all = dir_.filePath("llama-all");
    REQUIRE_RUN(run({"compute", "--model", model, "--input", text, "--layer", "all", "--out-dir", all}), 0);
    int checked = 0;
    for (const QString& line : csvRows(all + "/layers.csv")) {
      const QStringList f = line.split(',');
      if (f.size() < 11 || f[0] != "1" || f[2] != "softmax") continue;
      const Mat& P = last.probabilities[static_cast<std::size_t>(f[1].toInt())];
      double prev = 0, sink = 0;
      for (std::size_t t = 0; t < P.size(); ++t) {
        sink += P[t][0] / P.size();
        if (t > 0) prev += P[t][t - 1] / (P.size() - 1);
      }
      QVERIFY2(std::abs(f[8].toDouble() - prev) < 1e-5 && std::abs(f[9].toDouble() - sink) < 1e-5, qPrintable(line));
      QVERIFY2(f[10].isEmpty(), "no attention distance for text");
      ++checked;
    }
    QCOMPARE(checked, 4);
    const Run badReplace = run({"compute", "--model", model, "--input", text, "--replace", "1=nope", "--out-dir",
                                dir_.filePath("llama-bad-replace")});
    REQUIRE_RUN(badReplace, 2);
    QVERIFY2(badReplace.err.contains("no mechanism 'nope'"), qPrintable(badReplace.err));
  }

  void gpt2InductionScoreAndFittedMixing() {
    // Issue 26 #4 (induction score) and #1 (the fitted 𝓜 per head in the model view, in metrics.json
    // and as a layer's replacement). A GPT-2 with room for the 100-token induction sequence.
    const QString model = dir_.filePath("gpt2-long");
    QVERIFY(QDir().mkpath(model));
    TinyModel m = byteGpt2();
    for (WTensor& t : m.tensors)
      if (t.name == "wpe.weight") t = randomTensor("wpe.weight", {128, 8}, 99);
    m.config = QString::fromStdString(m.config).replace("\"n_positions\": 7", "\"n_positions\": 128").toStdString();
    writeCheckpoint(model.toStdString(), m);
    writeByteTokenizer(model);
    const QString text = dir_.filePath("induction.txt");
    writeText(text, "hello world");
    const QString all = dir_.filePath("gpt2-induction");
    REQUIRE_RUN(run({"compute", "--model", model, "--input", text, "--layer", "all", "--out-dir", all}), 0);
    const QJsonObject layers = readJson(all + "/layers.json");
    const QJsonArray idsJson = layers["induction_ids"].toArray();
    QCOMPARE(idsJson.size(), 100);
    std::vector<int> ids;
    for (const QJsonValue& v : idsJson) ids.push_back(v.toInt());
    std::set<int> distinct;
    for (int i = 0; i < 50; ++i) {
      QCOMPARE(ids[static_cast<std::size_t>(i + 50)], ids[static_cast<std::size_t>(i)]);
      QVERIFY2(ids[static_cast<std::size_t>(i)] >= 26 && ids[static_cast<std::size_t>(i)] < 234, "the middle 80 % of 260");
      distinct.insert(ids[static_cast<std::size_t>(i)]);
    }
    QCOMPARE(static_cast<int>(distinct.size()), 50);
    // The score against a naive loop over the reference's probabilities on those ids.
    const RefForward ref = referenceGpt2(m.tensors, RefConfig{}, ids);
    int softmaxRows = 0, mhlaRows = 0;
    for (const QJsonValue& v : layers["rows"].toArray()) {
      const QJsonObject row = v.toObject();
      const int l = row["layer"].toInt(), h = row["head"].toInt();
      const QString mech = row["mechanism"].toString();
      if (mech == "softmax") {
        const Mat& P = ref.layers[static_cast<std::size_t>(l)].probabilities[static_cast<std::size_t>(h)];
        double want = 0;
        for (std::size_t t = 50; t < 100; ++t) want += P[t][t - 49] / 50;
        QVERIFY2(std::abs(row["induction"].toDouble() - want) < 1e-5,
                 qPrintable(QString("layer %1 head %2: %3 vs %4").arg(l).arg(h).arg(row["induction"].toDouble()).arg(want)));
        QCOMPARE(row["kl_fitted_mhla"].toDouble(), 0.0);
        ++softmaxRows;
      } else if (mech == "mhla") {
        // The fitted 𝓜 is at least as close to softmax as the session's initialisation.
        QVERIFY2(row["kl_fitted_mhla"].isDouble() && row["kl_fitted_mhla"].toDouble() >= -1e-12 &&
                     row["kl_fitted_mhla"].toDouble() <= row["kl"].toDouble() + 1e-5,
                 qPrintable(QJsonDocument(row).toJson(QJsonDocument::Compact)));
        QVERIFY(row["induction"].isDouble());
        ++mhlaRows;
      } else if (mech == "linear") {
        QVERIFY(row["kl_fitted_mhla"].isNull());
      }
    }
    QCOMPARE(softmaxRows, 4);
    QCOMPARE(mhlaRows, 4);
    QFile csv(all + "/layers.csv");
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QVERIFY(csv.readLine().trimmed().endsWith("attention_distance,induction,kl_fitted_mhla"));
    // Issue 23 #10: a survey estimated (from its first layer) past --max-seconds is refused with the
    // estimate; the window's and a plain run's are not limited.
    const Run limited = run({"compute", "--model", model, "--input", text, "--layer", "all", "--max-seconds", "0.000001",
                             "--out-dir", dir_.filePath("gpt2-limited")});
    QVERIFY(limited.code != 0);
    QVERIFY2(limited.err.contains("the survey of 2 layers × 2 heads at N = 7 takes about") &&
                 limited.err.contains("--max-seconds"),
             qPrintable(limited.err));
    QVERIFY(!QFileInfo::exists(dir_.filePath("gpt2-limited") + "/layers.csv"));
    const QString png = dir_.filePath("gpt2-fitted.png");
    REQUIRE_RUN(run({"render", "--model", model, "--input", text, "--panels", "model-view,layer-curves", "--metric",
                     "fitted-kl", "--out", png, "--dpi", "60"}),
                0);
    QVERIFY(!QImage(png).isNull());

    // --mixing fitted: metrics.json reports each head's fitted KL beside every initialisation's,
    // mixing.npy holds [H, M, M] with rows scaled to max 1, and the MHLA row's KL (from the maps)
    // is the fitted KL (from the statistics).
    const QString fitted = dir_.filePath("gpt2-mixing-fitted");
    REQUIRE_RUN(run({"compute", "--model", model, "--input", text, "--layer", "1", "--head", "all", "--mixing", "fitted",
                     "--blocks", "3", "--out-dir", fitted}),
                0);
    const QJsonObject metrics = readJson(fitted + "/metrics.json");
    QCOMPARE(metrics["mixing"].toString(), QString("fitted"));
    const QJsonArray fits = metrics["mixing_fit"].toArray();
    QCOMPARE(fits.size(), 2);
    const QJsonArray mhlaHeads = metrics["mechanisms"].toObject()["mhla"].toObject()["heads"].toArray();
    for (int i = 0; i < 2; ++i) {
      const QJsonObject f = fits[i].toObject();
      QVERIFY(f["converged"].toBool());
      const double kl = f["kl_fitted"].toDouble();
      const QJsonObject inits = f["kl_init"].toObject();
      QVERIFY(inits.contains("cos") && inits.contains("causal") && inits.contains("identity"));
      for (const QString& name : inits.keys())
        if (inits[name].isDouble()) QVERIFY2(kl <= inits[name].toDouble() + 1e-12, qPrintable(name));
      const double maps = mhlaHeads[i].toObject()["kl_to_softmax"].toDouble();
      QVERIFY2(std::abs(maps - kl) <= 1e-4 * std::max(1.0, kl), qPrintable(QString("%1 vs %2").arg(maps).arg(kl)));
    }
    const NpyArray mix = npy(fitted + "/mixing.npy");
    QCOMPARE(mix.shape, (std::vector<std::int64_t>{2, 3, 3}));
    for (std::size_t r = 0; r < 6; ++r) {
      double top = 0;
      for (std::size_t c = 0; c < 3; ++c) top = std::max(top, mix.data[r * 3 + c]);
      QVERIFY(std::abs(top - 1.0) < 1e-12);
      for (std::size_t c = r % 3 + 1; c < 3; ++c) QCOMPARE(mix.data[r * 3 + c], 0.0);  // causal: lower-triangular
    }

    // --replace LAYER=mhla-fitted is MHLA with each head's fitted 𝓜 on that layer.
    const QString hf = dir_.filePath("gpt2-hybrid-fitted"), hm = dir_.filePath("gpt2-hybrid-mixing-fitted");
    REQUIRE_RUN(run({"compute", "--model", model, "--input", text, "--replace", "1=mhla-fitted", "--blocks", "3",
                     "--out-dir", hf}),
                0);
    REQUIRE_RUN(run({"compute", "--model", model, "--input", text, "--replace", "1=mhla", "--mixing", "fitted",
                     "--blocks", "3", "--out-dir", hm}),
                0);
    const QJsonObject a = readJson(hf + "/hybrid.json"), b = readJson(hm + "/hybrid.json");
    QVERIFY(std::isfinite(a["delta_nll"].toDouble()));
    QCOMPARE(a["nll"].toDouble(), b["nll"].toDouble());
    QCOMPARE(a["replaced"].toObject()["1"].toString(), QString("mhla-fitted"));
  }

  void learnedMixingMatricesAreListedAndUsedByTheirOffsetsOnly() {
    // Issue 26 #5 (MODELS.md "MHLA weights"): a 3 GiB sparse checkpoint whose learned matrices lie
    // after a 3 GiB tensor. `info --mixing` reads them by their header offsets only: it passes with
    // its data segment limited to 512 MiB (reading the file would take 3 GiB).
    const QString path = dir_.filePath("mhla.safetensors");
    const std::uint64_t big = std::uint64_t(3) << 30;
    const std::vector<float> image{1, 0.5f, 0, 0, 0.25f, 1, 0.5f, 0, 0, 0.5f, 1, 0.25f, 0, 0, 0.5f, 1};  // 4×4
    const std::vector<float> video{0.9f, -0.2f, 0.1f, 0.3f, 1.1f, -0.4f, 0.0f, 0.2f, 0.7f};          // 3×3
    const std::uint64_t a0 = big, a1 = a0 + 4 * image.size(), b1 = a1 + 4 * video.size();
    const QString header =
        QString("{\"filler.weight\": {\"dtype\": \"F32\", \"shape\": [%1], \"data_offsets\": [0, %2]}, "
                "\"blocks.2.attn.piece_attn.conv.weight\": {\"dtype\": \"F32\", \"shape\": [4, 4, 1, 1], \"data_offsets\": [%2, %3]}, "
                "\"blocks.5.block_attn.conv.weight\": {\"dtype\": \"F32\", \"shape\": [3, 3, 1, 1], \"data_offsets\": [%3, %4]}}")
            .arg(big / 4).arg(a0).arg(a1).arg(b1);
    QByteArray h = header.toUtf8();
    while (h.size() % 8) h.append(' ');
    {
      QFile f(path);
      QVERIFY(f.open(QIODevice::WriteOnly));
      const quint64 len = static_cast<quint64>(h.size());
      f.write(reinterpret_cast<const char*>(&len), 8);
      f.write(h);
      QVERIFY(f.seek(8 + h.size() + static_cast<qint64>(a0)));  // a hole: the filler is never written
      f.write(reinterpret_cast<const char*>(image.data()), static_cast<qint64>(4 * image.size()));
      f.write(reinterpret_cast<const char*>(video.data()), static_cast<qint64>(4 * video.size()));
    }
#if defined(__SANITIZE_ADDRESS__)
    const Run r = run({"info", "--mixing", path});
#else
    const Run r = runWithMemoryLimit({"info", "--mixing", path}, rlim_t(512) << 20);
#endif
    REQUIRE_RUN(r, 0);
    QVERIFY2(r.out.contains("2 learned mixing matrices"), qPrintable(r.out));
    const QStringList lines = r.out.split('\n');
    bool sawImage = false, sawVideo = false;
    for (const QString& line : lines) {
      const QStringList f = line.simplified().split(' ');
      if (line.contains("blocks.2.attn.piece_attn.conv.weight")) {
        // layer 2, M 4, min 0, max 1, no negatives, row sums 1.5 … 1.75, lower-triangular: no
        QCOMPARE(f[0], QString("2"));
        QCOMPARE(f[1], QString("4"));
        QCOMPARE(f[4], QString("0"));
        QCOMPARE(f[5], QString("1.5"));
        QCOMPARE(f[7], QString("1.75"));
        QCOMPARE(f[8], QString("no"));
        sawImage = true;
      }
      if (line.contains("blocks.5.block_attn.conv.weight")) {
        QCOMPARE(f[0], QString("5"));
        QCOMPARE(f[1], QString("3"));
        QCOMPARE(f[2], QString("-0.4"));
        QCOMPARE(f[4], QString("2"));  // two negative entries
        sawVideo = true;
      }
    }
    QVERIFY2(sawImage && sawVideo, qPrintable(r.out));
    // Drawn: one PNG per matrix (the video one in diverging colours: it has negative entries).
    const QString drawn = dir_.filePath("learned-png");
    REQUIRE_RUN(run({"info", "--mixing", path, "--out-dir", drawn}), 0);
    const QImage videoPng(drawn + "/blocks.5.block_attn.conv.weight.png");
    QVERIFY(!videoPng.isNull() && videoPng.width() > 600);
    QVERIFY(!QImage(drawn + "/blocks.2.attn.piece_attn.conv.weight.png").isNull());
    // One of them as the session's 𝓜 (4 blocks); the one with negative entries is refused by name.
    const QString out = dir_.filePath("learned-out");
    REQUIRE_RUN(run({"compute", "--sample", "text", "--blocks", "4", "--mixing",
                     path + "#blocks.2.attn.piece_attn.conv.weight", "--out-dir", out}),
                0);
    const MatrixD used = load(out + "/mixing.npy");
    QCOMPARE(used.rows(), 4);
    for (int i = 0; i < 16; ++i) QCOMPARE(used(i / 4, i % 4), double(image[static_cast<std::size_t>(i)]));
    const Run neg = run({"compute", "--sample", "text", "--blocks", "3", "--mixing", path + "#blocks.5.block_attn.conv.weight",
                         "--out-dir", dir_.filePath("learned-neg")});
    QVERIFY(neg.code != 0);
    QVERIFY2(neg.err.contains("2 of the 9 entries are negative"), qPrintable(neg.err));
    const Run missing = run({"compute", "--sample", "text", "--blocks", "4", "--mixing", path + "#nope",
                             "--out-dir", dir_.filePath("learned-missing")});
    QVERIFY(missing.code != 0);
    QVERIFY2(missing.err.contains("no tensor 'nope'") && missing.err.contains("blocks.2.attn.piece_attn.conv.weight"),
             qPrintable(missing.err));
  }

  void llama2AndQwen2LayoutsComputeWithTheirOwnTokenizers() {
    // Issue 25: Llama 2 style (untied, SentencePiece BPE with byte fallback, <s>) and Qwen2 style
    // (biases, NFC, one digit at a time, no BOS; sharded), each with the tokenizer.json the Python
    // reference trained (tests/models/hf_tokenizer_reference.py) and its expected ids.
    struct Case {
      const char* layout;
      LlamaSpec spec;
      int shards;
      const char* text;  // a case of expected.json
    };
    LlamaSpec l2 = llama2Spec(), q2 = qwen2Spec();
    l2.vocab = 645;
    q2.vocab = 560;
    for (const Case& c : {Case{"llama2", l2, 0, "emoji"}, Case{"qwen2", q2, 2, "accents_decomposed"}}) {
      const QString fixtures = QStringLiteral(ATTNSCOPE_HF_FIXTURES "/") + c.layout;
      const QString model = dir_.filePath(QStringLiteral("layout-") + c.layout);
      QVERIFY(QDir().mkpath(model));
      const TinyModel m = tinyLlama(c.spec);
      if (c.shards > 0) {
        writeSharded(model.toStdString(), m.tensors, c.shards);
        writeText(model + "/config.json", QByteArray::fromStdString(m.config));
      } else {
        writeCheckpoint(model.toStdString(), m);
      }
      for (const char* f : {"tokenizer.json", "tokenizer_config.json"})
        if (QFile::exists(fixtures + "/" + f)) QVERIFY(QFile::copy(fixtures + "/" + f, model + "/" + f));
      QJsonObject want;
      for (const QJsonValue& v : readJson(fixtures + "/expected.json")["cases"].toArray())
        if (v.toObject()["name"].toString() == QLatin1String(c.text)) want = v.toObject();
      QVERIFY(!want.isEmpty());
      const QString text = dir_.filePath(QStringLiteral("%1.txt").arg(c.layout));
      writeText(text, want["text"].toString().toUtf8());
      const QString out = dir_.filePath(QStringLiteral("%1-out").arg(c.layout));
      const Run r = run({"compute", "--model", model, "--input", text, "--head", "all", "--dump-qkv", "--out-dir", out});
      REQUIRE_RUN(r, 0);
      const QJsonArray got = readJson(out + "/tokens.json")["ids"].toArray(), ids = want["ids"].toArray();
      QCOMPARE(got.size(), ids.size());
      std::vector<int> idv;
      for (int i = 0; i < ids.size(); ++i) {
        QCOMPARE(got[i].toInt(), ids[i].toInt());
        idv.push_back(ids[i].toInt());
      }
      const LlamaRef ref = referenceLlama(m, c.spec, idv);
      const NpyArray q = npy(out + "/q.npy"), v = npy(out + "/v.npy");
      const std::size_t n = idv.size(), d = static_cast<std::size_t>(c.spec.headDim);
      for (std::size_t h = 0; h < static_cast<std::size_t>(c.spec.heads); ++h) {
        QVERIFY2(relativeError(q, h * n * d, ref.forward.layers[1].q[h]) < 1e-4, c.layout);
        QVERIFY2(relativeError(v, h * n * d, ref.forward.layers[1].v[h]) < 1e-4, c.layout);
      }
    }
  }

  void modelMistakesAreNamed() {
    const QString model = dir_.filePath("gpt2-e");
    QVERIFY(QDir().mkpath(model));
    writeCheckpoint(model.toStdString(), byteGpt2());
    writeByteTokenizer(model);
    const Run image = run({"compute", "--model", model, "--sample", "image", "--out-dir", dir_.filePath("e1")});
    REQUIRE_RUN(image, 1);
    QVERIFY2(image.err.contains("reads text"), qPrintable(image.err));
    const Run layer = run({"compute", "--model", model, "--sample", "text", "--layer", "5", "--out-dir", dir_.filePath("e2")});
    REQUIRE_RUN(layer, 1);
    QVERIFY2(layer.err.contains("layer 5 does not exist"), qPrintable(layer.err));
    const Run noModel = run({"compute", "--sample", "text", "--layer", "1", "--out-dir", dir_.filePath("e3")});
    REQUIRE_RUN(noModel, 2);
    QVERIFY2(noModel.err.contains("--layer needs --model"), qPrintable(noModel.err));
    const Run missing = run({"compute", "--model", dir_.filePath("nowhere"), "--sample", "text", "--out-dir", dir_.filePath("e4")});
    REQUIRE_RUN(missing, 1);
    QVERIFY2(missing.err.contains("nowhere"), qPrintable(missing.err));
  }
  void layerAllTableEqualsPerLayerComputeRuns() {
    const QString model = dir_.filePath("vit-all");
    QVERIFY(QDir().mkpath(model));
    writeCheckpoint(model.toStdString(), tinyHfVit());
    const QString all = dir_.filePath("all");
    const Run r = run({"compute", "--model", model, "--sample", "image", "--layer", "all", "--rollout", "--fusion", "max",
                       "--discard", "0.2", "--out-dir", all});
    REQUIRE_RUN(r, 0);
    QFile csv(all + "/layers.csv");
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(csv.readAll()).trimmed().split('\n');
    QCOMPARE(lines.size(), 1 + 2 * 2 * 3);  // 2 layers × 2 heads × 3 mechanisms
    QCOMPARE(lines[0], QStringLiteral("layer,head,mechanism,entropy,effective_rank,numerical_rank,kl,output_error,previous_token,sink,attention_distance,induction,kl_fitted_mhla"));
    const QJsonObject table = readJson(all + "/layers.json");
    QCOMPARE(table["rows"].toArray().size(), 12);
    for (const char* m : {"softmax", "linear", "mhla"}) {
      const MatrixD roll = load(all + "/rollout_" + m + ".npy");
      QCOMPARE(int(roll.rows()), 5);
      for (int i = 0; i < 5; ++i) QVERIFY(std::abs(roll.row(i).sum() - 1.0) < 1e-9);
    }
    // Each line equals what `compute --layer L --head all` gives for that layer and head.
    for (int layer = 0; layer < 2; ++layer) {
      const QString one = dir_.filePath(QStringLiteral("one%1").arg(layer));
      const Run o = run({"compute", "--model", model, "--sample", "image", "--layer", QString::number(layer), "--head",
                         "all", "--out-dir", one});
      REQUIRE_RUN(o, 0);
      const QJsonObject mech = readJson(one + "/metrics.json")["mechanisms"].toObject();
      for (const QString& line : lines.mid(1)) {
        const QStringList f = line.split(',');
        if (f[0].toInt() != layer) continue;
        const QJsonObject h = mech[f[2]].toObject()["heads"].toArray()[f[1].toInt()].toObject();
        auto close = [](double a, double b) { return std::abs(a - b) <= 1e-7 * std::max(1.0, std::abs(b)); };
        QVERIFY2(close(f[3].toDouble(), h["normalised_entropy"].toDouble()), qPrintable(line));
        QVERIFY2(close(f[4].toDouble(), h["effective_rank"].toDouble()), qPrintable(line));
        QCOMPARE(f[5].toInt(), h["numerical_rank"].toInt());
        QVERIFY2(close(f[6].toDouble(), h["kl_to_softmax"].toDouble()), qPrintable(line));
        QVERIFY2(close(f[7].toDouble(), h["output_relative_error"].toDouble()), qPrintable(line));
      }
    }
  }

  void renderMakesEachModelPanel() {
    const QString model = dir_.filePath("vit-panels");
    QVERIFY(QDir().mkpath(model));
    writeCheckpoint(model.toStdString(), tinyHfVit());
    for (const char* panel : {"model-view", "layer-curves", "rollout", "cls-maps"}) {
      const QString out = dir_.filePath(QStringLiteral("%1.png").arg(panel));
      const Run r = run({"render", "--model", model, "--sample", "image", "--panel", panel, "--out", out, "--dpi", "96"});
      REQUIRE_RUN(r, 0);
      const QImage img(out);
      QVERIFY2(!img.isNull() && img.width() >= 1400 && img.height() > 100, panel);
    }
    const QString svg = dir_.filePath("all-model.svg");
    const Run all = run({"render", "--model", model, "--sample", "image", "--panels",
                         "maps,model-view,layer-curves,rollout,cls-maps", "--view-mechanism", "mhla", "--metric", "rank",
                         "--fusion", "min", "--cls-mass", "0.3", "--out", svg});
    REQUIRE_RUN(all, 0);
    QVERIFY(head(svg, 200).contains("<svg") || head(svg, 200).contains("<?xml"));
    // Mistakes are named before anything runs.
    const Run noModel = run({"render", "--sample", "image", "--panel", "rollout", "--out", dir_.filePath("x.png")});
    REQUIRE_RUN(noModel, 2);
    QVERIFY2(noModel.err.contains("need --model"), qPrintable(noModel.err));
    const Run badMech = run({"render", "--model", model, "--sample", "image", "--panel", "model-view", "--view-mechanism",
                             "nope", "--out", dir_.filePath("y.png")});
    REQUIRE_RUN(badMech, 2);
    QVERIFY2(badMech.err.contains("nope"), qPrintable(badMech.err));
    const Run renderAll = run({"render", "--model", model, "--sample", "image", "--layer", "all", "--out", dir_.filePath("z.png")});
    REQUIRE_RUN(renderAll, 2);
    const Run rollout = run({"compute", "--model", model, "--sample", "image", "--rollout", "--out-dir", dir_.filePath("r")});
    REQUIRE_RUN(rollout, 2);
    QVERIFY2(rollout.err.contains("--layer all"), qPrintable(rollout.err));
    const Run badPanel = run({"render", "--model", model, "--sample", "image", "--panel", "heads", "--out", dir_.filePath("w.png")});
    REQUIRE_RUN(badPanel, 2);
    QVERIFY2(badPanel.err.contains("cls-maps"), qPrintable(badPanel.err));
  }
};

QTEST_GUILESS_MAIN(CliModelTest)
#include "test_cli_model.moc"
