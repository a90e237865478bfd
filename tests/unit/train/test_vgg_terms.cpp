// The perceptual terms' defaults fit the library's VGG19 spec (models/vgg19.hpp): its taps are the ones
// pix2pixHD's content loss and the Gram style loss read, and a loss reaches the image through it.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/loss/types/all.hpp"
#include "support/gradcheck.hpp"

#if __has_include("i2i/models/vgg19.hpp")
#include "i2i/models/vgg19.hpp"

using namespace i2i;

BOOST_AUTO_TEST_SUITE(vgg_terms)

BOOST_AUTO_TEST_CASE(pix2pixhd_defaults_on_vgg19) {
  model<models::vgg19, cpu_backend<float>> vgg;
  initialize(vgg, init_policy::pytorch(), 1);
  loss::vgg_perceptual content(vgg);
  loss::gram_style style(vgg);
  for (const auto& p : vgg.all_parameters()) BOOST_TEST_REQUIRE(p->frozen);
  auto fake = test::random_tensor<float>({1, 3, 32, 32});
  auto real = test::random_tensor<float>({1, 3, 32, 32});
  for (auto r : {content(fake, real), style(fake, real)}) {
    BOOST_TEST(std::isfinite(r.value));
    BOOST_TEST(r.value > 0);
    BOOST_TEST(r.grad.shape() == fake.shape());
    double norm = 0;
    for (std::int64_t i = 0; i < r.grad.numel(); ++i) norm += std::abs(r.grad[i]);
    BOOST_TEST(norm > 0);
  }
  BOOST_TEST(content(real, real).value == 0);  // identical images, identical features
}

BOOST_AUTO_TEST_SUITE_END()
#endif
