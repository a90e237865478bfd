// Fault tests of the training programs (issue 18 item 6), on the CPU with tiny data written here:
//   - pix2pixhd_train --save_latest_freq 1 and egscit_train --model unit --save-every 1 are killed with
//     SIGKILL at random moments (20 times each) and resumed (--continue_train / --resume): after every
//     kill the checkpoint at the path is one complete set (the previous or the new one; a mixed set is
//     restored from the kept one), the resume accepts it and no temporary file is left;
//   - the run that was killed 20 times ends with exactly the checkpoint of an uninterrupted run (every
//     file's size and CRC-32 equal: weights, both Adam states, the pool), so its losses are the
//     uninterrupted run's bit for bit;
//   - a NaN in the weights stops pix2pixhd_train with the iteration and the loss term named, and the last
//     checkpoint is intact.
// The programs' paths come from CMake (P2PHD_TRAIN, EGSCIT_TRAIN).
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "i2i/io/checkpoint.hpp"
#include "i2i/io/checkpoint_set.hpp"
#include "i2i/io/png.hpp"

using namespace i2i;
namespace fs = std::filesystem;

namespace {

struct temp_dir {
  fs::path path;
  explicit temp_dir(const std::string& tag) {
    path = fs::temp_directory_path() / ("i2i_fault_" + tag + "_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

struct outcome {
  bool killed = false;
  int exit_code = -1;
  double seconds = 0;
};

/// Runs argv with stdout and stderr appended to `log`; kills it with SIGKILL after `kill_after` seconds
/// (never when negative).
outcome run(const std::vector<std::string>& argv, const fs::path& log, double kill_after = -1) {
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::setenv("I2I_NUM_THREADS", "1", 1);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    ::execv(a[0], a.data());
    ::_exit(127);
  }
  outcome o;
  int st = 0;
  if (kill_after >= 0) {
    const auto deadline = t0 + std::chrono::duration<double>(kill_after);
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid, &st, WNOHANG) == pid) {
        o.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return o;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ::kill(pid, SIGKILL);
  }
  ::waitpid(pid, &st, 0);
  o.killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
  o.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return o;
}

std::string text_of(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

int temporaries(const fs::path& dir) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) ++n;
  return n;
}

/// The files of a complete set as "name size crc" lines: equal lines, equal bytes (up to CRC-32).
std::string fingerprint(const io::checkpoint_manifest& m) {
  std::string s;
  for (const auto& f : m.files) s += f.name + " " + std::to_string(f.size) + " " + std::to_string(f.crc32) + "\n";
  return s;
}

/// 8 label maps (classes 0..11) and images of 32 x 32, pix2pixHD's folder layout without instance maps;
/// and the same images as EGSC-IT's two domains.
void write_tiny_data(const fs::path& root) {
  for (const char* d : {"train_label", "train_img", "trainA", "trainB"}) fs::create_directories(root / d);
  std::mt19937 r(18);
  for (int i = 0; i < 8; ++i) {
    io::image label(32, 32, 1), img(32, 32, 3);
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) {
        const int c = ((x / 8) + (y / 8) * 4 + i) % 12;
        label.at(y, x) = std::uint8_t(c);
        for (int ch = 0; ch < 3; ++ch) img.at(y, x, ch) = std::uint8_t((c * 20 + ch * 70 + int(r() % 16)) & 255);
      }
    const std::string stem = std::string("s") + std::to_string(100 + i) + ".png";
    io::write_png((root / "train_label" / stem).string(), label);
    io::write_png((root / "train_img" / stem).string(), img);
    io::write_png((root / (i % 2 ? "trainB" : "trainA") / stem).string(), img);
  }
}

/// One program under test: how to start it fresh and resumed, where its set is.
struct program {
  std::vector<std::string> fresh, resumed;
  fs::path dir;  ///< the set's folder
  std::string set;
  std::string iteration_key;
};

