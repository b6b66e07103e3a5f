// The fitted mixing matrix (MATH.md "Fitted mixing"); see fitted_mixing.h for the decomposition.
#include "attnscope/fitted_mixing.h"

#include <omp.h>

#include <Eigen/Cholesky>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#include "attnscope/error.h"
#include "attnscope/feature_map.h"
#include "attnscope/gemm.h"

namespace attnscope {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void requireFittable(const MechanismSpec& mhla, const MechanismSpec& softmax) {
  if (!mhla.is(mhlaKind()) || !mhla.layout)
    throw InvalidArgument("a fitted mixing matrix is fitted for MHLA (got " + mhla.kindId() + ")");
  if (!softmax.is(softmaxKind()))
    throw InvalidArgument("a fitted mixing matrix is fitted against softmax (got " + softmax.kindId() + ")");
  if (mhla.normaliser != Normaliser::Paper)
    throw InvalidArgument("a fitted mixing matrix needs the paper normaliser (the official code normaliser "
                          "is not the convex problem of MATH.md \"Fitted mixing\")");
  if (mhla.causal != softmax.causal)
    throw InvalidArgument("a fitted mixing matrix needs MHLA and softmax both causal or both bidirectional");
}

/// Rows of queries per chunk: at most ~4 M doubles per score matrix.
int chunkRows(int n) { return std::clamp((1 << 22) / std::max(1, n), 8, 256); }

struct RowProblem {
  MatrixD S, P;    // tokens × visible blocks
  VectorD c;       // per token: Σ_b P̃_tb
  VectorD psum;    // per visible block: Σ_t P̃_tb
};

/// f(w) = Σ_t c_t log Σ_b e^{w_b} S_tb − psumᵀw (log-sum-exp shifted by max w), its gradient
/// g = Σ_t c_t π_t − psum and what the Hessian needs: π_tb = e^{w_b} S_tb / D_t.
struct Eval {
  double f = 0;
  VectorD g;
  MatrixD pi;
  VectorD cp;  // Σ_t c_t π_t
  double gmax = 0;
};

bool evaluate(const RowProblem& p, const VectorD& w, Eval& e) {
  const double top = w.maxCoeff();
  const VectorD ew = (w.array() - top).exp().matrix();
  const VectorD d = p.S * ew;
  e.f = 0;
  for (Eigen::Index t = 0; t < d.size(); ++t) {
    if (!(d[t] > 0)) return false;
    e.f += p.c[t] * (std::log(d[t]) + top);
  }
  e.f -= p.psum.dot(w);
  e.pi = p.S * ew.asDiagonal();
  e.pi.array().colwise() /= d.array();
  e.cp = e.pi.transpose() * p.c;
  e.g = e.cp - p.psum;
  e.gmax = e.g.cwiseAbs().maxCoeff();
  return std::isfinite(e.f);
}

struct RowResult {
  VectorD w;
  int iterations = 0;
  double gradient = 0;
  bool converged = false;
};

RowResult solveRow(const RowProblem& p, const MixingFitOptions& o, const std::atomic<bool>& stop) {
  const int k = static_cast<int>(p.psum.size());
  RowResult r;
  r.w = VectorD::Zero(k);
  if (k == 1) {
    r.converged = true;
    return r;
  }
  const double scale = std::max(1.0, p.c.sum());
  Eval e, en;
  evaluate(p, r.w, e);  // w = 0 is finite: every used token has kernel mass on a visible block
  for (;;) {
    r.gradient = e.gmax / scale;
    if (r.gradient <= o.gradientTolerance) {
      r.converged = true;
      break;
    }
    if (r.iterations >= o.maxIterations || stop.load(std::memory_order_relaxed)) break;
    // H = Σ_t c_t (diag π_t − π_t π_tᵀ). H·1 = 0 (f is unchanged by a common shift of w): add 11ᵀ
    // so the system is definite; the step's component along 1 changes nothing.
    MatrixD H = -(e.pi.transpose() * p.c.asDiagonal() * e.pi);
    H.diagonal() += e.cp;
    const double tr = std::max(H.trace(), 1e-300);
    H.array() += tr / k;
    H.diagonal().array() += 1e-13 * tr;
    VectorD step = -H.ldlt().solve(e.g);
    step.array() -= step.mean();
    double slope = e.g.dot(step);
    if (!(slope < 0) || !step.allFinite()) {
      step = -e.g;
      slope = -e.g.squaredNorm();
    }
    // Armijo backtracking; near the optimum, where f no longer resolves the decrease at double
    // precision, a step that keeps f (to rounding) and shrinks the gradient is taken too.
    bool accepted = false;
    double t = 1.0;
    for (int halvings = 0; halvings < 60 && !accepted; ++halvings, t *= 0.5) {
      VectorD wNew = r.w + t * step;
      // Keep every e^{w_b − max w} representable (a weight below e^{−700} of the row's largest is 0).
      wNew = wNew.cwiseMax(wNew.maxCoeff() - 700.0);
      if (!evaluate(p, wNew, en)) continue;
      const bool armijo = en.f <= e.f + 1e-4 * t * slope;
      const bool flat = en.f <= e.f + 1e-13 * (1.0 + std::abs(e.f)) && en.gmax < e.gmax;
      if (armijo || flat) {
        accepted = true;
        r.w = wNew;
        std::swap(e, en);
      }
    }
    ++r.iterations;
    if (!accepted) {  // no progress left at double precision: the gradient decides `converged`
      r.converged = r.gradient <= o.gradientTolerance;
      break;
    }
  }
  return r;
}

}  // namespace

