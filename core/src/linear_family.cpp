// Linear attention and MHLA (MATH.md "Linear attention", "MHLA"). Linear attention is run as MHLA
// with one block and 𝓜 = [1], so both share one engine:
//   1. tokens reordered so that every block is contiguous (2D windows), φ(Q), φ(K);
//   2. per-chunk summaries P_c = φ(K_c)ᵀV_c, p_c = φ(K_c)ᵀ1 over chunks that never cross blocks;
//   3. block summaries S_b = Σ_c P_c, mixed: S̃ = 𝓜·S as one GEMM (causal: strictly lower part);
//   4. outputs per chunk: φ(Q_c)ᵀS̃_a / φ(Q_c)ᵀz̃_a (+ the causal in-block prefix and in-chunk part).
#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

#include "attnscope/error.h"
#include "attnscope/gemm.h"
#include "kernels.h"

namespace attnscope::detail {

namespace {

struct Chunk {
  int begin, end, block;
};

/// Blocks of the mechanism in reordered (contiguous) token order.
struct Plan {
  std::vector<int> offsets;  // M+1
  MatrixD mix;               // M by M
  const std::vector<int>* order = nullptr;  // null when tokens are already in block order
};

Plan makePlan(const MechanismSpec& spec, int n) {
  Plan p;
  if (!spec.layout) {  // linear attention: one block, 𝓜 = [1]
    p.offsets = {0, n};
    p.mix = MatrixD::Ones(1, 1);
  } else {
    p.offsets = spec.layout->offsets();
    p.mix = spec.mixing;
    if (!spec.layout->contiguous()) p.order = &spec.layout->order();
  }
  return p;
}

std::vector<Chunk> makeChunks(const std::vector<int>& offsets, int size) {
  std::vector<Chunk> chunks;
  for (int b = 0; b + 1 < static_cast<int>(offsets.size()); ++b)
    for (int t = offsets[b]; t < offsets[b + 1]; t += size)
      chunks.push_back({t, std::min(t + size, offsets[b + 1]), b});
  return chunks;
}

MatrixF gatherRows(const MatrixF& x, const std::vector<int>& order) {
  MatrixF out(x.rows(), x.cols());
  for (size_t i = 0; i < order.size(); ++i) out.row(i) = x.row(order[i]);
  return out;
}

void requirePositive(double den, int token) {
  if (!(den > 0) || !std::isfinite(den)) {
    std::ostringstream os;
    os << "the normaliser of query " << token << " is " << den
       << ": it attends to nothing (check the mixing matrix and the feature map)";
    throw InvalidArgument(os.str());
  }
}

using RowMap = Eigen::Map<MatrixF>;
using ConstRowMap = Eigen::Map<const MatrixF>;

/// Buffers reused between forwards, so that the chunk-sized temporaries (per thread) and the large
/// block states (per calling thread) neither allocate nor page-fault on every call. The calling
/// thread's buffers over kKeepFloats are freed when the forward ends (ReleaseLargeCallBuffers).
constexpr std::size_t kKeepFloats = std::size_t(8) << 20;  // 32 MiB
enum class ScratchSlot { PhiQ, PhiK, Rows, Mixed, Causal, Count };
/// Floats of one query tile's mixed states S̃, z̃ (512 KiB: half of a 1 MiB L2).
constexpr int kTileFloats = 1 << 17;
enum class CallSlot { ChunkSums, ChunkNorms, Mixed, Count };

using Buffer = std::vector<float, Eigen::aligned_allocator<float>>;  // SIMD-aligned start

float* reuse(Buffer& b, std::size_t count) {
  if (b.size() < count || (b.size() > kKeepFloats && count <= kKeepFloats)) {
    Buffer().swap(b);
    b.resize(count);
  }
  return b.data();
}

/// This thread's buffer `slot`: at least `count` floats, contents unspecified.
float* threadScratch(ScratchSlot slot, std::size_t count) {
  thread_local Buffer bufs[static_cast<int>(ScratchSlot::Count)];
  return reuse(bufs[static_cast<int>(slot)], count);
}

Buffer* callBuffers() {
  thread_local Buffer bufs[static_cast<int>(CallSlot::Count)];
  return bufs;
}

/// The calling thread's buffer for one of the forward's large intermediates.
float* callScratch(CallSlot slot, std::size_t count) {
  return reuse(callBuffers()[static_cast<int>(slot)], count);
}

/// Frees the calling thread's buffers over kKeepFloats when the forward ends (or throws), so that
/// one large forward does not hold its memory for ever.
struct ReleaseLargeCallBuffers {
  ~ReleaseLargeCallBuffers() {
    for (int i = 0; i < static_cast<int>(CallSlot::Count); ++i)
      if (callBuffers()[i].size() > kKeepFloats) Buffer().swap(callBuffers()[i]);
  }
};

}  // namespace

MatrixF linearFamilyForward(const HeadQKV& x, const MechanismSpec& spec, int threads) {
  const int n = static_cast<int>(x.Q.rows());
  const int dk = static_cast<int>(x.Q.cols());
  const int dv = static_cast<int>(x.V.cols());
  const Plan plan = makePlan(spec, n);
  const int m = static_cast<int>(plan.offsets.size()) - 1;
  const bool causal = spec.causal;
  const bool official = spec.officialNormaliser();

  const FeatureMap fm(spec.featureMap, dk);
  const int r = fm.outputDim();
  const int rd = r * dv;
  const FavorShift qShift = official ? FavorShift::Global : FavorShift::PerRow;
  MatrixF Qp, Kp, Vp;
  if (plan.order) {
    Qp = gatherRows(x.Q, *plan.order);
    Kp = gatherRows(x.K, *plan.order);
    Vp = gatherRows(x.V, *plan.order);
  }
  const MatrixF& Q = plan.order ? Qp : x.Q;
  const MatrixF& K = plan.order ? Kp : x.K;
  const MatrixF& V = plan.order ? Vp : x.V;
  // Element-wise φ is applied chunk by chunk inside the parallel loops, into each thread's reused
  // buffer (no N×r temporaries, no allocation per chunk); favor needs whole-matrix shifts, so its
  // φ(Q), φ(K) are made once.
  MatrixF phiQAll, phiKAll;
  if (!fm.elementwise()) {
    phiQAll = fm.apply(Q, qShift);
    phiKAll = fm.apply(K, FavorShift::Global);
  }
  // φ of rows [b, b+len) of X (Q or K): a view of the precomputed favor features, or φ written into
  // this thread's scratch slot.
  auto phiRows = [&](const MatrixF& X, const MatrixF& all, int b, int len,
                     ScratchSlot slot) -> ConstRowMap {
    if (!fm.elementwise()) return ConstRowMap(all.row(b).data(), len, r);
    float* buf = threadScratch(slot, std::size_t(len) * r);
    fm.applyInto(X.middleRows(b, len), RowMap(buf, len, r));
    return ConstRowMap(buf, len, r);
  };
  auto phiQ = [&](int b, int len) { return phiRows(Q, phiQAll, b, len, ScratchSlot::PhiQ); };
  auto phiK = [&](int b, int len) { return phiRows(K, phiKAll, b, len, ScratchSlot::PhiK); };

  // 2. Chunk summaries. Causal chunks are short (their in-chunk part is quadratic).
  const std::vector<Chunk> chunks = makeChunks(plan.offsets, causal ? 64 : 512);
  const int nc = static_cast<int>(chunks.size());
  const ReleaseLargeCallBuffers release;
  // The large intermediates live in buffers kept between calls (no page faults per forward).
  RowMap P(callScratch(CallSlot::ChunkSums, std::size_t(nc) * rd), nc, rd);
  RowMap Pz(callScratch(CallSlot::ChunkNorms, std::size_t(nc) * r), nc, r);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (int c = 0; c < nc; ++c) {
    const int b = chunks[c].begin, len = chunks[c].end - chunks[c].begin;
    const ConstRowMap k = phiK(b, len);
    gemm(RowMap(P.row(c).data(), r, dv), k.transpose(), V.middleRows(b, len));
    Pz.row(c) = k.colwise().sum();
  }

  // 3. Block sums (and, causal, each chunk's exclusive prefix inside its block, kept in P). When
  // every block is one chunk (bidirectional, blocks ≤ 512 tokens), P already holds the sums.
  const bool chunkPerBlock = !causal && nc == m;
  MatrixF Sown, Zown;
  if (!chunkPerBlock) {
    Sown = MatrixF::Zero(m, rd);
    Zown = MatrixF::Zero(m, r);
    for (int c = 0; c < nc; ++c) {
      const int b = chunks[c].block;
      if (causal) {
        Eigen::RowVectorXf tmp = P.row(c), tmpz = Pz.row(c);
        P.row(c) = Sown.row(b);
        Pz.row(c) = Zown.row(b);
        Sown.row(b) += tmp;
        Zown.row(b) += tmpz;
      } else {
        Sown.row(b) += P.row(c);
        Zown.row(b) += Pz.row(c);
      }
    }
  }
  const ConstRowMap S = chunkPerBlock ? ConstRowMap(P.data(), m, rd) : ConstRowMap(Sown.data(), m, rd);
  const ConstRowMap Z = chunkPerBlock ? ConstRowMap(Pz.data(), m, r) : ConstRowMap(Zown.data(), m, r);
  MatrixF mixF = plan.mix.cast<float>();
  if (causal) mixF.triangularView<Eigen::Upper>().setZero();  // keep b < a; diagonal added below

  // Official normaliser: n_{a,w} = Σ_b m_ab φ(q_{b,w})·z_b + ε (blocks of equal size).
  MatrixD offDen;
  if (official) {
    const int nb = plan.offsets[1] - plan.offsets[0];
    MatrixD G(m, nb);
    for (int b = 0; b < m; ++b)
      G.row(b) = (phiQ(plan.offsets[b], nb) * Z.row(b).transpose())
                     .cast<double>()
                     .transpose();
    offDen = plan.mix * G;
    offDen.array() += kOfficialEpsilon;
  }

  // 4. Outputs of chunk c from its block's mixed state S̃_a (r by d_v) and z̃_a (r).
  MatrixF O(n, dv);
  bool bad = false;
  int badToken = 0;
  double badDen = 0;
  auto outputChunk = [&](int c, const float* stA, const float* ztA) {
    const int t0 = chunks[c].begin, len = chunks[c].end - chunks[c].begin, a = chunks[c].block;
    const ConstRowMap St_a(stA, r, dv);
    const Eigen::Map<const Eigen::VectorXf> Zt_a(ztA, r);
    const ConstRowMap q = phiQ(t0, len);
    // Numerators go straight into O when tokens are in their own order.
    float* scratch = plan.order ? threadScratch(ScratchSlot::Rows, std::size_t(len) * dv) : nullptr;
    RowMap num = plan.order ? RowMap(scratch, len, dv) : RowMap(O.row(t0).data(), len, dv);
    Eigen::VectorXf den(len);
    if (!causal) {
      gemm(num, q, St_a);
      den.noalias() = q * Zt_a;
    } else {
      const float maa = plan.mix(a, a);
      // Reused per-thread buffers: the chunk's state (r by d_v, then z: r) and its len by len part.
      float* buf = threadScratch(ScratchSlot::Causal, std::size_t(rd) + r + std::size_t(len) * len);
      RowMap state(buf, r, dv), w(buf + rd + r, len, len);
      Eigen::Map<Eigen::VectorXf> zstate(buf + rd, r);
      state = St_a + maa * ConstRowMap(P.row(c).data(), r, dv);
      zstate = Zt_a + maa * Pz.row(c).transpose();
      gemm(w, q, phiK(t0, len).transpose());
      w.triangularView<Eigen::StrictlyUpper>().setZero();
      w *= maa;
      gemm(num, q, state);
      gemm(num, w, V.middleRows(t0, len), 1.0f, 1.0f);
      den.noalias() = q * zstate;
      den += w.rowwise().sum();
    }
    for (int i = 0; i < len; ++i) {
      double d = official ? offDen(a, t0 + i - plan.offsets[a]) : double(den[i]);
      if (!(d > 0) || !std::isfinite(d)) {
#pragma omp critical
        {
          bad = true;
          badToken = plan.order ? (*plan.order)[t0 + i] : t0 + i;
          badDen = d;
        }
        d = 1;
      }
      den[i] = static_cast<float>(1.0 / d);
    }
    num = den.asDiagonal() * num;
    if (plan.order)
      for (int i = 0; i < len; ++i) O.row((*plan.order)[t0 + i]) = num.row(i);
  };

  // Mixing S̃ = 𝓜·S (causal: its strictly lower part). With enough blocks, per query tile of g
  // consecutive blocks: S̃_tile = 𝓜[tile, :]·S as one (g×M)·(M×r·d_v) GEMM into this thread's
  // buffer (sized to stay in L2), then the outputs of the tile's chunks. Mixing and outputs share
  // one parallel loop (one fork/join less, S̃ never goes to memory). Otherwise (linear attention,
  // a few large blocks) the whole S̃ first, then the chunks' outputs in parallel.
  // Tile size: at most an L2-sized buffer and at least two tiles per thread; the tile count is then
  // rounded up to a multiple of the threads, so that they finish together.
  const int gMax = std::clamp(std::min(kTileFloats / std::max(rd + r, 1),
                                       (m + 2 * threads - 1) / (2 * threads)),
                              1, m);
  const int tilesWanted = ((m + gMax - 1) / gMax + threads - 1) / threads * threads;
  const int g = (m + tilesWanted - 1) / tilesWanted;
  const int tiles = (m + g - 1) / g;
  if (tiles >= 2 * threads && !(m == 1 && !causal)) {
    std::vector<int> firstChunk(m + 1, nc);  // chunks of block b: [firstChunk[b], firstChunk[b+1])
    for (int c = nc - 1; c >= 0; --c) firstChunk[chunks[c].block] = c;
    for (int b = m - 1; b >= 0; --b) firstChunk[b] = std::min(firstChunk[b], firstChunk[b + 1]);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int t = 0; t < tiles; ++t) {
      const int a0 = t * g, ga = std::min(g, m - a0);
      float* buf = threadScratch(ScratchSlot::Mixed, std::size_t(ga) * (rd + r));
      RowMap st(buf, ga, rd), zt(buf + std::size_t(ga) * rd, ga, r);
      gemm(st, mixF.middleRows(a0, ga), S);
      zt.noalias() = mixF.middleRows(a0, ga) * Z;
      for (int c = firstChunk[a0]; c < firstChunk[a0 + ga]; ++c)
        outputChunk(c, st.row(chunks[c].block - a0).data(), zt.row(chunks[c].block - a0).data());
    }
  } else {
    RowMap St(callScratch(CallSlot::Mixed, std::size_t(m) * rd), m, rd);
    MatrixF Zt(m, r);
    if (m == 1 && !causal) {
      St = S * mixF(0, 0);
      Zt = Z * mixF(0, 0);
    } else {
      // Column strips across threads (measured faster here than Eigen's own threading for these
      // short, wide products).
      constexpr int kStrip = 512;
      const int strips = (rd + kStrip - 1) / kStrip;
#pragma omp parallel for schedule(static) num_threads(threads)
      for (int sIdx = 0; sIdx < strips; ++sIdx) {
        const int c0 = sIdx * kStrip, w = std::min(kStrip, rd - c0);
        gemm(St.middleCols(c0, w), mixF, S.middleCols(c0, w));
      }
      Zt.noalias() = mixF * Z;
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int c = 0; c < nc; ++c)
      outputChunk(c, St.row(chunks[c].block).data(), Zt.row(chunks[c].block).data());
  }
  if (bad) requirePositive(badDen, badToken);
  return O;
}

