#include "plan.h"

#include <algorithm>
#include <string>

#include "attnscope/error.h"

namespace attnscope::gpu {

int bidirectionalChunkSize(int n) {
  const int wanted = std::max(kBidirectionalChunk, (n + kTargetChunks - 1) / kTargetChunks);
  return (wanted + kTile - 1) / kTile * kTile;
}

LinearPlan makeLinearPlan(const MechanismSpec& spec, int n, int dk, int dv) {
  if (!spec.is(linearKind()) && !spec.is(mhlaKind()))
    throw InvalidArgument("makeLinearPlan: " + spec.kindId() + " has no linear-attention plan");
  LinearPlan p;
  p.n = n;
  p.dk = dk;
  p.dv = dv;
  p.r = featureDim(spec, dk);
  p.causal = spec.causal;
  p.official = spec.officialNormaliser();
  if (!spec.layout) {  // linear attention: one block, 𝓜 = [1]
    p.m = 1;
    p.blockOffsets = {0, n};
    p.mix = {1.0};
  } else {
    const BlockLayout& L = *spec.layout;
    p.m = L.m();
    p.blockOffsets = L.offsets();
    if (!L.contiguous()) p.order = L.order();
    p.mix.assign(spec.mixing.data(), spec.mixing.data() + spec.mixing.size());  // row-major
  }
  // Kernel limits: summary rows are indexed with int, and the summary kernel's grid has
  // ⌈r/64⌉·⌈d_v/64⌉ ≤ 65535 tiles in y.
  const long long width = static_cast<long long>(p.r) * dv + p.r;
  const long long tiles = static_cast<long long>((p.r + 63) / 64) * ((dv + 63) / 64);
  if (width >= (1LL << 31) || tiles > 65535)
    throw InvalidArgument("the CUDA backend cannot run r = " + std::to_string(p.r) + " features " +
                          "with d_v = " + std::to_string(dv) + " (r·d_v is too large)");
  const int m = p.m;
  p.mixGemm.resize(std::size_t(m) * m);
  p.mixDiag.assign(m, 0.0f);
  for (int a = 0; a < m; ++a)
    for (int b = 0; b < m; ++b) {
      const double v = p.mix[std::size_t(a) * m + b];
      p.mixGemm[std::size_t(a) * m + b] = (!p.causal || b < a) ? static_cast<float>(v) : 0.0f;
      if (p.causal && a == b) p.mixDiag[a] = static_cast<float>(v);
    }

  const int chunk = p.causal ? kTile : bidirectionalChunkSize(n);
  p.blockChunkOffsets.assign(1, 0);
  for (int b = 0; b < m; ++b) {
    for (int t = p.blockOffsets[b]; t < p.blockOffsets[b + 1]; t += chunk) {
      const int len = std::min(chunk, p.blockOffsets[b + 1] - t);
      const int c = p.chunks();
      p.chunkBegin.push_back(t);
      p.chunkLen.push_back(len);
      p.chunkBlock.push_back(b);
      for (int u = 0; u < len; u += kTile) {
        p.tileBegin.push_back(t + u);
        p.tileLen.push_back(std::min(kTile, len - u));
        p.tileChunk.push_back(c);
      }
    }
    p.blockChunkOffsets.push_back(p.chunks());
  }
  return p;
}

}  // namespace attnscope::gpu
