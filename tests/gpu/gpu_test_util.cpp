#include "gpu_test_util.h"

#include <cmath>
#include <memory>
#include <sstream>

namespace gputest {

MatrixD toD(const MatrixF& m) {
  return m.cast<double>();
}

std::string traceOf(std::uint64_t seed, const std::string& what) {
  std::ostringstream os;
  os << what << " seed=" << seed << " (rerun with ATTNSCOPE_TEST_SEED=" << seed << ")";
  return os.str();
}

MatrixD phiOf(const MatrixF& X, const FeatureMapSpec& fs) {
  const FeatureMap fm(fs, static_cast<int>(X.cols()));
  return ref::phi(toD(X), fs.kind, fm.favorMatrix().cast<double>());
}

EigenBackend& sharedEigen() {
  static EigenBackend backend(0);
  return backend;
}

void CudaDevice::SetUp() {
  gpu_ = std::make_unique<CudaBackend>(0);
  const Availability av = gpu_->available();
  if (!av.ok) GTEST_SKIP() << "no CUDA device: " << av.reason;
  gpu_->setSoftmaxPrecision(SoftmaxPrecision::Fp32);
  gpu_->setPoisonOutputs(true);
  gpu_->setThreads(0);
}

void CudaDevice::TearDown() {
  gpu_.reset();
}

long countNonFinite(const MatrixF& m, std::string* first) {
  long bad = 0;
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j)
      if (!std::isfinite(m(i, j))) {
        if (bad == 0 && first) {
          std::ostringstream os;
          os << "row " << i << ", column " << j << " = " << m(i, j);
          *first = os.str();
        }
        ++bad;
      }
  return bad;
}

namespace {
template <typename Want>
void expectClose(const std::vector<MatrixF>& got, const std::vector<Want>& want, double tol,
                 const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what << ": number of heads";
  for (size_t h = 0; h < got.size(); ++h) {
    ASSERT_EQ(got[h].rows(), want[h].rows()) << what << ", head " << h << ": rows";
    ASSERT_EQ(got[h].cols(), want[h].cols()) << what << ", head " << h << ": columns";
    std::string first;
    const long bad = countNonFinite(got[h], &first);
    EXPECT_EQ(bad, 0) << what << ", head " << h << ": " << bad
                      << " non-finite outputs (unwritten entries are NaN-poisoned), first at "
                      << first;
    if (bad) continue;
    const double err = ref::relErr(got[h].template cast<double>(), want[h].template cast<double>());
    EXPECT_LT(err, tol) << what << ", head " << h << " (N=" << got[h].rows()
                        << ", d_v=" << got[h].cols() << ")";
  }
}
}  // namespace

void expectHeadsClose(const std::vector<MatrixF>& got, const std::vector<MatrixF>& want, double tol,
                      const std::string& what) {
  expectClose(got, want, tol, what);
}

void expectHeadsCloseD(const std::vector<MatrixF>& got, const std::vector<MatrixD>& want,
                       double tol, const std::string& what) {
  expectClose(got, want, tol, what);
}

}  // namespace gputest
