// io/checkpoint_set.hpp: a checkpoint is one consistent set. Complete sets verify; a set whose save was
// interrupted is named file by file and replaced by the kept one on resume; old folders without a
// manifest still load; dead writers' temporary files go; and the fault tests of issue 18: kill -9 of a
// process writing a large set at random moments (20 times), and a full disk (RLIMIT_FSIZE) during a save.
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "helpers.hpp"
#include "i2i/io/checkpoint.hpp"
#include "i2i/io/checkpoint_set.hpp"

using namespace i2i;
namespace fs = std::filesystem;

namespace {

/// Writes set number `k` into dir: `files` files of `floats` values each, every value k, metadata iteration k.
void write_set(const fs::path& dir, int k, int files = 3, std::int64_t floats = 16) {
  io::checkpoint_set_writer set(dir, "latest");
  for (int f = 0; f < files; ++f) {
    auto t = tensor<float>::empty({floats});
    for (std::int64_t i = 0; i < floats; ++i) t[i] = float(k);
    state_dict<float> sd{{"w", t}};
    io::save_state_dict(sd, (dir / ("latest_part" + std::to_string(f) + ".safetensors")).string(),
                        {{"iteration", std::to_string(k)}});
  }
  set.commit({{"iteration", std::to_string(k)}});
}

/// The iteration every file of the set in place holds; -1 when they disagree (a torn set).
int iteration_in_place(const fs::path& dir, int files = 3) {
  int k = -2;
  for (int f = 0; f < files; ++f) {
    const auto p = (dir / ("latest_part" + std::to_string(f) + ".safetensors")).string();
    const auto sd = io::read_state_dict<float>(p);
    const tensor<float>& w = sd.at(0).value;
    const int here = int(w[0]);
    if (w[w.numel() - 1] != w[0] || io::metadata_number<int>(io::read_checkpoint_metadata(p), "iteration", p) != here)
      return -1;
    if (k != -2 && k != here) return -1;
    k = here;
  }
  return k;
}

int temporaries(const fs::path& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) ++n;
  return n;
}