MixingFitData mixingFitData(const MechanismSpec& mhla, const MechanismSpec& softmax, const HeadQKV& head,
                            const JobControl& job) {
  requireFittable(mhla, softmax);
  const int n = static_cast<int>(head.Q.rows()), dk = static_cast<int>(head.Q.cols());
  mhla.validate(n, dk);
  softmax.validate(n, dk);
  const BlockLayout& layout = *mhla.layout;
  MixingFitData out;
  out.m = layout.m();
  out.block.resize(n);
  for (int t = 0; t < n; ++t) out.block[t] = layout.blockOf(t);
  out.S = MatrixD::Zero(n, out.m);
  out.P = MatrixD::Zero(n, out.m);
  out.constant = VectorD::Zero(n);

  // The same φ as the MHLA forward (per-row shift on φ(Q), one for φ(K): the map is unchanged).
  const FeatureMap fm(mhla.featureMap, dk);
  const MatrixD phiQ = fm.apply(head.Q, FavorShift::PerRow).cast<double>();
  const MatrixD phiK = fm.apply(head.K, FavorShift::Global).cast<double>();
  const double scale = 1.0 / (softmax.temperature * std::sqrt(static_cast<double>(dk)));
  const MatrixD Q = head.Q.cast<double>() * scale;
  const MatrixD K = head.K.cast<double>();
  const bool causal = mhla.causal;
  const int rows = chunkRows(n);
  const int chunks = (n + rows - 1) / rows;
  std::atomic<bool> stop{false};
  std::atomic<int> done{0};
#pragma omp parallel
  {
    MatrixD x, s;
#pragma omp for schedule(dynamic, 1)
    for (int c = 0; c < chunks; ++c) {
      if (stop.load(std::memory_order_relaxed)) continue;
      if (job.cancel.cancelled()) {
        stop = true;
        continue;
      }
      const int t0 = c * rows, len = std::min(rows, n - t0);
      x.resize(len, n);
      s.resize(len, n);
      gemm(x, Q.middleRows(t0, len), K.transpose());
      gemm(s, phiQ.middleRows(t0, len), phiK.transpose());
      for (int i = 0; i < len; ++i) {
        const int t = t0 + i, end = causal ? t + 1 : n;
        const double top = x.row(i).head(end).maxCoeff();
        double sum = 0;
        for (int j = 0; j < end; ++j) sum += std::exp(x(i, j) - top);
        const double logSum = std::log(sum);
        double cst = 0;
        for (int j = 0; j < end; ++j) {
          const double logP = x(i, j) - top - logSum, p = std::exp(logP);
          const int b = out.block[j];
          out.P(t, b) += p;
          out.S(t, b) += s(i, j);
          if (p > 0) cst += s(i, j) > 0 ? p * (logP - std::log(s(i, j))) : kInf;
        }
        out.constant[t] = cst;
      }
      if (omp_get_thread_num() == 0) job.report(double(done.load() + 1) / chunks);
      ++done;
    }
  }
  job.check();
  return out;
}

