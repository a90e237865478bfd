#pragma once
// What every fuzz target shares (tests/fuzz, issue 18). A target defines LLVMFuzzerTestOneInput; built
// with clang and -DI2I_BUILD_FUZZERS=ON it links libFuzzer, otherwise replay_main.cpp feeds it every
// file of the folders named on its command line (the committed corpus and regression corpus).
//
// The loaders take paths, so an input is written into one in-memory file (memfd) that is read back
// through /proc/self/fd/N: no disk traffic per execution. Every i2i::error is an accepted outcome;
// anything else that escapes (std::bad_alloc, std::length_error, ...) is a finding, as is a crash or a
// sanitizer report.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "i2i/core/error.hpp"
#include "i2i/io/limits.hpp"

namespace i2i::fuzz {

/// One in-memory file, rewritten per input.
class memory_file {
 public:
  explicit memory_file(const char* name) : fd_(::memfd_create(name, 0)) {
    if (fd_ < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  memory_file(const memory_file&) = delete;
  memory_file& operator=(const memory_file&) = delete;
  ~memory_file() { ::close(fd_); }

  /// Replaces the contents; returns the path that reads them.
  const std::string& hold(const std::uint8_t* data, std::size_t size) {
    if (::ftruncate(fd_, 0) != 0) std::abort();
    for (std::size_t done = 0; done < size;) {
      const ssize_t n = ::pwrite(fd_, data + done, size - done, off_t(done));
      if (n <= 0) std::abort();
      done += std::size_t(n);
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

/// Limits small enough that a valid but large image or array costs milliseconds, not seconds (the
/// defaults themselves are covered by tests/unit/io/test_limits.cpp).
inline void set_fuzz_limits() {
  static const bool once = [] {
    io::set_max_image_pixels(std::uint64_t(1) << 22);
    io::set_max_array_bytes(std::uint64_t(64) << 20);
    return true;
  }();
  (void)once;
}

/// Runs f(); an i2i::error is a rejection, which is fine.
template <class F>
void expect_only_i2i_errors(F&& f) {
  try {
    f();
  } catch (const i2i::error&) {
  }
}

}  // namespace i2i::fuzz
