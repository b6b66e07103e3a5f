// Writing files so that nothing is lost: a file is written to a unique temporary beside it,
// flushed to disk and renamed over the old one only when every byte is there; a folder of results
// is written whole into a hidden staging folder and swapped in at once. A full disk, a size limit
// or a concurrent writer then fails with a message and leaves the old file or folder as it was.
#pragma once

#include <string>
#include <string_view>

namespace attnscope {

/// Writes `bytes` to `path`: a unique temporary in the same folder (so concurrent writers never
/// share one), every byte checked, fsync, close checked, then an atomic rename over `path`.
/// Throws FileError "<path>: cannot write: <reason>" and leaves an existing `path` untouched.
void writeFileAtomically(const std::string& path, std::string_view bytes);

/// A folder written whole or not at all. Files are written into a fresh hidden staging folder next
/// to `target` (path()); commit() puts the staging folder in the target's place in one step
/// (renameat2 RENAME_EXCHANGE where the file system has it) and removes what was there before.
/// Without commit() (an error, a cancel) the destructor removes the staging folder and the
/// target is as it was. Two writers of one target each commit a complete folder; the last wins.
/// A SIGINT, SIGTERM or SIGHUP (left at their default by the program) while a StagedFolder or
/// writeFileAtomically is at work removes its staging folder or temporary, then ends the process
/// as the signal would; the staging name carries the pid ("dir/.name.PID.XXXXXX"), and a new
/// StagedFolder removes those its target's dead writers left (a SIGKILL, a power cut). Write errors
/// name the target's path ("out/x.npy"), not the staging one.
class StagedFolder {
 public:
  /// Creates the staging folder beside `target` (and the target's parent folders if needed).
  /// Throws FileError naming the folder and the reason.
  explicit StagedFolder(std::string target);
  ~StagedFolder();
  StagedFolder(const StagedFolder&) = delete;
  StagedFolder& operator=(const StagedFolder&) = delete;

  /// Where to write the file `name` now (inside the staging folder).
  std::string path(const std::string& name) const;
  const std::string& target() const { return target_; }
  /// Swaps the staged files in. Throws FileError (the target is then as it was).
  void commit();

 private:
  std::string target_, staging_;
  bool committed_ = false;
  int signalSlot_ = -1;  ///< where a signal handler finds staging_ to remove it
};

}  // namespace attnscope
