// Family detection (from config.json and from the names only) and ModelInfo of tiny checkpoints in
// every layout; configs that disagree with the tensors.
#include <gtest/gtest.h>

#include "attnscope/error.h"
#include "attnscope/models/checkpoint.h"
#include "st_writer.h"

using namespace attnscope;
using namespace attnscope::models;
using namespace attnscope::test;

namespace {
std::string written(const TinyModel& m, bool withConfig = true) {
  const std::string dir = makeTempDir("ckpt");
  writeCheckpoint(dir, m, withConfig);
  return dir;
}

std::int64_t elements(const TinyModel& m, bool skipGpt2Buffers) {
  std::int64_t n = 0;
  for (const WTensor& t : m.tensors) {
    const bool buffer = t.name.find("attn.bias") != std::string::npos && t.name.find("c_attn") == std::string::npos;
    if (skipGpt2Buffers && (buffer || t.name.find("masked_bias") != std::string::npos)) continue;
    std::int64_t e = 1;
    for (auto d : t.shape) e *= d;
    n += e;
  }
  return n;
}

/// Opening must fail with each of `parts` in the message.
void expectOpenFails(const std::string& path, const std::vector<std::string>& parts, const OpenOptions& o = {}) {
  try {
    Checkpoint::open(path, o);
    ADD_FAILURE() << "opened " << path;
  } catch (const FileError& e) {
    for (const std::string& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << "'" << p << "' in: " << e.what();
  }
}

TinyModel without(TinyModel m, const std::string& name) {
  for (auto it = m.tensors.begin(); it != m.tensors.end(); ++it)
    if (it->name == name) {
      m.tensors.erase(it);
      break;
    }
  return m;
}
}  // namespace

TEST(Checkpoint, Gpt2FromConfig) {
  for (const char* dtype : {"F32", "F16", "BF16"}) {
    const TinyModel m = tinyGpt2("", dtype);
    const ModelInfo i = Checkpoint::open(written(m)).info();
    EXPECT_EQ(i.family, Family::Gpt2);
    EXPECT_EQ(i.detectedFrom, "config.json model_type");
    EXPECT_EQ(i.layers, 2);
    EXPECT_EQ(i.heads, 2);
    EXPECT_EQ(i.dModel, 8);
    EXPECT_EQ(i.dHead, 4);
    EXPECT_EQ(i.vocabSize, 11);
    EXPECT_EQ(i.positions, 7);
    EXPECT_EQ(i.mlpHidden, 32);
    EXPECT_DOUBLE_EQ(i.layerNormEps, 1e-5);
    EXPECT_EQ(i.dtypes, (std::vector<std::string>{dtype}));
    EXPECT_EQ(i.parameters, elements(m, true));  // mask buffers are not parameters
    EXPECT_EQ(i.patchSize, 0);
  }
}

TEST(Checkpoint, Gpt2FromNamesOnlyWithPrefix) {
  const TinyModel m = tinyGpt2("transformer.");
  const std::string dir = written(m, false);
  expectOpenFails(dir, {"heads"});  // D = 8: no config, no d/64 rule
  OpenOptions o;
  o.heads = 2;
  const ModelInfo i = Checkpoint::open(dir, o).info();
  EXPECT_EQ(i.family, Family::Gpt2);
  EXPECT_EQ(i.detectedFrom, "tensor names");
  EXPECT_EQ(i.prefix, "transformer.");
  EXPECT_EQ(i.layers, 2);
  EXPECT_EQ(i.vocabSize, 11);
  EXPECT_EQ(i.positions, 7);
  // A single .safetensors file opens the same way.
  EXPECT_EQ(Checkpoint::open(dir + "/model.safetensors", o).info().parameters, i.parameters);
  // With the config, the prefix is found from the names.
  writeBytes(dir + "/config.json", m.config);
  EXPECT_EQ(Checkpoint::open(dir).info().prefix, "transformer.");
}

TEST(Checkpoint, Gpt2ShardedEqualsSingle) {
  const TinyModel m = tinyGpt2();
  const std::string dir = makeTempDir("gpt2-shards");
  writeSharded(dir, m.tensors, 2);
  writeBytes(dir + "/config.json", m.config);
  const Checkpoint a = Checkpoint::open(dir), b = Checkpoint::open(written(m));
  EXPECT_EQ(a.tensors().files().size(), 2u);
  EXPECT_EQ(a.info().parameters, b.info().parameters);
  EXPECT_EQ(a.tensors().matrix("h.1.attn.c_attn.weight"), b.tensors().matrix("h.1.attn.c_attn.weight"));
}

TEST(Checkpoint, HfVit) {
  for (const char* prefix : {"", "vit."}) {
    const TinyModel m = tinyHfVit(prefix);
    for (bool cfg : {true, false}) {
      OpenOptions o;
      o.heads = 2;
      const ModelInfo i = Checkpoint::open(written(m, cfg), o).info();
      EXPECT_EQ(i.family, Family::HfVit) << prefix << cfg;
      EXPECT_EQ(i.detectedFrom, cfg ? "config.json model_type" : "tensor names");
      EXPECT_EQ(i.prefix, prefix);
      EXPECT_EQ(i.layers, 2);
      EXPECT_EQ(i.heads, 2);
      EXPECT_EQ(i.dHead, 4);
      EXPECT_EQ(i.patchSize, 4);
      EXPECT_EQ(i.imageSize, 8);
      EXPECT_EQ(i.positions, 5);
      EXPECT_EQ(i.registers, 0);
      EXPECT_EQ(i.vocabSize, 0);
      EXPECT_DOUBLE_EQ(i.layerNormEps, cfg ? 1e-12 : 1e-12);
      EXPECT_EQ(i.parameters, elements(m, false));
    }
  }
}

TEST(Checkpoint, TimmVit) {
  const TinyModel m = tinyTimmVit();
  const ModelInfo i = Checkpoint::open(written(m)).info();
  EXPECT_EQ(i.family, Family::TimmVit);
  EXPECT_EQ(i.detectedFrom, "config.json architecture");
  EXPECT_EQ(i.architecture, "vit_tiny_patch4_8.test");
  EXPECT_EQ(i.heads, 2);  // model_args.num_heads wins over the name's "tiny" (3)
  EXPECT_EQ(i.layers, 2);
  EXPECT_EQ(i.imageSize, 8);
  EXPECT_EQ(i.patchSize, 4);
  EXPECT_EQ(i.mlpHidden, 32);
  EXPECT_DOUBLE_EQ(i.layerNormEps, 1e-6);
  EXPECT_EQ(i.parameters, elements(m, false));
  // Names only: heads from the option; image size from the position embeddings.
  OpenOptions o;
  o.heads = 4;
  const ModelInfo n = Checkpoint::open(written(m, false), o).info();
  EXPECT_EQ(n.family, Family::TimmVit);
  EXPECT_EQ(n.detectedFrom, "tensor names");
  EXPECT_EQ(n.heads, 4);
  EXPECT_EQ(n.imageSize, 8);
  // Heads from the architecture name when model_args has none: "_tiny" → 3 does not divide 8.
  TinyModel noArgs = m;
  noArgs.config = R"({"architecture": "vit_small_patch4_8.x"})";
  expectOpenFails(written(noArgs), {"embed dim 8", "6 heads"});
  noArgs.config = R"({"architecture": "vit_x", "model_args": {"num_heads": 2}, "pretrained_cfg": {"input_size": [3, 8, -8]}})";
  expectOpenFails(written(noArgs), {"input_size", "positive integer"});
  noArgs.config = R"({"architecture": "vit_x", "model_args": {"num_heads": 2}, "pretrained_cfg": {"input_size": [3, 8, 12]}})";
  expectOpenFails(written(noArgs), {"not square"});
}

TEST(Checkpoint, Dinov2WithAndWithoutRegisters) {
  for (int r : {0, 4}) {
    const TinyModel m = tinyDinov2(r);
    for (bool cfg : {true, false}) {
      OpenOptions o;
      o.heads = 2;
      const ModelInfo i = Checkpoint::open(written(m, cfg), o).info();
      EXPECT_EQ(i.family, Family::Dinov2) << r << cfg;
      EXPECT_EQ(i.detectedFrom, cfg ? "config.json model_type" : "tensor names");
      EXPECT_EQ(i.architecture, cfg ? (r ? "dinov2_with_registers" : "dinov2") : "dinov2");
      EXPECT_EQ(i.registers, r);
      EXPECT_EQ(i.layers, 2);
      EXPECT_EQ(i.positions, 5);
      EXPECT_EQ(i.imageSize, 8);
      EXPECT_EQ(i.mlpHidden, 32);
      EXPECT_DOUBLE_EQ(i.layerNormEps, 1e-6);
      EXPECT_EQ(i.parameters, elements(m, false));
    }
  }
  TinyModel m = tinyDinov2(0);
  m.config = R"({"model_type": "dinov2", "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
                 "image_size": 8, "patch_size": 4, "use_swiglu_ffn": "yes"})";
  expectOpenFails(written(m), {"config.json", "use_swiglu_ffn", "true or false"});
  m.config = R"({"model_type": "dinov2", "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
                 "image_size": 8, "patch_size": 4, "use_swiglu_ffn": true})";
  expectOpenFails(written(m), {"missing tensor 'encoder.layer.0.mlp.weights_in.weight'"});
}

