#pragma once
// pix2pixHD's AlignedDataset (data/aligned_dataset.py; research/pix2pixhd.md §3): paired label maps,
// instance maps and images under one dataroot, transformed with shared random parameters.
//
// Layout (phase = train or test):
//   label_nc > 0:  <phase>_label/ (1-channel class ids)  <phase>_inst/ (ids)  <phase>_img/ (RGB)
//   label_nc = 0:  <phase>_A/ (RGB input)                <phase>_inst/        <phase>_B/ (RGB target)
// Files are found by a recursive walk, sorted by path, and paired by sorted position, as pix2pixHD
// does (Cityscapes pairs *_gtFine_labelIds.png with *_leftImg8bit.png, so names need not match).
//
// Differences from the reference, all on inputs where the reference crashes or silently degrades:
// - every problem is an i2i error naming the file: a missing folder (with the --no_instance hint for
//   <phase>_inst), an empty folder, different file counts (both counts and the first file without a
//   partner), unreadable or corrupt files, a label >= label_nc (value and pixel), maps of one sample
//   whose sizes differ after the transform, and sizes not divisible by 2^(n_downsample_global +
//   n_local_enhancers) (the generator would change the size);
// - instance maps are always resized with nearest and keep their raw ids (the reference's label_nc = 0
//   path runs them through the bicubic RGB transform, and it divides 8-bit instance PNGs by 255);
// - the instance tensor holds the ids as floats (exact below 2^24).
#include <algorithm>
#include <climits>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/data/map_io.hpp"
#include "i2i/data/map_tensor.hpp"
#include "i2i/data/augment.hpp"
#include "i2i/data/transform.hpp"
#include "i2i/io/image.hpp"

namespace i2i::data {

/// The options of pix2pixHD that choose and shape the data (defaults are pix2pixHD's).
struct dataset_options {
  std::string dataroot;          ///< --dataroot
  std::string phase = "train";   ///< --phase: folders <phase>_label, <phase>_inst, <phase>_img
  int label_nc = 35;             ///< --label_nc; 0 reads RGB inputs from <phase>_A
  bool no_instance = false;      ///< --no_instance
  bool load_image = true;        ///< read the target image (pix2pixHD: isTrain or --use_encoded_image)
  std::size_t max_dataset_size = SIZE_MAX;  ///< --max_dataset_size: the first N pairs by sorted order
  bool check_divisible = true;   ///< require sizes divisible by transform.size_multiple() after the transform
  transform_options transform;
  augment_options augment;       ///< zoom and colour jitter, training samples only (off by default)
};

/// One transformed sample, each tensor with batch size 1.
struct sample {
  tensor<float> label;  ///< 1 x 1 x H x W class ids as floats, or 1 x 3 x H x W in [-1, 1] when label_nc = 0
  tensor<float> inst;   ///< 1 x 1 x H x W instance ids as floats; undefined with no_instance
  tensor<float> image;  ///< 1 x 3 x H x W in [-1, 1]; undefined unless load_image
  std::string label_path, inst_path, image_path;  ///< empty when not read
  transform_params params;                        ///< the random parameters that were applied
  augment_params augment;                         ///< and the augmentation's (identity when off)
};

enum class image_file { none, decodable, undecodable };

/// Whether pix2pixHD's make_dataset would list `p` (by extension), and whether we can decode it (PNG, JPEG).
inline image_file classify_image_file(const std::filesystem::path& p) {
  const std::string e = p.extension().string();
  for (const char* x : {".png", ".PNG", ".jpg", ".JPG", ".jpeg", ".JPEG"})
    if (e == x) return image_file::decodable;
  for (const char* x : {".ppm", ".PPM", ".bmp", ".BMP", ".tiff"})
    if (e == x) return image_file::undecodable;
  return image_file::none;
}

/// Every image file under `dir` (recursively), sorted by path. io_error if `dir` is not a folder or
/// holds a .ppm/.bmp/.tiff file (make_dataset would list it; we cannot decode it). `what` names the
/// folder's role in messages.
inline std::vector<std::string> list_images(const std::string& dir, const std::string& what = "folder") {
  namespace fs = std::filesystem;
  std::error_code ec;
  require<io_error>(fs::is_directory(dir, ec), what, " '", dir, "' does not exist or is not a folder");
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const image_file kind = classify_image_file(it->path());
    if (kind == image_file::none) continue;
    require<io_error>(kind == image_file::decodable, what, ": '", it->path().string(),
                      "' is not PNG or JPEG; only those formats can be read (convert it, e.g. to PNG)");
    files.push_back(it->path().string());
  }
  require<io_error>(!ec, what, " '", dir, "': cannot list it (", ec.message(), ")");
  std::sort(files.begin(), files.end());
  return files;
}

