#pragma once
// MNIST-Single as EGSC-IT builds it (egscit.md §8.1; the authors' datasets/prepare_data_mnist_BW.py and
// convert_mnist_BW.py), draw for draw:
//
//   np.random.seed(0); shuffle pi_A; shuffle pi_B; u_A = uniform(0, 1, N); u_B = uniform(0, 1, N)
//   A[i] = digit pi_A[i], black on white if u_A[i] < 0.5 else white on black      (28 x 28 RGB)
//   B[i] = digit pi_B[i] in the scheme of u_B[i]'s sixth: R/G G/R R/B B/R G/B B/G  (fg/bg)
//          training only: a digit 5..9 is always R/G (those schemes are held out for 5..9)
//   test only, the exact translations:  A2B[i] = digit pi_A[i] in B[i]'s scheme,
//                                        B2A[i] = digit pi_B[i] in A[i]'s scheme
//
// Images are rendered on demand from that plan (a few MB), so a build never holds the whole set.
// The same recipe applies to any 28x28 grey set with labels 0..9, e.g. Fashion-MNIST (§8.3).
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
#include "i2i/io/pixels.hpp"

namespace i2i::data {

struct mnist_single_options {
  std::uint32_t seed = 0;  ///< np.random.seed(seed); the authors used 0 for both splits
  bool hold_out = true;    ///< the training-only rule: digits >= held_out_from are always R/G in B
  int held_out_from = 5;   ///< the script's "label > 4"
};

class mnist_single {
 public:
  /// Draws the plan for one split of `digits` (all of it; a caller that wants fewer images writes
  /// fewer, so image i is the same whatever the count).
  mnist_single(grey_set digits, split which, mnist_single_options opt = {})
      : digits_(std::make_shared<const grey_set>(std::move(digits))), split_(which), opt_(opt) {
    const std::size_t n = digits_->size();
    require<value_error>(n > 0, "mnist_single: no images in the source set");
    require<value_error>(n <= 1000000, "mnist_single: ", n, " images; file names have 6 digits of index");
    require<value_error>(digits_->height > 0 && digits_->width > 0, "mnist_single: empty images");
    numpy_random_state rng(opt.seed);
    pi_a_ = rng.permutation(std::int64_t(n));
    pi_b_ = rng.permutation(std::int64_t(n));
    u_a_ = rng.uniform(0.0, 1.0, n);
    u_b_ = rng.uniform(0.0, 1.0, n);
  }

  std::size_t size() const { return pi_a_.size(); }
  split which() const { return split_; }
  const grey_set& digits() const { return *digits_; }
  const mnist_single_options& options() const { return opt_; }
  int height() const { return digits_->height; }
  int width() const { return digits_->width; }

  /// Index into the source set of A[i] / B[i] (pi_A[i], pi_B[i]).
  std::size_t a_source(std::size_t i) const { return std::size_t(pi_a_.at(i)); }
  std::size_t b_source(std::size_t i) const { return std::size_t(pi_b_.at(i)); }
  int a_label(std::size_t i) const { return digits_->labels[a_source(i)]; }
  int b_label(std::size_t i) const { return digits_->labels[b_source(i)]; }
  double a_uniform(std::size_t i) const { return u_a_.at(i); }
  double b_uniform(std::size_t i) const { return u_b_.at(i); }

  bw_scheme a_scheme(std::size_t i) const { return bw_scheme_from_uniform(u_a_.at(i)); }
  /// B[i]'s scheme, after the training-only hold-out rule.
  rgb_scheme b_scheme(std::size_t i) const {
    if (split_ == split::train && opt_.hold_out && b_label(i) >= opt_.held_out_from) return rgb_scheme::r_g;
    return rgb_scheme_from_uniform(u_b_.at(i));
  }
  /// True when (label, scheme) never occurs in training B (a held-out combination).
  bool held_out(int label, rgb_scheme s) const {
    return opt_.hold_out && label >= opt_.held_out_from && s != rgb_scheme::r_g;
  }

  io::image a(std::size_t i) const { return render(a_source(i), colours(a_scheme(i))); }
  io::image b(std::size_t i) const { return render(b_source(i), colours(b_scheme(i))); }
  /// The ideal output for content A[i] with exemplar B[i]: A[i]'s digit in B[i]'s scheme.
  io::image a2b(std::size_t i) const { return render(a_source(i), colours(b_scheme(i))); }
  /// The ideal output for content B[i] with exemplar A[i]: B[i]'s digit in A[i]'s scheme.
  io::image b2a(std::size_t i) const { return render(b_source(i), colours(a_scheme(i))); }

  /// The authors' file names: {i:06d}_{label}_{scheme}.png.
  std::string a_name(std::size_t i) const { return file_name(i, a_label(i), tag(a_scheme(i))); }
  std::string b_name(std::size_t i) const { return file_name(i, b_label(i), tag(b_scheme(i))); }
  std::string a2b_name(std::size_t i) const { return file_name(i, a_label(i), tag(b_scheme(i))); }
  std::string b2a_name(std::size_t i) const { return file_name(i, b_label(i), tag(a_scheme(i))); }

  /// The (A index, B index) of each record, in record order, as convert_mnist_BW.py pairs them. Test:
  /// (i, i). Train: Python's random.seed(1), then Python 2's random.shuffle of the sorted A list and
  /// of the zipped pairs, i.e. random couples (assuming, like the script, that nothing imported
  /// after random.seed(1) draws from Python's global generator).
  std::vector<std::pair<std::size_t, std::size_t>> record_pairs() const {
    const std::size_t n = size();
    std::vector<std::pair<std::size_t, std::size_t>> pairs(n);
    for (std::size_t k = 0; k < n; ++k) pairs[k] = {k, k};
    if (split_ == split::test) return pairs;
    python_random py(1);
    std::vector<std::size_t> a(n);
    for (std::size_t k = 0; k < n; ++k) a[k] = k;
    py.shuffle_py2(std::span<std::size_t>(a));
    for (std::size_t k = 0; k < n; ++k) pairs[k].first = a[k];
    py.shuffle_py2(std::span<std::pair<std::size_t, std::size_t>>(pairs));
    return pairs;
  }

 private:
  io::image render(std::size_t source, two_colours c) const {
    io::image img(width(), height(), 3);
    paint_digit(digits_->image(source), height(), width(), c, img);
    return img;
  }

  static std::string file_name(std::size_t i, int label, std::string_view scheme) {
    char head[32];
    std::snprintf(head, sizeof head, "%06zu_%d_", i, label);
    std::string s(head);
    s += scheme;
    s += ".png";
    return s;
  }

  std::shared_ptr<const grey_set> digits_;
  split split_;
  mnist_single_options opt_;
  std::vector<std::int64_t> pi_a_, pi_b_;
  std::vector<double> u_a_, u_b_;
};

}  // namespace i2i::data