TEST(Checkpoint, WrongShapeForTheConfig) {
  TinyModel m = tinyGpt2();
  for (WTensor& t : m.tensors)
    if (t.name == "h.1.attn.c_proj.weight") t = randomTensor(t.name, {8, 6}, 9);
  expectOpenFails(written(m), {"model.safetensors", "'h.1.attn.c_proj.weight'", "[8, 6]", "[8, 8]", "config.json"});
  TinyModel v = tinyHfVit();
  v.config = R"({"model_type": "vit", "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
                 "intermediate_size": 32, "image_size": 16, "patch_size": 4})";
  expectOpenFails(written(v), {"'embeddings.position_embeddings'", "[1, 5, 8]", "[1, 17, 8]"});
  TinyModel layers = tinyGpt2();
  layers.config = R"({"model_type": "gpt2", "n_layer": 1, "n_head": 2, "n_embd": 8, "n_positions": 7, "vocab_size": 11})";
  expectOpenFails(written(layers), {"'h.1.ln_1.weight'", "past the 1"});
  layers.config = R"({"model_type": "gpt2", "n_layer": 3, "n_head": 2, "n_embd": 8, "n_positions": 7, "vocab_size": 11})";
  expectOpenFails(written(layers), {"missing tensor 'h.2."});
  layers.config = R"({"model_type": "gpt2", "n_layer": 2, "n_head": 3, "n_embd": 8})";
  expectOpenFails(written(layers), {"not a multiple of n_head 3"});
}

