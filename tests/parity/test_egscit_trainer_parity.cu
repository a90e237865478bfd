// The EGSC-IT family's trainers on the GPU against the same trainers on the CPU (egscit_trainer_parity.hpp:
// EGSC-IT stage 1, stage 2 and its no_mask / no_adain ablations, UNIT, CycleGAN, MUNIT), each
// trainer<cfg, cuda_backend<float, fp32_strict>, dis> against trainer<cfg, cpu_backend<float>, dis> from
// the same seed and the same host-drawn batches:
//   (a) 3 iterations (each 1 D step + 2 G steps): every loss of every iteration within 1e-3 relative,
//       every weight of every model file within the Adam bound below;
//   (b) a checkpoint written on one backend continues on the other: stage 2 trained 2 iterations on the
//       GPU and resumed for 1 on the CPU, MUNIT the other way, against the uninterrupted 3 iterations.
// Tolerances are test_trainer_parity.cu's (pix2pixHD's trainer, the same lr and precision policy): the
// losses of fp32_strict differ from the CPU's by summation order only, 1e-3 relative after 3 iterations;
// each Adam step moves a weight by about +-lr whatever |g| is, so a gradient whose sign is rounding noise
// moves it in opposite directions on the two backends. Weights must agree within 2 lr per Adam step
// everywhere and within lr/4 except at a small fraction (5%) of elements. Skipped without a device.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "egscit_trainer_parity.hpp"
#include "i2i/backend/cuda/backend.cuh"
#include "parity_device.cuh"

