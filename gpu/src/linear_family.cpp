#include "linear_family.h"

#include <climits>
#include <cmath>
#include <sstream>

#include "attnscope/error.h"
#include "attnscope/feature_map.h"
#include "gemm.h"

namespace attnscope::gpu {

namespace {
Phi phiOf(FeatureMapKind k) {
  switch (k) {
    case FeatureMapKind::Relu: return Phi::Relu;
    case FeatureMapKind::Elu1: return Phi::Elu1;
    case FeatureMapKind::Softplus: return Phi::Softplus;
    case FeatureMapKind::Favor: return Phi::Identity;  // mapped by its own kernels first
  }
  return Phi::Relu;
}

template <typename T>
std::size_t append(std::vector<T>& all, const std::vector<T>& part) {
  const std::size_t at = all.size();
  all.insert(all.end(), part.begin(), part.end());
  return at;
}
}  // namespace

LinearFamilyRunner::LinearFamilyRunner(Context& ctx, Workspace& ws, const MechanismSpec& spec,
                                       int heads, int n, int dk, int dv)
    : ctx_(ctx), ws_(ws), plan_(makeLinearPlan(spec, n, dk, dv)), heads_(heads), n_(n), dk_(dk),
      dv_(dv) {
  phi_ = phiOf(spec.featureMap.kind);
  oneChunkPerBlock_ = !plan_.causal;
  for (int b = 0; b <= plan_.m; ++b) oneChunkPerBlock_ &= plan_.blockChunkOffsets[b] == b;
  favor_ = spec.featureMap.kind == FeatureMapKind::Favor;
  const cudaStream_t s = ctx_.stream();

  // All integer tables in one upload, all float tables in another.
  std::vector<int> ints;
  const std::size_t oChunkBegin = append(ints, plan_.chunkBegin);
  const std::size_t oChunkLen = append(ints, plan_.chunkLen);
  const std::size_t oChunkBlock = append(ints, plan_.chunkBlock);
  const std::size_t oBlockChunk = append(ints, plan_.blockChunkOffsets);
  const std::size_t oBlockOff = append(ints, plan_.blockOffsets);
  const std::size_t oTileBegin = append(ints, plan_.tileBegin);
  const std::size_t oTileLen = append(ints, plan_.tileLen);
  const std::size_t oTileChunk = append(ints, plan_.tileChunk);
  const std::size_t oOrder = append(ints, plan_.order);
  planInts_.upload(ints, s);

  std::vector<float> floats;
  const std::size_t oMixGemm = append(floats, plan_.mixGemm);
  const std::size_t oMixDiag = append(floats, plan_.mixDiag);
  const std::size_t oMixFull = floats.size();
  for (double v : plan_.mix) floats.push_back(static_cast<float>(v));
  std::size_t oW = floats.size();
  if (favor_) {
    const FeatureMap fm(spec.featureMap, dk);
    const MatrixF& W = fm.favorMatrix();
    floats.insert(floats.end(), W.data(), W.data() + W.size());
  }
  planFloats_.upload(floats, s);

  const int* I = planInts_.get();
  const float* F = planFloats_.get();
  args_.heads = heads;
  args_.n = n;
  args_.r = plan_.r;
  args_.dv = dv;
  args_.m = plan_.m;
  args_.chunks = plan_.chunks();
  args_.tiles = plan_.tiles();
  args_.causal = plan_.causal;
  args_.chunkBegin = I + oChunkBegin;
  args_.chunkLen = I + oChunkLen;
  args_.chunkBlock = I + oChunkBlock;
  args_.blockChunkOffsets = I + oBlockChunk;
  args_.blockOffsets = I + oBlockOff;
  args_.tileBegin = I + oTileBegin;
  args_.tileLen = I + oTileLen;
  args_.tileChunk = I + oTileChunk;
  args_.order = plan_.order.empty() ? nullptr : I + oOrder;
  args_.mixDiag = F + oMixDiag;
  mixGemm_ = F + oMixGemm;
  mixFull_ = F + oMixFull;
  favorW_ = favor_ ? F + oW : nullptr;
  ctx_.synchronize();  // the tables above were copied from vectors that die here
}

void LinearFamilyRunner::run(const float* Q, const float* K, const float* V, float* O,
                             bool poison) {
  const cudaStream_t s = ctx_.stream();
  const std::size_t H = heads_, N = n_, r = plan_.r, L = plan_.summaryWidth();
  const std::size_t M = plan_.m, C = plan_.chunks();

  // 1. Block order (2D windows): gather rows so every block is contiguous.
  if (args_.order) {
    float* Qp = ws_.floats("gather.Q", H * N * dk_);
    float* Kp = ws_.floats("gather.K", H * N * dk_);
    float* Vp = ws_.floats("gather.V", H * N * dv_);
    launchGather(Q, Qp, args_.order, heads_, n_, dk_, s);
    launchGather(K, Kp, args_.order, heads_, n_, dk_, s);
    launchGather(V, Vp, args_.order, heads_, n_, dv_, s);
    Q = Qp;
    K = Kp;
    V = Vp;
  }
  // favor: φ(Q), φ(K) as whole matrices (they need row or head maxima); other maps are applied
  // inside the kernels as the data is loaded.
  if (favor_) {
    float* phiQ = ws_.floats("favor.Q", H * N * r);
    float* phiK = ws_.floats("favor.K", H * N * r);
    float* rowMax = ws_.floats("favor.rowMax", H * N);
    float* headMax = ws_.floats("favor.headMax", H);
    const float scale = std::pow(static_cast<float>(dk_), -0.25f);
    const long long sx = static_cast<long long>(N) * dk_, sl = static_cast<long long>(N) * r;
    gemmABt(ctx_.blas(), n_, plan_.r, dk_, scale, Q, dk_, sx, favorW_, dk_, 0, phiQ, plan_.r, sl,
            heads_);
    launchFavorFinish(phiQ, Q, heads_, n_, dk_, plan_.r, scale, plan_.official, rowMax, headMax, s);
    gemmABt(ctx_.blas(), n_, plan_.r, dk_, scale, K, dk_, sx, favorW_, dk_, 0, phiK, plan_.r, sl,
            heads_);
    launchFavorFinish(phiK, K, heads_, n_, dk_, plan_.r, scale, true, rowMax, headMax, s);
    Q = phiQ;
    K = phiK;
  }

  float* P = ws_.floats("linear.P", H * C * L);
  float* S = ws_.floats("linear.S", H * M * L);
  float* St = ws_.floats("linear.St", H * M * L);
  if (poison) {
    ATTN_CUDA(cudaMemsetAsync(P, 0xFF, H * C * L * sizeof(float), s));
    ATTN_CUDA(cudaMemsetAsync(S, 0xFF, H * M * L * sizeof(float), s));
    ATTN_CUDA(cudaMemsetAsync(St, 0xFF, H * M * L * sizeof(float), s));
    ATTN_CUDA(cudaMemsetAsync(O, 0xFF, H * N * dv_ * sizeof(float), s));
  }
  // 2–3. Chunk partial summaries, block sums (causal: in-block exclusive prefixes). When every
  // block is one chunk (bidirectional), the partials already are the block sums.
  launchChunkSummaries(phi_, args_, K, V, P, s);
  if (!oneChunkPerBlock_)
    launchBlockSums(args_, P, S, s);
  else
    S = P;
  // 3. Mixing: S̃ = 𝓜·S, one batched GEMM (causal: strictly lower 𝓜; the diagonal is applied to the
  // in-block prefix inside the output kernel).
  mixHeads(ctx_.blas(), mixGemm_, plan_.m, S, St, static_cast<int>(L), heads_);
  // Official normaliser: n_{a,w} = Σ_b m_ab φ(q_{b,w})·z_b (+ε in the output kernel).
  const float* offDen = nullptr;
  int nb = 0;
  if (plan_.official) {
    nb = n_ / plan_.m;
    float* G = ws_.floats("official.G", H * N);
    float* D = ws_.floats("official.D", H * N);
    if (poison) ATTN_CUDA(cudaMemsetAsync(G, 0xFF, H * N * sizeof(float), s));
    launchOfficialDots(phi_, args_, Q, S, G, s);
    mixHeads(ctx_.blas(), mixFull_, plan_.m, G, D, nb, heads_);
    offDen = D;
  }
  // 4. Outputs.
  int* bad = ws_.ints("linear.bad", 1);
  static const int kNone = INT_MAX;
  ATTN_CUDA(cudaMemcpyAsync(bad, &kNone, sizeof(int), cudaMemcpyHostToDevice, s));
  launchOutputs(phi_, args_, Q, K, V, St, P, offDen, nb, static_cast<float>(kOfficialEpsilon), O,
                bad, s);
}

void LinearFamilyRunner::checkNormalisers() {
  int bad = INT_MAX;
  ATTN_CUDA(cudaMemcpyAsync(&bad, ws_.ints("linear.bad", 1), sizeof(int), cudaMemcpyDeviceToHost,
                            ctx_.stream()));
  ctx_.synchronize();
  if (bad != INT_MAX) {
    std::ostringstream os;
    os << "the normaliser of query " << bad
       << " is not positive: it attends to nothing (check the mixing matrix and the feature map)";
    throw InvalidArgument(os.str());
  }
}

}  // namespace attnscope::gpu
