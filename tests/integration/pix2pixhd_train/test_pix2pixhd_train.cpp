// pix2pixHD's trainer learns on real data: a tiny digit-scene set built from MNIST in a temp folder
// (label_nc 11 + boundary map), a tiny global G trained for 400 iterations (about 4 s) with the reference's lr 2e-4, through
// trainer::run. The mean L1 distance between G's output and the real image over the last 20 iterations
// and the gap between their colour statistics must both be 15 % below those of the first 20; the checkpoint written at the end
// must reload into a fresh G with identical outputs.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "i2i/recipes/pix2pixhd/digit_scenes.hpp"
#include "i2i/data/encode.hpp"
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/recipes/pix2pixhd/trainer.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
namespace p = i2i::pix2pixhd;

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

double mean_abs_diff(const tensor<float>& a, const tensor<float>& b) {
  double s = 0;
  for (std::int64_t i = 0; i < a.numel(); ++i) s += std::abs(double(a[i]) - double(b[i]));
  return s / double(a.numel());
}

/// Per-channel colour statistics: sum over channels of |mean_f - mean_r| + |std_f - std_r|. An untrained
/// G outputs a flat grey (tanh of small values); adversarial training must give it the data's colours
/// and contrast. (Plain L1 to the real image is no proxy here: every digit and background of a scene
/// has a random colour and texture that the label map does not determine.)
double moment_gap(const tensor<float>& f, const tensor<float>& r) {
  double gap = 0;
  const std::int64_t hw = f.h() * f.w();
  for (std::int64_t c = 0; c < f.c(); ++c) {
    double mf = 0, mr = 0, sf = 0, sr = 0;
    for (std::int64_t n = 0; n < f.n(); ++n)
      for (std::int64_t i = 0; i < hw; ++i) {
        const double a = f.data()[(n * f.c() + c) * hw + i], b = r.data()[(n * f.c() + c) * hw + i];
        mf += a, mr += b, sf += a * a, sr += b * b;
      }
    const double k = double(f.n() * hw);
    mf /= k, mr /= k;
    gap += std::abs(mf - mr) + std::abs(std::sqrt(std::max(0.0, sf / k - mf * mf)) - std::sqrt(std::max(0.0, sr / k - mr * mr)));
  }
  return gap;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(integration)

BOOST_AUTO_TEST_CASE(pix2pixhd_global_generator_learns_digit_scenes, *boost::unit_test::precondition(mnist_present())) {
  namespace fs = std::filesystem;
  const fs::path tmp = fs::temp_directory_path() / ("i2i_p2phd_train_" + std::to_string(std::random_device{}()));
  fs::remove_all(tmp);
  struct cleanup {
    fs::path p;
    ~cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } guard{tmp};
  data::digit_scene_options scenes;
  scenes.width = 64;
  scenes.height = 32;
  scenes.min_digits = 1;
  scenes.max_digits = 2;
  scenes.min_scale = 0.8;
  scenes.max_scale = 1.1;
  scenes.train_count = 12;
  scenes.test_count = 2;
  const auto sum = data::build_digit_scenes(mnist_dir(), (tmp / "digits").string(), scenes);
  BOOST_REQUIRE(sum.label_nc == 11);

  p::train_options o;
  o.preset = "tiny";
  o.name = "digits";
  o.checkpoints_dir = (tmp / "ck").string();
  o.data.dataroot = (tmp / "digits").string();
  o.data.label_nc = 11;
  o.data.transform.mode = data::resize_mode::none;
  o.no_vgg_loss = true;
  o.niter = 20;  // 12 iterations per epoch: 480 in the schedule, more than the run takes
  o.niter_decay = 20;
  const int iters = std::getenv("I2I_P2PHD_ITERS") ? std::atoi(std::getenv("I2I_P2PHD_ITERS")) : 400;
  o.max_iterations = iters;
  o.save_latest_freq = 0;
  o.save_epoch_freq = 0;
  o.seed = 3;
  using cfg = p::config<p::tiny_preset, false, 12, false>;
  p::trainer<cfg> t(o);
  data::aligned_dataset ds(t.options().data);
  data::batch_loader loader(ds, {.batch_size = 1, .seed = o.seed});
  std::vector<double> l1, feat, gaps;
  const auto start = std::chrono::steady_clock::now();
  t.run(loader, [&](const auto& tr, const train::step_record& r) {
    // The callback runs before the epoch ends, so the batch just trained on is (epoch, epoch_iter - 1).
    const auto b = loader.load(std::uint64_t(tr.epoch()), std::size_t(tr.epoch_iter() - 1));
    l1.push_back(mean_abs_diff(tr.last_fake(), b.image));
    feat.push_back(r["G_GAN_Feat"]);
    gaps.push_back(moment_gap(tr.last_fake(), b.image));
    if (l1.size() % 50 == 0)
      BOOST_TEST_MESSAGE("iteration " << l1.size() << ": " << r << "; L1 " << l1.back() << ", gap " << gaps.back());
    BOOST_REQUIRE(std::isfinite(r["G"]) && std::isfinite(r["D"]));
  });
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  BOOST_REQUIRE(l1.size() == std::size_t(iters));
  auto mean = [](const std::vector<double>& v, std::size_t from, std::size_t to) {
    return std::accumulate(v.begin() + long(from), v.begin() + long(to), 0.0) / double(to - from);
  };
  const std::size_t n = l1.size(), w = 20;
  const double l1_start = mean(l1, 0, w), l1_end = mean(l1, n - w, n);
  const double fm_start = mean(feat, 0, w), fm_end = mean(feat, n - w, n);
  BOOST_TEST_MESSAGE(n << " iterations in " << secs << " s; L1(fake, real) " << l1_start << " -> " << l1_end
                                         << "; G_GAN_Feat " << fm_start << " -> " << fm_end);
  const double gap_start = mean(gaps, 0, w), gap_end = mean(gaps, n - w, n);
  BOOST_TEST_MESSAGE("colour statistics gap " << gap_start << " -> " << gap_end);
  // At this scale (ngf 8, one residual block, GAN + feature matching only) learning is slow: the
  // seeded run takes L1 from 0.328 to 0.245 and the colour-statistics gap from 0.90 to 0.66 in 400
  // iterations (about 3.5 s); both must fall by at least 15 %.
  BOOST_TEST(l1_end < 0.85 * l1_start);
  BOOST_TEST(gap_end < 0.85 * gap_start);

  // The latest checkpoint reproduces the trained G.
  t.save("latest");
  model<cfg::generator, cpu_backend<float>> g2;
  load_model(g2, t.path("latest", "net_G"));
  const auto b = loader.load(1, 0);
  const auto x = data::encode_input(b.label, b.inst, 11);
  BOOST_TEST(test::max_abs_diff(g2(x), t.G()(x)) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