/// A pid that is certainly dead: a child that has exited and been reaped.
pid_t dead_pid() {
  const pid_t p = ::fork();
  if (p == 0) ::_exit(0);
  int st = 0;
  ::waitpid(p, &st, 0);
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(checkpoint_set)

BOOST_AUTO_TEST_CASE(a_committed_set_verifies_and_its_manifest_names_each_file) {
  test::scratch_dir tmp;
  write_set(tmp.dir, 1);
  write_set(tmp.dir, 2);
  const auto s = io::verify_checkpoint_set(tmp.dir, "latest");
  BOOST_TEST(int(s.state) == int(io::checkpoint_set_state::complete));
  BOOST_REQUIRE(s.manifest.has_value());
  BOOST_TEST(s.manifest->sequence == 2u);
  BOOST_TEST(s.manifest->info.at("iteration") == "2");
  BOOST_REQUIRE(s.manifest->files.size() == 3u);
  BOOST_TEST(s.manifest->files[0].name == "latest_part0.safetensors");
  BOOST_TEST(s.manifest->files[0].size == fs::file_size(tmp.dir / "latest_part0.safetensors"));
  // The kept set mirrors the one in place (hard links: no extra storage) and has no *.safetensors name.
  BOOST_TEST(fs::exists(tmp.dir / "latest.kept" / "latest_part0.safetensors.kept"));
  BOOST_TEST(fs::hard_link_count(tmp.dir / "latest_part0.safetensors") == 2u);
  BOOST_TEST(temporaries(tmp.dir) == 0);
  // The text round-trips.
  const auto again = io::checkpoint_manifest::parse(s.manifest->text(), "m");
  BOOST_TEST(again.text() == s.manifest->text());
}

BOOST_AUTO_TEST_CASE(an_interrupted_save_is_named_and_the_kept_set_restored_on_resume) {
  test::scratch_dir tmp;
  write_set(tmp.dir, 1);
  {  // set 2 dies after its first file: no commit
    io::checkpoint_set_writer set(tmp.dir, "latest");
    auto t = tensor<float>::empty({16});
    for (std::int64_t i = 0; i < 16; ++i) t[i] = 2.f;
    io::save_state_dict(state_dict<float>{{"w", t}}, (tmp.dir / "latest_part0.safetensors").string(),
                        {{"iteration", "2"}});
  }
  BOOST_TEST(iteration_in_place(tmp.dir) == -1);  // torn, as before sets existed
  const auto s = io::verify_checkpoint_set(tmp.dir, "latest");
  BOOST_TEST(int(s.state) == int(io::checkpoint_set_state::mixed));
  BOOST_TEST_MESSAGE(s.message);
  BOOST_TEST(s.message.find("'latest_part0.safetensors' differs") != std::string::npos);
  BOOST_TEST(s.message.find("its iteration is 2") != std::string::npos);
  BOOST_TEST(s.message.find("latest_part1") == std::string::npos);

  std::vector<std::string> log;
  const auto r = io::recover_checkpoint_set(tmp.dir, "latest", [&](const std::string& m) { log.push_back(m); });
  BOOST_TEST(int(r.state) == int(io::checkpoint_set_state::restored));
  BOOST_REQUIRE(log.size() == 1u);
  BOOST_TEST(log[0].find("restored the last complete set (iteration 1") != std::string::npos);
  BOOST_TEST(iteration_in_place(tmp.dir) == 1);
  BOOST_TEST(int(io::verify_checkpoint_set(tmp.dir, "latest").state) == int(io::checkpoint_set_state::complete));
  BOOST_TEST(temporaries(tmp.dir) == 0);
  // And the next save goes on from there.
  write_set(tmp.dir, 3);
  BOOST_TEST(iteration_in_place(tmp.dir) == 3);
}

BOOST_AUTO_TEST_CASE(a_mixed_set_without_a_complete_kept_one_is_refused_naming_what_differs) {
  test::scratch_dir tmp;
  write_set(tmp.dir, 1);
  fs::remove_all(tmp.dir / "latest.kept");
  fs::remove(tmp.dir / "latest_part2.safetensors");
  try {
    io::recover_checkpoint_set(tmp.dir, "latest", [](const std::string&) {});
    BOOST_FAIL("a set with a missing file was accepted");
  } catch (const io_error& e) {
    const std::string m = e.what();
    BOOST_TEST_MESSAGE(m);
    BOOST_TEST(m.find("'latest_part2.safetensors' is missing") != std::string::npos);
    BOOST_TEST(m.find("no complete earlier set is kept") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_folder_without_a_manifest_loads_as_before_and_says_so_once) {
  test::scratch_dir tmp;
  io::save_state_dict(state_dict<float>{{"w", tensor<float>::empty({4})}}, (tmp.dir / "latest_net_G.safetensors").string());
  std::vector<std::string> log;
  const auto r = io::recover_checkpoint_set(tmp.dir, "latest", [&](const std::string& m) { log.push_back(m); });
  BOOST_TEST(int(r.state) == int(io::checkpoint_set_state::legacy));
  BOOST_REQUIRE(log.size() == 1u);
  BOOST_TEST(log[0].find("written before checkpoint sets") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(only_dead_writers_temporaries_are_removed) {
  test::scratch_dir tmp;
  const pid_t dead = dead_pid();
  const std::string stale = "latest_net_G.safetensors.tmp." + std::to_string(dead) + ".0";
  const std::string stale_dir = "latest.kept.tmp." + std::to_string(dead) + ".3";
  const std::string live = "latest_net_D.safetensors.tmp." + std::to_string(::getppid()) + ".1";
  const std::string mine = "latest_pool.safetensors.tmp." + std::to_string(::getpid()) + ".7";
  for (const auto& n : {stale, live, mine}) test::write_bytes(tmp / n, {1, 2, 3});
  fs::create_directory(tmp.dir / stale_dir);
  test::write_bytes((tmp.dir / stale_dir / "x.kept").string(), {1});
  test::write_bytes(tmp / "notes.tmp.txt", {1});
  BOOST_TEST(io::remove_stale_temporaries(tmp.dir) == 2);
  BOOST_TEST(!fs::exists(tmp / stale));
  BOOST_TEST(!fs::exists(tmp.dir / stale_dir));
  BOOST_TEST(fs::exists(tmp / live));
  BOOST_TEST(fs::exists(tmp / mine));
  BOOST_TEST(fs::exists(tmp / "notes.tmp.txt"));
}

// Fault test: a child writes sets of 4 x 8 MiB in a loop and is killed with SIGKILL at a random moment,
// 20 times. After each kill the set at the path is the previous complete set or the new complete one
// (after recovery, which a resume runs), never torn, and no temporary file is left.
BOOST_AUTO_TEST_CASE(kill_9_at_random_moments_leaves_the_previous_or_the_new_complete_set) {
  test::scratch_dir tmp;
  constexpr int files = 4;
  constexpr std::int64_t floats = std::int64_t(2) << 20;  // 8 MiB per file
  const auto t0 = std::chrono::steady_clock::now();
  write_set(tmp.dir, 1, files, floats);
  const double one_set = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::mt19937_64 rng(18);
  int k = 1, restored = 0, complete = 0, stale_seen = 0;
  for (int round = 0; round < 20; ++round) {
    const pid_t child = ::fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
      for (int next = k + 1;; ++next) write_set(tmp.dir, next, files, floats);
    }
    // Anywhere in the first three sets the child writes.
    const double wait = std::uniform_real_distribution<double>(0, 3 * one_set)(rng);
    std::this_thread::sleep_for(std::chrono::duration<double>(wait));
    ::kill(child, SIGKILL);
    int st = 0;
    ::waitpid(child, &st, 0);
    BOOST_REQUIRE(WIFSIGNALED(st));
    stale_seen += temporaries(tmp.dir);
    const auto r = io::recover_checkpoint_set(tmp.dir, "latest", [](const std::string&) {});
    (r.state == io::checkpoint_set_state::restored ? restored : complete) += 1;
    const int now = iteration_in_place(tmp.dir, files);
    BOOST_TEST_INFO("round " << round << ", after " << wait << " s");
    BOOST_TEST(now >= k);  // the previous complete set or a newer complete one
    BOOST_TEST(std::to_string(now) == r.manifest->info.at("iteration"));
    BOOST_TEST(temporaries(tmp.dir) == 0);
    k = now;
  }
  BOOST_TEST_MESSAGE("20 kills during sets of 4 x 8 MiB (one set " << one_set << " s): " << restored
                                                                   << " left a mixed set (kept set restored), " << complete
                                                                   << " a complete one; " << stale_seen
                                                                   << " temporary files removed; last set " << k);
}

// Fault test: the disk fills up (RLIMIT_FSIZE in a child, SIGXFSZ ignored: writes fail with EFBIG)
// during a save. The save throws an io_error that says what failed, and the previous set survives: at
// once when the first file fails, through the kept set when a later one does.
BOOST_AUTO_TEST_CASE(a_full_disk_during_a_save_is_a_clear_error_and_keeps_the_previous_set) {
  for (const std::int64_t first_file_floats : {std::int64_t(1) << 18, std::int64_t(16)}) {
    test::scratch_dir tmp;
    write_set(tmp.dir, 1, 3, 16);
    const auto before = test::read_bytes(tmp / "latest_part1.safetensors");
    int fds[2];
    BOOST_REQUIRE(::pipe(fds) == 0);
    const pid_t child = ::fork();
    if (child == 0) {
      ::close(fds[0]);
      ::signal(SIGXFSZ, SIG_IGN);
      const rlimit lim{64 * 1024, 64 * 1024};  // files may not grow beyond 64 KiB
      ::setrlimit(RLIMIT_FSIZE, &lim);
      std::string msg = "saved";
      try {
        io::checkpoint_set_writer set(tmp.dir, "latest");
        const std::int64_t sizes[] = {first_file_floats, std::int64_t(1) << 18, 16};  // 1 MiB: too large
        for (int f = 0; f < 3; ++f) {
          auto t = tensor<float>::empty({sizes[f]});
          for (std::int64_t i = 0; i < sizes[f]; ++i) t[i] = 2.f;
          io::save_state_dict(state_dict<float>{{"w", t}}, (tmp.dir / ("latest_part" + std::to_string(f) + ".safetensors")).string(),
                              {{"iteration", "2"}});
        }
        set.commit({{"iteration", "2"}});
      } catch (const io_error& e) {
        msg = e.what();
      }
      (void)!::write(fds[1], msg.data(), msg.size());
      ::_exit(0);
    }
    ::close(fds[1]);
    std::string msg;
    char buf[512];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) msg.append(buf, std::size_t(n));
    ::close(fds[0]);
    int st = 0;
    ::waitpid(child, &st, 0);
    BOOST_TEST_MESSAGE(msg);
    BOOST_TEST(msg.find("File too large") != std::string::npos);
    BOOST_TEST(msg.find("is unchanged") != std::string::npos);
    BOOST_TEST(temporaries(tmp.dir) == 0);
    BOOST_TEST(test::read_bytes(tmp / "latest_part1.safetensors") == before);
    io::recover_checkpoint_set(tmp.dir, "latest", [](const std::string&) {});
    BOOST_TEST(iteration_in_place(tmp.dir) == 1);
  }
}

BOOST_AUTO_TEST_SUITE_END()
