#include "bound_weights.h"

#include <cmath>
#include <cstdint>

#include "attnscope/error.h"

namespace attnscope::models {

void Linear::apply(const MatrixF& x, MatrixF& y) const {
  y.resize(x.rows(), outputs());
  if (inOut)
    y.noalias() = x * weight.map();
  else
    y.noalias() = x * weight.map().transpose();
  if (!bias.empty()) y.rowwise() += bias.row();
}

void LayerNormW::apply(const MatrixF& x, MatrixF& y) const {
  y.resize(x.rows(), x.cols());
  const auto w = weight.row().array();
  const auto b = bias.row().array();
  const Eigen::Index n = x.rows();
  const float inv = 1.0f / static_cast<float>(x.cols());
  const int workers = Eigen::nbThreads();
#pragma omp parallel for schedule(static) num_threads(workers) if (n > 64)
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto r = x.row(i).array();
    const float mean = r.sum() * inv;
    const float var = (r - mean).square().sum() * inv;
    const float s = 1.0f / std::sqrt(var + eps);
    y.row(i).array() = (r - mean) * s * w + b;
  }
}

BoundWeights::BoundWeights(const Checkpoint& checkpoint) : store_(checkpoint.tensors()) {
  const ModelInfo& m = checkpoint.info();
  const std::string& p = m.prefix;
  const auto eps = static_cast<float>(m.layerNormEps);
  const Eigen::Index D = m.dModel;
  blocks.resize(static_cast<std::size_t>(m.layers));
  switch (m.family) {
    case Family::Gpt2: {
      tanhGelu = true;
      tokenEmbedding = view(p + "wte.weight", m.vocabSize, D);
      positionEmbedding = view(p + "wpe.weight", m.positions, D);
      for (int i = 0; i < m.layers; ++i)
        bindFusedBlock(p + "h." + std::to_string(i) + ".", {"ln_1", "ln_2", "attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"},
                       true, eps, blocks[static_cast<std::size_t>(i)]);
      finalNorm = layerNorm(p + "ln_f", eps);
      break;
    }
    case Family::HfVit:
    case Family::Dinov2: {
      const bool dino2 = m.family == Family::Dinov2;
      const std::string e = p + "embeddings.";
      const std::string proj = e + "patch_embeddings.projection.";
      const Eigen::Index kernel = store_.info(proj + "weight").numel() / D;
      patch.weight = view(proj + "weight", D, kernel);
      patch.bias = row(proj + "bias");
      cls = view(e + "cls_token", 1, D);
      if (m.registers > 0) registers = view(e + "register_tokens", m.registers, D);
      positions = view(e + "position_embeddings", m.positions, D);
      positionPrefix = 1;
      for (int i = 0; i < m.layers; ++i) {
        const std::string h = p + "encoder.layer." + std::to_string(i) + ".";
        BlockWeights& b = blocks[static_cast<std::size_t>(i)];
        b.ln1 = layerNorm(h + (dino2 ? "norm1" : "layernorm_before"), eps);
        b.ln2 = layerNorm(h + (dino2 ? "norm2" : "layernorm_after"), eps);
        b.q = linear(h + "attention.attention.query", false);
        b.k = linear(h + "attention.attention.key", false);
        b.v = linear(h + "attention.attention.value", false);
        b.proj = linear(h + "attention.output.dense", false);
        if (dino2) {
          b.layerScale1 = row(h + "layer_scale1.lambda1");
          b.layerScale2 = row(h + "layer_scale2.lambda1");
          b.swiglu = has(h + "mlp.weights_in.weight");
          b.fc1 = linear(h + (b.swiglu ? "mlp.weights_in" : "mlp.fc1"), false);
          b.fc2 = linear(h + (b.swiglu ? "mlp.weights_out" : "mlp.fc2"), false);
        } else {
          b.fc1 = linear(h + "intermediate.dense", false);
          b.fc2 = linear(h + "output.dense", false);
        }
      }
      finalNorm = layerNorm(p + "layernorm", eps);
      break;
    }
    case Family::TimmVit: {
      const Eigen::Index kernel = store_.info("patch_embed.proj.weight").numel() / D;
      patch.weight = view("patch_embed.proj.weight", D, kernel);
      if (has("patch_embed.proj.bias")) patch.bias = row("patch_embed.proj.bias");
      cls = view("cls_token", 1, D);
      if (m.registers > 0) registers = view("reg_token", m.registers, D);
      positions = view("pos_embed", m.positions, D);
      const int grid = m.imageSize / m.patchSize;
      positionPrefix = m.positions - grid * grid;  // 1: CLS has a position; 0: timm's no_embed_class
      for (int i = 0; i < m.layers; ++i)
        bindFusedBlock("blocks." + std::to_string(i) + ".", {"norm1", "norm2", "attn.qkv", "attn.proj", "mlp.fc1", "mlp.fc2"},
                       false, eps, blocks[static_cast<std::size_t>(i)]);
      finalNorm = layerNorm("norm", eps);
      break;
    }
  }
  if (m.family != Family::Gpt2) positionGrid = m.imageSize / m.patchSize;
}

