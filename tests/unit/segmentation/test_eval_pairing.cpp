// The evaluation's pairing of images with label maps by stem (both namings), its errors, the
// 'unlabelled' class from classes.txt, and mean IoU over the classes present in the ground truth.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/io/png.hpp"
#include "i2i/recipes/segmentation/evaluate.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
namespace fs = std::filesystem;

namespace {

struct temp_dir {
  fs::path path;
  temp_dir() {
    path = fs::temp_directory_path() / ("i2i_segeval_" + std::to_string(std::random_device{}()));
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void write_label(const fs::path& p, std::uint8_t v) {
  io::image m(4, 2, 1);
  for (auto& x : m.pixels) x = v;
  io::write_png(p.string(), m);
}
void write_rgb(const fs::path& p) { io::write_png(p.string(), io::image(4, 2, 3)); }

}  // namespace

BOOST_AUTO_TEST_SUITE(segmentation_eval)

BOOST_AUTO_TEST_CASE(pairs_by_stem_in_both_namings) {
  temp_dir t;
  fs::create_directories(t.path / "labels");
  fs::create_directories(t.path / "images");
  write_label(t.path / "labels" / "000002.png", 1);
  write_label(t.path / "labels" / "000001.png", 2);
  write_rgb(t.path / "images" / "000001_synthesized_image.png");
  write_rgb(t.path / "images" / "000001_real_image.png");  // pix2pixhd_test writes it too: not used
  write_rgb(t.path / "images" / "000002.png");
  const auto pairs = segmentation::pair_by_stem((t.path / "labels").string(), (t.path / "images").string());
  BOOST_TEST_REQUIRE(pairs.size() == 2u);
  BOOST_TEST(pairs[0].stem == "000001");
  BOOST_TEST(fs::path(pairs[0].image_path).filename().string() == "000001_synthesized_image.png");
  BOOST_TEST(pairs[1].stem == "000002");
  BOOST_TEST(fs::path(pairs[1].image_path).filename().string() == "000002.png");
}

BOOST_AUTO_TEST_CASE(missing_image_names_the_files) {
  temp_dir t;
  fs::create_directories(t.path / "labels");
  fs::create_directories(t.path / "images");
  write_label(t.path / "labels" / "a.png", 1);
  write_label(t.path / "labels" / "b.png", 1);
  write_rgb(t.path / "images" / "a.png");
  test::expect_error<io_error>(
      [&] { segmentation::pair_by_stem((t.path / "labels").string(), (t.path / "images").string()); },
      {"b.png", "b_synthesized_image.png", "--how_many"});
  test::expect_error<io_error>(
      [&] { segmentation::pair_by_stem((t.path / "labels").string(), (t.path / "nowhere").string()); },
      {"nowhere", "does not exist"});
}

BOOST_AUTO_TEST_CASE(unlabelled_class_from_classes_txt) {
  temp_dir t;
  BOOST_TEST(segmentation::unlabelled_class(t.path.string()) == -1);
  std::ofstream(t.path / "classes.txt") << "0 unlabelled\n1 sky\n";
  BOOST_TEST(segmentation::unlabelled_class(t.path.string()) == 0);
  std::ofstream(t.path / "classes.txt") << "0 background\n1 digit_0\n";
  BOOST_TEST(segmentation::unlabelled_class(t.path.string()) == -1);
}

BOOST_AUTO_TEST_CASE(mean_iou_over_present_classes) {
  // Truth: 3 pixels of class 1, 1 of class 2, 2 ignored (0). Prediction also says class 3 once.
  metrics::confusion_matrix cm(4, 0);
  const std::vector<int> truth{1, 1, 1, 2, 0, 0}, pred{1, 1, 3, 2, 3, 1};
  cm.add(pred, truth);
  const auto s = segmentation::scores_of(cm);
  BOOST_TEST(s.counted == 4u);
  BOOST_TEST(s.pixel_accuracy == 0.75);
  BOOST_TEST(s.scored_classes == (std::vector<int>{1, 2}), boost::test_tools::per_element());
  BOOST_TEST(s.iou[1] == 2.0 / 3.0);
  BOOST_TEST(s.iou[2] == 1.0);
  BOOST_TEST(std::isnan(s.iou[3]));  // absent from the truth: not scored (the confusion matrix says 0)
  BOOST_TEST(s.mean_iou == (2.0 / 3.0 + 1.0) / 2);
}

BOOST_AUTO_TEST_SUITE_END()
