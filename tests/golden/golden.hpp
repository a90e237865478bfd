#pragma once
// Shared by the golden tests: the fixture files written by tests/golden/make_fixtures.py (reference
// pix2pixHD modules in PyTorch, float64 outputs of float32 weights), the small network types that match
// them, and the comparison rule.
//
// Tolerance: |ours - ref| <= 1e-4 |ref| + 1e-5 max|ref| elementwise. The absolute floor is relative to
// the tensor's own scale, so maps of values near zero (a D's patch map, a tanh output crossing zero)
// are not held to an impossible relative bound, while a wrong layer (off by far more than 1e-5 of the
// map's range) still fails.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/io/safetensors.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/models/pix2pixhd/networks.hpp"

#ifndef I2I_GOLDEN_FIXTURES
#error "I2I_GOLDEN_FIXTURES (the folder of the fixture files) must be defined by the build"
#endif

namespace golden {

using namespace i2i;
using T = float;
using B = cpu_backend<T>;

// The reference configurations of make_fixtures.py. label_nc 4 + boundary map = 5 G input channels;
// D sees those 5 plus the 3 image channels.
constexpr int label_nc = 4;
constexpr int g_in = label_nc + 1;
constexpr int d_in = g_in + 3;
using global_spec = pix2pixhd::global_generator<g_in, 3, /*Ngf*/ 8, /*NDown*/ 2, /*NBlocks*/ 2>;
using local_spec = pix2pixhd::local_enhancer<g_in, 3, /*Ngf*/ 4, /*NDownGlobal*/ 2, /*NBlocksGlobal*/ 1,
                                             /*NLocalEnhancers*/ 1, /*NBlocksLocal*/ 2>;
using d_spec = pix2pixhd::multiscale_discriminator<d_in, /*NumD*/ 2, /*Ndf*/ 4, /*NLayers*/ 3>;
using e_spec = pix2pixhd::encoder<3, 3, /*Nef*/ 4, /*NDown*/ 2>;
constexpr int num_d = 2, d_stages = 5;

inline std::string fixture(const std::string& file) { return std::string(I2I_GOLDEN_FIXTURES) + "/" + file; }

/// A tensor of golden_io.safetensors.
inline tensor<T> io_tensor(const std::string& key) {
  static const io::safetensors_reader reader(fixture("golden_io.safetensors"));
  return reader.read<T>(key);
}

/// Loads a model strictly (every reference key present, none extra, equal shapes) from a fixture.
template <class Model>
void load_strict(Model& m, const std::string& file) {
  const auto report = load_model(m, fixture(file), io::load_mode::strict);
  (void)report;
}

/// Checks ours against the reference within the tolerance above; reports the worst element.
inline void expect_close(const std::string& what, const tensor<T>& ours, const tensor<T>& ref, double rtol = 1e-4,
                         double atol_scale = 1e-5) {
  BOOST_TEST_REQUIRE((ours.shape() == ref.shape()),
                     what << ": shape " << ours.shape() << ", reference " << ref.shape());
  double scale = 0;
  for (std::int64_t i = 0; i < ref.numel(); ++i) scale = std::max(scale, std::abs(double(ref[i])));
  const double atol = atol_scale * scale;
  double worst = 0, worst_diff = 0;
  std::int64_t at = 0;
  for (std::int64_t i = 0; i < ref.numel(); ++i) {
    const double d = std::abs(double(ours[i]) - double(ref[i]));
    const double r = d / (rtol * std::abs(double(ref[i])) + atol);
    if (!(r <= worst) || std::isnan(d)) {  // NaN counts as the worst
      worst = std::isnan(d) ? INFINITY : r;
      worst_diff = d;
      at = i;
    }
  }
  BOOST_TEST(worst <= 1.0, what << ": element " << at << " is " << ours[at] << ", reference " << ref[at]
                                << " (|diff| " << worst_diff << ", " << worst << " x the tolerance; max|ref| " << scale
                                << ")");
  BOOST_TEST_MESSAGE(what << ": worst " << worst << " x tolerance (|diff| " << worst_diff << ")");
}

inline double max_abs_diff(const tensor<T>& a, const tensor<T>& b) {
  double m = 0;
  for (std::int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::abs(double(a[i]) - double(b[i])));
  return m;
}

/// A loss value against the reference scalar (shape [1]) within 1e-4 relative.
inline void expect_loss(const std::string& what, double ours, const std::string& key) {
  const double ref = io_tensor(key)[0];
  BOOST_TEST(std::abs(ours - ref) <= 1e-4 * std::abs(ref) + 1e-7,
             what << ": " << ours << ", reference " << ref << " (relative difference " << std::abs(ours - ref) / std::abs(ref)
                  << ")");
}

}  // namespace golden
