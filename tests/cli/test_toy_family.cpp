// Issue 22 #2: a model family is its own files plus one registerFamily() call. This file adds "toy",
// a 2-layer pre-norm language model with key names of its own (gguf-like: token_embd, blk.i.attn_q,
// …), RMSNorm, grouped-query attention (4 query heads over 2 key/value heads), a gated SiLU MLP and
// a byte tokenizer, and nothing else in the project knows it. It must be detected (by config.json's
// model_type and by its tensor names), described, bound, run exactly as a naive double-precision
// forward written here says, and work through compute and render like any built-in family.
#include <QApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <cmath>
#include <filesystem>
#include <gtest/gtest.h>
#include <iostream>
#include <random>
#include <sstream>

#include "attnscope/error.h"
#include "attnscope/models/bound_weights.h"
#include "attnscope/models/bpe_tokenizer.h"
#include "attnscope/models/checkpoint.h"
#include "attnscope/models/family.h"
#include "attnscope/models/family_api.h"
#include "attnscope/models/forward.h"
#include "attnscope/models/json_config.h"
#include "attnscope/npy.h"
#include "cli_in_process.h"
#include "st_writer.h"

using namespace attnscope;
using namespace attnscope::models;
using attnscope::test::WTensor;

namespace {

// ---- The plug-in: what a new family's own files would hold. ----

constexpr int kD = 8, kLayers = 2, kHeads = 4, kKvHeads = 2, kHidden = 12, kVocab = 256, kPositions = 64;
constexpr int kDHead = kD / kHeads;

std::string blk(int i, const char* what) { return "blk." + std::to_string(i) + "." + what; }

ModelInfo toyInfo(const Detection& d, const ConfigSource& c, const TensorStore& s, const OpenOptions& o) {
  const LayoutCheck check(s, "toy", c.source());
  const std::vector<std::int64_t> embd = check.shapeOf("token_embd.weight", 2);
  const std::string cfg = c.path;
  ModelInfo m;
  m.family = d.family;
  m.detectedFrom = d.from;
  m.architecture = "toy";
  m.dModel = configInt(c.json, "dim", static_cast<int>(embd[1]), cfg);
  m.vocabSize = configInt(c.json, "vocab", static_cast<int>(embd[0]), cfg);
  m.layers = configInt(c.json, "n_layers", countLayers(s, "blk.", ".attn_norm.weight"), cfg);
  m.heads = c.json.contains("n_heads") ? configInt(c.json, "n_heads", -1, cfg) : (o.heads > 0 ? o.heads : -1);
  if (m.heads <= 0 || m.dModel % m.heads != 0) throw FileError(s.path() + ": the toy model needs its heads");
  const int dHead = m.dModel / m.heads;
  m.kvHeads = static_cast<int>(check.shapeOf("blk.0.attn_k.weight", 2)[0]) / dHead;
  m.mlpHidden = static_cast<int>(check.shapeOf("blk.0.ffn_up.weight", 2)[0]);
  m.positions = static_cast<int>(check.shapeOf("position_embd.weight", 2)[0]);
  m.layerNormEps = configDouble(c.json, "norm_eps", 1e-5, cfg);
  const std::int64_t D = m.dModel, F = m.mlpHidden, KV = static_cast<std::int64_t>(m.kvHeads) * dHead;
  for (int i = 0; i < m.layers; ++i) {
    check.require(blk(i, "attn_norm.weight"), {D});
    check.require(blk(i, "attn_q.weight"), {D, D});
    check.require(blk(i, "attn_k.weight"), {KV, D});
    check.require(blk(i, "attn_v.weight"), {KV, D});
    check.require(blk(i, "attn_output.weight"), {D, D});
    check.require(blk(i, "ffn_norm.weight"), {D});
    check.require(blk(i, "ffn_gate.weight"), {F, D});
    check.require(blk(i, "ffn_up.weight"), {F, D});
    check.require(blk(i, "ffn_down.weight"), {D, F});
  }
  check.require("output_norm.weight", {D});
  return m;
}

void bindToy(const ModelInfo& m, BoundWeights& w) {
  const auto eps = static_cast<float>(m.layerNormEps);
  w.tokenEmbedding = w.view("token_embd.weight", m.vocabSize, m.dModel);
  w.positionEmbedding = w.view("position_embd.weight", m.positions, m.dModel);
  for (int i = 0; i < m.layers; ++i) {
    BlockWeights& b = w.blocks[static_cast<std::size_t>(i)];
    b.ln1 = w.rmsNorm(blk(i, "attn_norm"), eps);
    b.q = w.linear(blk(i, "attn_q"), false);
    b.k = w.linear(blk(i, "attn_k"), false);
    b.v = w.linear(blk(i, "attn_v"), false);
    b.proj = w.linear(blk(i, "attn_output"), false);
    b.ln2 = w.rmsNorm(blk(i, "ffn_norm"), eps);
    b.gate = w.linear(blk(i, "ffn_gate"), false);
    b.fc1 = w.linear(blk(i, "ffn_up"), false);
    b.fc2 = w.linear(blk(i, "ffn_down"), false);
  }
  w.finalNorm = w.rmsNorm("output_norm", eps);
}

/// One token per byte (id = the byte); a byte that is not printable ASCII is labelled \xNN.
Encoding byteTokens(const Checkpoint&, std::string_view utf8, std::size_t maxTokens) {
  Encoding e;
  for (std::size_t i = 0; i < utf8.size() && i < maxTokens; ++i) {
    const auto b = static_cast<unsigned char>(utf8[i]);
    e.ids.push_back(b);
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02X", b);
    e.pieces.push_back(b >= 0x20 && b < 0x7f ? std::string(1, static_cast<char>(b)) : std::string(hex));
    e.byteSpans.emplace_back(i, i + 1);
  }
  return e;
}

FamilyEntry toyEntry() {
  FamilyEntry e;
  e.family = Family("toy");
  e.description = "Toy pre-norm LM (test)";
  e.text = e.causal = true;
  e.modelTypes = {"toy"};
  e.anchors = {"blk.0.attn_q.weight"};
  e.info = toyInfo;
  e.bind = bindToy;
  e.tokenize = byteTokens;
  return e;
}

/// Registered for one test, removed after it.
struct ToyRegistration {
  ToyRegistration() { registerFamily(toyEntry()); }
  ~ToyRegistration() { unregisterFamily("toy"); }
};

// ---- The test's side: a checkpoint in the toy layout and a naive forward of it. ----

std::vector<WTensor> toyTensors(std::uint64_t seed) {
  using attnscope::test::randomTensor;
  std::vector<WTensor> t;
  t.push_back(randomTensor("token_embd.weight", {kVocab, kD}, seed++));
  t.push_back(randomTensor("position_embd.weight", {kPositions, kD}, seed++));
  const std::int64_t KV = kKvHeads * kDHead;
  for (int i = 0; i < kLayers; ++i) {
    t.push_back(randomTensor(blk(i, "attn_norm.weight"), {kD}, seed++));
    t.push_back(randomTensor(blk(i, "attn_q.weight"), {kD, kD}, seed++));
    t.push_back(randomTensor(blk(i, "attn_k.weight"), {KV, kD}, seed++));
    t.push_back(randomTensor(blk(i, "attn_v.weight"), {KV, kD}, seed++));
    t.push_back(randomTensor(blk(i, "attn_output.weight"), {kD, kD}, seed++));
    t.push_back(randomTensor(blk(i, "ffn_norm.weight"), {kD}, seed++));
    t.push_back(randomTensor(blk(i, "ffn_gate.weight"), {kHidden, kD}, seed++));
    t.push_back(randomTensor(blk(i, "ffn_up.weight"), {kHidden, kD}, seed++));
    t.push_back(randomTensor(blk(i, "ffn_down.weight"), {kD, kHidden}, seed++));
  }
  t.push_back(randomTensor("output_norm.weight", {kD}, seed++));
  return t;
}

const char* kConfig = R"({"model_type": "toy", "dim": 8, "n_layers": 2, "n_heads": 4, "vocab": 256, "norm_eps": 1e-5})";

using Mat = std::vector<std::vector<double>>;

const WTensor& tensor(const std::vector<WTensor>& ts, const std::string& name) {
  for (const WTensor& t : ts)
    if (t.name == name) return t;
  throw std::runtime_error("no tensor " + name);
}

/// y = x·Wᵀ, W [out][in] stored row-major in `w`.
Mat linear(const Mat& x, const WTensor& w) {
  const std::size_t out = static_cast<std::size_t>(w.shape[0]), in = static_cast<std::size_t>(w.shape[1]);
  Mat y(x.size(), std::vector<double>(out, 0.0));
  for (std::size_t i = 0; i < x.size(); ++i)
    for (std::size_t o = 0; o < out; ++o)
      for (std::size_t k = 0; k < in; ++k) y[i][o] += x[i][k] * w.values[o * in + k];
  return y;
}

Mat rmsNorm(const Mat& x, const WTensor& w) {
  Mat y = x;
  for (std::size_t i = 0; i < x.size(); ++i) {
    double ms = 0;
    for (double v : x[i]) ms += v * v;
    ms /= static_cast<double>(x[i].size());
    for (std::size_t j = 0; j < x[i].size(); ++j) y[i][j] = x[i][j] / std::sqrt(ms + 1e-5) * w.values[j];
  }
  return y;
}

/// Columns [c0, c0 + n) of x.
Mat cols(const Mat& x, std::size_t c0, std::size_t n) {
  Mat y(x.size(), std::vector<double>(n));
  for (std::size_t i = 0; i < x.size(); ++i)
    for (std::size_t j = 0; j < n; ++j) y[i][j] = x[i][c0 + j];
  return y;
}

struct NaiveLayer {
  std::vector<Mat> q, k, v, p;  // q, p per query head; k, v per KV head
};
struct Naive {
  std::vector<NaiveLayer> layers;
  Mat final;
};

Naive naiveForward(const std::vector<WTensor>& ts, const std::vector<int>& ids) {
  const std::size_t N = ids.size(), d = kDHead;
  Mat h(N, std::vector<double>(kD));
  for (std::size_t i = 0; i < N; ++i)
    for (int j = 0; j < kD; ++j)
      h[i][static_cast<std::size_t>(j)] = tensor(ts, "token_embd.weight").values[static_cast<std::size_t>(ids[i] * kD + j)] +
                                          tensor(ts, "position_embd.weight").values[i * kD + static_cast<std::size_t>(j)];
  Naive out;
  for (int l = 0; l < kLayers; ++l) {
    NaiveLayer layer;
    const Mat a = rmsNorm(h, tensor(ts, blk(l, "attn_norm.weight")));
    const Mat q = linear(a, tensor(ts, blk(l, "attn_q.weight")));
    const Mat k = linear(a, tensor(ts, blk(l, "attn_k.weight")));
    const Mat v = linear(a, tensor(ts, blk(l, "attn_v.weight")));
    for (int g = 0; g < kKvHeads; ++g) {
      layer.k.push_back(cols(k, g * d, d));
      layer.v.push_back(cols(v, g * d, d));
    }
    Mat merged(N, std::vector<double>(kD, 0.0));
    for (int hd = 0; hd < kHeads; ++hd) {
      const int g = hd / (kHeads / kKvHeads);
      const Mat qh = cols(q, hd * d, d);
      Mat p(N, std::vector<double>(N, 0.0));
      for (std::size_t i = 0; i < N; ++i) {
        double mx = -1e300;
        std::vector<double> s(i + 1);
        for (std::size_t j = 0; j <= i; ++j) {  // causal
          for (std::size_t c = 0; c < d; ++c) s[j] += qh[i][c] * layer.k[g][j][c];
          s[j] /= std::sqrt(static_cast<double>(d));
          mx = std::max(mx, s[j]);
        }
        double z = 0;
        for (std::size_t j = 0; j <= i; ++j) z += std::exp(s[j] - mx);
        for (std::size_t j = 0; j <= i; ++j) p[i][j] = std::exp(s[j] - mx) / z;
        for (std::size_t j = 0; j <= i; ++j)
          for (std::size_t c = 0; c < d; ++c) merged[i][hd * d + c] += p[i][j] * layer.v[g][j][c];
      }
      layer.q.push_back(qh);
      layer.p.push_back(p);
    }
    const Mat o = linear(merged, tensor(ts, blk(l, "attn_output.weight")));
    for (std::size_t i = 0; i < N; ++i)
      for (int j = 0; j < kD; ++j) h[i][j] += o[i][j];
    const Mat b = rmsNorm(h, tensor(ts, blk(l, "ffn_norm.weight")));
    Mat gate = linear(b, tensor(ts, blk(l, "ffn_gate.weight")));
    const Mat up = linear(b, tensor(ts, blk(l, "ffn_up.weight")));
    for (std::size_t i = 0; i < N; ++i)
      for (int j = 0; j < kHidden; ++j) gate[i][j] = gate[i][j] / (1.0 + std::exp(-gate[i][j])) * up[i][j];
    const Mat down = linear(gate, tensor(ts, blk(l, "ffn_down.weight")));
    for (std::size_t i = 0; i < N; ++i)
      for (int j = 0; j < kD; ++j) h[i][j] += down[i][j];
    out.layers.push_back(std::move(layer));
  }
  out.final = rmsNorm(h, tensor(ts, "output_norm.weight"));
  return out;
}

double maxError(const MatrixF& got, const Mat& want) {
  if (got.rows() != static_cast<Eigen::Index>(want.size()) || want.empty() ||
      got.cols() != static_cast<Eigen::Index>(want[0].size()))
    return 1e9;
  double e = 0;
  for (Eigen::Index i = 0; i < got.rows(); ++i)
    for (Eigen::Index j = 0; j < got.cols(); ++j)
      e = std::max(e, std::abs(got(i, j) - want[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)]));
  return e;
}