namespace detail {

inline std::string stem_of(const std::string& p) { return std::filesystem::path(p).stem().string(); }

/// The first file of `a` or `b` without a partner: by name (stem) when the two folders share names at all,
/// else the first file past the shorter list (names differ by design, as in Cityscapes).
inline std::string first_unmatched(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> sa, sb;
  for (auto& p : a) sa.push_back(stem_of(p));
  for (auto& p : b) sb.push_back(stem_of(p));
  std::vector<std::string> ssa = sa, ssb = sb;
  std::sort(ssa.begin(), ssa.end());
  std::sort(ssb.begin(), ssb.end());
  bool shared = false;
  for (auto& s : sa) shared = shared || std::binary_search(ssb.begin(), ssb.end(), s);
  if (shared) {
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!std::binary_search(ssb.begin(), ssb.end(), sa[i])) return a[i];
    for (std::size_t i = 0; i < b.size(); ++i)
      if (!std::binary_search(ssa.begin(), ssa.end(), sb[i])) return b[i];
  }
  return a.size() > b.size() ? a[b.size()] : b[std::min(a.size(), b.size() - 1)];
}

/// (x / 255 - 0.5) / 0.5 in float32, exactly as ToTensor + Normalize((0.5,)*3, (0.5,)*3) compute it.
inline void rgb_to_chw(const io::image& img, float* dst) {
  const std::size_t hw = std::size_t(img.width) * img.height;
  for (int c = 0; c < 3; ++c)
    for (std::size_t i = 0; i < hw; ++i) dst[c * hw + i] = (float(img.pixels[i * 3 + c]) / 255.0f - 0.5f) / 0.5f;
}

}  // namespace detail

class aligned_dataset {
 public:
  explicit aligned_dataset(dataset_options opt) : opt_(std::move(opt)) {
    check_options(opt_.transform);
    check_augment(opt_.augment);
    require<value_error>(opt_.label_nc >= 0, "aligned_dataset: label_nc must be >= 0, got ", opt_.label_nc);
    namespace fs = std::filesystem;
    std::error_code ec;
    require<io_error>(fs::is_directory(opt_.dataroot, ec), "aligned_dataset: dataroot '", opt_.dataroot,
                      "' does not exist or is not a folder");
    const fs::path root(opt_.dataroot);
    label_dir_ = (root / (opt_.phase + (opt_.label_nc == 0 ? "_A" : "_label"))).string();
    image_dir_ = (root / (opt_.phase + (opt_.label_nc == 0 ? "_B" : "_img"))).string();
    inst_dir_ = (root / (opt_.phase + "_inst")).string();

    labels_ = list_images(label_dir_, opt_.label_nc == 0 ? "input folder (label_nc 0)" : "label folder");
    require<io_error>(!labels_.empty(), "aligned_dataset: '", label_dir_, "' holds no PNG or JPEG file");
    if (!opt_.no_instance) {
      require<io_error>(fs::is_directory(inst_dir_, ec), "aligned_dataset: instance maps are used (no_instance is off) ",
                        "but the instance folder '", inst_dir_, "' does not exist; create it or pass no_instance");
      insts_ = list_images(inst_dir_, "instance folder");
      check_counts(labels_, label_dir_, insts_, inst_dir_);
    }
    if (opt_.load_image) {
      images_ = list_images(image_dir_, "image folder");
      check_counts(labels_, label_dir_, images_, image_dir_);
    }
    const std::size_t n = std::min(labels_.size(), opt_.max_dataset_size);
    labels_.resize(n);
    if (!insts_.empty()) insts_.resize(n);
    if (!images_.empty()) images_.resize(n);
  }

  std::size_t size() const { return labels_.size(); }
  const dataset_options& options() const { return opt_; }
  const std::vector<std::string>& label_paths() const { return labels_; }
  const std::vector<std::string>& inst_paths() const { return insts_; }
  const std::vector<std::string>& image_paths() const { return images_; }

  /// Channels of the generator's input: label_nc (or 3 for RGB inputs) + 1 boundary map with instances.
  int input_channels() const { return (opt_.label_nc > 0 ? opt_.label_nc : 3) + (opt_.no_instance ? 0 : 1); }

  /// Sample i with random parameters drawn from `r` (from the size of its label map, as get_params does).
  sample get(std::size_t i, rng& r) const {
    check_index(i);
    loaded l = read(i);
    const transform_params p = draw_params(opt_.transform, l.width(), l.height(), r);
    // Drawn after the transform's draws and only when active: without augmentation the stream is unchanged.
    const augment_params a = opt_.transform.is_train ? draw_augment(opt_.augment, r) : augment_params{};
    return finish(i, std::move(l), p, a);
  }

  /// Sample i with the given parameters (e.g. none at test time: transform_params{}).
  sample get(std::size_t i, const transform_params& p) const {
    check_index(i);
    return finish(i, read(i), p);
  }

