#include "forward_reference.h"

#include <cmath>
#include <stdexcept>

namespace attnscope::test {

namespace {

struct Params {
  std::map<std::string, const WTensor*> byName;
  explicit Params(const std::vector<WTensor>& t) {
    for (const WTensor& w : t) byName[w.name] = &w;
  }
  bool has(const std::string& n) const { return byName.count(n) > 0; }
  const WTensor& at(const std::string& n) const {
    const auto it = byName.find(n);
    if (it == byName.end()) throw std::runtime_error("reference: no tensor " + n);
    return *it->second;
  }
  /// The tensor as rows × (numel / rows).
  Mat mat(const std::string& n, std::size_t rows) const {
    const WTensor& t = at(n);
    const std::size_t cols = t.values.size() / rows;
    Mat m(rows, std::vector<double>(cols));
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t j = 0; j < cols; ++j) m[i][j] = t.values[i * cols + j];
    return m;
  }
  const std::vector<double>& vec(const std::string& n) const { return at(n).values; }
};

Mat zeros(std::size_t r, std::size_t c) { return Mat(r, std::vector<double>(c, 0.0)); }

/// y = x·Wᵀ + b, W [out][in] (PyTorch Linear).
Mat linear(const Mat& x, const Mat& W, const std::vector<double>* b) {
  Mat y = zeros(x.size(), W.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    for (std::size_t o = 0; o < W.size(); ++o) {
      double s = b ? (*b)[o] : 0.0;
      for (std::size_t k = 0; k < W[o].size(); ++k) s += x[i][k] * W[o][k];
      y[i][o] = s;
    }
  return y;
}

/// y = x·W + b, W [in][out] (GPT-2's Conv1D).
Mat conv1d(const Mat& x, const Mat& W, const std::vector<double>& b) {
  Mat y = zeros(x.size(), W[0].size());
  for (std::size_t i = 0; i < x.size(); ++i)
    for (std::size_t o = 0; o < W[0].size(); ++o) {
      double s = b[o];
      for (std::size_t k = 0; k < W.size(); ++k) s += x[i][k] * W[k][o];
      y[i][o] = s;
    }
  return y;
}

Mat layerNorm(const Mat& x, const std::vector<double>& w, const std::vector<double>& b, double eps) {
  Mat y = x;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double n = static_cast<double>(x[i].size());
    double mean = 0, var = 0;
    for (double v : x[i]) mean += v;
    mean /= n;
    for (double v : x[i]) var += (v - mean) * (v - mean);
    var /= n;
    for (std::size_t j = 0; j < x[i].size(); ++j) y[i][j] = (x[i][j] - mean) / std::sqrt(var + eps) * w[j] + b[j];
  }
  return y;
}

/// Multi-head attention on fused columns [q | k | v] (each D wide, head h = columns h·d … h·d+d−1);
/// keeps the per-head q, k, v and probabilities in `layer`; returns the merged heads (N × D).
Mat attention(const Mat& qkv, int heads, bool causal, RefLayer& layer) {
  const std::size_t N = qkv.size(), D = qkv[0].size() / 3, d = D / static_cast<std::size_t>(heads);
  Mat merged = zeros(N, D);
  for (int h = 0; h < heads; ++h) {
    Mat q = zeros(N, d), k = zeros(N, d), v = zeros(N, d), p = zeros(N, N);
    for (std::size_t i = 0; i < N; ++i)
      for (std::size_t c = 0; c < d; ++c) {
        q[i][c] = qkv[i][h * d + c];
        k[i][c] = qkv[i][D + h * d + c];
        v[i][c] = qkv[i][2 * D + h * d + c];
      }
    for (std::size_t i = 0; i < N; ++i) {
      const std::size_t len = causal ? i + 1 : N;
      double mx = -1e300;
      std::vector<double> s(len);
      for (std::size_t j = 0; j < len; ++j) {
        double dot = 0;
        for (std::size_t c = 0; c < d; ++c) dot += q[i][c] * k[j][c];
        s[j] = dot / std::sqrt(static_cast<double>(d));
        mx = std::max(mx, s[j]);
      }
      double z = 0;
      for (std::size_t j = 0; j < len; ++j) z += std::exp(s[j] - mx);
      for (std::size_t j = 0; j < len; ++j) p[i][j] = std::exp(s[j] - mx) / z;
      for (std::size_t c = 0; c < d; ++c) {
        double o = 0;
        for (std::size_t j = 0; j < len; ++j) o += p[i][j] * v[j][c];
        merged[i][h * d + c] = o;
      }
    }
    layer.q.push_back(q);
    layer.k.push_back(k);
    layer.v.push_back(v);
    layer.probabilities.push_back(p);
  }
  return merged;
}

void addInPlace(Mat& h, const Mat& t, const std::vector<double>* scale = nullptr) {
  for (std::size_t i = 0; i < h.size(); ++i)
    for (std::size_t j = 0; j < h[i].size(); ++j) h[i][j] += (scale ? (*scale)[j] : 1.0) * t[i][j];
}

double geluTanh(double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))); }
double geluErf(double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }

