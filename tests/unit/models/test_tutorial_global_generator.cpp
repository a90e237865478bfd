// The GlobalGenerator the tutorial shows (docs/tutorial.md, snippet "global-generator") is pix2pixHD's:
// same parameter count, same state_dict keys and shapes as the library's pix2pixhd::global_generator.
#include <boost/test/unit_test.hpp>

#include "i2i/i2i.hpp"
#include "i2i/backend/counting_backend.hpp"
#include "i2i/models/pix2pixhd/global_generator.hpp"

namespace tutorial {
using namespace i2i;
// snippet-begin: global-generator
template <int C>
using res_block = residual<seq<reflect_pad<1>, conv<C, 3>, instance_norm<>, relu,
                               reflect_pad<1>, conv<C, 3>, instance_norm<>>, "conv_block">;
template <int C> using down = inlined<conv<C, 3, 2, 1>, instance_norm<>, relu>;
template <int C> using up = inlined<conv_transpose<C, 3, 2, 1, 1>, instance_norm<>, relu>;

template <int InputNC>
using global_generator = named<"model", seq<channels<InputNC>,
    reflect_pad<3>, conv<64, 7>, instance_norm<>, relu,          // c7s1-64
    down<128>, down<256>, down<512>, down<1024>,                  // d128 ... d1024
    repeat<9, res_block<1024>>,                                   // R1024 x 9
    up<512>, up<256>, up<128>, up<64>,                            // u512 ... u64
    reflect_pad<3>, conv<3, 7>, tanh_>>;                          // c7s1-3
// snippet-end
}  // namespace tutorial

BOOST_AUTO_TEST_SUITE(tutorial_global_generator)

BOOST_AUTO_TEST_CASE(equals_the_reference_network) {
  using B = i2i::counting_backend<>;
  i2i::model<tutorial::global_generator<36>, B> ours;
  i2i::model<i2i::pix2pixhd::global_generator<36>, B> library;
  BOOST_TEST(ours.parameter_count() == 182546755);
  BOOST_TEST(ours.flops(i2i::shape::nchw(1, 36, 256, 256)) == library.flops(i2i::shape::nchw(1, 36, 256, 256)));
  const auto& a = ours.all_parameters();
  const auto& b = library.all_parameters();
  BOOST_REQUIRE_EQUAL(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    BOOST_TEST(a[i]->name == b[i]->name);
    BOOST_TEST((a[i]->value.shape() == b[i]->value.shape()), a[i]->name);
  }
}

BOOST_AUTO_TEST_SUITE_END()
