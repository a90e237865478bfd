// The segmentation U-Net: output shape and names, and the size check; argmax and batch accuracy.
#include <boost/test/unit_test.hpp>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/recipes/segmentation/trainer.hpp"
#include "i2i/models/segmentation/unet.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

BOOST_AUTO_TEST_SUITE(segmentation_unet)

BOOST_AUTO_TEST_CASE(output_shape_and_names) {
  model<segmentation::unet<3, 12, 8, 3>, cpu_backend<float>> net;
  initialize(net, init_policy::pytorch(), 3);
  BOOST_TEST(net.output_shape(shape{2, 3, 32, 64}) == (shape{2, 12, 32, 64}));
  const auto y = net(test::random_tensor<float>({2, 3, 32, 64}));
  BOOST_TEST(y.shape() == (shape{2, 12, 32, 64}));
  // Names: first conv, the first conv one level down, the bottleneck's, the classifier.
  BOOST_CHECK_NO_THROW(net.parameter_named("0.0.weight"));
  BOOST_CHECK_NO_THROW(net.parameter_named("0.6.down.1.0.weight"));
  BOOST_CHECK_NO_THROW(net.parameter_named("0.6.down.1.6.down.1.6.down.1.0.weight"));
  BOOST_CHECK_NO_THROW(net.parameter_named("1.weight"));
  BOOST_TEST(net.parameter_named("0.6.down.1.6.down.1.6.down.1.0.weight").value.dim(0) == 64);  // 8 * 2^3
  BOOST_TEST(net.parameter_named("1.weight").value.shape() == (shape{12, 8, 1, 1}));
  // 30 x 64 does not halve three times: an error, not a silently cropped map.
  BOOST_CHECK_THROW(net(test::random_tensor<float>({1, 3, 30, 64})), i2i::error);
}

BOOST_AUTO_TEST_CASE(argmax_and_accuracy) {
  auto logits = tensor<float>::zeros({1, 3, 1, 4});
  logits.at(0, 2, 0, 0) = 1;  // pixel 0 -> 2
  logits.at(0, 1, 0, 1) = 1;  // pixel 1 -> 1
  // pixel 2: all equal -> 0 (first maximum); pixel 3 -> 2
  logits.at(0, 2, 0, 3) = 5;
  logits.at(0, 1, 0, 3) = 4;
  const auto ids = segmentation::argmax_labels(logits);
  BOOST_TEST(ids.shape() == (shape{1, 1, 1, 4}));
  BOOST_TEST(ids[0] == 2);
  BOOST_TEST(ids[1] == 1);
  BOOST_TEST(ids[2] == 0);
  BOOST_TEST(ids[3] == 2);
  auto truth = tensor<float>::empty({1, 1, 1, 4});
  truth[0] = 2, truth[1] = 0, truth[2] = 0, truth[3] = 1;
  BOOST_TEST(segmentation::batch_pixel_accuracy(ids, truth) == 0.5);
  BOOST_TEST(segmentation::batch_pixel_accuracy(ids, truth, 0) == 0.5);  // pixels 1, 2 ignored: 1 of 2
}

BOOST_AUTO_TEST_SUITE_END()
