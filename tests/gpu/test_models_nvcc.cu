// The reference networks must compile in nvcc translation units (a GPU trainer includes them there):
// nvcc 13's front end rejects constructs g++ accepts (partial specialisations over fixed_string
// parameters), so this file pins what the GPU path instantiates. It runs on the host only.
#include <boost/test/unit_test.hpp>

#include "i2i/i2i.hpp"
#include "i2i/models/egscit/networks.hpp"
#include "i2i/models/mobilenet_v2.hpp"
#include "i2i/models/pix2pixhd/networks.hpp"
#include "i2i/models/vgg19.hpp"

namespace p2p = i2i::pix2pixhd;

static_assert(p2p::global_generator<36>::out_channels(36) == 3);
static_assert(p2p::local_enhancer<36>::out_channels(36) == 3);
static_assert(p2p::multiscale_discriminator<39>::out_channels(39) == 1);
static_assert(p2p::encoder<>::out_channels(3) == 3);
static_assert(i2i::models::mobilenet_v2::out_channels(3) == 96);

BOOST_AUTO_TEST_SUITE(models_under_nvcc)

BOOST_AUTO_TEST_CASE(reference_networks_compile_in_cuda_translation_units) {
  BOOST_TEST(p2p::nlayer_discriminator<39>::stages == 5);
}

BOOST_AUTO_TEST_SUITE_END()
