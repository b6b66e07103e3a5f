#include "prepared.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <sstream>

#include "attnscope/cuda_error.h"
#include "attnscope/eigen_backend.h"
#include "attnscope/error.h"
#include "attnscope/feature_map.h"
#include "device_buffer.h"
#include "softmax_kernels.h"

namespace attnscope::gpu {

namespace {

/// Rows as raw dot products X[i]·Y[j] on the device; subclasses turn them into attention rows.
class DevicePrepared : public PreparedAttention {
 protected:
  DevicePrepared(std::shared_ptr<Context> ctx, const MechanismSpec& spec, const HeadQKV& head,
                 const MatrixF& X, const MatrixF& Y)
      : PreparedAttention(spec, static_cast<int>(head.Q.rows())), ctx_(std::move(ctx)),
        width_(static_cast<int>(X.cols())) {
    dk_ = static_cast<int>(head.Q.cols());
    ctx_->activate();
    X_.resize(X.size());
    Y_.resize(Y.size());
    X_.upload(X.data(), X.size(), 0, ctx_->stream());
    Y_.upload(Y.data(), Y.size(), 0, ctx_->stream());
    ctx_->synchronize();
  }

  /// #idx by N raw dots, in double.
  MatrixD dots(const std::vector<int>& idx) const {
    for (int i : idx) checkRow(i);
    const int k = static_cast<int>(idx.size());
    MatrixF out(k, n_);
    if (k == 0) return MatrixD(0, n_);
    // The window hovers (GUI thread) while a worker fills a dense map from the same object.
    const std::lock_guard<std::mutex> lock(mu_);
    ctx_->activate();
    // Pieces of at most kMaxRows rows (the kernel's grid y limit); buffers kept between calls so
    // hovering never waits on cudaFree.
    constexpr int kMaxRows = 4096;
    const int piece = std::min(k, kMaxRows);
    if (idxBuf_.size() < std::size_t(piece)) idxBuf_.resize(piece);
    if (outBuf_.size() < std::size_t(piece) * n_) outBuf_.resize(std::size_t(piece) * n_);
    for (int r0 = 0; r0 < k; r0 += piece) {
      const int cnt = std::min(piece, k - r0);
      idxBuf_.upload(idx.data() + r0, cnt, 0, ctx_->stream());
      launchRowDots(X_.get(), Y_.get(), idxBuf_.get(), cnt, n_, width_, outBuf_.get(),
                    ctx_->stream());
      outBuf_.download(out.data() + std::size_t(r0) * n_, std::size_t(cnt) * n_, 0, ctx_->stream());
    }
    ctx_->synchronize();
    return out.cast<double>();
  }

  /// Dense spectrum with the SVD on the device (the map itself comes from rows()).
  Spectrum deviceDenseSpectrum(const SpectrumOptions& opts, const JobControl& job) const {
    if (n_ > opts.maxDenseN) return denseSpectrum(opts, job);  // throws the usual message
    JobControl sub{[&](double f) { job.report(0.5 * f); }, job.cancel};
    const MatrixD a = matrixD(std::size_t(-1), sub);
    job.check();
    VectorD s = deviceSingularValues(*ctx_, a);
    job.report(1.0);
    return makeSpectrum(std::move(s), opts.relTol, rankBound(spec_, n_, dk_), false);
  }

  std::shared_ptr<Context> ctx_;

 private:
  int width_;
  DeviceBuffer<float> X_, Y_;
  mutable std::mutex mu_;  // guards the buffers below and the order of work on the stream
  mutable DeviceBuffer<int> idxBuf_;
  mutable DeviceBuffer<float> outBuf_;
};

class SoftmaxPrepared final : public DevicePrepared {
 public:
  SoftmaxPrepared(std::shared_ptr<Context> ctx, const MechanismSpec& spec, const HeadQKV& head)
      : DevicePrepared(std::move(ctx), spec, head, scaled(head.Q, spec), head.K) {}

  MatrixD rows(const std::vector<int>& idx) const override {
    MatrixD s = dots(idx);
    softmaxRowsInPlace(s, idx, spec_.causal);
    return s;
  }
  Spectrum spectrum(const SpectrumOptions& opts, const JobControl& job) const override {
    return deviceDenseSpectrum(opts, job);
  }

