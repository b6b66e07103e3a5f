#include "attnscope/models/forward.h"

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <unsupported/Eigen/SpecialFunctions>
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "attnscope/blas_library.h"
#include "attnscope/eigen_backend.h"
#include "attnscope/gemm.h"
#include "attnscope/error.h"
#include "attnscope/models/bound_weights.h"
#include "attnscope/models/position_resample.h"

namespace attnscope::models {

float geluTanh(float x) {
  const float k = 0.7978845608028654f;  // √(2/π)
  return 0.5f * x * (1.0f + std::tanh(k * (x + 0.044715f * x * x * x)));
}

float geluErf(float x) { return 0.5f * x * (1.0f + std::erf(x * 0.7071067811865476f)); }

const LayerAttention& ForwardResult::layer(int l) const {
  for (const LayerAttention& a : layers)
    if (a.layer == l) return a;
  throw InvalidArgument("layer " + std::to_string(l) + " was not kept by the forward");
}

namespace {
void softmaxRows(MatrixF& s, bool causal, int window);
}

MatrixF ForwardResult::probabilities(int l, int head) const {
  const LayerAttention& a = layer(l);
  if (head < 0 || head >= a.qkv.numHeads())
    throw InvalidArgument("head " + std::to_string(head) + " does not exist (" + std::to_string(a.qkv.numHeads()) +
                          " heads)");
  const MatrixF& q = a.qkv.q[static_cast<std::size_t>(head)];
  const MatrixF& k = a.qkv.k[static_cast<std::size_t>(a.qkv.kvHead(head))];
  MatrixF s(q.rows(), k.rows());
  gemm(s, q, k.transpose(), scale);
  softmaxRows(s, causal, causal && slidingWindow < tokens ? slidingWindow : 0);
  return s;
}

namespace {

/// Sets Eigen's and the BLAS's thread count for the forward and puts the previous one back.
class ThreadScope {
 public:
  explicit ThreadScope(int threads) : previous_(Eigen::nbThreads()) {
    // As the Eigen backend does: no more threads than cores (Eigen's and the BLAS's).
    if (threads > 0) setLinearAlgebraThreads(std::min(threads, hardwareThreads()));
  }
  ~ThreadScope() { setLinearAlgebraThreads(previous_); }