class ToyFamily : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.isValid());
    folder_ = dir_.filePath("toy").toStdString();
    tensors_ = toyTensors(77);
    attnscope::test::TinyModel m{tensors_, kConfig};
    std::filesystem::create_directories(folder_);
    attnscope::test::writeCheckpoint(folder_, m);
  }
  QTemporaryDir dir_;
  std::string folder_;
  std::vector<WTensor> tensors_;
};

struct CliRun {
  int code = -1;
  std::string out, err;
};

/// The command line in this process (where the family is registered).
CliRun runCli(const std::vector<std::string>& args) {
  QStringList list;
  for (const std::string& a : args) list << QString::fromStdString(a);
  const attnscope::testing::CliRun r = attnscope::testing::runCliInProcess(list);
  return {r.code, r.out.toStdString(), r.err.toStdString()};
}

QJsonObject readJson(const std::string& path) {
  QFile f(QString::fromStdString(path));
  return f.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(f.readAll()).object() : QJsonObject();
}

TEST_F(ToyFamily, isDetectedByItsModelTypeAndByItsTensorNames) {
  const ToyRegistration toy;
  const Checkpoint c = Checkpoint::open(folder_);
  EXPECT_EQ(c.info().family, Family("toy"));
  EXPECT_EQ(c.info().detectedFrom, "config.json model_type");
  EXPECT_EQ(c.info().layers, kLayers);
  EXPECT_EQ(c.info().heads, kHeads);
  EXPECT_EQ(c.info().keyValueHeads(), kKvHeads);
  EXPECT_EQ(c.info().dHead, kDHead);
  EXPECT_EQ(c.info().mlpHidden, kHidden);
  EXPECT_EQ(familyEntry(c.info().family).description, "Toy pre-norm LM (test)");

  // Without config.json: the tensor names tell, the heads come from the options.
  const std::string bare = dir_.filePath("bare").toStdString();
  std::filesystem::create_directories(bare);
  attnscope::test::writeCheckpoint(bare, {tensors_, ""}, false);
  OpenOptions o;
  o.heads = kHeads;
  const Checkpoint b = Checkpoint::open(bare, o);
  EXPECT_EQ(b.info().family, Family("toy"));
  EXPECT_EQ(b.info().detectedFrom, "tensor names");
  EXPECT_EQ(b.info().keyValueHeads(), kKvHeads);
}

