#include "attnscope/atomic_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "attnscope/error.h"

namespace attnscope {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what, int err) {
  throw FileError(path + ": cannot write: " + what + (err ? std::string(" (") + std::strerror(err) + ")" : ""));
}

/// "dir/name" → "dir/.name.XXXXXX" (a mkstemp / mkdtemp template beside `path`).
std::string hiddenTemplate(const std::string& path) {
  const fs::path p(path);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  return (dir / ("." + p.filename().string() + ".XXXXXX")).string();
}

bool syncFolder(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0 || errno == EINVAL;  // some file systems cannot sync folders
  ::close(fd);
  return ok;
}

}  // namespace

void writeFileAtomically(const std::string& path, std::string_view bytes) {
  if (path.empty()) throw FileError("cannot write a file with an empty name");
  if (fs::is_directory(path)) fail(path, "it is a folder", 0);
  std::string tmp = hiddenTemplate(path);
  std::vector<char> name(tmp.begin(), tmp.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0) fail(path, "cannot create a temporary file beside it", errno);
  tmp = name.data();
  auto abandon = [&](const std::string& what, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    fail(path, what, err);
  };
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) abandon("wrote " + std::to_string(done) + " of " + std::to_string(bytes.size()) + " bytes", n < 0 ? errno : ENOSPC);
    done += static_cast<std::size_t>(n);
  }
  // Keep the mode a new file would get (mkstemp makes it 0600).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  struct stat old {};
  const mode_t mode = ::stat(path.c_str(), &old) == 0 ? (old.st_mode & 07777) : (0666 & ~mask);
  ::fchmod(fd, mode);
  if (::fsync(fd) != 0 && errno != EINVAL) abandon("the data did not reach the disk", errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(path, "closing the file failed", err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(path, "cannot replace the file", err);
  }
  const fs::path parent = fs::path(path).has_parent_path() ? fs::path(path).parent_path() : ".";
  syncFolder(parent.string());
}

StagedFolder::StagedFolder(std::string target) : target_(std::move(target)) {
  if (target_.empty()) throw FileError("the output folder has an empty name");
  while (target_.size() > 1 && target_.back() == '/') target_.pop_back();
  if (fs::exists(target_) && !fs::is_directory(target_))
    throw FileError(target_ + ": cannot write there: it is a file, not a folder");
  std::error_code ec;
  const fs::path parent = fs::path(target_).has_parent_path() ? fs::path(target_).parent_path() : ".";
  fs::create_directories(parent, ec);
  if (ec) throw FileError(parent.string() + ": cannot create the folder: " + ec.message());
  std::string tmpl = hiddenTemplate(target_);
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  if (!::mkdtemp(name.data()))
    throw FileError(target_ + ": cannot create a folder beside it (" + std::strerror(errno) + ")");
  staging_ = name.data();
  ::chmod(staging_.c_str(), 0777 & ~[] {
    const mode_t m = ::umask(0);
    ::umask(m);
    return m;
  }());
}

StagedFolder::~StagedFolder() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

std::string StagedFolder::path(const std::string& name) const {
  return (fs::path(staging_) / name).string();
}

void StagedFolder::commit() {
  if (committed_) return;
  // Nothing new may be lost on the way: the staged files first reach the disk.
  syncFolder(staging_);
  // No target yet: a rename that refuses to replace one a concurrent writer made meanwhile.
  if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, target_.c_str(), RENAME_NOREPLACE) == 0) {
    committed_ = true;
    return;
  }
  int err = errno;
  if (err == EEXIST || err == ENOTEMPTY || err == EINVAL || err == ENOSYS) {
    // Swap the two folders in one step; the old contents end up at the staging path.
    if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) == 0) {
      committed_ = true;
      std::error_code ec;
      fs::remove_all(staging_, ec);
      return;
    }
    err = errno;
    if (err == EINVAL || err == ENOSYS) {
      // A file system without the exchange: move the old folder aside, then the new one in.
      const std::string aside = staging_ + ".old";
      if (::rename(target_.c_str(), aside.c_str()) == 0) {
        if (::rename(staging_.c_str(), target_.c_str()) == 0) {
          committed_ = true;
          std::error_code ec;
          fs::remove_all(aside, ec);
          return;
        }
        err = errno;
        ::rename(aside.c_str(), target_.c_str());  // put the old one back
      } else {
        err = errno;
      }
    }
  }
  throw FileError(target_ + ": cannot put the new files in place (" + std::strerror(err) +
                  "); the folder is as it was");
}

}  // namespace attnscope