 private:
  int previous_;
};

/// Row-wise softmax of s in place; with `causal`, row i covers columns 0..i and the rest are 0;
/// a `window` > 0 also masks columns before i − window + 1.
void softmaxRows(MatrixF& s, bool causal, int window) {
  const Eigen::Index n = s.rows(), m = s.cols();
  for (Eigen::Index i = 0; i < n; ++i) {
    const Eigen::Index end = causal ? std::min<Eigen::Index>(i + 1, m) : m;
    const Eigen::Index begin = window > 0 ? std::max<Eigen::Index>(0, i - window + 1) : 0;
    auto r = s.row(i).segment(begin, end - begin).array();
    const float mx = r.maxCoeff();
    r = (r - mx).exp();
    r /= r.sum();
    if (begin > 0) s.row(i).head(begin).setZero();
    if (end < m) s.row(i).tail(m - end).setZero();
  }
}

/// Low-rank K/V on the columns [kCol, kCol + 2·gd) of qkv ([K | V], K before RoPE): the spectrum
/// of X = [K/α | V] and, with 0 < rank < min(N, 2·gd), X replaced by its rank-r projection (K part
/// times α). In double, through the smaller Gram matrix (XᵀX or XXᵀ).
KvSpectrum lowRankKv(MatrixF& qkv, Eigen::Index kCol, Eigen::Index gd, int rank) {
  Eigen::MatrixXd X = qkv.middleCols(kCol, 2 * gd).cast<double>();
  KvSpectrum out;
  const double nk = X.leftCols(gd).norm(), nv = X.rightCols(gd).norm();
  out.alpha = nk > 0 && nv > 0 ? nk / nv : 1.0;
  X.leftCols(gd) /= out.alpha;
  const Eigen::Index n = X.rows(), c = X.cols();
  const bool right = c <= n;  // eigenvectors of XᵀX are the right singular vectors
  const Eigen::MatrixXd gram = right ? Eigen::MatrixXd(X.transpose() * X) : Eigen::MatrixXd(X * X.transpose());
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(gram);
  if (es.info() != Eigen::Success) throw InvalidArgument("the K/V spectrum did not converge (non-finite K or V?)");
  const Eigen::VectorXd& ev = es.eigenvalues();  // ascending
  for (Eigen::Index i = ev.size() - 1; i >= 0; --i) out.singularValues.push_back(std::sqrt(std::max(0.0, ev(i))));
  if (rank > 0 && rank < std::min(n, c)) {
    const Eigen::MatrixXd B = es.eigenvectors().rightCols(rank);  // the top r
    Eigen::MatrixXd Xr = right ? Eigen::MatrixXd((X * B) * B.transpose()) : Eigen::MatrixXd(B * (B.transpose() * X));
    Xr.leftCols(gd) *= out.alpha;
    qkv.middleCols(kCol, 2 * gd) = Xr.cast<float>();
  }
  return out;
}

/// cos and sin of position·θ_i for positions 0 … n−1 and the d/2 pairs (angles in double).
struct RopeTable {
  MatrixF cos, sin;  // n × d/2
};

RopeTable ropeTable(const RopeSpec& rope, int dHead, Eigen::Index n) {
  const std::vector<double> inv = rope.inverseFrequencies(dHead);
  const auto half = static_cast<Eigen::Index>(inv.size());
  RopeTable t{MatrixF(n, half), MatrixF(n, half)};
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < half; ++j) {
      const double a = static_cast<double>(i) * inv[static_cast<std::size_t>(j)];
      t.cos(i, j) = static_cast<float>(std::cos(a));
      t.sin(i, j) = static_cast<float>(std::sin(a));
    }
  return t;
}

/// Rotate-half RoPE on `heads` consecutive heads of width d starting at column `first` of x:
/// x' = x ⊙ cos + rotate_half(x) ⊙ sin, rotate_half([x₁ | x₂]) = [−x₂ | x₁] (halves of the head).
void applyRope(MatrixF& x, Eigen::Index first, int heads, int d, const RopeTable& t) {
  const Eigen::Index half = d / 2;
  for (int h = 0; h < heads; ++h) {
    auto x1 = x.middleCols(first + static_cast<Eigen::Index>(h) * d, half);
    auto x2 = x.middleCols(first + static_cast<Eigen::Index>(h) * d + half, half);
    const MatrixF a = x1;
    x1.array() = a.array() * t.cos.array() - x2.array() * t.sin.array();
    x2.array() = x2.array() * t.cos.array() + a.array() * t.sin.array();
  }
}

/// GELU over a whole activation matrix with Eigen's vectorised tanh / erf (the scalar functions
/// above are the definitions; these agree with them to float rounding), in parallel over rows.
void geluInPlace(MatrixF& x, bool tanhForm) {
  const Eigen::Index n = x.rows();
  const int workers = Eigen::nbThreads();
#pragma omp parallel for schedule(static) num_threads(workers) if (n > 16)
  for (Eigen::Index i = 0; i < n; ++i) {
    auto r = x.row(i).array();
    if (tanhForm)
      r = 0.5f * r * (1.0f + (0.7978845608028654f * (r + 0.044715f * r.cube())).tanh());
    else
      r = 0.5f * r * (1.0f + (r * 0.7071067811865476f).erf());
  }
}

/// The embeddings of the image: [CLS, registers, patches], position embeddings added as the family
/// does (to CLS and patches; DINOv2's registers are inserted after CLS without them).
MatrixF imageEmbeddings(const BoundWeights& w, const ModelInfo& m, const PixelInput& px, int* gridRows,
                        int* gridCols) {
  const int p = m.patchSize;
  if (px.width <= 0 || px.height <= 0 || px.chw.size() != static_cast<std::size_t>(3) * px.width * px.height)
    throw InvalidArgument("the image for the model must be 3 × height × width values (got " +
                          std::to_string(px.chw.size()) + " for " + std::to_string(px.width) + " × " +
                          std::to_string(px.height) + ")");
  if (px.width % p != 0 || px.height % p != 0)
    throw InvalidArgument("the image for the model is " + std::to_string(px.width) + " × " + std::to_string(px.height) +
                          " pixels, not a multiple of the patch size " + std::to_string(p));
  const int gh = px.height / p, gw = px.width / p;
  const Eigen::Index n = static_cast<Eigen::Index>(gh) * gw;
  const Eigen::Index kernel = w.patch.weight.cols;
  if (kernel != 3 * p * p)
    throw InvalidArgument("the patch embedding takes " + std::to_string(kernel / (p * p)) + " channels, not 3");
  // im2col: row = patch (row-major), column = (channel, ky, kx) as the conv weight is laid out.
  MatrixF cols(n, kernel);
  for (int gy = 0; gy < gh; ++gy)
    for (int gx = 0; gx < gw; ++gx) {
      float* dst = cols.row(static_cast<Eigen::Index>(gy) * gw + gx).data();
      for (int c = 0; c < 3; ++c)
        for (int ky = 0; ky < p; ++ky) {
          const float* src = px.chw.data() + (static_cast<std::size_t>(c) * px.height + gy * p + ky) * px.width + gx * p;
          std::copy(src, src + p, dst + (c * p + ky) * p);
        }
    }
  MatrixF patches;
  w.patch.apply(cols, patches);

  // Position embeddings of the patch grid, resampled when the grid is not the stored one.
  const Eigen::Index D = m.dModel;
  const int s = w.positionGrid;
  MatrixF grid = w.positions.map().bottomRows(static_cast<Eigen::Index>(s) * s);
  if (gh != s || gw != s) grid = resamplePositionGrid(grid, s, s, gh, gw, positionAntialias(m.family));
  patches += grid;

  const int R = m.registers;
  MatrixF h(1 + R + n, D);
  h.row(0) = w.cls.map().row(0);
  if (w.positionPrefix > 0) h.row(0) += w.positions.map().row(0);
  if (R > 0) h.middleRows(1, R) = w.registers.map();
  h.bottomRows(n) = patches;
  *gridRows = gh;
  *gridCols = gw;
  return h;
}

MatrixF textEmbeddings(const BoundWeights& w, const ModelInfo& m, const std::vector<int>& ids) {
  if (ids.empty()) throw InvalidArgument("the text has no tokens for the model");
  if (static_cast<int>(ids.size()) > m.positions)
    throw InvalidArgument("the text has " + std::to_string(ids.size()) + " tokens; this model takes at most " +
                          std::to_string(m.positions) + " (its n_positions)");
  const Eigen::Index n = static_cast<Eigen::Index>(ids.size());
  MatrixF h(n, m.dModel);
  for (Eigen::Index i = 0; i < n; ++i) {
    const int id = ids[static_cast<std::size_t>(i)];
    if (id < 0 || id >= m.vocabSize)
      throw InvalidArgument("token id " + std::to_string(id) + " at position " + std::to_string(i) +
                            " is outside the vocabulary of " + std::to_string(m.vocabSize));
    w.tokenEmbedding.copyRows(id, 1, h.row(i).data());  // h is row-major
  }
  if (!w.positionEmbedding.empty()) h += w.positionEmbedding.map().topRows(n);
  return h;
}

}  // namespace

