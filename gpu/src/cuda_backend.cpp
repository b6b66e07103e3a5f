#include "attnscope/cuda_backend.h"

#include <omp.h>

#include <algorithm>
#include <sstream>

#include "context.h"
#include "device_buffer.h"
#include "event_timer.h"
#include "linear_family.h"
#include "linear_kernels.h"
#include "prepared.h"
#include "softmax.h"
#include "workspace.h"

#ifndef ATTNSCOPE_CUDA_ARCHITECTURES
#define ATTNSCOPE_CUDA_ARCHITECTURES "unknown"
#endif

namespace attnscope {

namespace {
std::string versionString(int v) {
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}
/// Devices need this much free memory to count as available.
constexpr std::size_t kMinFreeBytes = std::size_t(64) << 20;
}  // namespace

std::string toString(SoftmaxPrecision p) {
  switch (p) {
    case SoftmaxPrecision::Fp32: return "fp32";
    case SoftmaxPrecision::Tf32: return "tf32";
    case SoftmaxPrecision::Fp32Blocked: return "fp32-blocked";
  }
  return "?";
}

SoftmaxPrecision parseSoftmaxPrecision(const std::string& name) {
  for (auto p : {SoftmaxPrecision::Fp32, SoftmaxPrecision::Tf32, SoftmaxPrecision::Fp32Blocked})
    if (toString(p) == name) return p;
  throw InvalidArgument("unknown softmax precision '" + name +
                        "' (choose fp32, tf32 or fp32-blocked)");
}

CudaDeviceInfo cudaDeviceInfo(int device) {
  CudaDeviceInfo info;
  info.compiledArchitectures = ATTNSCOPE_CUDA_ARCHITECTURES;
  cudaRuntimeGetVersion(&info.runtimeVersion);
  if (cudaDriverGetVersion(&info.driverVersion) != cudaSuccess) info.driverVersion = 0;
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error so later calls start clean
    std::ostringstream os;
    if (e == cudaErrorInsufficientDriver && info.driverVersion == 0)
      os << "no NVIDIA driver is installed (CUDA runtime " << versionString(info.runtimeVersion)
         << ")";
    else if (e == cudaErrorInsufficientDriver)
      os << "the NVIDIA driver (CUDA " << versionString(info.driverVersion)
         << ") is older than this build's CUDA runtime " << versionString(info.runtimeVersion);
    else if (e == cudaErrorNoDevice)
      os << "no CUDA device found";
    else
      os << "CUDA is not usable: " << cudaGetErrorName(e) << ": " << cudaGetErrorString(e);
    info.reason = os.str();
    return info;
  }
  if (device < 0 || device >= count) {
    info.reason = "CUDA device " + std::to_string(device) + " does not exist (" +
                  std::to_string(count) + " found)";
    return info;
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, device) != cudaSuccess) {
    cudaGetLastError();
    info.reason = "cannot read the properties of CUDA device " + std::to_string(device);
    return info;
  }
  info.name = prop.name;
  info.computeMajor = prop.major;
  info.computeMinor = prop.minor;
  info.totalBytes = prop.totalGlobalMem;
  int previous = 0;
  if (cudaGetDevice(&previous) != cudaSuccess || cudaSetDevice(device) != cudaSuccess) {
    cudaGetLastError();
    info.reason = info.name + " cannot be made current (busy, or in exclusive mode elsewhere?)";
    return info;
  }
  const cudaError_t image = gpu::probeKernelImage();
  const cudaError_t mem = cudaMemGetInfo(&info.freeBytes, &info.totalBytes);
  cudaSetDevice(previous);
  if (image != cudaSuccess && image != cudaErrorNoKernelImageForDevice &&
      image != cudaErrorInvalidDeviceFunction) {
    cudaGetLastError();
    info.reason = info.name + " cannot be used: " + cudaGetErrorName(image) + ": " +
                  cudaGetErrorString(image);
    return info;
  }
  if (image != cudaSuccess) {
    cudaGetLastError();
    std::ostringstream os;
    os << info.name << " (sm_" << prop.major << prop.minor
       << ") has no kernel image in this build (built for " << info.compiledArchitectures
       << "); reconfigure with -DCMAKE_CUDA_ARCHITECTURES=" << prop.major << prop.minor;
    info.reason = os.str();
    return info;
  }
  if (mem != cudaSuccess) {
    cudaGetLastError();
    info.reason = std::string("cannot query GPU memory: ") + cudaGetErrorString(mem);
    return info;
  }
  if (info.freeBytes < kMinFreeBytes) {
    std::ostringstream os;
    os << info.name << " is out of memory (" << (info.freeBytes >> 20) << " MiB free)";
    info.reason = os.str();
    return info;
  }
  info.ok = true;
  return info;
}

