#include "st_writer.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace attnscope::test {

namespace {
template <typename T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // little-endian host (as the reader assumes)
  out.append(b, sizeof(T));
}

/// binary16 bits of v; v must be exactly representable (the tests only use such values).
std::uint16_t toHalf(double v) {
  std::uint16_t sign = std::signbit(v) ? 0x8000 : 0;
  const double a = std::fabs(v);
  if (a == 0) return sign;
  if (std::isinf(a)) return sign | 0x7C00;
  int e;
  const double m = std::frexp(a, &e);  // a = m·2^e, m in [0.5, 1)
  const int exp = e - 1 + 15;
  if (exp <= 0) return sign | static_cast<std::uint16_t>(std::lround(a / std::ldexp(1.0, -24)));  // subnormal
  const auto mant = static_cast<std::uint16_t>(std::lround((m * 2 - 1) * 1024));
  return sign | static_cast<std::uint16_t>(exp << 10) | mant;
}

std::int64_t product(const std::vector<std::int64_t>& s) {
  std::int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

std::string shapeJson(const std::vector<std::int64_t>& s) {
  std::string t = "[";
  for (std::size_t i = 0; i < s.size(); ++i) t += (i ? "," : "") + std::to_string(s[i]);
  return t + "]";
}

std::string bytesOf(const WTensor& t) { return t.raw.empty() ? encode(t.dtype, t.values) : t.raw; }
}  // namespace

std::size_t itemSize(const std::string& d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  return 1;
}

std::string encode(const std::string& dtype, const std::vector<double>& values) {
  std::string out;
  for (double v : values) {
    if (dtype == "F32") {
      put(out, static_cast<float>(v));
    } else if (dtype == "F64") {
      put(out, v);
    } else if (dtype == "F16") {
      put(out, toHalf(v));
    } else if (dtype == "BF16") {
      const float f = static_cast<float>(v);
      std::uint32_t bits;
      std::memcpy(&bits, &f, 4);
      put(out, static_cast<std::uint16_t>(bits >> 16));
    } else {
      out.append(itemSize(dtype), '\0');
    }
  }
  return out;
}

std::string headerJson(const std::vector<WTensor>& tensors, const std::map<std::string, std::string>& metadata) {
  std::string h = "{";
  bool first = true;
  if (!metadata.empty()) {
    h += "\"__metadata__\":{";
    bool f2 = true;
    for (const auto& [k, v] : metadata) {
      h += (f2 ? "" : ",") + ("\"" + k + "\":\"" + v + "\"");
      f2 = false;
    }
    h += "}";
    first = false;
  }
  std::size_t at = 0;
  for (const WTensor& t : tensors) {
    const std::size_t n = bytesOf(t).size();
    h += (first ? "" : ",") + ("\"" + t.name + "\":{\"dtype\":\"" + t.dtype + "\",\"shape\":" + shapeJson(t.shape) +
                               ",\"data_offsets\":[" + std::to_string(at) + "," + std::to_string(at + n) + "]}");
    at += n;
    first = false;
  }
  return h + "}";
}

std::string rawFile(const std::string& header, const std::string& buffer) {
  std::string out;
  put(out, static_cast<std::uint64_t>(header.size()));
  return out + header + buffer;
}

std::string buildFile(const std::vector<WTensor>& tensors, const std::map<std::string, std::string>& metadata) {
  std::string buffer;
  for (const WTensor& t : tensors) buffer += bytesOf(t);
  // As the reference writer does, the header is padded with spaces to a multiple of 8 bytes, so the
  // buffer (and every tensor whose offset is a multiple of 8) starts aligned.
  std::string header = headerJson(tensors, metadata);
  header.append((8 - header.size() % 8) % 8, ' ');
  return rawFile(header, buffer);
}

void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + path);
}

std::vector<double> randomValues(std::size_t n, std::uint64_t seed) {
  std::vector<double> v(n);
  std::uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (double& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = (static_cast<int>((s >> 33) % 512) - 256) / 256.0;
  }
  return v;
}

WTensor randomTensor(const std::string& name, std::vector<std::int64_t> shape, std::uint64_t seed,
                     const std::string& dtype) {
  WTensor t;
  t.name = name;
  t.dtype = dtype;
  t.values = randomValues(static_cast<std::size_t>(product(shape)), seed);
  t.shape = std::move(shape);
  return t;
}