ModelRunner::ModelRunner(const Checkpoint& checkpoint, std::int64_t streamAboveBytes)
    : info_(checkpoint.info()), w_(std::make_unique<BoundWeights>(checkpoint, streamAboveBytes)) {}
ModelRunner::~ModelRunner() = default;
ModelRunner::ModelRunner(ModelRunner&&) noexcept = default;
ModelRunner& ModelRunner::operator=(ModelRunner&&) noexcept = default;

std::int64_t ModelRunner::convertedBytes() const { return w_->converted; }
bool ModelRunner::streamsWeights() const { return w_->stream; }

ForwardResult ModelRunner::run(const ModelInput& input, const ForwardOptions& options, const JobControl& job) const {
  const ModelInfo& m = info_;
  const BoundWeights& w = *w_;
  const FamilyEntry& family = familyEntry(m.family);
  const bool text = family.text;
  const int L = m.layers, H = m.heads, G = m.keyValueHeads(), d = m.dHead;
  if (G <= 0 || H % G != 0)
    throw InvalidArgument("the model's " + std::to_string(H) + " query heads are not a multiple of its " +
                          std::to_string(G) + " key/value heads");
  const int group = H / G;  // query heads per KV head
  const Eigen::Index D = m.dModel, HD = static_cast<Eigen::Index>(H) * d, GD = static_cast<Eigen::Index>(G) * d;
  auto checkLayers = [&](const std::vector<int>& layers, const char* what) {
    std::set<int> out;
    for (int l : layers) {
      if (l < 0 || l >= L)
        throw InvalidArgument(std::string(what) + " layer " + std::to_string(l) + " does not exist (the model has " +
                              std::to_string(L) + " layers: 0 … " + std::to_string(L - 1) + ")");
      out.insert(l);
    }
    return out;
  };
  std::set<int> keep = checkLayers(options.keepLayers, "kept");
  if (options.keepLayers.empty())
    for (int l = 0; l < L; ++l) keep.insert(l);
  const std::set<int> probs = checkLayers(options.probabilityLayers, "probability");
  const std::set<int> lowRankLayers = checkLayers(options.kvRankLayers, "low-rank K/V");
  const std::set<int> replaced = checkLayers(options.replaceLayers, "replaced");
  if (!replaced.empty() && !options.replacement)
    throw InvalidArgument("layers to replace were given without the attention that replaces them");
  if (options.kvRank < 0) throw InvalidArgument("the K/V rank must be ≥ 0 (0 = as computed)");
  for (int l : probs) keep.insert(l);

  ThreadScope threads(options.threads);
  ForwardResult r;
  r.causal = family.causal;
  r.slidingWindow = m.slidingWindow;
  r.scale = 1.0f / std::sqrt(static_cast<float>(d));
  // Resuming: the residual stream entering the first replaced layer (MATH.md: only layers from
  // the first replaced one change).
  int start = 0;
  MatrixF h;
  if (options.resumeFrom) {
    const ForwardResult& from = *options.resumeFrom;
    if (static_cast<int>(from.residual.size()) != L + 1)
      throw InvalidArgument("resuming a forward needs one that kept its residual stream");
    if (options.keepResidual) throw InvalidArgument("a resumed forward does not keep its residual stream");
    start = replaced.empty() ? L : *replaced.begin();
    h = from.residual[static_cast<std::size_t>(start)];
    r.gridRows = from.gridRows;
    r.gridCols = from.gridCols;
  } else {
    h = text ? textEmbeddings(w, m, input.ids) : imageEmbeddings(w, m, input.pixels, &r.gridRows, &r.gridCols);
  }
  const Eigen::Index N = h.rows();
  r.tokens = static_cast<int>(N);
  r.prefixTokens = text ? 0 : 1 + m.registers;
  const double probBytes = static_cast<double>(probs.size()) * H * static_cast<double>(N) * N * sizeof(float);
  if (probBytes > static_cast<double>(options.probabilityBudgetBytes))
    throw BudgetExceeded("the attention probabilities of " + std::to_string(probs.size()) + " layer(s) × " +
                         std::to_string(H) + " heads at N = " + std::to_string(N) + " take " +
                         std::to_string(static_cast<long long>(probBytes / (1 << 20))) + " MiB, over the budget of " +
                         std::to_string(options.probabilityBudgetBytes >> 20) + " MiB");

  RopeTable rope;
  if (m.rope.present()) rope = ropeTable(m.rope, d, N);

  MatrixF a, qkv, merged(N, HD), t, u;
  if (options.keepResidual) r.residual.reserve(static_cast<std::size_t>(L) + 1);
  for (int l = start; l < L; ++l) {
    job.check();
    if (options.keepResidual) r.residual.push_back(h);
    const BlockWeights& b = w.blocks[static_cast<std::size_t>(l)];
    b.ln1.apply(h, a);
    // [q | k | v]: H·d query columns, then G·d key and G·d value columns; head j in columns
    // j·d … j·d + d − 1 of its part.
    if (b.fused) {
      b.qkv.apply(a, qkv);
    } else {
      qkv.resize(N, HD + 2 * GD);
      b.q.apply(a, t);
      qkv.leftCols(HD) = t;
      b.k.apply(a, t);
      qkv.middleCols(HD, GD) = t;
      b.v.apply(a, t);
      qkv.rightCols(GD) = t;
    }
    if (qkv.cols() != HD + 2 * GD)
      throw InvalidArgument("layer " + std::to_string(l) + "'s Q/K/V projection gives " + std::to_string(qkv.cols()) +
                            " columns, not " + std::to_string(HD + 2 * GD));
    const bool lowRank = options.kvRank > 0 && (lowRankLayers.empty() || lowRankLayers.count(l) > 0);
    KvSpectrum spectrum;
    if (lowRank || (options.kvSpectra && keep.count(l) > 0))
      spectrum = lowRankKv(qkv, HD, GD, lowRank ? options.kvRank : 0);
    if (m.rope.present()) {
      applyRope(qkv, 0, H, d, rope);   // query heads
      applyRope(qkv, HD, G, d, rope);  // key heads (values are not rotated)
    }
    auto keys = [&](int g) { return qkv.middleCols(HD + static_cast<Eigen::Index>(g) * d, d); };
    auto values = [&](int g) { return qkv.middleCols(HD + GD + static_cast<Eigen::Index>(g) * d, d); };
    const bool kept = keep.count(l) > 0, withProbs = probs.count(l) > 0;
    LayerAttention la;
    if (kept) {
      la.layer = l;
      la.qkv.q.resize(static_cast<std::size_t>(H));
      for (int g = 0; g < G; ++g) {
        la.qkv.k.emplace_back(keys(g));
        la.qkv.v.emplace_back(values(g));
      }
      if (G != H)
        for (int j = 0; j < H; ++j) la.qkv.kvOf.push_back(j / group);
      if (withProbs) la.probabilities.resize(static_cast<std::size_t>(H));
      la.kvSpectrum = std::move(spectrum);
      if (lowRank) la.kvRank = options.kvRank;
    }
    const bool replace = replaced.count(l) > 0;
    if (replace) {
      // The layer's attention comes from the replacement, on the same Q/K/V.
      Qkv layerQkv;
      for (int j = 0; j < H; ++j) layerQkv.q.emplace_back(qkv.middleCols(static_cast<Eigen::Index>(j) * d, d));
      for (int g = 0; g < G; ++g) {
        layerQkv.k.emplace_back(keys(g));
        layerQkv.v.emplace_back(values(g));
      }
      if (G != H)
        for (int j = 0; j < H; ++j) layerQkv.kvOf.push_back(j / group);
      const std::vector<MatrixF> outs = options.replacement(l, layerQkv);
      if (static_cast<int>(outs.size()) != H)
        throw InvalidArgument("the replacement of layer " + std::to_string(l) + " gave " + std::to_string(outs.size()) +
                              " head outputs, not " + std::to_string(H));
      for (int j = 0; j < H; ++j) {
        const MatrixF& o = outs[static_cast<std::size_t>(j)];
        if (o.rows() != N || o.cols() != d)
          throw InvalidArgument("the replacement of layer " + std::to_string(l) + " gave a head output of " +
                                std::to_string(o.rows()) + " × " + std::to_string(o.cols()) + ", not " +
                                std::to_string(N) + " × " + std::to_string(d));
        merged.middleCols(static_cast<Eigen::Index>(j) * d, d) = o;
      }
      if (kept) {
        la.qkv.q = std::move(layerQkv.q);
        la.probabilities.clear();
      }
    }
  const int workers = Eigen::nbThreads();
#pragma omp parallel for schedule(dynamic) num_threads(workers) if (H > 1 && !replace)
    for (int j = 0; j < (replace ? 0 : H); ++j) {
      const auto qh = qkv.middleCols(static_cast<Eigen::Index>(j) * d, d);
      const auto kh = keys(j / group);
      const auto vh = values(j / group);
      MatrixF s(N, N);
      gemm(s, qh, kh.transpose(), r.scale);
      softmaxRows(s, r.causal, r.causal && r.slidingWindow < N ? r.slidingWindow : 0);
      gemm(merged.middleCols(static_cast<Eigen::Index>(j) * d, d), s, vh);
      if (kept) {
        la.qkv.q[static_cast<std::size_t>(j)] = qh;
        if (withProbs) la.probabilities[static_cast<std::size_t>(j)] = std::move(s);
      }
    }
    b.proj.apply(merged, t);
    if (!b.layerScale1.empty()) t.array().rowwise() *= b.layerScale1.row().array();
    h += t;

    b.ln2.apply(h, a);
    b.fc1.apply(a, t);
    if (!b.gate.weight.empty()) {
      // Gated MLP (Llama): silu(gate(x)) ⊙ up(x), fc1 = up.
      b.gate.apply(a, u);
      u.array() = u.array() / (1.0f + (-u.array()).exp()) * t.array();
    } else if (b.swiglu) {
      // SwiGLU: [x1 | x2] → silu(x1) ⊙ x2.
      const Eigen::Index hidden = t.cols() / 2;
      u = t.leftCols(hidden);
      u.array() = u.array() / (1.0f + (-u.array()).exp()) * t.rightCols(hidden).array();
    } else {
      geluInPlace(t, w.tanhGelu);
      u.swap(t);
    }
    b.fc2.apply(u, t);
    if (!b.layerScale2.empty()) t.array().rowwise() *= b.layerScale2.row().array();
    h += t;
    if (kept) r.layers.push_back(std::move(la));
    job.report(static_cast<double>(l + 1) / L);
  }
  if (options.keepResidual) r.residual.push_back(h);
  w.finalNorm.apply(h, r.finalHidden);
  return r;
}

