#include "attnscope/atomic_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <atomic>
#include <csignal>
#include <mutex>
#include <utility>
#include <vector>

#include "attnscope/error.h"

namespace attnscope {

namespace fs = std::filesystem;

namespace {

// --- what a signal must not leave behind (issue 23) ------------------------------------------------
// The staging folders and temporaries being written are kept in fixed slots a signal handler can
// read: on SIGINT, SIGTERM or SIGHUP it removes them with plain system calls (no allocation, no
// locks) and lets the signal end the process as it would have. What a SIGKILL leaves is removed by
// the next StagedFolder of the same target: staging names carry the writer's pid, and a leftover
// whose pid is no longer alive is deleted.

constexpr int kSlots = 32;
constexpr std::size_t kSlotPath = 4096;
struct Slot {
  volatile sig_atomic_t used = 0;
  char path[kSlotPath] = {};
};
Slot gSlots[kSlots];
std::mutex gRegistryMutex;
std::vector<std::pair<std::string, std::string>> gStaged;  // staging folder → target (for messages)

struct KernelDirent64 {
  std::uint64_t ino;
  std::int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[1];
};

/// Removes a file, or a folder and the entries in it (staging folders are flat), with
/// async-signal-safe system calls only.
void removeFromHandler(const char* path) {
  if (::unlink(path) == 0 || errno == ENOENT) return;
  const int fd = ::open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  alignas(8) char buf[4096];
  for (int pass = 0; pass < 64; ++pass) {  // entries removed while listing may shift the listing
    bool removed = false;
    ::lseek(fd, 0, SEEK_SET);
    for (;;) {
      const long n = ::syscall(SYS_getdents64, fd, buf, sizeof buf);
      if (n <= 0) break;
      for (long at = 0; at < n;) {
        const auto* d = reinterpret_cast<const KernelDirent64*>(buf + at);
        at += d->reclen;
        const char* name = d->name;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
        if (::unlinkat(fd, name, 0) == 0 || ::unlinkat(fd, name, AT_REMOVEDIR) == 0) removed = true;
      }
    }
    if (!removed) break;
  }
  ::close(fd);
  ::rmdir(path);
}

void onTerminatingSignal(int sig) {
  const int saved = errno;
  for (Slot& s : gSlots)
    if (s.used) removeFromHandler(s.path);
  errno = saved;
  ::signal(sig, SIG_DFL);
  ::raise(sig);  // ends the process as the signal would have (delivered when this returns)
}

/// Installs the handler for the terminating signals left at their default (a handler the program
/// or its caller set, or an ignored signal, is kept).
void installSignalCleanup() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction old {};
      if (::sigaction(sig, nullptr, &old) != 0 || old.sa_handler != SIG_DFL || (old.sa_flags & SA_SIGINFO)) continue;
      struct sigaction sa {};
      sa.sa_handler = onTerminatingSignal;
      sigemptyset(&sa.sa_mask);
      for (int other : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&sa.sa_mask, other);  // one cleanup at a time
      ::sigaction(sig, &sa, nullptr);
    }
  });
}

/// Puts `path` in a free slot (-1 when none is free or the path is too long: then only the
/// next run's clean-up removes it).
int registerForSignals(const std::string& path) {
  installSignalCleanup();
  std::lock_guard<std::mutex> lock(gRegistryMutex);
  if (path.size() >= kSlotPath) return -1;
  for (int i = 0; i < kSlots; ++i) {
    if (gSlots[i].used) continue;
    std::memcpy(gSlots[i].path, path.c_str(), path.size() + 1);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    gSlots[i].used = 1;
    return i;
  }
  return -1;
}

void unregisterForSignals(int slot) {
  if (slot < 0) return;
  std::lock_guard<std::mutex> lock(gRegistryMutex);
  gSlots[slot].used = 0;
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

/// A path inside a staging folder as the user knows it: "out/.run.123.Ab3dEf/x.npy" → "out/run/x.npy".
std::string shownPath(const std::string& path) {
  std::lock_guard<std::mutex> lock(gRegistryMutex);
  for (const auto& [staging, target] : gStaged) {
    if (path.size() > staging.size() && path.compare(0, staging.size(), staging) == 0 && path[staging.size()] == '/')
      return target + path.substr(staging.size());
  }
  return path;
}

[[noreturn]] void fail(const std::string& path, const std::string& what, int err) {
  throw FileError(shownPath(path) + ": cannot write: " + what + (err ? std::string(" (") + std::strerror(err) + ")" : ""));
}

/// "dir/name" → "dir/.name.PID.XXXXXX" (a mkstemp / mkdtemp template beside `path`; the pid tells
/// a later run whether the writer is still alive).
std::string hiddenTemplate(const std::string& path) {
  const fs::path p(path);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  return (dir / ("." + p.filename().string() + "." + std::to_string(::getpid()) + ".XXXXXX")).string();
}

/// Removes the staging folders of `target` that a process no longer alive left behind
/// (".name.PID.XXXXXX", and ".old" beside one), so a killed run does not leave them forever.
void removeDeadLeftovers(const std::string& target) {
  const fs::path p(target);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  const std::string prefix = "." + p.filename().string() + ".";
  std::error_code ec;
  std::vector<fs::path> dead;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    std::string rest = name.substr(prefix.size());  // "PID.XXXXXX" or "PID.XXXXXX.old"
    if (rest.size() > 4 && rest.compare(rest.size() - 4, 4, ".old") == 0) rest.resize(rest.size() - 4);
    const std::size_t dot = rest.find('.');
    if (dot == 0 || dot == std::string::npos || rest.size() - dot - 1 != 6 || dot > 9) continue;
    if (rest.find_first_not_of("0123456789") != dot) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(rest.substr(0, dot)));
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to judge)
    dead.push_back(it->path());
  }
  for (const fs::path& d : dead) fs::remove_all(d, ec);
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
  // A signal meanwhile removes the temporary (see onTerminatingSignal).
  struct Registered {
    int slot;
    ~Registered() { unregisterForSignals(slot); }
  } registered{registerForSignals(tmp)};
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
  removeDeadLeftovers(target_);
  std::string tmpl = hiddenTemplate(target_);
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  if (!::mkdtemp(name.data()))
    throw FileError(target_ + ": cannot create a folder beside it (" + std::strerror(errno) + ")");
  staging_ = name.data();
  signalSlot_ = registerForSignals(staging_);
  {
    std::lock_guard<std::mutex> lock(gRegistryMutex);
    gStaged.emplace_back(staging_, target_);
  }
  ::chmod(staging_.c_str(), 0777 & ~[] {
    const mode_t m = ::umask(0);
    ::umask(m);
    return m;
  }());
}

StagedFolder::~StagedFolder() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(staging_, ec);
  }
  unregisterForSignals(signalSlot_);
  std::lock_guard<std::mutex> lock(gRegistryMutex);
  for (auto it = gStaged.begin(); it != gStaged.end(); ++it)
    if (it->first == staging_) {
      gStaged.erase(it);
      break;
    }
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
