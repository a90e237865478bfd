// pix2pixhd::trainer and pix2pix on the GPU (cuda_backend) against the same code on the CPU:
//   (a) the device losses of cuda_backend (B::lsgan_loss, B::bce_with_logits_loss, B::l1_loss) against
//       the host losses, value and gradient, relative 1e-5;
//   (b) 3 iterations of trainer<Cfg, cuda_backend<float, fp32_strict>> vs trainer<Cfg, cpu_backend<float>>
//       from the same seed and batches (trainer_parity.hpp: tiny preset, 32 x 64, --instance_feat,
//       --pool_size 2): every loss of every step within 1e-3 relative; weights within the Adam bound;
//       the same with the VGG term on (random VGG19 weights from a temporary safetensors file): G_VGG
//       and every other loss within 1e-3, weights within the Adam bound;
//   (c) save on the GPU after 2 steps, resume in a fresh GPU trainer, one more step == the uninterrupted
//       third step; and the GPU checkpoint resumes on the CPU (same files, same format);
//   (d) 3 iterations of pix2pix (pix2pix::make_step: train::gan_step, vanilla GAN + L1) on both backends:
//       losses within 1e-3 relative, G's and D's weights within the Adam bound.
// Why weights are compared as they are: each Adam step moves a weight by about +-lr whatever |g| is, so a
// gradient whose sign is rounding noise (conv biases before instance norm) moves it in opposite directions
// on the two backends (test_step_parity.cu). Weights must agree within 2 lr per step everywhere and
// within lr/4 except at a small fraction of elements. Skipped without a device.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "i2i/backend/cuda/backend.cuh"
#include "i2i/backend/cuda/kernels/segment_mean.cuh"  // B::segment_mean for --instance_feat (see backend.cuh)
#include "i2i/recipes/pix2pixhd/trainer.hpp"
#include "parity_device.cuh"
#include "trainer_parity.hpp"

