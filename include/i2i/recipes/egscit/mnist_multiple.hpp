#pragma once
// MNIST-Multiple ("multi_jitterColor_BW") as EGSC-IT builds it (egscit.md §8.2; the authors'
// datasets/prepare_data_mnist_multiJitter_BW.py), draw for draw:
//
//   np.random.seed(0); shuffle pi_A; shuffle pi_B (unused, but they consume draws); u_A, u_B ~ U(0,1)^N
//   per A image: rand(100) * N -> indices, keep the first of each label until all 10 are found,
//                permute them, permutation(16) -> cells; digit j goes to cell cells[j] of a 4x4 grid
//                of 28x28 cells (112x112); canvas and digits black/white as u_A[i]
//   per B image: the same with rand(200), then per digit (in placed order) s, v ~ U(0.6, 1.4): the
//                digit is hsv(label/10, 0.5 s, 0.5 v) on a canvas that is white if u_B[i] < 0.5
//   test only:   A2B[i] = A[i]'s digits and layout, B[i]'s canvas, each digit in B[i]'s colour for its
//                class; B2A[i] = B[i]'s digits and layout in A[i]'s black/white scheme
//
// Two details of the authors' run that the spec does not spell out, both reproduced by default:
//   * The script ran under Python 2 (it shuffles range() lists and slices with k/4), so the chosen
//     digits are permuted in CPython 2.7's dict order (ascending label once 6 labels are in), not
//     in insertion order.
//   * The canvas is a float64 array, so scipy.misc.toimage min-max stretched every saved image
//     (scipy_bytescale.hpp): B's colours are stretched so that the darkest channel on a white canvas
//     becomes 0, or the brightest on a black one becomes 255. A2B gets the same stretch as B[i] when
//     it holds the same classes, which it almost always does.
#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/recipes/egscit/colour_schemes.hpp"
#include "i2i/data/mnist_files.hpp"
#include "i2i/data/python_random.hpp"
#include "i2i/data/scipy_bytescale.hpp"
#include "i2i/io/pixels.hpp"

namespace i2i::data {

struct mnist_multiple_options {
  std::uint32_t seed = 0;          ///< np.random.seed(seed)
  int classes = 10;                ///< DIGIT_NUM: one digit per class
  int grid = 4;                    ///< SQUARE_SIZE: a grid x grid canvas of cells
  double jitter = 0.4;             ///< s and v factors ~ U(1 - jitter, 1 + jitter)
  int draws_a = 100, draws_b = 200;  ///< random indices drawn per image to find every class
  bool imsave_stretch = true;      ///< the authors' saved files were min-max stretched (see above)
  bool python2_dict_order = true;  ///< order of the found digits before their permutation
};

/// CPython 2.7's iteration order of a dict whose keys are small non-negative ints (hash = value),
/// inserted in the given order: open addressing from 8 slots, resized to 4x the entries once two
/// thirds are filled. Returns the keys in iteration order.
inline std::vector<int> python2_dict_order(const std::vector<int>& inserted) {
  std::size_t mask = 7;
  std::vector<int> table(8, -1);
  std::size_t fill = 0;
  auto place = [](std::vector<int>& t, std::size_t m, int key) {
    std::size_t i = std::size_t(key) & m;
    for (std::size_t perturb = std::size_t(key); t[i & m] != -1; perturb >>= 5) i = (i << 2) + i + perturb + 1;
    t[i & m] = key;
  };
  for (int key : inserted) {
    require<value_error>(key >= 0, "python2_dict_order: negative key ", key);
    place(table, mask, key);
    ++fill;
    if (fill * 3 >= (mask + 1) * 2) {
      std::size_t size = 8;
      while (size <= 4 * fill) size <<= 1;
      std::vector<int> bigger(size, -1);
      for (int k : table)
        if (k != -1) place(bigger, size - 1, k);
      table = std::move(bigger);
      mask = size - 1;
    }
  }
  std::vector<int> order;
  for (int k : table)
    if (k != -1) order.push_back(k);
  return order;
}

/// Where the digits of one canvas come from and where they go.
struct multi_layout {
  std::vector<std::uint32_t> sources;  ///< source-set indices, digit j = sources[j]
  std::vector<std::uint8_t> cells;     ///< digit j sits in cell cells[j] (row cells[j] / grid, column % grid)
};

class mnist_multiple {
 public:
  mnist_multiple(grey_set digits, split which, mnist_multiple_options opt = {})
      : digits_(std::make_shared<const grey_set>(std::move(digits))), split_(which), opt_(opt) {
    const std::size_t n = digits_->size();
    require<value_error>(n > 0, "mnist_multiple: no images in the source set");
    require<value_error>(n <= 1000000, "mnist_multiple: ", n, " images; file names have 6 digits of index");
    require<value_error>(opt.classes >= 1 && opt.grid >= 1 && opt.classes <= opt.grid * opt.grid &&
                             opt.grid * opt.grid <= 256,
                         "mnist_multiple: ", opt.classes, " digits do not fit a ", opt.grid, "x", opt.grid, " grid");
    require<value_error>(opt.draws_a > 0 && opt.draws_b > 0 && opt.jitter >= 0 && opt.jitter < 1,
                         "mnist_multiple: draws_a ", opt.draws_a, ", draws_b ", opt.draws_b, " and jitter ", opt.jitter,
                         " must be > 0, > 0 and in [0, 1)");
    numpy_random_state rng(opt.seed);
    (void)rng.permutation(std::int64_t(n));  // idx_list_A: drawn, never used
    (void)rng.permutation(std::int64_t(n));  // idx_list_B
    u_a_ = rng.uniform(0.0, 1.0, n);
    u_b_ = rng.uniform(0.0, 1.0, n);
    a_.resize(n);
    b_.resize(n);
    b_colours_.assign(n * std::size_t(opt.classes), no_colour);
    for (std::size_t i = 0; i < n; ++i) a_[i] = draw_layout(rng, opt.draws_a);
    const double lo = 1.0 - opt.jitter, hi = 1.0 + opt.jitter;
    for (std::size_t i = 0; i < n; ++i) {
      b_[i] = draw_layout(rng, opt.draws_b);
      for (std::uint32_t src : b_[i].sources) {
        const int label = digits_->labels[src];
        const double s = rng.uniform(lo, hi);
        const double v = rng.uniform(lo, hi);
        b_colours_[i * std::size_t(opt.classes) + std::size_t(label)] = pack(class_colour(label, s, v, opt.classes));
      }
    }
  }