 private:
  static MatrixF scaled(const MatrixF& Q, const MechanismSpec& spec) {
    const double s = 1.0 / (spec.temperature * std::sqrt(static_cast<double>(Q.cols())));
    return Q * static_cast<float>(s);
  }
};

/// Linear attention / MHLA. Rows: m_{a(t)b(j)} φq_t·φk_j normalised by the row's sum over allowed
/// keys (the paper normaliser, which is exactly the sum); the official normaliser's n_t and the
/// factored spectra come from the Eigen backend's prepared form, built on first use.
class LinearPrepared final : public DevicePrepared {
 public:
  LinearPrepared(std::shared_ptr<Context> ctx, const MechanismSpec& spec, const HeadQKV& head,
                 int hostThreads, const FeatureMap& fm)
      : DevicePrepared(std::move(ctx), spec, head,
                       fm.apply(head.Q, spec.officialNormaliser() ? FavorShift::Global : FavorShift::PerRow),
                       fm.apply(head.K, FavorShift::Global)),
        q_(head.Q), k_(head.K), v_(head.V), hostThreads_(hostThreads) {
    blockOf_ = tokenBlocks(spec, n_);
    mix_ = blockMixing(spec);
  }

  MatrixD rows(const std::vector<int>& idx) const override {
    if (spec_.officialNormaliser()) return host().rows(idx);
    MatrixD s = dots(idx);
    linearRowsInPlace(s, idx, blockOf_, mix_, spec_.causal);  // paper normaliser: the row sum
    return s;
  }

  Spectrum spectrum(const SpectrumOptions& opts, const JobControl& job) const override {
    if (spec_.causal || opts.forceDense) return deviceDenseSpectrum(opts, job);
    return host().spectrum(opts, job);  // factored: thin QRs and a small core SVD, O(N·r²)
  }

 private:
  const PreparedAttention& host() const {
    std::call_once(hostOnce_, [this] {
      EigenBackend cpu(hostThreads_);
      host_ = cpu.prepare(spec_, HeadQKV{q_, k_, v_});
    });
    return *host_;
  }

  MatrixF q_, k_, v_;  ///< the head's own copy (the host form is built later, on first use)
  int hostThreads_;
  std::vector<int> blockOf_;
  MatrixD mix_;
  mutable std::once_flag hostOnce_;
  mutable std::unique_ptr<PreparedAttention> host_;
};

struct SolverStream {
  SolverStream() {
    ATTN_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    if (cusolverDnCreate(&handle) != CUSOLVER_STATUS_SUCCESS) {
      cudaStreamDestroy(stream);
      throw CudaError("CUDA error in cusolverDnCreate: cannot create a cuSOLVER handle");
    }
    cusolverDnSetStream(handle, stream);
  }
  ~SolverStream() {
    cudaStreamSynchronize(stream);
    cusolverDnDestroy(handle);
    cudaStreamDestroy(stream);
  }
  SolverStream(const SolverStream&) = delete;
  SolverStream& operator=(const SolverStream&) = delete;
  cudaStream_t stream = nullptr;
  cusolverDnHandle_t handle = nullptr;
};

}  // namespace

std::unique_ptr<PreparedAttention> prepareOnDevice(std::shared_ptr<Context> ctx,
                                                   const MechanismSpec& spec, const HeadQKV& head,
                                                   int hostThreads) {
  if (spec.is(softmaxKind()))
    return std::make_unique<SoftmaxPrepared>(std::move(ctx), spec, head);
  const FeatureMap fm(spec.featureMap, static_cast<int>(head.Q.cols()));
  return std::make_unique<LinearPrepared>(std::move(ctx), spec, head, hostThreads, fm);
}

VectorD deviceSingularValues(Context& ctx, const MatrixD& a) {
  const int n = static_cast<int>(a.rows());
  if (n == 0) return VectorD();
  if (a.cols() != n) throw InvalidArgument("deviceSingularValues: the matrix must be square");
  ctx.activate();
  // Its own stream and handle: a long SVD must not hold up hover rows on the context's stream.
  SolverStream solver;
  cusolverDnHandle_t h = solver.handle;
  const cudaStream_t s = solver.stream;
  // Row-major A is column-major Aᵀ: the same singular values.
  DeviceBuffer<double> dA(std::size_t(n) * n), dS(n);
  DeviceBuffer<int> info(1);
  dA.upload(a.data(), a.size(), 0, s);
  int lwork = 0;
  ATTN_CUSOLVER(cusolverDnDgesvd_bufferSize(h, n, n, &lwork));
  DeviceBuffer<double> work(static_cast<std::size_t>(lwork > 0 ? lwork : 1));
  // ldu/ldvt must be ≥ n even though no vectors are asked for (cuSOLVER checks them).
  ATTN_CUSOLVER(cusolverDnDgesvd(h, 'N', 'N', n, n, dA.get(), n, dS.get(), nullptr, n, nullptr, n,
                                 work.get(), lwork, nullptr, info.get()));
  VectorD sigma(n);
  int status = 0;
  dS.download(sigma.data(), n, 0, s);
  info.download(&status, 1, 0, s);
  ATTN_CUDA(cudaStreamSynchronize(s));
  if (status != 0) {
    std::ostringstream os;
    os << "cusolverDnDgesvd did not converge (info = " << status << ")";
    throw CudaError(os.str());
  }
  return sigma;
}

}  // namespace attnscope::gpu