namespace {

/// Rows and factored spectra of linear attention / MHLA.
class PreparedLinearFamily final : public PreparedAttention {
 public:
  PreparedLinearFamily(const HeadQKV& x, const MechanismSpec& spec, int threads)
      : PreparedAttention(spec, static_cast<int>(x.Q.rows())), threads_(threads) {
    dk_ = static_cast<int>(x.Q.cols());
    const FeatureMap fm(spec.featureMap, dk_);
    official_ = spec.officialNormaliser();
    phiQ_ = fm.apply(x.Q, official_ ? FavorShift::Global : FavorShift::PerRow);
    phiK_ = fm.apply(x.K, FavorShift::Global);
    blockOf_ = tokenBlocks(spec, n_);
    mix_ = blockMixing(spec);
    const int m = static_cast<int>(mix_.rows());
    // z_b and the per-query normalisers n_t.
    MatrixD Z = MatrixD::Zero(m, phiK_.cols());
    for (int j = 0; j < n_; ++j) Z.row(blockOf_[j]) += phiK_.row(j).cast<double>();
    den_.resize(n_);
    if (official_) {
      // Position w of each token inside its block, then n_t = Σ_b m_ab φ(q_{b,w})·z_b + ε.
      const auto& L = *spec.layout;
      std::vector<int> pos(n_);
      for (int b = 0; b < m; ++b)
        for (int i = L.offsets()[b]; i < L.offsets()[b + 1]; ++i) pos[L.order()[i]] = i - L.offsets()[b];
      for (int t = 0; t < n_; ++t) {
        const int a = blockOf_[t];
        double s = kOfficialEpsilon;
        for (int b = 0; b < m; ++b)
          s += mix_(a, b) * phiQ_.row(L.order()[L.offsets()[b] + pos[t]]).cast<double>().dot(Z.row(b));
        den_[t] = s;
      }
    } else if (!spec.causal) {
      const MatrixD Zt = mix_ * Z;
      for (int t = 0; t < n_; ++t)
        den_[t] = phiQ_.row(t).cast<double>().dot(Zt.row(blockOf_[t]));
    }
  }