  std::size_t size() const { return a_.size(); }
  split which() const { return split_; }
  const grey_set& digits() const { return *digits_; }
  const mnist_multiple_options& options() const { return opt_; }
  int height() const { return opt_.grid * digits_->height; }
  int width() const { return opt_.grid * digits_->width; }

  const multi_layout& a_layout(std::size_t i) const { return a_.at(i); }
  const multi_layout& b_layout(std::size_t i) const { return b_.at(i); }
  bw_scheme a_scheme(std::size_t i) const { return bw_scheme_from_uniform(u_a_.at(i)); }
  /// B[i]'s canvas (and digit background): white if u_B[i] < 0.5, else black.
  rgb b_canvas(std::size_t i) const { return u_b_.at(i) < 0.5 ? white : black; }
  /// The colour B[i] drew for `label` before any stretch; false when B[i] has no digit of that class.
  bool b_colour(std::size_t i, int label, rgb* out) const {
    require<value_error>(label >= 0 && label < opt_.classes, "mnist_multiple: label ", label, " outside 0..",
                         opt_.classes - 1);
    const std::uint32_t c = b_colours_.at(i * std::size_t(opt_.classes) + std::size_t(label));
    if (c == no_colour) return false;
    if (out) *out = unpack(c);
    return true;
  }

  io::image a(std::size_t i) const {
    const two_colours c = colours(a_scheme(i));
    return render(a_.at(i), c.bg, [&](int) { return c.fg; });
  }
  io::image b(std::size_t i) const { return render(b_.at(i), b_canvas(i), [&](int label) { return b_fg(i, label); }); }
  /// A[i]'s digits and layout on B[i]'s canvas, each digit in B[i]'s colour for its class. A class that
  /// B[i] lacks (the script would stop with a KeyError; it never happens with MNIST and seed 0) gets the
  /// un-jittered class colour hsv(label/10, 0.5, 0.5).
  io::image a2b(std::size_t i) const {
    return render(a_.at(i), b_canvas(i), [&](int label) { return b_fg(i, label); });
  }
  /// B[i]'s digits and layout in A[i]'s black/white scheme.
  io::image b2a(std::size_t i) const {
    const two_colours c = colours(a_scheme(i));
    return render(b_.at(i), c.bg, [&](int) { return c.fg; });
  }