namespace {

using namespace i2i::parity::egscit_parity;
using i2i::parity::all_finite;
using i2i::parity::named_host;
using B = i2i::cuda_backend<float, i2i::cuda::fp32_strict>;
namespace fs = std::filesystem;

struct temp_dir {
  fs::path p;
  explicit temp_dir(const std::string& tag) : p(fs::temp_directory_path() / (tag + "_" + std::to_string(::getpid()))) {
    fs::remove_all(p);
    fs::create_directories(p);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(p, ec);
  }
};

void check_close(const std::string& what, double gpu, double cpu, double tol) {
  BOOST_TEST(std::abs(gpu - cpu) <= tol * std::max(std::abs(cpu), 1e-6), what << ": GPU " << gpu << " vs CPU " << cpu);
}

void check_losses(const std::string& which, const run_result& g, const run_result& c, double tol) {
  BOOST_TEST_REQUIRE(g.losses.size() == c.losses.size());
  for (std::size_t s = 0; s < c.losses.size(); ++s) {
    const auto at = which + " iteration " + std::to_string(s) + " ";
    check_close(at + "D", g.losses[s].d, c.losses[s].d, tol);
    check_close(at + "G", g.losses[s].g, c.losses[s].g, tol);
    check_close(at + "recon", g.losses[s].recon, c.losses[s].recon, tol);
    check_close(at + "cycle", g.losses[s].cycle, c.losses[s].cycle, tol);
    check_close(at + "content", g.losses[s].content, c.losses[s].content, tol);
    check_close(at + "style", g.losses[s].style, c.losses[s].style, tol);
  }
}

/// `adam_steps`: the most Adam steps any weight took (G's: g_updates per iteration).
void check_weights(const std::string& which, const run_result& g, const run_result& c, int adam_steps) {
  BOOST_TEST_REQUIRE(g.weights.size() == c.weights.size());
  BOOST_TEST_REQUIRE(!c.weights.empty());
  std::int64_t total = 0, differ = 0;
  for (std::size_t i = 0; i < c.weights.size(); ++i) {
    BOOST_TEST_REQUIRE(g.weights[i].name == c.weights[i].name);
    BOOST_TEST_REQUIRE(g.weights[i].t.shape() == c.weights[i].t.shape());
    BOOST_TEST_REQUIRE(all_finite(g.weights[i].t), which << " " << g.weights[i].name << " is not finite");
    for (std::int64_t j = 0; j < c.weights[i].t.numel(); ++j) {
      const double d = std::abs(double(g.weights[i].t[j]) - double(c.weights[i].t[j]));
      BOOST_TEST_REQUIRE(d <= 2.0 * lr * adam_steps * 1.01 + 1e-6,
                         which << " " << c.weights[i].name << "[" << j << "] differs by " << d);
      if (d > 0.25 * lr) ++differ;
      ++total;
    }
  }
  const double fraction = double(differ) / double(std::max<std::int64_t>(total, 1));
  BOOST_TEST(fraction <= 0.05, which << ": " << differ << " of " << total << " weights differ by > lr/4");
}

/// A CPU stage-1 run whose F_A / F_B stage 2 loads on both backends.
const fs::path& stage1_masks() {
  static temp_dir dir("i2i_egscit_parity_stage1");
  static const bool made = (cpu_run(trainer_kind::stage1, dir.p, 1), true);
  (void)made;
  return dir.p;
}

void three_iterations_match(trainer_kind k) {
  const std::string tag = name_of(k);
  temp_dir tc("i2i_egscit_parity_cpu"), tg("i2i_egscit_parity_gpu");
  const auto s1 = k == trainer_kind::stage2 || k == trainer_kind::stage2_no_mask || k == trainer_kind::stage2_no_adain
                      ? stage1_masks()
                      : fs::path{};
  const int iterations = 3;
  const run_result c = cpu_run(k, tc.p, iterations, s1);
  const run_result g = run<B>(k, tg.p, iterations, s1);
  check_losses(tag, g, c, 1e-3);
  check_weights(tag, g, c, iterations * g_updates);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(egscit_trainer_parity, *boost::unit_test::precondition(i2i::test::cuda_device_present()))

BOOST_AUTO_TEST_CASE(stage1_three_iterations_match_the_cpu) { three_iterations_match(trainer_kind::stage1); }
BOOST_AUTO_TEST_CASE(stage2_three_iterations_match_the_cpu) { three_iterations_match(trainer_kind::stage2); }
BOOST_AUTO_TEST_CASE(stage2_no_mask_three_iterations_match_the_cpu) {
  three_iterations_match(trainer_kind::stage2_no_mask);
}
BOOST_AUTO_TEST_CASE(stage2_no_adain_three_iterations_match_the_cpu) {
  three_iterations_match(trainer_kind::stage2_no_adain);
}
BOOST_AUTO_TEST_CASE(unit_three_iterations_match_the_cpu) { three_iterations_match(trainer_kind::unit); }
BOOST_AUTO_TEST_CASE(cyclegan_three_iterations_match_the_cpu) { three_iterations_match(trainer_kind::cyclegan); }
BOOST_AUTO_TEST_CASE(munit_three_iterations_match_the_cpu) { three_iterations_match(trainer_kind::munit); }

BOOST_AUTO_TEST_CASE(checkpoints_continue_on_the_other_backend) {
  for (const bool gpu_first : {true, false}) {
    const trainer_kind k = gpu_first ? trainer_kind::stage2 : trainer_kind::munit;
    const std::string tag = std::string(name_of(k)) + (gpu_first ? " (GPU, then CPU)" : " (CPU, then GPU)");
    const auto s1 = k == trainer_kind::stage2 ? stage1_masks() : fs::path{};
    temp_dir whole("i2i_egscit_parity_whole"), first("i2i_egscit_parity_first"), rest("i2i_egscit_parity_rest");
    const run_result reference = cpu_run(k, whole.p, 3, s1);
    if (gpu_first) run<B>(k, first.p, 2, s1);
    else cpu_run(k, first.p, 2, s1);
    const run_result resumed = gpu_first ? cpu_run(k, rest.p, 1, s1, first.p) : run<B>(k, rest.p, 1, s1, first.p);
    run_result tail = reference;
    tail.losses = {reference.losses.back()};
    check_losses(tag, resumed, tail, 1e-3);
    check_weights(tag, resumed, reference, 3 * g_updates);
  }
}

BOOST_AUTO_TEST_SUITE_END()