  MatrixD rows(const std::vector<int>& idx) const override {
    const int k = static_cast<int>(idx.size());
    MatrixF q(k, phiQ_.cols());
    for (int r = 0; r < k; ++r) {
      checkRow(idx[r]);
      q.row(r) = phiQ_.row(idx[r]);
    }
    MatrixF sf(k, phiK_.rows());
    gemm(sf, q, phiK_.transpose());
    MatrixD s = sf.cast<double>();
    // Bidirectional and official rows divide by the precomputed n_t; causal rows by their sum.
    linearRowsInPlace(s, idx, blockOf_, mix_, spec_.causal,
                      (official_ || !spec_.causal) ? den_ : VectorD());
    return s;
  }

  /// Bidirectional maps factor as A = U·K·Qᵀ with orthonormal U, Q (MATH.md): per query block a,
  /// D_a⁻¹φ(Q_a) = U_a T_a; per key block b, φ(K_b) = Q_b R_b; core block (a, b) = m_ab T_a R_bᵀ.
  Spectrum spectrum(const SpectrumOptions& opts, const JobControl& job) const override {
    if (spec_.causal || opts.forceDense) return denseSpectrum(opts, job);
    const int m = static_cast<int>(mix_.rows());
    const int r = static_cast<int>(phiQ_.cols());
    std::vector<std::vector<int>> members(m);
    for (int t = 0; t < n_; ++t) members[blockOf_[t]].push_back(t);
    std::vector<MatrixD> T(m), R(m);
    auto upper = [&](MatrixD a) {
      const int k = static_cast<int>(std::min<Eigen::Index>(a.rows(), a.cols()));
      Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
      MatrixD u = qr.matrixQR().topRows(k).triangularView<Eigen::Upper>();
      return u;
    };
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_)
    for (int b = 0; b < m; ++b) {
      const auto& mem = members[b];
      MatrixD pq(mem.size(), r), pk(mem.size(), r);
      for (size_t i = 0; i < mem.size(); ++i) {
        pq.row(i) = phiQ_.row(mem[i]).cast<double>() / den_[mem[i]];
        pk.row(i) = phiK_.row(mem[i]).cast<double>();
      }
      T[b] = upper(std::move(pq));
      R[b] = upper(std::move(pk));
    }
    job.check();
    job.report(0.3);
    std::vector<int> offT(m + 1, 0), offR(m + 1, 0);
    for (int b = 0; b < m; ++b) {
      offT[b + 1] = offT[b] + static_cast<int>(T[b].rows());
      offR[b + 1] = offR[b] + static_cast<int>(R[b].rows());
    }
    MatrixD core = MatrixD::Zero(offT[m], offR[m]);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_)
    for (int a = 0; a < m; ++a)
      for (int b = 0; b < m; ++b)
        if (mix_(a, b) != 0 && T[a].rows() > 0 && R[b].rows() > 0)
          core.block(offT[a], offR[b], T[a].rows(), R[b].rows()).noalias() =
              mix_(a, b) * T[a] * R[b].transpose();
    job.check();
    job.report(0.5);
    VectorD s = singularValues(core, opts.exactSvd);
    job.report(1.0);
    return makeSpectrum(std::move(s), opts.relTol, rankBound(spec_, n_, dk_), true);
  }

 private:
  int threads_;
  bool official_ = false;
  MatrixF phiQ_, phiK_;      // N by r, original token order
  std::vector<int> blockOf_;
  MatrixD mix_;
  VectorD den_;              // n_t (bidirectional or official); unused for causal
};

}  // namespace

std::unique_ptr<PreparedAttention> prepareLinearFamily(const HeadQKV& x, const MechanismSpec& spec,
                                                       int threads) {
  return std::make_unique<PreparedLinearFamily>(x, spec, threads);
}

}  // namespace attnscope::detail