TEST(Checkpoint, MissingTensors) {
  expectOpenFails(written(without(tinyGpt2(), "h.0.mlp.c_fc.bias")), {"missing tensor 'h.0.mlp.c_fc.bias'"});
  expectOpenFails(written(without(tinyDinov2(4), "encoder.layer.1.layer_scale2.lambda1")),
                  {"missing tensor 'encoder.layer.1.layer_scale2.lambda1'"});
  expectOpenFails(written(without(tinyTimmVit(), "norm.bias")), {"missing tensor 'norm.bias'"});
  // Sharded: a tensor of the index missing from its shard.
  const std::string dir = makeTempDir("missing");
  writeSharded(dir, tinyGpt2().tensors, 2);
  writeBytes(dir + "/model-00001-of-00002.safetensors", buildFile({randomTensor("wte.weight", {11, 8}, 1)}));
  expectOpenFails(dir, {"index.json", "missing from"});
}

TEST(Checkpoint, UnknownLayoutsListWhatWasFound) {
  TinyModel bert;
  bert.tensors = {randomTensor("bert.embeddings.word_embeddings.weight", {5, 8}, 1)};
  bert.config = R"({"model_type": "bert", "hidden_size": 8})";
  expectOpenFails(written(bert), {"model_type \"bert\"", "config keys: hidden_size, model_type",
                                  "bert.embeddings.word_embeddings.weight"});
  expectOpenFails(written(bert, false), {"not a checkpoint layout", "1 tensors: bert.embeddings.word_embeddings.weight"});
  // config says gpt2, the tensors are a ViT's.
  TinyModel mixed = tinyHfVit();
  mixed.config = tinyGpt2().config;
  expectOpenFails(written(mixed), {"missing tensor 'wte.weight'"});
  expectOpenFails("/nonexistent/attnscope-model", {"/nonexistent/attnscope-model"});
  // A broken config.json.
  const std::string dir = written(tinyGpt2());
  writeBytes(dir + "/config.json", "{\"model_type\": ");
  expectOpenFails(dir, {"config.json", "not valid JSON"});
}