  /// The authors' file names: A {i:06d}_{scheme}.png, B {i:06d}.png, A2B {i:06d}.png, B2A
  /// {i:06d}_{A[i]'s scheme}.png.
  std::string a_name(std::size_t i) const { return index_name(i, tag(a_scheme(i))); }
  std::string b_name(std::size_t i) const { return index_name(i, {}); }
  std::string a2b_name(std::size_t i) const { return index_name(i, {}); }
  std::string b2a_name(std::size_t i) const { return index_name(i, tag(a_scheme(i))); }

  /// convert_mnist_multi_BW.py keeps index order for both splits (its shuffles are commented out).
  std::vector<std::pair<std::size_t, std::size_t>> record_pairs() const {
    std::vector<std::pair<std::size_t, std::size_t>> pairs(size());
    for (std::size_t k = 0; k < pairs.size(); ++k) pairs[k] = {k, k};
    return pairs;
  }

 private:
  static constexpr std::uint32_t no_colour = 0xffffffffu;
  static std::uint32_t pack(rgb c) { return std::uint32_t(c.r) << 16 | std::uint32_t(c.g) << 8 | c.b; }
  static rgb unpack(std::uint32_t c) { return {std::uint8_t(c >> 16), std::uint8_t(c >> 8), std::uint8_t(c)}; }

  rgb b_fg(std::size_t i, int label) const {
    rgb c;
    if (b_colour(i, label, &c)) return c;
    return class_colour(label, 1.0, 1.0, opt_.classes);
  }

  multi_layout draw_layout(numpy_random_state& rng, int draws) const {
    const std::size_t n = digits_->size();
    const std::vector<double> u = rng.rand(std::size_t(draws));
    std::vector<int> labels_in_order;
    std::vector<std::int64_t> by_label(std::size_t(opt_.classes), -1);
    for (double x : u) {
      const auto idx = std::size_t(x * double(n));  // (rand(k) * N).astype(int)
      const int label = digits_->labels[idx];
      if (label < opt_.classes && by_label[std::size_t(label)] < 0) {
        by_label[std::size_t(label)] = std::int64_t(idx);
        labels_in_order.push_back(label);
      }
      if (int(labels_in_order.size()) == opt_.classes) break;
    }
    const std::vector<int> order = opt_.python2_dict_order ? python2_dict_order(labels_in_order) : labels_in_order;
    std::vector<std::int64_t> values;
    for (int label : order) values.push_back(by_label[std::size_t(label)]);
    const std::vector<std::int64_t> placed = rng.permutation(std::span<const std::int64_t>(values));
    const std::vector<std::int64_t> cells = rng.permutation(std::int64_t(opt_.grid) * opt_.grid);
    multi_layout l;
    for (std::size_t j = 0; j < placed.size(); ++j) {
      l.sources.push_back(std::uint32_t(placed[j]));
      l.cells.push_back(std::uint8_t(cells[j]));
    }
    return l;
  }

  template <class Fg>
  io::image render(const multi_layout& l, rgb canvas, Fg fg_of_label) const {
    const int h = digits_->height, w = digits_->width;
    io::image img(width(), height(), 3);
    for (std::size_t k = 0; k < img.pixels.size(); k += 3) {
      img.pixels[k] = canvas.r;
      img.pixels[k + 1] = canvas.g;
      img.pixels[k + 2] = canvas.b;
    }
    for (std::size_t j = 0; j < l.sources.size(); ++j) {
      const int label = digits_->labels[l.sources[j]];
      const int cell = l.cells[j];
      paint_digit(digits_->image(l.sources[j]), h, w, {fg_of_label(label), canvas}, img, (cell / opt_.grid) * h,
                  (cell % opt_.grid) * w);
    }
    if (opt_.imsave_stretch) imsave_stretch(img);
    return img;
  }

  static std::string index_name(std::size_t i, std::string_view scheme) {
    char head[32];
    std::snprintf(head, sizeof head, "%06zu", i);
    std::string s(head);
    if (!scheme.empty()) {
      s += '_';
      s += scheme;
    }
    s += ".png";
    return s;
  }

  std::shared_ptr<const grey_set> digits_;
  split split_;
  mnist_multiple_options opt_;
  std::vector<double> u_a_, u_b_;
  std::vector<multi_layout> a_, b_;
  std::vector<std::uint32_t> b_colours_;  ///< size() x classes, packed RGB or no_colour
};

}  // namespace i2i::data
