#pragma once
// pix2pixHD's evaluation (research/pix2pixhd.md §6): a segmentation network labels images (real ones:
// the oracle; generated from the test label maps: a generator), and the predictions are scored against
// the test label maps with pixel accuracy and mean IoU.
//
//   auto pairs = segmentation::pair_by_stem("data/scenes/test_label", "results/x/test_latest/images");
//   auto cm = segmentation::segment_pairs(net, pairs, 12, /*ignore_index=*/0);
//   auto s = segmentation::scores_of(cm);     // s.pixel_accuracy, s.mean_iou, s.iou[c]
//
// Images pair with label maps by file stem: <stem>_synthesized_image.png (pix2pixhd_test's and
// pix2pix_train test's naming) or <stem>.png / .jpg (a plain folder such as <phase>_img). A label map
// without an image is an error naming the files looked for: a partial results folder (pix2pixhd_test
// writes only --how_many images, 50 by default) must not silently shrink the test set.
//
// Mean IoU is over the classes present in the ground truth (after ignoring ignore_index): a class the
// test set never shows cannot be scored, and a spurious prediction of it still costs the other classes
// through their false positives.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "i2i/data/classes_file.hpp"
#include "i2i/core/error.hpp"
#include "i2i/data/aligned_dataset.hpp"
#include "i2i/data/map_io.hpp"
#include "i2i/io/image.hpp"
#include "i2i/metrics/segmentation.hpp"
#include "i2i/recipes/segmentation/trainer.hpp"

namespace i2i::segmentation {

struct eval_pair {
  std::string stem, label_path, image_path;
};

/// For every label map under labels_dir (sorted), the image of the same stem in images_dir. io_error
/// naming the label map and the files looked for when one is missing.
inline std::vector<eval_pair> pair_by_stem(const std::string& labels_dir, const std::string& images_dir) {
  namespace fs = std::filesystem;
  const auto labels = data::list_images(labels_dir, "label folder");
  require<io_error>(!labels.empty(), "pair_by_stem: '", labels_dir, "' holds no PNG or JPEG label map");
  std::error_code ec;
  require<io_error>(fs::is_directory(images_dir, ec), "pair_by_stem: image folder '", images_dir,
                    "' does not exist or is not a folder");
  std::vector<eval_pair> out;
  for (const auto& l : labels) {
    const std::string stem = fs::path(l).stem().string();
    const fs::path dir(images_dir);
    const fs::path candidates[] = {dir / (stem + "_synthesized_image.png"), dir / (stem + ".png"),
                                   dir / (stem + ".jpg")};
    std::string found;
    for (const auto& c : candidates)
      if (fs::is_regular_file(c, ec)) {
        found = c.string();
        break;
      }
    require<io_error>(!found.empty(), "pair_by_stem: no image for label map '", l, "': none of '",
                      candidates[0].string(), "', '", candidates[1].string(), "', '", candidates[2].string(),
                      "' exists (for pix2pixhd_test results, generate every test image: --how_many N)");
    out.push_back({stem, l, found});
  }
  return out;
}

/// The class whose name in <dataroot>/classes.txt ("<id> <name>" lines, written by
/// pix2pixhd_prepare_data) is unlabelled/unlabeled/void, or -1 (no such file or class).
inline int unlabelled_class(const std::string& dataroot) { return data::unlabelled_class(data::read_classes(dataroot)); }

/// Segments every pair's image with `net` (in its current mode: call eval() first) and accumulates the
/// confusion matrix against the label maps. Image and label sizes must match (shape_error naming both).
template <class Model>
metrics::confusion_matrix segment_pairs(const Model& net, const std::vector<eval_pair>& pairs, int classes,
                                        std::int64_t ignore_index = -1) {
  metrics::confusion_matrix cm(classes, ignore_index);
  for (const auto& p : pairs) {
    const io::image16 label = data::read_map(p.label_path);
    const io::image img = io::read_image(p.image_path, 3);
    require<shape_error>(img.width == label.width && img.height == label.height, "segment_pairs: image '",
                         p.image_path, "' is ", img.width, "x", img.height, " (WxH) but its label map '", p.label_path,
                         "' is ", label.width, "x", label.height);
    const auto ids = predict(net, io::to_tensor(img));
    std::vector<std::int32_t> pred(std::size_t(ids.numel()));
    for (std::int64_t i = 0; i < ids.numel(); ++i) pred[std::size_t(i)] = std::int32_t(ids[i]);
    try {
      cm.add(std::span<const std::int32_t>(pred), std::span<const std::uint16_t>(label.pixels));
    } catch (const value_error& e) {
      throw value_error(i2i::detail::concat("segment_pairs: '", p.label_path, "': ", e.what()));
    }
  }
  return cm;
}

struct scores {
  double pixel_accuracy = 0;           ///< correct / counted pixels
  double mean_iou = 0;                 ///< over the classes present in the ground truth
  std::vector<double> iou;             ///< per class; NaN for classes absent from the ground truth
  std::vector<std::uint64_t> pixels;   ///< ground-truth pixels per class (counted ones)
  std::vector<int> scored_classes;     ///< the classes in mean_iou
  std::uint64_t counted = 0;           ///< pixels counted (not ignored)
};

inline scores scores_of(const metrics::confusion_matrix& cm) {
  scores s;
  s.pixel_accuracy = cm.pixel_accuracy();
  s.counted = cm.total();
  const auto iou = cm.iou();
  double sum = 0;
  for (int c = 0; c < cm.classes(); ++c) {
    std::uint64_t gt = 0;
    for (int p = 0; p < cm.classes(); ++p) gt += cm.at(c, p);
    s.pixels.push_back(gt);
    s.iou.push_back(gt ? iou[std::size_t(c)] : std::nan(""));
    if (gt) {
      s.scored_classes.push_back(c);
      sum += iou[std::size_t(c)];
    }
  }
  s.mean_iou = s.scored_classes.empty() ? std::nan("") : sum / double(s.scored_classes.size());
  return s;
}

}  // namespace i2i::segmentation