namespace {
/// Every folder makeTempDir made, removed when the test binary exits.
struct TempDirs {
  std::vector<std::string> dirs;
  ~TempDirs() {
    std::error_code ec;
    for (const std::string& d : dirs) std::filesystem::remove_all(d, ec);
  }
};
TempDirs& tempDirs() {
  static TempDirs t;
  return t;
}
}  // namespace

std::string makeTempDir(const std::string& tag) {
  std::string tmpl = (std::getenv("TMPDIR") ? std::string(std::getenv("TMPDIR")) : std::string("/tmp")) +
                     "/attnscope-" + tag + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  tempDirs().dirs.push_back(tmpl);
  return tmpl;
}

namespace {
constexpr std::int64_t D = 8, L = 2, F = 32;

struct Builder {
  std::vector<WTensor> t;
  std::string dtype = "F32";
  std::uint64_t seed = 1;
  void add(const std::string& name, std::vector<std::int64_t> shape) {
    t.push_back(randomTensor(name, std::move(shape), seed++, dtype));
  }
};
}  // namespace

TinyModel tinyGpt2(const std::string& p, const std::string& dtype) {
  constexpr std::int64_t V = 11, P = 7;
  Builder b;
  b.dtype = dtype;
  b.add(p + "wte.weight", {V, D});
  b.add(p + "wpe.weight", {P, D});
  for (int i = 0; i < L; ++i) {
    const std::string h = p + "h." + std::to_string(i) + ".";
    b.add(h + "ln_1.weight", {D});
    b.add(h + "ln_1.bias", {D});
    b.add(h + "attn.bias", {1, 1, P, P});  // legacy mask buffers
    b.add(h + "attn.masked_bias", {});
    b.add(h + "attn.c_attn.weight", {D, 3 * D});
    b.add(h + "attn.c_attn.bias", {3 * D});
    b.add(h + "attn.c_proj.weight", {D, D});
    b.add(h + "attn.c_proj.bias", {D});
    b.add(h + "ln_2.weight", {D});
    b.add(h + "ln_2.bias", {D});
    b.add(h + "mlp.c_fc.weight", {D, F});
    b.add(h + "mlp.c_fc.bias", {F});
    b.add(h + "mlp.c_proj.weight", {F, D});
    b.add(h + "mlp.c_proj.bias", {D});
  }
  b.add(p + "ln_f.weight", {D});
  b.add(p + "ln_f.bias", {D});
  return {b.t,
          R"({"model_type": "gpt2", "n_layer": 2, "n_head": 2, "n_embd": 8, "n_positions": 7, "vocab_size": 11,
              "layer_norm_epsilon": 1e-05, "activation_function": "gelu_new", "n_inner": null})"};
}

namespace {
// 8x8 images, 4x4 patches: a 2x2 grid, 5 positions with CLS.
void hfEncoder(Builder& b, const std::string& p, bool dino2) {
  const std::string e = p + "embeddings.";
  b.add(e + "cls_token", {1, 1, D});
  b.add(e + "position_embeddings", {1, 5, D});
  b.add(e + "patch_embeddings.projection.weight", {D, 3, 4, 4});
  b.add(e + "patch_embeddings.projection.bias", {D});
  for (int i = 0; i < L; ++i) {
    const std::string h = p + "encoder.layer." + std::to_string(i) + ".";
    b.add(h + (dino2 ? "norm1.weight" : "layernorm_before.weight"), {D});
    b.add(h + (dino2 ? "norm1.bias" : "layernorm_before.bias"), {D});
    for (const char* q : {"query", "key", "value"}) {
      b.add(h + "attention.attention." + q + ".weight", {D, D});
      b.add(h + "attention.attention." + q + ".bias", {D});
    }
    b.add(h + "attention.output.dense.weight", {D, D});
    b.add(h + "attention.output.dense.bias", {D});
    b.add(h + (dino2 ? "norm2.weight" : "layernorm_after.weight"), {D});
    b.add(h + (dino2 ? "norm2.bias" : "layernorm_after.bias"), {D});
    if (dino2) {
      b.add(h + "layer_scale1.lambda1", {D});
      b.add(h + "mlp.fc1.weight", {F, D});
      b.add(h + "mlp.fc1.bias", {F});
      b.add(h + "mlp.fc2.weight", {D, F});
      b.add(h + "mlp.fc2.bias", {D});
      b.add(h + "layer_scale2.lambda1", {D});
    } else {
      b.add(h + "intermediate.dense.weight", {F, D});
      b.add(h + "intermediate.dense.bias", {F});
      b.add(h + "output.dense.weight", {D, F});
      b.add(h + "output.dense.bias", {D});
    }
  }
  b.add(p + "layernorm.weight", {D});
  b.add(p + "layernorm.bias", {D});
}
}  // namespace

