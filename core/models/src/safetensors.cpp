#include "attnscope/models/safetensors.h"

#include <limits>

#include "attnscope/error.h"
#include "mapped_bytes.h"
#include "safetensors_header.h"

namespace attnscope::models {

std::int64_t TensorInfo::numel() const {
  for (std::int64_t d : shape)
    if (d == 0) return 0;  // (the other dimensions may then multiply past 64 bits)
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;  // bounded: the header check proved numel·itemsize fits the file
  return n;
}

std::string shapeText(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

SafetensorsFile::SafetensorsFile(std::string path, std::unique_ptr<MappedBytes> bytes)
    : path_(std::move(path)), bytes_(std::move(bytes)) {
  ParsedHeader h = parseHeader(bytes_->data(), bytes_->size(), path_);
  dataStart_ = h.dataStart;
  tensors_ = std::move(h.tensors);
  metadata_ = std::move(h.metadata);
  for (std::size_t i = 0; i < tensors_.size(); ++i) index_[tensors_[i].name] = i;
}

SafetensorsFile::~SafetensorsFile() = default;

std::shared_ptr<const SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  std::unique_ptr<MappedBytes> bytes(MappedBytes::map(path));
  return std::shared_ptr<const SafetensorsFile>(new SafetensorsFile(path, std::move(bytes)));
}

std::shared_ptr<const SafetensorsFile> SafetensorsFile::fromBytes(std::string bytes, const std::string& name) {
  std::unique_ptr<MappedBytes> held(MappedBytes::hold(std::move(bytes)));
  return std::shared_ptr<const SafetensorsFile>(new SafetensorsFile(name, std::move(held)));
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const TensorInfo& t : tensors_) out.push_back(t.name);
  return out;
}

const TensorInfo& SafetensorsFile::info(const std::string& name) const {
  const auto it = index_.find(name);
  if (it == index_.end()) throw FileError(path_ + ": no tensor '" + name + "'");
  return tensors_[it->second];
}

const unsigned char* SafetensorsFile::bytes(const TensorInfo& t) const {
  return bytes_->data() + dataStart_ + t.begin;
}

void SafetensorsFile::convert(const TensorInfo& t, float* dst) const {
  if (!isReadable(t.dtype))
    throw FileError(path_ + ": tensor '" + t.name + "' has dtype " + dtypeName(t.dtype) +
                    "; attnscope reads F32, F16, BF16 and F64");
  convertToFloat(t.dtype, bytes(t), static_cast<std::size_t>(t.numel()), dst);
}

std::vector<float> SafetensorsFile::values(const std::string& name) const {
  const TensorInfo& t = info(name);
  if (!isReadable(t.dtype)) convert(t, nullptr);  // throws the dtype error before allocating
  std::vector<float> out(static_cast<std::size_t>(t.numel()));
  convert(t, out.data());
  return out;
}

MatrixF SafetensorsFile::matrix(const std::string& name) const {
  const TensorInfo& t = info(name);
  Eigen::Index rows = 1, cols = 1;
  if (t.shape.size() == 1) {
    cols = t.shape[0];
  } else if (t.shape.size() >= 2) {
    cols = t.shape.back();
    for (std::size_t i = 0; i + 1 < t.shape.size(); ++i) {
      if (t.shape[i] != 0 && rows > std::numeric_limits<Eigen::Index>::max() / t.shape[i])
        throw FileError(path_ + ": tensor '" + t.name + "' of shape " + shapeText(t.shape) +
                        " has too many rows for a matrix");
      rows *= t.shape[i];
    }
  }
  return matrix(name, rows, cols);
}

MatrixF SafetensorsFile::matrix(const std::string& name, Eigen::Index rows, Eigen::Index cols) const {
  const TensorInfo& t = info(name);
  if (rows < 0 || cols < 0 || (cols != 0 && rows > t.numel() / cols) || rows * cols != t.numel())
    throw FileError(path_ + ": tensor '" + t.name + "' of shape " + shapeText(t.shape) +
                    " cannot be read as " + std::to_string(rows) + " by " + std::to_string(cols));
  if (!isReadable(t.dtype)) convert(t, nullptr);  // throws the dtype error before allocating
  MatrixF m(rows, cols);
  convert(t, m.data());
  return m;
}

}  // namespace attnscope::models
