// A pix2pix-style translator built from specs learns on real data through train::gan_step: MNIST digit
// -> its boundary map, with a two-scale PatchGAN D with taps, LSGAN + feature matching + L1 (weight
// 100), pix2pixHD's update order. The test L1 error must fall below half of what answering
// "background" everywhere scores (the untrained network is worse than that). The trained G is then
// saved and reloaded through the checkpoint API and must give identical outputs.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "../../../examples/mnist_edges/edge_translator.hpp"  // mnist_edges::edge_target, the data's target
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/i2i.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/io/idx.hpp"
#include "i2i/loss/types/all.hpp"
#include "i2i/train/gan_step.hpp"

using namespace i2i;

namespace {

std::string mnist_dir() {
  const char* env = std::getenv("I2I_DATA_DIR");
  return std::string(env ? env : I2I_DEFAULT_DATA_DIR) + "/mnist";
}

struct mnist_present {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    boost::test_tools::assertion_result r(std::filesystem::exists(mnist_dir() + "/train-images-idx3-ubyte") &&
                                          std::filesystem::exists(mnist_dir() + "/t10k-images-idx3-ubyte"));
    r.message() << "MNIST not found in " << mnist_dir() << " (run cmake/fetch_mnist.sh); skipping";
    return r;
  }
};

// i2i::inlined is qualified: <fcntl.h> (pulled in by the checkpoint's atomic writes) declares ::inlined.
// A GlobalGenerator in miniature (ngf 16, one downsampling, one residual block) for 1 -> 1 channels.
template <int C>
using res_block = residual<seq<reflect_pad<1>, conv<C, 3>, instance_norm<>, relu, reflect_pad<1>, conv<C, 3>, instance_norm<>>,
                           "conv_block">;
using generator = named<"model", seq<channels<1>, reflect_pad<3>, conv<16, 7>, instance_norm<>, relu,
                                     i2i::inlined<conv<32, 3, 2, 1>, instance_norm<>, relu>, res_block<32>,
                                     i2i::inlined<conv_transpose<16, 3, 2, 1, 1>, instance_norm<>, relu>, reflect_pad<3>,
                                     conv<1, 7>, tanh_>>;

// pix2pixHD's NLayerDiscriminator with n_layers_D = 2 and ndf 16, every intermediate group tapped, two
// scales (keys scale1_layer0.0.weight, ...). D sees digit | edge map: 2 channels.
using patch_d = chain<tap<"layer0", named<"layer0", seq<conv<16, 4, 2, 2>, leaky_relu<>>>>,
                      tap<"layer1", named<"layer1", seq<conv<32, 4, 2, 2>, instance_norm<>, leaky_relu<>>>>,
                      tap<"layer2", named<"layer2", seq<conv<32, 4, 1, 2>, instance_norm<>, leaky_relu<>>>>,
                      named<"layer3", seq<conv<1, 4, 1, 2>>>>;
using discriminator = multiscale<2, patch_d, "_">;

using B = cpu_backend<float>;
using G_t = model<generator, B>;
using D_t = model<discriminator, B, 2>;

double evaluate_l1(const G_t& G, const io::idx_data& images, std::size_t first, std::size_t count) {
  double total = 0;
  for (std::size_t b = first; b < first + count; b += 100) {
    const std::size_t n = std::min<std::size_t>(100, first + count - b);
    auto x = io::idx_images(images, b, n);
    total += cpu::l1_loss(G(x), mnist_edges::edge_target(x)).value * double(n);
  }
  return total / double(count);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(integration)

BOOST_AUTO_TEST_CASE(pix2pix_gan_step_learns_mnist_edges, *boost::unit_test::precondition(mnist_present())) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto train = io::read_idx(mnist_dir() + "/train-images-idx3-ubyte");
  const auto test = io::read_idx(mnist_dir() + "/t10k-images-idx3-ubyte");
  G_t G;
  D_t D;
  initialize(G, init_policy::pix2pixhd(), 11);
  initialize(D, init_policy::pix2pixhd(), 12);

  const double baseline = mnist_edges::constant_baseline_l1(test, 0, 500);
  const double before = evaluate_l1(G, test, 0, 500);

  // pix2pix's objective: GAN + lambda_L1 100 * L1 (plus pix2pixHD's feature matching, lambda_feat 10).
  // G's learning rate is raised from 2e-4 so that a few hundred steps suffice.
  train::gan_step step(G, D, {.g_adam = {.lr = 1e-3}, .d_adam = {.lr = 2e-4}}, loss::l1_term{.weight = 100, .name = "L1"});
  constexpr int steps = 200, batch = 16;
  std::mt19937 rng(5);
  std::uniform_int_distribution<std::size_t> pick(0, train.count() - 1);
  auto x = tensor<float>::empty({batch, 1, 28, 28});
  train::step_record last;
  for (int s = 1; s <= steps; ++s) {
    for (int i = 0; i < batch; ++i) {
      const std::uint8_t* src = train.data.data() + pick(rng) * train.item_size();
      for (std::size_t k = 0; k < train.item_size(); ++k) x[std::int64_t(i * train.item_size() + k)] = float(src[k]) / 127.5f - 1.f;
    }
    last = step.step(x, mnist_edges::edge_target(x));
    if (s % 50 == 0) BOOST_TEST_MESSAGE("step " << s << ": " << last);
  }
  const double after = evaluate_l1(G, test, 0, 500);
  BOOST_TEST_MESSAGE("test L1: untrained " << before << ", background baseline " << baseline << ", trained " << after);
  BOOST_TEST(before > baseline);       // untrained: worse than answering "background" everywhere
  BOOST_TEST(after < 0.5 * baseline);  // trained: far below it
  for (const auto& [k, v] : last.items()) BOOST_TEST(std::isfinite(v), k);
  BOOST_TEST(last["D_real"] < 1.0);    // D is not degenerate (an LSGAN D answering 0.5 everywhere scores 0.5 per scale)

  // Save G, reload it into a differently initialised model, and compare outputs bit for bit.
  const auto file = std::filesystem::temp_directory_path() /
                    ("i2i_pix2pix_mnist_" + std::to_string(std::random_device{}()) + ".safetensors");
  save_model(G, file.string(), {{"what", "pix2pix mnist edges G"}});
  G_t reloaded;
  initialize(reloaded, init_policy::pix2pixhd(), 99);
  const auto probe = io::idx_images(test, 500, 32);
  const auto expected = G(probe);
  BOOST_TEST(cpu::l1_loss(reloaded(probe), expected).value > 0);  // a different init differs ...
  const auto report = load_model(reloaded, file.string(), io::load_mode::strict);
  BOOST_TEST(report.complete());
  BOOST_TEST(report.loaded.size() == G.all_parameters().size());
  const auto got = reloaded(probe);
  double diff = 0;
  for (std::int64_t i = 0; i < got.numel(); ++i) diff = std::max(diff, double(std::abs(got[i] - expected[i])));
  BOOST_TEST(diff == 0.0);  // ... and the reloaded one is identical
  std::filesystem::remove(file);
  BOOST_TEST_MESSAGE("elapsed " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s");
}

BOOST_AUTO_TEST_SUITE_END()
