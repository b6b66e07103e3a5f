// Read-only bytes of a whole file: a POSIX memory map, or a string held in memory.
#pragma once

#include <cstddef>
#include <string>

namespace attnscope::models {

class MappedBytes {
 public:
  /// Maps `path` read-only. Throws FileError naming the file when it cannot be opened or mapped.
  /// An empty file is not mapped (size() == 0).
  static MappedBytes* map(const std::string& path);
  /// Takes ownership of `bytes`.
  static MappedBytes* hold(std::string bytes);

  const unsigned char* data() const { return data_; }
  std::size_t size() const { return size_; }
  ~MappedBytes();
  MappedBytes(const MappedBytes&) = delete;
  MappedBytes& operator=(const MappedBytes&) = delete;

 private:
  MappedBytes() = default;
  const unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
  bool mapped_ = false;
  std::string held_;
};

}  // namespace attnscope::models
