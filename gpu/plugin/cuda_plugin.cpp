// libattnscope_cuda.so: the entry table of the CUDA backend plugin (include/attnscope/cuda_plugin.h).
#include "attnscope/cuda_plugin.h"

#include "attnscope/error.h"

#ifndef ATTNSCOPE_VERSION
#error "ATTNSCOPE_VERSION must be defined by the build"
#endif

namespace attnscope {
namespace {

CudaDeviceInfo deviceInfo(int device) { return cudaDeviceInfo(device); }

Availability availability(int device) {
  try {
    return CudaBackend(device).available();
  } catch (const std::exception& e) {
    return {false, e.what()};
  }
}

Backend* makeBackend(int device, int threads) {
  auto backend = std::make_unique<CudaBackend>(device);
  backend->setThreads(threads);
  return backend.release();
}

void setSoftmaxPrecision(Backend& backend, const std::string& name) {
  auto* cuda = dynamic_cast<CudaBackend*>(&backend);
  if (!cuda) throw Error("--softmax-precision " + name + " applies to the cuda backend only, not " + backend.name());
  cuda->setSoftmaxPrecision(parseSoftmaxPrecision(name));
}

CudaCalibration calibrate(int device) { return calibrateCuda(device); }

CudaPluginApi makeApi() {
  CudaPluginApi api;
  api.abi = kCudaPluginAbi;
  api.version = ATTNSCOPE_VERSION;
  api.deviceInfo = deviceInfo;
  api.availability = availability;
  api.makeBackend = makeBackend;
  api.setSoftmaxPrecision = setSoftmaxPrecision;
  api.calibrate = calibrate;
  return api;
}

}  // namespace
}  // namespace attnscope

extern "C" __attribute__((visibility("default"))) const attnscope::CudaPluginApi* attnscope_cuda_plugin() {
  static const attnscope::CudaPluginApi api = attnscope::makeApi();
  return &api;
}