/// Kills `p` at random moments until 20 kills happened, resuming each time, and checks the set after each
/// kill. A series that finishes before (the machine was faster than measured) must end with `reference`'s
/// files, and the next series starts afresh; the last one is resumed to its end and compared too.
void kill_and_resume_20_times(const program& p, const std::string& reference, const fs::path& log, double startup,
                              double per_iteration) {
  std::mt19937_64 rng(1818);
  int kills = 0, restored = 0, complete = 0, before_first = 0, stale = 0, series = 1;
  bool started = false;
  const auto finished = [&] {
    const auto s = io::verify_checkpoint_set(p.dir, p.set);
    BOOST_REQUIRE(int(s.state) == int(io::checkpoint_set_state::complete));
    BOOST_TEST(temporaries(p.dir) == 0);
    BOOST_TEST(fingerprint(*s.manifest) == reference);
  };
  while (kills < 20) {
    // In the start-up (loading the set) or in the next iterations (each saves a set).
    const double wait = std::uniform_real_distribution<double>(0.5, 1)(rng) * startup +
                        std::uniform_real_distribution<double>(0, 1.5 * per_iteration)(rng);
    const auto o = run(started ? p.resumed : p.fresh, log, wait);
    BOOST_REQUIRE_MESSAGE(o.killed || o.exit_code == 0, "the program failed; see " << log.string() << ":\n"
                                                                                     << text_of(log));
    if (!o.killed) {  // this series is done: it must have the uninterrupted result; start another
      finished();
      fs::remove_all(p.dir);
      started = false;
      ++series;
      continue;
    }
    ++kills;
    stale += temporaries(p.dir);
    if (!fs::exists(io::checkpoint_manifest_path(p.dir, p.set))) {  // killed before the first save
      ++before_first;
      continue;
    }
    started = true;
    const auto s = io::recover_checkpoint_set(p.dir, p.set, [](const std::string&) {});
    (s.state == io::checkpoint_set_state::restored ? restored : complete) += 1;
    BOOST_REQUIRE(s.manifest.has_value());
    // Every file of the set was written at the manifest's iteration (the check a torn set fails).
    for (const auto& f : s.manifest->files) {
      const auto path = (p.dir / f.name).string();
      const auto meta = io::read_checkpoint_metadata(path);
      if (meta.count(p.iteration_key)) BOOST_TEST(meta.at(p.iteration_key) == s.manifest->info.at(p.iteration_key));
    }
    BOOST_TEST(temporaries(p.dir) == 0);
  }
  // The last kill may have come before its series' first save (no set yet): that series starts afresh.
  const auto o = run(started ? p.resumed : p.fresh, log);
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, text_of(log));
  finished();
  BOOST_TEST_MESSAGE(p.set << ": 20 kills in " << series << " series: " << before_first << " before the first save, "
                           << restored << " left a mixed set (the kept one was restored), " << complete
                           << " a complete set; 0 torn sets accepted; " << stale
                           << " temporary files of killed writers, all removed on resume");
}

/// Seconds for a program to start (`zero`: no iteration) and per iteration with a save after each
/// (`three`: three of them), measured here so that the kills land inside the work on any machine.
std::pair<double, double> timing(const std::vector<std::string>& zero, const std::vector<std::string>& three,
                                 const fs::path& log) {
  const double startup = run(zero, log).seconds;
  const double total = run(three, log).seconds;
  return {startup, std::max(0.01, (total - startup) / 3)};
}

/// The program killed 20 times ends with the set of the uninterrupted run in `reference` (same files, sizes
/// and CRC-32s): its weights, Adam states and pool, hence its losses, are the uninterrupted run's bit for bit.
void kills_reproduce_the_reference(const program& p, const fs::path& reference, const fs::path& log, double startup,
                                   double per_iteration) {
  const auto ref = io::verify_checkpoint_set(reference, p.set);
  BOOST_REQUIRE(int(ref.state) == int(io::checkpoint_set_state::complete));
  kill_and_resume_20_times(p, fingerprint(*ref.manifest), log, startup, per_iteration);
}

/// Puts a NaN into the last tensor of `file` in the complete set `set` (committed as a set again, so
/// that only the NaN is wrong), runs `resume` and expects it to fail with every text of `expected` in its
/// output and the set on disk unchanged.
void nan_stops_training(const std::vector<std::string>& resume, const fs::path& dir, const std::string& set,
                        const std::string& file, const fs::path& log, const std::vector<std::string>& expected) {
  {
    const auto before = io::verify_checkpoint_set(dir, set);
    BOOST_REQUIRE(int(before.state) == int(io::checkpoint_set_state::complete));
    const auto path = (dir / file).string();
    auto sd = io::read_state_dict<float>(path);
    sd.back().value[0] = std::numeric_limits<float>::quiet_NaN();
    const auto meta = io::read_checkpoint_metadata(path);
    io::checkpoint_set_writer w(dir, set);
    io::save_state_dict(sd, path, meta);
    w.commit(before.manifest->info);
  }
  const auto before = io::verify_checkpoint_set(dir, set);
  BOOST_REQUIRE(int(before.state) == int(io::checkpoint_set_state::complete));
  fs::remove(log);
  const auto o = run(resume, log);
  const std::string out = text_of(log);
  BOOST_TEST_MESSAGE(out);
  BOOST_TEST(o.exit_code != 0);
  for (const auto& e : expected) BOOST_TEST(out.find(e) != std::string::npos, "'" << e << "' in the output");
  const auto after = io::verify_checkpoint_set(dir, set);
  BOOST_REQUIRE(int(after.state) == int(io::checkpoint_set_state::complete));
  BOOST_TEST(after.manifest->text() == before.manifest->text());
}

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fault_trainers)

