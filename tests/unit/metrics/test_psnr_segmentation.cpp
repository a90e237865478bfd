// PSNR, EGSC-IT's thresholded pixel accuracy, and the segmentation scores on hand-computed cases.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "i2i/metrics/psnr.hpp"
#include "i2i/metrics/segmentation.hpp"
#include "support/gradcheck.hpp"

using i2i::io::image;

BOOST_AUTO_TEST_SUITE(psnr)

BOOST_AUTO_TEST_CASE(hand_computed_values) {
  // 2x1 RGB: errors 10, 0, 0 | 0, 20, 0 -> MSE = (100 + 400) / 6.
  image x(2, 1, 3), y(2, 1, 3);
  x.pixels = {10, 50, 60, 70, 80, 90};
  y.pixels = {20, 50, 60, 70, 100, 90};
  BOOST_TEST(i2i::metrics::mse(x, y) == 500.0 / 6.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(i2i::metrics::psnr(x, y) == 10 * std::log10(255.0 * 255.0 / (500.0 / 6.0)),
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(i2i::metrics::psnr(x, y, 1.0) == 10 * std::log10(1.0 / (500.0 / 6.0)), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(std::isinf(i2i::metrics::psnr(x, x)));
  // A full-range error everywhere is 0 dB.
  image black(3, 3, 1, 0), white(3, 3, 1, 255);
  BOOST_TEST(i2i::metrics::psnr(black, white) == 0.0, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(thresholded_pixel_accuracy_sums_channel_errors) {
  // Pixel errors summed over RGB: 10, 20, 0, 255*3.
  image x(4, 1, 3), y(4, 1, 3);
  x.pixels = {0, 0, 0, 5, 5, 5, 9, 9, 9, 0, 0, 0};
  y.pixels = {10, 0, 0, 12, 12, 11, 9, 9, 9, 255, 255, 255};
  BOOST_TEST(i2i::metrics::pixels_within(x, y, 0).within == 1u);
  BOOST_TEST(i2i::metrics::pixels_within(x, y, 10).within == 2u);
  BOOST_TEST(i2i::metrics::pixels_within(x, y, 19).within == 2u);
  BOOST_TEST(i2i::metrics::pixels_within(x, y, 20).within == 3u);
  BOOST_TEST(i2i::metrics::pixel_accuracy_within(x, y, 99) == 0.75);
  BOOST_TEST(i2i::metrics::pixels_within(x, y, 99).total == 4u);
}

BOOST_AUTO_TEST_CASE(rejects_mismatched_images) {
  image a(4, 4, 3), b(4, 4, 1);
  i2i::test::expect_error<i2i::shape_error>([&] { (void)i2i::metrics::psnr(a, b); }, {"mse", "4x4x3", "4x4x1"});
  i2i::test::expect_error<i2i::shape_error>([&] { (void)i2i::metrics::pixels_within(a, b, 3); },
                                            {"pixels_within", "4x4x1"});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(segmentation)

BOOST_AUTO_TEST_CASE(hand_computed_confusion_accuracy_and_iou) {
  // 3 classes; truth / prediction per pixel:
  //   truth 0 0 0 1 1 2 2 2
  //   pred  0 0 1 1 2 2 2 0
  const std::vector<int> truth{0, 0, 0, 1, 1, 2, 2, 2}, pred{0, 0, 1, 1, 2, 2, 2, 0};
  i2i::metrics::confusion_matrix m(3);
  m.add(pred, truth);
  BOOST_TEST(m.at(0, 0) == 2u);
  BOOST_TEST(m.at(0, 1) == 1u);
  BOOST_TEST(m.at(1, 1) == 1u);
  BOOST_TEST(m.at(1, 2) == 1u);
  BOOST_TEST(m.at(2, 2) == 2u);
  BOOST_TEST(m.at(2, 0) == 1u);
  BOOST_TEST(m.total() == 8u);
  BOOST_TEST(m.pixel_accuracy() == 5.0 / 8.0, boost::test_tools::tolerance(1e-12));
  // IoU: class 0: TP 2, FP 1 (2->0), FN 1 (0->1) = 2/4; class 1: TP 1, FP 1, FN 1 = 1/3;
  // class 2: TP 2, FP 1, FN 1 = 2/4.
  const auto iou = m.iou();
  BOOST_TEST(iou[0] == 0.5, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(iou[1] == 1.0 / 3.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(iou[2] == 0.5, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m.mean_iou() == (0.5 + 1.0 / 3.0 + 0.5) / 3.0, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(ignore_index_and_absent_classes) {
  // 4 classes, 255 ignored. Class 3 never appears: no IoU, left out of the mean. Class 2 appears only
  // in the prediction: IoU 0, counted.
  const std::vector<std::uint8_t> truth{0, 0, 1, 1, 255, 255}, pred{0, 2, 1, 1, 3, 0};
  i2i::metrics::confusion_matrix m(4, 255);
  m.add(pred, truth);
  BOOST_TEST(m.total() == 4u);  // the two ignored pixels are not counted, whatever was predicted
  BOOST_TEST(m.pixel_accuracy() == 0.75, boost::test_tools::tolerance(1e-12));
  const auto iou = m.iou();
  BOOST_TEST(iou[0] == 0.5, boost::test_tools::tolerance(1e-12));  // TP 1, FN 1
  BOOST_TEST(iou[1] == 1.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(iou[2] == 0.0, boost::test_tools::tolerance(1e-12));  // FP 1
  BOOST_TEST(std::isnan(iou[3]));
  BOOST_TEST(m.mean_iou() == 0.5, boost::test_tools::tolerance(1e-12));  // (0.5 + 1 + 0) / 3
  // Free functions, accumulated over two maps equals one map of both.
  BOOST_TEST(i2i::metrics::mean_iou(std::span<const std::uint8_t>(pred), std::span<const std::uint8_t>(truth), 4, 255) ==
                 0.5,
             boost::test_tools::tolerance(1e-12));
  i2i::metrics::confusion_matrix two(4, 255);
  two.add(std::span<const std::uint8_t>(pred.data(), 3), std::span<const std::uint8_t>(truth.data(), 3));
  two.add(std::span<const std::uint8_t>(pred.data() + 3, 3), std::span<const std::uint8_t>(truth.data() + 3, 3));
  BOOST_TEST(two.mean_iou() == m.mean_iou(), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(i2i::metrics::pixel_accuracy(std::span<const std::uint8_t>(pred), std::span<const std::uint8_t>(truth), 4,
                                          255) == 0.75,
             boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(labels_out_of_range_are_errors) {
  i2i::metrics::confusion_matrix m(3, 255);
  const std::vector<int> ok{0, 1}, bad_truth{0, 7}, bad_pred{0, 3}, short_pred{0};
  i2i::test::expect_error<i2i::value_error>([&] { m.add(ok, bad_truth); }, {"ground-truth label 7", "0..2"});
  i2i::test::expect_error<i2i::value_error>([&] { m.add(bad_pred, ok); }, {"predicted label 3", "0..2"});
  i2i::test::expect_error<i2i::shape_error>([&] { m.add(short_pred, ok); }, {"1 pixels", "ground truth 2"});
  i2i::test::expect_error<i2i::value_error>([] { i2i::metrics::confusion_matrix z(0); }, {"0 classes"});
  BOOST_TEST(std::isnan(i2i::metrics::confusion_matrix(2).pixel_accuracy()));
}

BOOST_AUTO_TEST_SUITE_END()