 private:
  struct loaded {
    io::image16 label;  // label_nc > 0
    io::image rgb_in;   // label_nc == 0
    io::image16 inst;
    io::image image;
    int width() const { return label.empty() ? rgb_in.width : label.width; }
    int height() const { return label.empty() ? rgb_in.height : label.height; }
  };

  static void check_counts(const std::vector<std::string>& a, const std::string& da, const std::vector<std::string>& b,
                           const std::string& db) {
    if (!b.empty() && a.size() == b.size()) return;
    if (b.empty())
      throw io_error(i2i::detail::concat("aligned_dataset: '", db, "' holds no PNG or JPEG file but '", da, "' holds ",
                                         a.size()));
    throw io_error(i2i::detail::concat("aligned_dataset: '", da, "' holds ", a.size(), " files but '", db, "' holds ",
                                       b.size(), "; files are paired by sorted order, so the counts must match (first "
                                       "file without a partner: '", detail::first_unmatched(a, b), "')"));
  }

  void check_index(std::size_t i) const {
    require<value_error>(i < size(), "aligned_dataset: sample ", i, " of a dataset of ", size());
  }

  loaded read(std::size_t i) const {
    loaded l;
    if (opt_.label_nc > 0) {
      l.label = read_map(labels_[i]);
      check_labels(l.label, labels_[i]);
    } else {
      l.rgb_in = io::read_image(labels_[i], 3);
    }
    if (!opt_.no_instance) l.inst = read_map(insts_[i]);
    if (opt_.load_image) l.image = io::read_image(images_[i], 3);
    return l;
  }

  void check_labels(const io::image16& m, const std::string& path) const {
    const auto it = std::find_if(m.pixels.begin(), m.pixels.end(), [&](std::uint16_t v) { return v >= opt_.label_nc; });
    if (it == m.pixels.end()) return;
    const std::size_t at = std::size_t(it - m.pixels.begin());
    std::size_t count = std::size_t(std::count_if(m.pixels.begin(), m.pixels.end(),
                                                  [&](std::uint16_t v) { return v >= opt_.label_nc; }));
    throw value_error(i2i::detail::concat("aligned_dataset: '", path, "': label ", *it, " at pixel (x=", at % m.width,
                                          ", y=", at / m.width, ") is >= label_nc = ", opt_.label_nc, " (", count,
                                          " pixels out of range; labels must be 0..", opt_.label_nc - 1,
                                          ": raise label_nc or remap the ids)"));
  }

  sample finish(std::size_t i, loaded l, const transform_params& p, const augment_params& a = {}) const {
    const transform_options& t = opt_.transform;
    sample s;
    s.params = p;
    s.augment = a;
    s.label_path = labels_[i];
    // The transform's resize, crop and flip, then the augmentation's zoom: one geometry for every file.
    auto geometry = [&](const auto& img, interp how, const std::string& path) {
      return apply_zoom(apply_transform(img, t, p, how, path), a, how);
    };
    int w = 0, h = 0;
    if (opt_.label_nc > 0) {
      const io::image16 m = geometry(l.label, interp::nearest, labels_[i]);
      w = m.width, h = m.height;
      s.label = map_to_tensor(m);
    } else {
      const io::image rgb = geometry(l.rgb_in, interp::bicubic, labels_[i]);
      w = rgb.width, h = rgb.height;
      s.label = tensor<float>::empty(shape::nchw(1, 3, h, w));
      detail::rgb_to_chw(rgb, s.label.data());
    }
    auto same_size = [&](int ow, int oh, const std::string& path) {
      require<shape_error>(ow == w && oh == h, "aligned_dataset: '", path, "' is ", ow, "x", oh, " (WxH) after the ",
                           "transform but its input '", labels_[i], "' is ", w, "x", h,
                           "; the files of one sample must have the same size");
    };
    if (!opt_.no_instance) {
      const io::image16 m = geometry(l.inst, interp::nearest, insts_[i]);
      same_size(m.width, m.height, insts_[i]);
      s.inst = map_to_tensor(m);
      s.inst_path = insts_[i];
    }
    if (opt_.load_image) {
      const io::image b = apply_color_jitter(geometry(l.image, interp::bicubic, images_[i]), a);
      same_size(b.width, b.height, images_[i]);
      s.image = tensor<float>::empty(shape::nchw(1, 3, h, w));
      detail::rgb_to_chw(b, s.image.data());
      s.image_path = images_[i];
    }
    if (opt_.check_divisible) require_divisible(s.label.shape(), t.size_multiple(), "aligned_dataset: '" + labels_[i] + "'");
    return s;
  }

  dataset_options opt_;
  std::string label_dir_, image_dir_, inst_dir_;
  std::vector<std::string> labels_, insts_, images_;
};

}  // namespace i2i::data