int energyRank(const std::vector<double>& sv, double fraction) {
  double total = 0;
  for (double s : sv) total += s * s;
  if (!(total > 0)) return 0;
  double acc = 0;
  for (std::size_t i = 0; i < sv.size(); ++i) {
    acc += sv[i] * sv[i];
    if (acc >= fraction * total * (1 - 1e-12)) return static_cast<int>(i + 1);
  }
  return static_cast<int>(sv.size());
}

NextTokenComparison ModelRunner::compareNextTokens(const ForwardResult& a, const ForwardResult& b,
                                                   const std::vector<int>& ids, const JobControl& job) const {
  const BoundWeights& w = *w_;
  if (w.lmHead.empty()) throw InvalidArgument("the model has no language-model head (an image model)");
  const Eigen::Index n = a.finalHidden.rows(), V = w.lmHead.rows;
  if (b.finalHidden.rows() != n || static_cast<Eigen::Index>(ids.size()) != n)
    throw InvalidArgument("the comparison needs two forwards of the same " + std::to_string(ids.size()) + " tokens");
  NextTokenComparison out;
  if (n < 2) return out;
  const Eigen::Index rows = n - 1;
  for (Eigen::Index i = 0; i < rows; ++i)
    if (ids[static_cast<std::size_t>(i + 1)] < 0 || ids[static_cast<std::size_t>(i + 1)] >= V)
      throw InvalidArgument("token id " + std::to_string(ids[static_cast<std::size_t>(i + 1)]) +
                            " is outside the vocabulary of " + std::to_string(V));
  const MatrixF xa = a.finalHidden.topRows(rows), xb = b.finalHidden.topRows(rows);
  // Per position, online over vocabulary chunks: each side's running max and Σ e^(l − max), the
  // sum Σ e^(la − maxa)·(la − lb) (for KL = E_pa[la − lb] − lse_a + lse_b), the targets, the argmaxes.
  const double inf = std::numeric_limits<double>::infinity();
  Eigen::VectorXd ma = Eigen::VectorXd::Constant(rows, -inf), mb = ma, sa = Eigen::VectorXd::Zero(rows), sb = sa,
                  cross = sa, ta(rows), tb(rows);
  std::vector<int> argA(static_cast<std::size_t>(rows), 0), argB(static_cast<std::size_t>(rows), 0);
  constexpr Eigen::Index kChunk = 8192;
  MatrixF head, la, lb;
  for (Eigen::Index v0 = 0; v0 < V; v0 += kChunk) {
    job.check();
    const Eigen::Index c = std::min(kChunk, V - v0);
    head.resize(c, w.lmHead.cols);
    w.lmHead.copyRows(v0, c, head.data());
    la.resize(xa.rows(), c);
    lb.resize(xb.rows(), c);
    gemm(la, xa, head.transpose());
    gemm(lb, xb, head.transpose());
    for (Eigen::Index i = 0; i < rows; ++i) {
      Eigen::Index ia = 0, ib = 0;
      const double maxA = la.row(i).maxCoeff(&ia), maxB = lb.row(i).maxCoeff(&ib);
      if (maxA > ma(i)) {
        const double f = std::exp(ma(i) - maxA);
        sa(i) *= f;
        cross(i) *= f;
        ma(i) = maxA;
        argA[static_cast<std::size_t>(i)] = static_cast<int>(v0 + ia);
      }
      if (maxB > mb(i)) {
        sb(i) *= std::exp(mb(i) - maxB);
        mb(i) = maxB;
        argB[static_cast<std::size_t>(i)] = static_cast<int>(v0 + ib);
      }
      for (Eigen::Index j = 0; j < c; ++j) {
        const double ea = std::exp(double(la(i, j)) - ma(i));
        sa(i) += ea;
        cross(i) += ea * (double(la(i, j)) - double(lb(i, j)));
        sb(i) += std::exp(double(lb(i, j)) - mb(i));
      }
      const int t = ids[static_cast<std::size_t>(i + 1)];
      if (t >= v0 && t < v0 + c) {
        ta(i) = la(i, t - v0);
        tb(i) = lb(i, t - v0);
      }
    }
    job.report(static_cast<double>(v0 + c) / static_cast<double>(V));
  }
  for (Eigen::Index i = 0; i < rows; ++i) {
    const double lseA = std::log(sa(i)) + ma(i), lseB = std::log(sb(i)) + mb(i);
    out.nllReference.push_back(lseA - ta(i));
    out.nll.push_back(lseB - tb(i));
    out.kl.push_back(std::max(0.0, cross(i) / sa(i) - lseA + lseB));
  }
  out.argmaxReference = std::move(argA);
  out.argmax = std::move(argB);
  return out;
}