Mat mapped(Mat x, double (*f)(double)) {
  for (auto& r : x)
    for (double& v : r) v = f(v);
  return x;
}

Mat hconcat(const Mat& a, const Mat& b, const Mat& c) {
  Mat y = a;
  for (std::size_t i = 0; i < y.size(); ++i) {
    y[i].insert(y[i].end(), b[i].begin(), b[i].end());
    y[i].insert(y[i].end(), c[i].begin(), c[i].end());
  }
  return y;
}

std::size_t rowsOf(const WTensor& t) { return static_cast<std::size_t>(t.shape[0]); }

}  // namespace

RefForward referenceGpt2(const std::vector<WTensor>& tensors, const RefConfig& c, const std::vector<int>& ids) {
  const Params P(tensors);
  const std::string& p = c.prefix;
  const Mat wte = P.mat(p + "wte.weight", rowsOf(P.at(p + "wte.weight")));
  const Mat wpe = P.mat(p + "wpe.weight", rowsOf(P.at(p + "wpe.weight")));
  Mat h;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    std::vector<double> r(wte[0].size());
    for (std::size_t j = 0; j < r.size(); ++j) r[j] = wte[static_cast<std::size_t>(ids[i])][j] + wpe[i][j];
    h.push_back(r);
  }
  const std::size_t D = h[0].size();
  RefForward out;
  for (int l = 0; l < c.layers; ++l) {
    const std::string b = p + "h." + std::to_string(l) + ".";
    RefLayer layer;
    const Mat a = layerNorm(h, P.vec(b + "ln_1.weight"), P.vec(b + "ln_1.bias"), c.eps);
    const Mat qkv = conv1d(a, P.mat(b + "attn.c_attn.weight", D), P.vec(b + "attn.c_attn.bias"));
    const Mat merged = attention(qkv, c.heads, true, layer);
    addInPlace(h, conv1d(merged, P.mat(b + "attn.c_proj.weight", D), P.vec(b + "attn.c_proj.bias")));
    const Mat a2 = layerNorm(h, P.vec(b + "ln_2.weight"), P.vec(b + "ln_2.bias"), c.eps);
    const Mat f = mapped(conv1d(a2, P.mat(b + "mlp.c_fc.weight", D), P.vec(b + "mlp.c_fc.bias")), geluTanh);
    const std::size_t F = f[0].size();
    addInPlace(h, conv1d(f, P.mat(b + "mlp.c_proj.weight", F), P.vec(b + "mlp.c_proj.bias")));
    out.layers.push_back(layer);
  }
  out.finalHidden = layerNorm(h, P.vec(p + "ln_f.weight"), P.vec(p + "ln_f.bias"), c.eps);
  return out;
}