namespace {

using namespace i2i::parity;
using i2i::tensor;
using B = i2i::cuda_backend<float, i2i::cuda::fp32_strict>;

struct temp_dir {
  std::filesystem::path p;
  explicit temp_dir(const std::string& tag)
      : p(std::filesystem::temp_directory_path() / (tag + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(p);
    std::filesystem::create_directories(p);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(p, ec);
  }
  std::string str() const { return p.string(); }
};

void check_losses(const trainer_run& g, const trainer_run& c, double tol) {
  BOOST_TEST_REQUIRE(g.losses.size() == c.losses.size());
  for (std::size_t s = 0; s < c.losses.size(); ++s) {
    BOOST_TEST_REQUIRE(g.losses[s].size() == c.losses[s].size());
    for (std::size_t k = 0; k < c.losses[s].size(); ++k) {
      const auto& [name, cv] = c.losses[s][k];
      const double gv = g.losses[s][k].second;
      BOOST_TEST(g.losses[s][k].first == name);
      BOOST_TEST(std::abs(gv - cv) <= tol * std::max(std::abs(cv), 1e-6),
                 "step " << s << " " << name << ": GPU " << gv << " vs CPU " << cv);
    }
  }
}

void check_weights(const char* which, const std::vector<named_host>& g, const std::vector<named_host>& c, int steps,
                   double max_fraction) {
  BOOST_TEST_REQUIRE(g.size() == c.size());
  std::int64_t total = 0, differ = 0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    BOOST_TEST_REQUIRE(g[i].name == c[i].name);
    BOOST_TEST_REQUIRE(all_finite(g[i].t), which << " weight " << g[i].name << " is not finite");
    for (std::int64_t j = 0; j < c[i].t.numel(); ++j) {
      const double d = std::abs(double(g[i].t[j]) - double(c[i].t[j]));
      BOOST_TEST_REQUIRE(d <= 2.0 * trainer_lr * steps * 1.01 + 1e-6,
                         which << " weight " << c[i].name << "[" << j << "] differs by " << d);
      if (d > 0.25 * trainer_lr) ++differ;
      ++total;
    }
  }
  const double fraction = double(differ) / double(std::max<std::int64_t>(total, 1));
  BOOST_TEST(fraction <= max_fraction, which << ": " << differ << " of " << total << " weights differ by > lr/4");
}

/// A GPU run against the CPU run of the same steps: losses, the last fake, and G's, D's and E's weights
/// (E's lists are empty for pix2pix).
void check_runs_match(const std::string& tag, const trainer_run& g, const trainer_run& c, int steps) {
  check_losses(g, c, 1e-3);
  I2I_PARITY_CHECK("last fake" + tag, g.last_fake, c.last_fake, 1e-2);
  check_weights(("G" + tag).c_str(), g.g, c.g, steps, 0.05);
  check_weights(("D" + tag).c_str(), g.d, c.d, steps, 0.05);
  check_weights(("E" + tag).c_str(), g.e, c.e, steps, 0.05);
}

template <class F, class H>
void check_loss_op(const char* what, F device_op, H host_op, const tensor<float>& a) {
  const auto dv = device_op(dev(a));
  const auto hv = host_op(a);
  BOOST_TEST(std::abs(dv.value - hv.value) <= 1e-5 * std::abs(hv.value), what << ": " << dv.value << " vs " << hv.value);
  I2I_PARITY_CHECK(what, host(dv.grad), hv.grad, 1e-5);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(trainer_parity, *boost::unit_test::precondition(i2i::test::cuda_device_present()))

BOOST_AUTO_TEST_CASE(device_losses_match_the_host_losses) {
  const auto pred = random_host(i2i::shape::nchw(2, 1, 9, 17), 3, -3.0f, 3.0f);
  auto target = random_host(pred.shape(), 4);
  // Exact zeros of pred - target: L1's subgradient there is 0 on both.
  for (std::int64_t i = 0; i < pred.numel(); i += 7) target[i] = pred[i];
  for (bool real : {true, false}) {
    const auto t = real ? i2i::loss::gan_target::real : i2i::loss::gan_target::fake;
    check_loss_op(real ? "lsgan real" : "lsgan fake", [&](const tensor<float>& x) { return B::lsgan_loss(x, t); },
                  [&](const tensor<float>& x) { return lsgan_host(x, real); }, pred);
    check_loss_op(real ? "bce real" : "bce fake", [&](const tensor<float>& x) { return B::bce_with_logits_loss(x, t); },
                  [&](const tensor<float>& x) { return bce_host(x, real); }, pred);
  }
  const auto td = dev(target);
  check_loss_op("l1", [&](const tensor<float>& x) { return B::l1_loss(x, td); },
                [&](const tensor<float>& x) { return l1_host(x, target); }, pred);
  const auto l1 = B::l1_loss(dev(pred), td);
  const auto g = host(l1.grad);
  for (std::int64_t i = 0; i < pred.numel(); i += 7) BOOST_TEST(g[i] == 0.0f);
}

BOOST_AUTO_TEST_CASE(three_iterations_match_the_cpu_trainer) {
  temp_dir tc("i2i_trainer_parity_cpu"), tg("i2i_trainer_parity_gpu");
  const int steps = 3;
  const trainer_run c = cpu_trainer_run(tc.str(), steps, 0, false, -1);
  const trainer_run g = run_trainer<B>(tg.str(), steps);
  check_runs_match("", g, c, steps);
}

BOOST_AUTO_TEST_CASE(three_iterations_with_the_vgg_term_match_the_cpu_trainer) {
  temp_dir tc("i2i_trainer_parity_vgg_cpu"), tg("i2i_trainer_parity_vgg_gpu"), tw("i2i_trainer_parity_vgg_weights");
  const std::string vgg = (tw.p / "vgg19.safetensors").string();
  write_vgg_weights(vgg);
  const int steps = 3;
  const trainer_run c = cpu_trainer_run(tc.str(), steps, 0, false, -1, vgg);
  const trainer_run g = run_trainer<B>(tg.str(), steps, 0, false, -1, vgg);
  for (const auto& step : c.losses) {  // the term is on (and not zero) on both sides
    bool has_vgg = false;
    for (const auto& [name, v] : step) has_vgg = has_vgg || (name == "G_VGG" && v > 0);
    BOOST_TEST_REQUIRE(has_vgg, "the CPU run recorded no positive G_VGG");
  }
  check_runs_match(" (VGG on)", g, c, steps);
}

BOOST_AUTO_TEST_CASE(save_on_the_gpu_resume_and_step_equals_the_uninterrupted_run) {
  temp_dir t1("i2i_trainer_resume_a"), t2("i2i_trainer_resume_b");
  const trainer_run whole = run_trainer<B>(t1.str(), 3, 0, false, 2);  // saves "latest" after step 2
  std::filesystem::copy(t1.p / "parity", t2.p / "parity", std::filesystem::copy_options::recursive);
  const trainer_run resumed = run_trainer<B>(t1.str(), 1, 2, true);
  BOOST_TEST_REQUIRE(resumed.losses.size() == 1u);
  trainer_run tail = whole;
  tail.losses = {whole.losses.back()};
  check_losses(resumed, tail, 1e-5);
  check_weights("G", resumed.g, whole.g, 1, 0.01);
  check_weights("D", resumed.d, whole.d, 1, 0.01);
  check_weights("E", resumed.e, whole.e, 1, 0.01);
  // The same GPU checkpoint continued on the CPU: the backends' files are interchangeable.
  const trainer_run on_cpu = cpu_trainer_run(t2.str(), 1, 2, true, -1);
  check_losses(on_cpu, tail, 1e-3);
  check_weights("G (resumed on the CPU)", on_cpu.g, whole.g, 1, 0.05);
}

BOOST_AUTO_TEST_CASE(three_pix2pix_iterations_match_the_cpu) {
  const int steps = 3;
  const trainer_run c = cpu_pix2pix_run(steps);
  const trainer_run g = run_pix2pix<B>(steps);
  check_runs_match(" (pix2pix)", g, c, steps);
}

BOOST_AUTO_TEST_SUITE_END()
