// segmentation::trainer on the GPU against the same trainer on the CPU (segmentation_parity.hpp):
// 3 iterations of trainer<unet, cuda_backend<float, fp32_strict>> vs trainer<unet, cpu_backend<float>>
// from the same seed and host batches. Every step's cross-entropy within 1e-3 relative and its pixel
// accuracy within 0.02 (argmax near ties may flip); every weight within the Adam bound (each step moves
// a weight by about +-lr whatever |g| is, so a gradient whose sign is rounding noise - conv biases
// before batch norm - moves it in opposite directions on the two backends: within 2 lr per step
// everywhere, within lr/4 except at a small fraction of elements). Skipped without a device.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>

#include "i2i/backend/cuda/backend.cuh"
#include "parity_device.cuh"
#include "segmentation_parity.hpp"

namespace {

using namespace i2i::parity;
using B = i2i::cuda_backend<float, i2i::cuda::fp32_strict>;

}  // namespace

BOOST_AUTO_TEST_SUITE(segmentation_trainer_parity, *boost::unit_test::precondition(i2i::test::cuda_device_present()))

BOOST_AUTO_TEST_CASE(three_iterations_match_the_cpu_trainer) {
  constexpr int steps = 3;
  const auto g = run_segmentation_trainer<B>(steps);
  const auto c = cpu_segmentation_run(steps);
  BOOST_TEST_REQUIRE(g.losses.size() == c.losses.size());
  for (std::size_t s = 0; s < c.losses.size(); ++s) {
    BOOST_TEST(std::isfinite(g.losses[s]));
    BOOST_TEST(std::abs(g.losses[s] - c.losses[s]) <= 1e-3 * std::max(std::abs(c.losses[s]), 1e-6),
               "step " << s << " loss: GPU " << g.losses[s] << " vs CPU " << c.losses[s]);
    BOOST_TEST(std::abs(g.accuracies[s] - c.accuracies[s]) <= 0.02,
               "step " << s << " pixel accuracy: GPU " << g.accuracies[s] << " vs CPU " << c.accuracies[s]);
  }
  BOOST_TEST_REQUIRE(g.weights.size() == c.weights.size());
  std::int64_t total = 0, differ = 0;
  for (std::size_t i = 0; i < c.weights.size(); ++i) {
    BOOST_TEST_REQUIRE(g.weights[i].name == c.weights[i].name);
    BOOST_TEST_REQUIRE(all_finite(g.weights[i].t), "weight " << g.weights[i].name << " is not finite");
    for (std::int64_t j = 0; j < c.weights[i].t.numel(); ++j) {
      const double d = std::abs(double(g.weights[i].t[j]) - double(c.weights[i].t[j]));
      BOOST_TEST_REQUIRE(d <= 2.0 * segmentation_lr * steps * 1.01 + 1e-6,
                         "weight " << c.weights[i].name << "[" << j << "] differs by " << d);
      if (d > 0.25 * segmentation_lr) ++differ;
      ++total;
    }
  }
  const double fraction = double(differ) / double(std::max<std::int64_t>(total, 1));
  BOOST_TEST(fraction <= 0.05, differ << " of " << total << " weights differ by > lr/4");
}

BOOST_AUTO_TEST_SUITE_END()