void BoundWeights::bindFusedBlock(const std::string& h, const std::array<const char*, 6>& names, bool inOut,
                                  float eps, BlockWeights& b) {
  b.ln1 = layerNorm(h + names[0], eps);
  b.ln2 = layerNorm(h + names[1], eps);
  b.qkv = linear(h + names[2], inOut);
  b.fused = true;
  b.proj = linear(h + names[3], inOut);
  b.fc1 = linear(h + names[4], inOut);
  b.fc2 = linear(h + names[5], inOut);
}

View BoundWeights::view(const std::string& name, Eigen::Index rows, Eigen::Index cols) {
  const TensorInfo& t = store_.info(name);
  if (t.numel() != rows * cols)
    throw FileError(store_.fileOf(name).path() + ": tensor '" + name + "' has shape " + shapeText(t.shape) +
                    ", not " + std::to_string(rows) + " × " + std::to_string(cols) + " values");
  const unsigned char* bytes = store_.fileOf(name).bytes(t);
  View v;
  v.rows = rows;
  v.cols = cols;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const bool inPlace = t.dtype == Dtype::F32 && reinterpret_cast<std::uintptr_t>(bytes) % alignof(float) == 0;
#else
  const bool inPlace = false;
#endif
  if (inPlace) {
    v.data = reinterpret_cast<const float*>(bytes);
  } else {
    owned.emplace_back(store_.values(name));
    converted += static_cast<std::int64_t>(owned.back().size() * sizeof(float));
    v.data = owned.back().data();
  }
  return v;
}

View BoundWeights::row(const std::string& name) { return view(name, 1, store_.info(name).numel()); }

Linear BoundWeights::linear(const std::string& base, bool inOut) {
  Linear l;
  l.inOut = inOut;
  const TensorInfo& t = store_.info(base + ".weight");
  if (t.shape.size() != 2)
    throw FileError(store_.fileOf(base + ".weight").path() + ": tensor '" + base + ".weight' has shape " +
                    shapeText(t.shape) + ", not a matrix");
  l.weight = view(base + ".weight", t.shape[0], t.shape[1]);
  if (has(base + ".bias")) {
    l.bias = row(base + ".bias");
    if (l.bias.cols != l.outputs())
      throw FileError(store_.fileOf(base + ".bias").path() + ": tensor '" + base + ".bias' has " +
                      std::to_string(l.bias.cols) + " values for " + std::to_string(l.outputs()) + " outputs");
  }
  return l;
}

LayerNormW BoundWeights::layerNorm(const std::string& base, float eps) {
  LayerNormW n;
  n.weight = row(base + ".weight");
  n.bias = row(base + ".bias");
  n.eps = eps;
  return n;
}

}  // namespace attnscope::models