BOOST_AUTO_TEST_CASE(pix2pixhd_train_killed_20_times_resumes_to_the_uninterrupted_result) {
  temp_dir tmp("p2phd");
  write_tiny_data(tmp.path / "data");
  const int iterations = 16;  // 2 epochs of 8
  const std::vector<std::string> base{P2PHD_TRAIN, "--dataroot", (tmp.path / "data").string(), "--checkpoints_dir",
                                      (tmp.path / "ck").string(), "--preset", "cpu", "--label_nc", "12",
                                      "--no_instance", "--resize_or_crop", "none", "--loadSize", "32", "--fineSize",
                                      "32", "--no_vgg_loss", "--niter", "1", "--niter_decay", "1", "--pool_size", "2",
                                      "--print_freq", "1"};
  const auto log = tmp.path / "log.txt";
  const auto [startup, per_iteration] =
      timing(base + std::vector<std::string>{"--name", "zero", "--max_iterations", "0"},
             base + std::vector<std::string>{"--name", "three", "--max_iterations", "3", "--save_latest_freq", "1"}, log);
  // The uninterrupted run saves only at the epoch ends and at the end.
  BOOST_REQUIRE(run(base + std::vector<std::string>{"--name", "reference", "--save_latest_freq", "1000"}, log).exit_code == 0);
  const auto fresh = base + std::vector<std::string>{"--name", "killed", "--save_latest_freq", "1"};
  const program p{fresh, fresh + std::vector<std::string>{"--continue_train"}, tmp.path / "ck" / "killed", "latest",
                  "total_iterations"};
  kills_reproduce_the_reference(p, tmp.path / "ck" / "reference", log, startup, per_iteration);
  BOOST_TEST(io::verify_checkpoint_set(p.dir, p.set).manifest->info.at("total_iterations") == std::to_string(iterations));
}

BOOST_AUTO_TEST_CASE(egscit_train_killed_20_times_resumes_to_the_uninterrupted_result) {
  temp_dir tmp("egscit");
  write_tiny_data(tmp.path / "data");
  const int iterations = 40;
  const std::vector<std::string> base{EGSCIT_TRAIN, "--model", "unit", "--data", (tmp.path / "data").string(),
                                      "--config", "small", "--iterations", std::to_string(iterations), "--batch", "2",
                                      "--log-every", "1"};
  const auto log = tmp.path / "log.txt";
  const auto [startup, per_iteration] =
      timing(base + std::vector<std::string>{"--out", (tmp.path / "zero").string(), "--run", "0"},
             base + std::vector<std::string>{"--out", (tmp.path / "three").string(), "--run", "3", "--save-every", "1"}, log);
  BOOST_REQUIRE(run(base + std::vector<std::string>{"--out", (tmp.path / "reference").string(), "--save-every", "1000"}, log)
                    .exit_code == 0);
  const auto fresh = base + std::vector<std::string>{"--out", (tmp.path / "killed").string(), "--save-every", "1"};
  const program p{fresh, fresh + std::vector<std::string>{"--resume"}, tmp.path / "killed", "stage2", "iteration"};
  kills_reproduce_the_reference(p, tmp.path / "reference", log, startup, per_iteration);
  BOOST_TEST(io::verify_checkpoint_set(p.dir, p.set).manifest->info.at("iteration") == std::to_string(iterations));
}

BOOST_AUTO_TEST_CASE(a_nan_stops_pix2pixhd_train_naming_the_iteration_and_term_and_keeps_the_checkpoint) {
  temp_dir tmp("p2phd_nan");
  write_tiny_data(tmp.path / "data");
  const std::vector<std::string> base{P2PHD_TRAIN, "--dataroot", (tmp.path / "data").string(), "--checkpoints_dir",
                                      (tmp.path / "ck").string(), "--name", "nan", "--preset", "cpu", "--label_nc",
                                      "12", "--no_instance", "--resize_or_crop", "none", "--loadSize", "32",
                                      "--fineSize", "32", "--no_vgg_loss", "--niter", "1", "--niter_decay", "0",
                                      "--save_latest_freq", "1", "--print_freq", "1"};
  const auto log = tmp.path / "log.txt";
  BOOST_REQUIRE(run(base + std::vector<std::string>{"--max_iterations", "2"}, log).exit_code == 0);
  // A NaN in D's last layer: every D output, so the first loss computed (D_fake) is NaN.
  nan_stops_training(base + std::vector<std::string>{"--continue_train"}, tmp.path / "ck" / "nan", "latest",
                     "latest_net_D.safetensors", log, {"training stopped at iteration 3", "the loss term D_fake", "nan"});
}

BOOST_AUTO_TEST_CASE(a_nan_stops_egscit_train_naming_the_iteration_and_term_and_keeps_the_checkpoint) {
  temp_dir tmp("egscit_nan");
  write_tiny_data(tmp.path / "data");
  const std::vector<std::string> base{EGSCIT_TRAIN, "--model", "unit", "--data", (tmp.path / "data").string(),
                                      "--config", "small", "--iterations", "10", "--batch", "2",
                                      "--out", (tmp.path / "out").string(), "--save-every", "1"};
  const auto log = tmp.path / "log.txt";
  BOOST_REQUIRE(run(base + std::vector<std::string>{"--run", "2"}, log).exit_code == 0);
  nan_stops_training(base + std::vector<std::string>{"--resume"}, tmp.path / "out", "stage2", "D_A.safetensors", log,
                     {"egscit stage 2: training stopped at iteration 3", "the loss term D", "nan"});
}

BOOST_AUTO_TEST_SUITE_END()