struct CudaBackend::Impl {
  explicit Impl(int device) : ctx(std::make_shared<gpu::Context>(device)) {}
  std::shared_ptr<gpu::Context> ctx;
  gpu::Workspace ws;
  gpu::DeviceBuffer<float> Q, K, V, O;  // [H][N][d] of the current call

  /// Copies the heads into the device arrays.
  /// (A KV head shared by several query heads is uploaded once per query head.)
  void upload(const std::vector<HeadQKV>& heads) {
    const std::size_t n = heads[0].Q.rows(), dk = heads[0].Q.cols(), dv = heads[0].V.cols();
    const std::size_t H = heads.size();
    Q.resize(H * n * dk);
    K.resize(H * n * dk);
    V.resize(H * n * dv);
    O.resize(H * n * dv);
    for (std::size_t h = 0; h < H; ++h) {
      Q.upload(heads[h].Q.data(), n * dk, h * n * dk, ctx->stream());
      K.upload(heads[h].K.data(), n * dk, h * n * dk, ctx->stream());
      V.upload(heads[h].V.data(), n * dv, h * n * dv, ctx->stream());
    }
  }
};

CudaBackend::CudaBackend(int device) : device_(device) { setThreads(0); }

bool CudaBackend::supports(const MechanismSpec& spec) const {
  // The kinds with CUDA kernels; any other kind is refused by name (Backend::requireSupport).
  return spec.is(softmaxKind()) || spec.is(linearKind()) || spec.is(mhlaKind());
}

CudaBackend::~CudaBackend() = default;

Availability CudaBackend::available() const {
  std::call_once(availableOnce_, [this] {
    const CudaDeviceInfo info = cudaDeviceInfo(device_);
    available_ = {info.ok, info.reason};
  });
  return available_;
}

void CudaBackend::setThreads(int threads) { threads_ = threads < 1 ? omp_get_num_procs() : threads; }

namespace {

/// Runs one batched forward of the uploaded heads; the caller synchronises.
class ForwardRun {
 public:
  ForwardRun(gpu::Context& ctx, gpu::Workspace& ws, const MechanismSpec& spec,
             SoftmaxPrecision precision, int heads, int n, int dk, int dv)
      : ctx_(ctx), ws_(ws), spec_(spec), precision_(precision), heads_(heads), n_(n), dk_(dk),
        dv_(dv) {
    if (!spec.is(softmaxKind()))  // linear, mhla (supports() refused every other kind)
      linear_ = std::make_unique<gpu::LinearFamilyRunner>(ctx, ws, spec, heads, n, dk, dv);
  }
  void enqueue(const float* Q, const float* K, const float* V, float* O, bool poison) {
    if (linear_)
      linear_->run(Q, K, V, O, poison);
    else
      gpu::runSoftmax(ctx_, ws_, spec_, precision_, Q, K, V, O, heads_, n_, dk_, dv_, poison);
  }
  /// Waits and reports normalisers that were not positive.
  void finish() {
    if (linear_)
      linear_->checkNormalisers();
    else
      ctx_.synchronize();
  }

