// The segmentation trainer learns: after ~60 Adam steps the training pixel accuracy is far above the
// majority-class rate (what a network that answers one class everywhere scores). Once on a synthetic
// set that always exists, once on 16 real scene images (data/pix2pixhd/scenes; skipped without them).
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/data/loader.hpp"
#include "i2i/io/png.hpp"
#include "i2i/recipes/segmentation/trainer.hpp"
#include "i2i/models/segmentation/unet.hpp"

using namespace i2i;

namespace {

std::string scenes_dir() {
  const char* env = std::getenv("I2I_DATA_DIR");
  return std::string(env ? env : I2I_DEFAULT_DATA_DIR) + "/pix2pixhd/scenes";
}

struct scenes_present {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    boost::test_tools::assertion_result r(std::filesystem::is_directory(scenes_dir() + "/train_label"));
    r.message() << "scene data not found in " << scenes_dir()
                << " (make it with pix2pixhd_prepare_data photo); skipping";
    return r;
  }
};

/// Fraction of the most frequent class among the counted pixels.
double majority_rate(const tensor<float>& labels, int classes, std::int64_t ignore = -1) {
  std::vector<std::int64_t> count(std::size_t(classes), 0);
  std::int64_t n = 0;
  for (std::int64_t i = 0; i < labels.numel(); ++i) {
    if (ignore >= 0 && labels[i] == float(ignore)) continue;
    ++count[std::size_t(labels[i])];
    ++n;
  }
  return double(*std::max_element(count.begin(), count.end())) / double(n);
}

/// Accuracy of the network in eval mode on the whole set.
template <class Net>
double accuracy(Net& net, const tensor<float>& images, const tensor<float>& labels) {
  net.eval();
  const double a = segmentation::batch_pixel_accuracy(segmentation::predict(net, images), labels);
  net.train();
  return a;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(segmentation_trainer)

// Three classes on a noisy background: a red disc, a blue square and the background; colour and shape
// tell them apart, the background covers most pixels.
BOOST_AUTO_TEST_CASE(learns_synthetic_shapes) {
  const int n = 8, h = 32, w = 32;
  std::mt19937 r(4);
  auto images = tensor<float>::empty({n, 3, h, w});
  auto labels = tensor<float>::empty({n, 1, h, w});
  for (int s = 0; s < n; ++s) {
    const int cx = 8 + int(r() % 16u), cy = 8 + int(r() % 16u), sx = int(r() % 20u), sy = int(r() % 20u);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        int c = 0;
        if ((x - cx) * (x - cx) + (y - cy) * (y - cy) < 30) c = 1;
        else if (x >= sx && x < sx + 9 && y >= sy && y < sy + 9) c = 2;
        labels.at(s, 0, y, x) = float(c);
        const float noise = float(int(r() % 100u) - 50) / 250.0f;
        images.at(s, 0, y, x) = (c == 1 ? 0.8f : -0.2f) + noise;
        images.at(s, 1, y, x) = -0.2f + noise;
        images.at(s, 2, y, x) = (c == 2 ? 0.8f : -0.2f) + noise;
      }
  }
  segmentation::trainer<segmentation::unet<3, 3, 8, 2>> t({.adam = {.lr = 3e-3, .beta1 = 0.9, .beta2 = 0.999}});
  const double majority = majority_rate(labels, 3);
  const double before = accuracy(t.net(), images, labels);
  double first_loss = 0, last_loss = 0;
  for (int it = 0; it < 60; ++it) {
    const auto res = t.step(images, labels);
    if (it == 0) first_loss = res.loss;
    last_loss = res.loss;
  }
  const double after = accuracy(t.net(), images, labels);
  BOOST_TEST_MESSAGE("synthetic: majority " << majority << ", accuracy " << before << " -> " << after << ", loss "
                                            << first_loss << " -> " << last_loss);
  BOOST_TEST(last_loss < 0.5 * first_loss);
  BOOST_TEST(after > majority + 0.5 * (1 - majority));  // at least half of the way from majority to perfect
}

BOOST_AUTO_TEST_CASE(learns_16_scene_images, *boost::unit_test::precondition(scenes_present())) {
  const auto t0 = std::chrono::steady_clock::now();
  // 16 training scenes halved to 128 x 64 (scale_width 128) to keep the test fast, with flips.
  data::dataset_options d;
  d.dataroot = scenes_dir();
  d.label_nc = 12;
  d.no_instance = true;
  d.max_dataset_size = 16;
  d.transform.mode = data::resize_mode::scale_width;
  d.transform.load_size = 128;
  d.transform.n_downsample_global = 3;
  data::aligned_dataset ds(d);
  data::batch_loader loader(ds, {.batch_size = 8, .seed = 3});
  segmentation::trainer<segmentation::unet<3, 12, 8, 3>> t({.adam = {.lr = 3e-3, .beta1 = 0.9, .beta2 = 0.999}});

  // The whole set, unflipped, for scoring.
  data::dataset_options e = d;
  e.transform.is_train = false;
  data::aligned_dataset all(e);
  data::batch_loader whole(all, {.batch_size = 16, .shuffle = false, .random_params = false});
  const auto full = whole.load(0, 0);
  const double majority = majority_rate(full.label, 12);
  const double before = accuracy(t.net(), full.image, full.label);
  double loss = 0;
  for (int it = 0; it < 60; ++it) {
    const auto b = loader.load(std::uint64_t(it / 2), std::size_t(it % 2));
    loss = t.step(b.image, b.label).loss;
  }
  const double after = accuracy(t.net(), full.image, full.label);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  BOOST_TEST_MESSAGE("scenes: majority " << majority << ", accuracy " << before << " -> " << after
                                         << ", last loss " << loss << ", " << seconds << " s");
  BOOST_TEST(after > majority + 0.15);
}

BOOST_AUTO_TEST_SUITE_END()
