#pragma once
// A progress bar with ETA for a terminal, or one plain line per item when the stream is not a terminal
// (logs, pipes, CI), so that redirected output stays readable.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace i2i_cli {

class progress {
 public:
  progress(std::size_t total, std::FILE* out = stderr)
      : total_(total), out_(out), tty_(isatty(fileno(out)) != 0), start_(clock::now()) {}

  /// Item `done` (1-based) finished; `what` names it (plain mode prints it).
  void step(std::size_t done, const std::string& what) {
    const double elapsed = std::chrono::duration<double>(clock::now() - start_).count();
    const double per_item = elapsed / double(done);
    const double eta = per_item * double(total_ - done);
    if (!tty_) {
      std::fprintf(out_, "[%zu/%zu] %s (%.2f s/image, ETA %s)\n", done, total_, what.c_str(), per_item,
                   clock_text(eta).c_str());
      std::fflush(out_);
      return;
    }
    constexpr int width = 30;
    const int filled = int(double(width) * double(done) / double(total_));
    std::string bar(std::size_t(filled), '=');
    if (filled < width) bar += '>' + std::string(std::size_t(width - filled - 1), ' ');
    std::fprintf(out_, "\r[%s] %zu/%zu  %.2f s/image  ETA %s   ", bar.c_str(), done, total_, per_item,
                 clock_text(eta).c_str());
    if (done == total_) std::fprintf(out_, "\n");
    std::fflush(out_);
  }

 private:
  using clock = std::chrono::steady_clock;
  static std::string clock_text(double seconds) {
    const long s = long(seconds + 0.5);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    return buf;
  }
  std::size_t total_;
  std::FILE* out_;
  bool tty_;
  clock::time_point start_;
};

}  // namespace i2i_cli