 private:
  gpu::Context& ctx_;
  gpu::Workspace& ws_;
  const MechanismSpec& spec_;
  SoftmaxPrecision precision_;
  int heads_, n_, dk_, dv_;
  std::unique_ptr<gpu::LinearFamilyRunner> linear_;
};

}  // namespace

std::vector<MatrixF> CudaBackend::forwardHeads(const MechanismSpec& spec, const Qkv& qkv,
                                               const std::vector<int>& sel,
                                               const JobControl& job) {
  if (sel.empty()) return {};
  if (!impl_) impl_ = std::make_unique<Impl>(device_);
  Impl& im = *impl_;
  im.ctx->activate();
  std::vector<HeadQKV> heads;
  for (int h : sel) heads.push_back(qkv.head(h));
  const int n = qkv.n(), dk = qkv.dk(), dv = qkv.dv(), H = static_cast<int>(heads.size());
  try {
    im.upload(heads);
    job.check();
    ForwardRun run(*im.ctx, im.ws, spec, softmaxPrecision_, H, n, dk, dv);
    run.enqueue(im.Q.get(), im.K.get(), im.V.get(), im.O.get(), poison_);
    std::vector<MatrixF> out(H, MatrixF(n, dv));
    for (int h = 0; h < H; ++h)
      im.O.download(out[h].data(), std::size_t(n) * dv, std::size_t(h) * n * dv, im.ctx->stream());
    run.finish();
    job.report(1.0);
    return out;
  } catch (const CudaError&) {
    im.ws.clear();  // after out-of-memory, the next call starts from a clean slate
    throw;
  }
}

MatrixF CudaBackend::forwardHead(const MechanismSpec& spec, const HeadQKV& head) {
  requireSupport(spec);
  const Availability av = available();
  if (!av.ok) throw Error("the cuda backend is not available: " + av.reason);
  spec.validate(static_cast<int>(head.Q.rows()), static_cast<int>(head.Q.cols()));
  Qkv one;
  one.addHead({head.Q, head.K, head.V});
  return forwardHeads(spec, one, {0}, {}).front();
}

std::vector<double> CudaBackend::timeRuns(const MechanismSpec& spec, const Qkv& qkv, int repeats,
                                          const JobControl& job) {
  check(spec, qkv);
  if (!impl_) impl_ = std::make_unique<Impl>(device_);
  try {
    return timeResident(spec, qkv, repeats, job);
  } catch (const CudaError&) {
    impl_->ws.clear();
    throw;
  }
}

std::vector<double> CudaBackend::timeResident(const MechanismSpec& spec, const Qkv& qkv,
                                              int repeats, const JobControl& job) {
  Impl& im = *impl_;
  im.ctx->activate();
  im.upload(qkv.heads());
  ForwardRun run(*im.ctx, im.ws, spec, softmaxPrecision_, qkv.numHeads(), qkv.n(), qkv.dk(),
                 qkv.dv());
  run.enqueue(im.Q.get(), im.K.get(), im.V.get(), im.O.get(), false);  // warm-up
  run.finish();
  gpu::EventTimer timer(im.ctx->stream());
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    job.check();
    ms.push_back(timer.time(
        [&] { run.enqueue(im.Q.get(), im.K.get(), im.V.get(), im.O.get(), false); }));
    job.report(double(i + 1) / repeats);
  }
  run.finish();
  return ms;
}

std::unique_ptr<PreparedAttention> CudaBackend::prepare(const MechanismSpec& spec,
                                                        const HeadQKV& head) {
  requireSupport(spec);
  const Availability av = available();
  if (!av.ok) throw Error("the cuda backend is not available: " + av.reason);
  spec.validate(static_cast<int>(head.Q.rows()), static_cast<int>(head.Q.cols()));
  if (!impl_) impl_ = std::make_unique<Impl>(device_);
  return gpu::prepareOnDevice(impl_->ctx, spec, head, threads_);
}

}  // namespace attnscope