MixingFit fitMixing(const MixingFitData& data, const MixingFitOptions& options, const JobControl& job) {
  const int n = data.n(), m = data.m;
  if (m < 1 || data.S.rows() != n || data.S.cols() != m || data.P.rows() != n || data.P.cols() != m)
    throw InvalidArgument("fitMixing: statistics of inconsistent shapes");
  if (!(options.gradientTolerance > 0)) throw InvalidArgument("fitMixing: the gradient tolerance must be positive");
  std::vector<std::vector<int>> tokens(m);
  for (int t = 0; t < n; ++t) tokens[data.block[t]].push_back(t);

  MixingFit fit;
  fit.mixing = MatrixD::Zero(m, m);
  std::vector<RowResult> results(m);
  std::atomic<bool> stop{false};
#pragma omp parallel for schedule(dynamic, 1)
  for (int a = 0; a < m; ++a) {
    if (job.cancel.cancelled()) stop = true;
    if (stop.load(std::memory_order_relaxed)) continue;
    // Blocks that get P̃ mass from a token of this block (a block with kernel mass but no softmax
    // mass is optimal at 0: f decreases as its weight does).
    std::vector<int> visible;
    std::vector<int> used;
    for (int b = 0; b < m; ++b) {
      double ps = 0;
      for (int t : tokens[a])
        if (data.S(t, b) > 0) ps += data.P(t, b);
      if (ps > 0) visible.push_back(b);
    }
    for (int t : tokens[a]) {
      bool any = false;
      for (int b : visible) any = any || data.S(t, b) > 0;
      if (any) used.push_back(t);
    }
    if (visible.empty() || used.empty()) {
      // Nothing to fit (a block that sees no key with kernel mass): its row keeps the diagonal.
      fit.mixing(a, a) = 1;
      results[a].converged = true;
      continue;
    }
    RowProblem p;
    const int k = static_cast<int>(visible.size()), u = static_cast<int>(used.size());
    p.S.resize(u, k);
    p.P.resize(u, k);
    for (int i = 0; i < u; ++i)
      for (int j = 0; j < k; ++j) {
        p.S(i, j) = data.S(used[i], visible[j]);
        p.P(i, j) = p.S(i, j) > 0 ? data.P(used[i], visible[j]) : 0.0;
      }
    p.c = p.P.rowwise().sum();
    p.psum = p.P.colwise().sum().transpose();
    results[a] = solveRow(p, options, stop);
    const VectorD& w = results[a].w;
    const double top = w.maxCoeff();
    for (int j = 0; j < k; ++j) fit.mixing(a, visible[j]) = std::exp(w[j] - top);
  }
  job.check();
  for (const RowResult& r : results) {
    fit.iterations += r.iterations;
    fit.gradient = std::max(fit.gradient, r.gradient);
    fit.converged = fit.converged && r.converged;
  }
  fit.meanKl = meanKlOfMixing(data, fit.mixing);
  job.report(1.0);
  return fit;
}

double meanKlOfMixing(const MixingFitData& data, const MatrixD& mix) {
  const int n = data.n(), m = data.m;
  if (mix.rows() != m || mix.cols() != m)
    throw InvalidArgument("meanKlOfMixing: the mixing matrix is " + std::to_string(mix.rows()) + "×" +
                          std::to_string(mix.cols()) + ", the statistics have M = " + std::to_string(m));
  double total = 0;
  for (int t = 0; t < n; ++t) {
    const int a = data.block[t];
    double d = 0, linear = 0;
    for (int b = 0; b < m; ++b) {
      d += mix(a, b) * data.S(t, b);
      if (data.P(t, b) > 0) linear += mix(a, b) > 0 ? data.P(t, b) * std::log(mix(a, b)) : -kInf;
    }
    if (!(d > 0)) return kInf;
    total += data.constant[t] + std::log(d) - linear;
  }
  return total / n;
}

MixingFit fitHeadMixing(const MechanismSpec& mhla, const MechanismSpec& softmax, const HeadQKV& head,
                        const MixingFitOptions& options, const JobControl& job) {
  JobControl stats;
  stats.cancel = job.cancel;
  stats.progress = [&job](double f) { job.report(0.9 * f); };
  const MixingFitData data = mixingFitData(mhla, softmax, head, stats);
  return fitMixing(data, options, job);
}

}  // namespace attnscope