TEST_F(ToyFamily, isUnknownOnceUnregisteredAndTheRegistryRefusesBadEntries) {
  {
    const ToyRegistration toy;
    EXPECT_THROW(registerFamily(toyEntry()), InvalidArgument);  // the name is taken
  }
  try {
    (void)Checkpoint::open(folder_);
    FAIL() << "an unregistered family's checkpoint opened";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("toy"), std::string::npos) << e.what();  // the model_type it saw
  }
  FamilyEntry noTokenizer = toyEntry();
  noTokenizer.tokenize = nullptr;
  EXPECT_THROW(registerFamily(noTokenizer), InvalidArgument);
  FamilyEntry badName = toyEntry();
  badName.family = Family("Toy Model");
  EXPECT_THROW(registerFamily(badName), InvalidArgument);
  FamilyEntry gpt2Type = toyEntry();
  gpt2Type.modelTypes = {"gpt2"};
  EXPECT_THROW(registerFamily(gpt2Type), InvalidArgument);
  EXPECT_THROW((void)familyEntry(Family("toy")), InvalidArgument);
}

TEST_F(ToyFamily, forwardMatchesANaiveDoublePrecisionForward) {
  const ToyRegistration toy;
  const Checkpoint c = Checkpoint::open(folder_);
  const ModelRunner runner(c);
  std::mt19937 rng(5);
  for (int n : {1, 7, 13}) {
    ModelInput in;
    for (int i = 0; i < n; ++i) in.ids.push_back(static_cast<int>(rng() % kVocab));
    ForwardOptions opts;
    opts.probabilityLayers = {0, 1};
    const ForwardResult r = runner.run(in, opts);
    const Naive want = naiveForward(tensors_, in.ids);
    EXPECT_TRUE(r.causal);
    ASSERT_EQ(r.layers.size(), 2u);
    for (int l = 0; l < kLayers; ++l) {
      const LayerAttention& got = r.layer(l);
      ASSERT_EQ(got.qkv.numHeads(), kHeads);
      ASSERT_EQ(got.qkv.numKvHeads(), kKvHeads);
      for (int h = 0; h < kHeads; ++h) {
        EXPECT_EQ(got.qkv.kvHead(h), h / 2);
        EXPECT_LT(maxError(got.qkv.q[h], want.layers[l].q[h]), 1e-4) << "layer " << l << " head " << h << " n " << n;
        EXPECT_LT(maxError(got.probabilities[h], want.layers[l].p[h]), 1e-5) << "layer " << l << " head " << h;
      }
      for (int g = 0; g < kKvHeads; ++g) {
        EXPECT_LT(maxError(got.qkv.k[g], want.layers[l].k[g]), 1e-4) << "layer " << l << " kv head " << g;
        EXPECT_LT(maxError(got.qkv.v[g], want.layers[l].v[g]), 1e-4) << "layer " << l << " kv head " << g;
      }
      EXPECT_NO_THROW(got.qkv.validate());
    }
    EXPECT_LT(maxError(r.finalHidden, want.final), 1e-4) << "n " << n;
  }
}

