#include "mapped_bytes.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "attnscope/error.h"

namespace attnscope::models {

MappedBytes* MappedBytes::map(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw FileError(path + ": cannot open (" + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw FileError(path + ": not a regular file");
  }
  std::unique_ptr<MappedBytes> m(new MappedBytes());
  m->size_ = static_cast<std::size_t>(st.st_size);
  if (m->size_ > 0) {
    void* p = ::mmap(nullptr, m->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      throw FileError(path + ": cannot map (" + std::strerror(err) + ")");
    }
    m->data_ = static_cast<const unsigned char*>(p);
    m->mapped_ = true;
  }
  ::close(fd);  // the mapping stays valid
  return m.release();
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