TinyModel tinyHfVit(const std::string& p) {
  Builder b;
  hfEncoder(b, p, false);
  b.add("classifier.weight", {3, D});
  b.add("classifier.bias", {3});
  return {b.t,
          R"({"model_type": "vit", "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
              "intermediate_size": 32, "image_size": 8, "patch_size": 4, "num_channels": 3,
              "layer_norm_eps": 1e-12})"};
}

TinyModel tinyDinov2(int registers) {
  Builder b;
  hfEncoder(b, "", true);
  b.add("embeddings.mask_token", {1, D});
  if (registers > 0) b.add("embeddings.register_tokens", {1, registers, D});
  const std::string type = registers > 0 ? "dinov2_with_registers" : "dinov2";
  std::string cfg = R"({"model_type": ")" + type +
                    R"(", "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
              "mlp_ratio": 4, "image_size": 8, "patch_size": 4, "layer_norm_eps": 1e-06)";
  if (registers > 0) cfg += ", \"num_register_tokens\": " + std::to_string(registers);
  return {b.t, cfg + "}"};
}

TinyModel tinyTimmVit() {
  Builder b;
  b.add("cls_token", {1, 1, D});
  b.add("pos_embed", {1, 5, D});
  b.add("patch_embed.proj.weight", {D, 3, 4, 4});
  b.add("patch_embed.proj.bias", {D});
  for (int i = 0; i < L; ++i) {
    const std::string k = "blocks." + std::to_string(i) + ".";
    b.add(k + "norm1.weight", {D});
    b.add(k + "norm1.bias", {D});
    b.add(k + "attn.qkv.weight", {3 * D, D});
    b.add(k + "attn.qkv.bias", {3 * D});
    b.add(k + "attn.proj.weight", {D, D});
    b.add(k + "attn.proj.bias", {D});
    b.add(k + "norm2.weight", {D});
    b.add(k + "norm2.bias", {D});
    b.add(k + "mlp.fc1.weight", {F, D});
    b.add(k + "mlp.fc1.bias", {F});
    b.add(k + "mlp.fc2.weight", {D, F});
    b.add(k + "mlp.fc2.bias", {D});
  }
  b.add("norm.weight", {D});
  b.add("norm.bias", {D});
  return {b.t,
          R"({"architecture": "vit_tiny_patch4_8.test", "num_classes": 0,
              "model_args": {"num_heads": 2},
              "pretrained_cfg": {"input_size": [3, 8, 8], "crop_pct": 0.875, "interpolation": "bicubic",
                                 "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}})"};
}

void writeCheckpoint(const std::string& dir, const TinyModel& m, bool withConfig) {
  if (withConfig) writeBytes(dir + "/config.json", m.config);
  writeBytes(dir + "/model.safetensors", buildFile(m.tensors));
}

void writeSharded(const std::string& dir, const std::vector<WTensor>& tensors, int shards) {
  std::string index = "{\"metadata\": {\"total_size\": 0}, \"weight_map\": {";
  for (int s = 0; s < shards; ++s) {
    const std::string file = "model-0000" + std::to_string(s + 1) + "-of-0000" + std::to_string(shards) + ".safetensors";
    std::vector<WTensor> part;
    for (std::size_t i = s; i < tensors.size(); i += static_cast<std::size_t>(shards)) {
      part.push_back(tensors[i]);
      index += (index.back() == '{' ? "" : ",") + ("\"" + tensors[i].name + "\": \"" + file + "\"");
    }
    writeBytes(dir + "/" + file, buildFile(part));
  }
  writeBytes(dir + "/model.safetensors.index.json", index + "}}");
}

}  // namespace attnscope::test