std::vector<double> ModelRunner::tokenLosses(const ForwardResult& r, const std::vector<int>& ids,
                                             const JobControl& job) const {
  const BoundWeights& w = *w_;
  if (w.lmHead.empty()) throw InvalidArgument("the model has no language-model head (an image model)");
  if (static_cast<Eigen::Index>(ids.size()) != r.finalHidden.rows() || ids.size() != static_cast<std::size_t>(r.tokens))
    throw InvalidArgument("the loss needs the forward's " + std::to_string(r.tokens) + " token ids, got " +
                          std::to_string(ids.size()));
  const Eigen::Index n = r.finalHidden.rows(), V = w.lmHead.rows;
  std::vector<double> loss(n > 0 ? static_cast<std::size_t>(n - 1) : 0);
  if (n < 2) return loss;
  for (std::size_t i = 0; i + 1 < ids.size(); ++i)
    if (ids[i + 1] < 0 || ids[i + 1] >= V)
      throw InvalidArgument("token id " + std::to_string(ids[i + 1]) + " is outside the vocabulary of " + std::to_string(V));
  // logsumexp over the vocabulary in chunks of rows of W_lm (a streamed head is converted a chunk
  // at a time): a running maximum and sum per position, and the target's logit.
  const Eigen::Index rows = n - 1;
  const MatrixF x = r.finalHidden.topRows(rows);
  Eigen::VectorXd mx = Eigen::VectorXd::Constant(rows, -std::numeric_limits<double>::infinity());
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(rows), target(rows);
  constexpr Eigen::Index kChunk = 8192;
  MatrixF head, logits;
  for (Eigen::Index v0 = 0; v0 < V; v0 += kChunk) {
    job.check();
    const Eigen::Index c = std::min(kChunk, V - v0);
    head.resize(c, w.lmHead.cols);
    w.lmHead.copyRows(v0, c, head.data());
    logits.resize(x.rows(), c);
    gemm(logits, x, head.transpose());
    for (Eigen::Index i = 0; i < rows; ++i) {
      const auto row = logits.row(i).array();
      const double m = std::max<double>(mx(i), row.maxCoeff());
      sum(i) = sum(i) * std::exp(mx(i) - m) + (row.cast<double>() - m).exp().sum();
      mx(i) = m;
      const int t = ids[static_cast<std::size_t>(i + 1)];
      if (t >= v0 && t < v0 + c) target(i) = row(t - v0);
    }
    job.report(static_cast<double>(v0 + c) / static_cast<double>(V));
  }
  for (Eigen::Index i = 0; i < rows; ++i) loss[static_cast<std::size_t>(i)] = std::log(sum(i)) + mx(i) - target(i);
  return loss;
}

}  // namespace attnscope::models
