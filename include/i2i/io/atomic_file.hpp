#pragma once
// atomic_file: writes a file so that readers (and a crash) see either the old file or the complete new
// one, never a torn mix. The bytes go to `<path>.tmp.<pid>.<n>` in the target's own folder (rename is
// only atomic within one file system), which is flushed to disk (fsync) before it is renamed over the
// target; the folder is then fsynced so that the rename itself survives a power cut. If anything fails,
// or the writer is destroyed before commit() (an exception while serialising), the temporary file is
// removed and the old file is untouched. POSIX only (open/fsync/rename).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "i2i/core/error.hpp"

namespace i2i::io {

namespace detail {
/// Test hook: called at each stage ("open", "write", "fsync", "rename", "fsync_dir") with the target
/// path; returning true makes that stage fail as if the system call had failed with EIO. Lets tests
/// prove that a failed write leaves the previous checkpoint intact. Not thread-safe to change while
/// writes are running.
inline std::function<bool(std::string_view stage, const std::string& path)>& atomic_file_fault_hook() {
  static std::function<bool(std::string_view, const std::string&)> hook;
  return hook;
}
/// `<path>.tmp.<pid>.<n>`: a fresh name for a file or folder that is renamed to `path` once complete. The
/// pid lets io::remove_stale_temporaries tell a dead writer's leftovers from a live writer's work.
inline std::string temporary_path(const std::string& path) {
  static std::atomic<std::uint64_t> counter{0};
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}
/// fsync of a folder, so that the renames in it survive a power cut: 0, or the errno. A folder that cannot
/// be opened (one we may write into but not read: the files themselves are synced), a file system that
/// cannot fsync folders (EINVAL) and a read-only mount (EROFS) count as success: none means a lost rename.
inline int fsync_folder(const std::filesystem::path& dir) {
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return 0;
  const int rc = ::fsync(dfd);
  const int err = errno;
  ::close(dfd);
  return rc != 0 && err != EINVAL && err != EROFS ? err : 0;
}
/// Called on this thread with the target path after each successful rename: io::checkpoint_set_writer
/// records through it which files a training checkpoint consists of, so that no writer can forget to
/// name a file of its set. Null: nobody is listening.
inline std::function<void(const std::string& path)>*& atomic_file_commit_observer() {
  thread_local std::function<void(const std::string&)>* observer = nullptr;
  return observer;
}
}  // namespace detail

class atomic_file {
 public:
  /// Creates the temporary file next to `path`. `who` prefixes error messages (e.g. "save_state_dict").
  atomic_file(std::string path, std::string who) : path_(std::move(path)), who_(std::move(who)) {
    require<io_error>(!path_.empty(), who_, ": empty file name");
    tmp_ = detail::temporary_path(path_);
    if (fault("open")) fail("cannot create temporary file '" + tmp_ + "'", EIO, /*created=*/false);
    // O_EXCL: never adopt (and later delete) a file that someone else created under this name.
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0) {
      const int err = errno;
      fail("cannot create temporary file '" + tmp_ + "'", err, /*created=*/false);
    }
  }
  atomic_file(const atomic_file&) = delete;
  atomic_file& operator=(const atomic_file&) = delete;
  ~atomic_file() { abandon(); }

  /// Appends bytes (handles short writes and EINTR).
  void write(const void* data, std::size_t bytes) {
    require<io_error>(fd_ >= 0, who_, ": write to '", path_, "' after it was committed or abandoned");
    if (fault("write")) fail("cannot write '" + tmp_ + "'", EIO);
    const char* p = static_cast<const char*>(data);
    while (bytes > 0) {
      // Linux writes at most ~2 GiB per call; larger tensors go in pieces.
      const std::size_t chunk = bytes < (std::size_t(1) << 30) ? bytes : (std::size_t(1) << 30);
      const ssize_t n = ::write(fd_, p, chunk);
      if (n < 0) {
        const int err = errno;
        if (err == EINTR) continue;
        fail("cannot write '" + tmp_ + "'", err);
      }
      p += n;
      bytes -= std::size_t(n);
      written_ += std::uint64_t(n);
    }
  }
  std::uint64_t bytes_written() const { return written_; }

  /// fsync, close, rename over the target, fsync the folder. After this the new file is in place.
  void commit() {
    require<io_error>(fd_ >= 0, who_, ": '", path_, "' committed twice or after a failure");
    if (fault("fsync") || ::fsync(fd_) != 0) {
      const int err = errno ? errno : EIO;
      fail("cannot flush '" + tmp_ + "' to disk", err);
    }
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
      const int err = errno;
      fail("cannot close '" + tmp_ + "'", err);
    }
    if (fault("rename") || ::rename(tmp_.c_str(), path_.c_str()) != 0) {
      const int err = errno ? errno : EIO;
      fail("cannot rename '" + tmp_ + "' to '" + path_ + "'", err);
    }
    committed_ = true;
    sync_folder();
    if (auto* observer = detail::atomic_file_commit_observer()) (*observer)(path_);
  }

 private:
  bool fault(std::string_view stage) {
    errno = 0;
    auto& hook = detail::atomic_file_fault_hook();
    return hook && hook(stage, path_);
  }

  [[noreturn]] void fail(const std::string& what, int err, bool created = true) {
    const std::string reason = err ? std::strerror(err) : "unknown error";
    if (created) abandon();
    throw io_error(i2i::detail::concat(who_, ": ", what, ": ", reason, " (the previous '", path_,
                                       "', if any, is unchanged)"));
  }

  void abandon() noexcept {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
    if (!committed_ && !tmp_.empty()) {
      ::unlink(tmp_.c_str());  // ENOENT when open failed: harmless
    }
  }

  void sync_folder() {
    std::filesystem::path dir = std::filesystem::path(path_).parent_path();
    if (dir.empty()) dir = ".";
    if (fault("fsync_dir")) {
      throw io_error(i2i::detail::concat(who_, ": '", path_, "' was written but its folder '", dir.string(),
                                         "' could not be flushed to disk: ", std::strerror(EIO)));
    }
    if (const int err = detail::fsync_folder(dir); err != 0)
      throw io_error(i2i::detail::concat(who_, ": '", path_, "' was written but its folder '", dir.string(),
                                         "' could not be flushed to disk: ", std::strerror(err)));
  }

  std::string path_, who_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
  std::uint64_t written_ = 0;
};

}  // namespace i2i::io