TEST_F(ToyFamily, computeAndRenderRunOnIt) {
  const ToyRegistration toy;
  const std::string out = dir_.filePath("out").toStdString();
  const CliRun r = runCli({"compute", "--model", folder_, "--sample", "text", "--tokens", "24", "--head", "all",
                        "--dump-qkv", "--matrices", "--out-dir", out});
  ASSERT_EQ(r.code, 0) << r.err;
  // The byte tokenizer: 24 tokens, labelled by their characters.
  const QJsonObject tokens = readJson(out + "/tokens.json");
  EXPECT_EQ(tokens["ids"].toArray().size(), 24);
  // Q of the last layer for every query head; K expanded per query head from its KV head.
  const NpyArray q = readNpy(out + "/q.npy"), k = readNpy(out + "/k.npy");
  EXPECT_EQ(q.shape, (std::vector<std::int64_t>{kHeads, 24, kDHead}));
  EXPECT_EQ(k.shape, (std::vector<std::int64_t>{kHeads, 24, kDHead}));
  for (std::int64_t i = 0; i < 24 * kDHead; ++i) {  // heads 0 and 1 share KV head 0
    ASSERT_EQ(k.data[static_cast<std::size_t>(i)], k.data[static_cast<std::size_t>(24 * kDHead + i)]);
  }
  // The softmax maps are the model's causal attention: nothing above the diagonal.
  const NpyArray p = readNpy(out + "/matrix_softmax.npy");
  ASSERT_EQ(p.shape, (std::vector<std::int64_t>{kHeads, 24, 24}));
  EXPECT_EQ(p.data[1], 0.0);
  const QJsonObject metrics = readJson(out + "/metrics.json");
  EXPECT_FALSE(metrics.isEmpty());
  EXPECT_NE(r.err.find("Toy pre-norm LM (test), layer 1 of 2, 4 heads (2 key/value heads, 2 query heads each)"), std::string::npos) << r.err;

  for (const char* ext : {".png", ".svg"}) {
    const std::string fig = dir_.filePath(QString("fig") + ext).toStdString();
    const CliRun f = runCli({"render", "--model", folder_, "--sample", "text", "--tokens", "24", "--dpi", "60",
                          "--repeats", "1", "--out", fig});
    ASSERT_EQ(f.code, 0) << f.err;
    EXPECT_GT(QFile(QString::fromStdString(fig)).size(), 1000) << fig;
  }
  // An image for a text model: the family's own words.
  const CliRun image = runCli({"compute", "--model", folder_, "--sample", "image", "--out-dir", out + "-img"});
  EXPECT_EQ(image.code, 1);
  EXPECT_NE(image.err.find("Toy pre-norm LM (test) reads text"), std::string::npos) << image.err;
}

}  // namespace

int main(int argc, char** argv) {
  qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
