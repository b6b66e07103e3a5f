#include "attnscope/models/bound_weights.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "attnscope/error.h"
#include "attnscope/gemm.h"

namespace attnscope::models {

void View::copyRows(Eigen::Index first, Eigen::Index count, float* dst) const {
  if (data) {
    std::copy(data + first * cols, data + (first + count) * cols, dst);
    return;
  }
  // In parallel over blocks of rows: a streamed projection is converted once per product.
  const std::size_t item = dtypeSize(dtype);
  const unsigned char* src = raw + static_cast<std::size_t>(first * cols) * item;
  const Eigen::Index rowsPerBlock = std::max<Eigen::Index>(1, (Eigen::Index(1) << 16) / std::max<Eigen::Index>(1, cols));
  const Eigen::Index blocks = (count + rowsPerBlock - 1) / rowsPerBlock;
  const int workers = Eigen::nbThreads();
#pragma omp parallel for schedule(static) num_threads(workers) if (blocks > 1)
  for (Eigen::Index b = 0; b < blocks; ++b) {
    const Eigen::Index r0 = b * rowsPerBlock, r1 = std::min(count, r0 + rowsPerBlock);
    convertToFloat(dtype, src + static_cast<std::size_t>(r0 * cols) * item, static_cast<std::size_t>((r1 - r0) * cols),
                   dst + r0 * cols);
  }
}

void Linear::apply(const MatrixF& x, MatrixF& y) const {
  y.resize(x.rows(), outputs());
  // A streamed weight is converted for this product into a buffer the thread keeps (its pages
  // stay mapped: no fresh allocation per product).
  thread_local std::vector<float> converted;
  const float* w = weight.data;
  if (weight.streamed()) {
    const auto n = static_cast<std::size_t>(weight.rows * weight.cols);
    if (converted.size() < n) converted.resize(n);
    weight.copyRows(0, weight.rows, converted.data());
    w = converted.data();
  }
  const ConstMap W(w, weight.rows, weight.cols);
  // The bias is written first and the product added to it (one pass over y, not two).
  const bool hasBias = !bias.empty();
  if (hasBias) y.rowwise() = bias.row();
  if (inOut)
    gemm(y, x, W, 1.0f, hasBias ? 1.0f : 0.0f);
  else
    gemm(y, x, W.transpose(), 1.0f, hasBias ? 1.0f : 0.0f);
}

void LayerNormW::apply(const MatrixF& x, MatrixF& y) const {
  y.resize(x.rows(), x.cols());
  const auto w = weight.row().array();
  const Eigen::Index n = x.rows();
  const float inv = 1.0f / static_cast<float>(x.cols());
  const int workers = Eigen::nbThreads();
  if (rms) {
#pragma omp parallel for schedule(static) num_threads(workers) if (n > 64)
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto r = x.row(i).array();
      y.row(i).array() = r * (1.0f / std::sqrt(r.square().sum() * inv + eps)) * w;
    }
    return;
  }
  const auto b = bias.row().array();
#pragma omp parallel for schedule(static) num_threads(workers) if (n > 64)
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto r = x.row(i).array();
    const float mean = r.sum() * inv;
    const float var = (r - mean).square().sum() * inv;
    const float s = 1.0f / std::sqrt(var + eps);
    y.row(i).array() = (r - mean) * s * w + b;
  }
}

BoundWeights::BoundWeights(const Checkpoint& checkpoint, std::int64_t streamAboveBytes)
    : store_(checkpoint.tensors()) {
  const ModelInfo& m = checkpoint.info();
  std::int64_t nonF32 = 0;
  for (const std::string& name : store_.names()) {
    const TensorInfo& t = store_.info(name);
    if (t.dtype != Dtype::F32) nonF32 += t.numel() * static_cast<std::int64_t>(sizeof(float));
  }
  stream = nonF32 > streamAboveBytes;
  const FamilyEntry& family = familyEntry(m.family);
  blocks.resize(static_cast<std::size_t>(m.layers));
  family.bind(m, *this);  // each family's key names (family.h)
  if (!family.text) positionGrid = m.imageSize / m.patchSize;
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

View BoundWeights::matrix(const std::string& name, Eigen::Index rows, Eigen::Index cols) {
  const TensorInfo& t = store_.info(name);
  if (!stream || t.dtype == Dtype::F32 || !isReadable(t.dtype)) return view(name, rows, cols);
  if (t.numel() != rows * cols)
    throw FileError(store_.fileOf(name).path() + ": tensor '" + name + "' has shape " + shapeText(t.shape) +
                    ", not " + std::to_string(rows) + " × " + std::to_string(cols) + " values");
  View v;
  v.rows = rows;
  v.cols = cols;
  v.raw = store_.fileOf(name).bytes(t);
  v.dtype = t.dtype;
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
  l.weight = matrix(base + ".weight", t.shape[0], t.shape[1]);
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

LayerNormW BoundWeights::rmsNorm(const std::string& base, float eps) {
  LayerNormW n;
  n.weight = row(base + ".weight");
  n.eps = eps;
  n.rms = true;
  return n;
}

}  // namespace attnscope::models
