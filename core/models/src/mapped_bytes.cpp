#include "mapped_bytes.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "attnscope/error.h"
#include "bounded_file.h"

namespace attnscope::models {

MappedBytes* MappedBytes::map(const std::string& path) {
  // A regular file only, checked before open() (a FIFO, or a link to one, would block it).
  const OpenedFile f = openRegularFile(path);
  std::unique_ptr<MappedBytes> m(new MappedBytes());
  m->size_ = static_cast<std::size_t>(f.size);
  if (m->size_ > 0) {
    void* p = ::mmap(nullptr, m->size_, PROT_READ, MAP_PRIVATE, f.fd, 0);
    if (p == MAP_FAILED) throw FileError(path + ": cannot map (" + std::strerror(errno) + ")");
    m->data_ = static_cast<const unsigned char*>(p);
    m->mapped_ = true;
  }
  return m.release();  // the descriptor closes; the mapping stays valid
}

MappedBytes* MappedBytes::hold(std::string bytes) {
  std::unique_ptr<MappedBytes> m(new MappedBytes());
  m->held_ = std::move(bytes);
  m->data_ = reinterpret_cast<const unsigned char*>(m->held_.data());
  m->size_ = m->held_.size();
  return m.release();
}

MappedBytes::~MappedBytes() {
  if (mapped_) ::munmap(const_cast<unsigned char*>(data_), size_);
}

}  // namespace attnscope::models