RefForward referenceVit(const std::vector<WTensor>& tensors, const RefConfig& c, const std::vector<double>& chw,
                        int height, int width, const Mat& gridPositions) {
  const Params P(tensors);
  const bool timm = c.family == RefFamily::TimmVit, dino2 = c.family == RefFamily::Dinov2;
  const std::string& p = c.prefix;
  const std::string e = p + "embeddings.";
  const std::string projW = timm ? "patch_embed.proj.weight" : e + "patch_embeddings.projection.weight";
  const std::string projB = timm ? "patch_embed.proj.bias" : e + "patch_embeddings.projection.bias";
  const WTensor& conv = P.at(projW);  // [D, 3, p, p]
  const std::size_t D = static_cast<std::size_t>(conv.shape[0]);
  const int ps = c.patch, gh = height / ps, gw = width / ps;
  // The convolution with kernel = stride = p, patch by patch.
  Mat patches;
  for (int gy = 0; gy < gh; ++gy)
    for (int gx = 0; gx < gw; ++gx) {
      std::vector<double> r(D);
      for (std::size_t o = 0; o < D; ++o) {
        double s = P.has(projB) ? P.vec(projB)[o] : 0.0;
        for (int ch = 0; ch < 3; ++ch)
          for (int ky = 0; ky < ps; ++ky)
            for (int kx = 0; kx < ps; ++kx)
              s += conv.values[((o * 3 + ch) * ps + ky) * ps + kx] *
                   chw[(static_cast<std::size_t>(ch) * height + gy * ps + ky) * width + gx * ps + kx];
        r[o] = s;
      }
      patches.push_back(r);
    }
  const WTensor& posT = P.at(timm ? "pos_embed" : e + "position_embeddings");
  const std::size_t posRows = static_cast<std::size_t>(posT.shape[1]);
  const Mat pos = P.mat(posT.name, posRows);
  const std::size_t n = patches.size();
  // The stored grid is s × s; CLS has a position embedding when there is a row before it.
  std::size_t side = 0;
  while ((side + 1) * (side + 1) <= posRows - 1) ++side;
  const bool clsHasPosition = side * side == posRows - 1;
  if (!clsHasPosition)
    while (side * side < posRows) ++side;
  const std::size_t first = posRows - side * side;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < D; ++j)
      patches[i][j] += gridPositions.empty() ? pos[first + i][j] : gridPositions[i][j];
  Mat h;
  std::vector<double> cls = P.vec(timm ? "cls_token" : e + "cls_token");
  if (clsHasPosition)
    for (std::size_t j = 0; j < D; ++j) cls[j] += pos[0][j];
  h.push_back(cls);
  if (c.registers > 0) {
    const Mat reg = P.mat(timm ? "reg_token" : e + "register_tokens", static_cast<std::size_t>(c.registers));
    h.insert(h.end(), reg.begin(), reg.end());
  }
  h.insert(h.end(), patches.begin(), patches.end());

  RefForward out;
  for (int l = 0; l < c.layers; ++l) {
    RefLayer layer;
    const std::string b = timm ? "blocks." + std::to_string(l) + "." : p + "encoder.layer." + std::to_string(l) + ".";
    const std::string ln1 = timm || dino2 ? "norm1" : "layernorm_before";
    const std::string ln2 = timm || dino2 ? "norm2" : "layernorm_after";
    const Mat a = layerNorm(h, P.vec(b + ln1 + ".weight"), P.vec(b + ln1 + ".bias"), c.eps);
    Mat qkv;
    if (timm) {
      qkv = linear(a, P.mat(b + "attn.qkv.weight", 3 * D), &P.vec(b + "attn.qkv.bias"));
    } else {
      const std::string at = b + "attention.attention.";
      qkv = hconcat(linear(a, P.mat(at + "query.weight", D), &P.vec(at + "query.bias")),
                    linear(a, P.mat(at + "key.weight", D), &P.vec(at + "key.bias")),
                    linear(a, P.mat(at + "value.weight", D), &P.vec(at + "value.bias")));
    }
    const Mat merged = attention(qkv, c.heads, false, layer);
    const std::string o = timm ? b + "attn.proj" : b + "attention.output.dense";
    const Mat attn = linear(merged, P.mat(o + ".weight", D), &P.vec(o + ".bias"));
    addInPlace(h, attn, dino2 ? &P.vec(b + "layer_scale1.lambda1") : nullptr);
    const Mat a2 = layerNorm(h, P.vec(b + ln2 + ".weight"), P.vec(b + ln2 + ".bias"), c.eps);
    Mat mlp;
    if (c.swiglu) {
      const WTensor& win = P.at(b + "mlp.weights_in.weight");
      const Mat x12 = linear(a2, P.mat(win.name, rowsOf(win)), P.has(b + "mlp.weights_in.bias") ? &P.vec(b + "mlp.weights_in.bias") : nullptr);
      const std::size_t hidden = x12[0].size() / 2;
      Mat g = zeros(x12.size(), hidden);
      for (std::size_t i = 0; i < x12.size(); ++i)
        for (std::size_t j = 0; j < hidden; ++j) {
          const double x1 = x12[i][j];
          g[i][j] = x1 / (1 + std::exp(-x1)) * x12[i][hidden + j];
        }
      mlp = linear(g, P.mat(b + "mlp.weights_out.weight", D),
                   P.has(b + "mlp.weights_out.bias") ? &P.vec(b + "mlp.weights_out.bias") : nullptr);
    } else {
      const std::string f1 = timm || dino2 ? b + "mlp.fc1" : b + "intermediate.dense";
      const std::string f2 = timm || dino2 ? b + "mlp.fc2" : b + "output.dense";
      const Mat f = mapped(linear(a2, P.mat(f1 + ".weight", rowsOf(P.at(f1 + ".weight"))), &P.vec(f1 + ".bias")), geluErf);
      mlp = linear(f, P.mat(f2 + ".weight", D), &P.vec(f2 + ".bias"));
    }
    addInPlace(h, mlp, dino2 ? &P.vec(b + "layer_scale2.lambda1") : nullptr);
    out.layers.push_back(layer);
  }
  const std::string fn = timm ? "norm" : p + "layernorm";
  out.finalHidden = layerNorm(h, P.vec(fn + ".weight"), P.vec(fn + ".bias"), c.eps);
  return out;
}

}  // namespace attnscope::test
