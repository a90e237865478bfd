#pragma once
// The colourings of EGSC-IT's MNIST datasets (egscit.md §8): a grey digit is binarised at 127.5 and
// every pixel repainted with a pure colour, so each cell is a two-colour image and a ground-truth
// translation is exact. Also colorsys.hsv_to_rgb with Python 2's round(), operation for operation,
// which gives MNIST-Multiple's class colours.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>

#include "i2i/core/error.hpp"
#include "i2i/data/python_random.hpp"
#include "i2i/io/pixels.hpp"

namespace i2i::data {

struct rgb {
  std::uint8_t r = 0, g = 0, b = 0;
  friend bool operator==(const rgb&, const rgb&) = default;
};

inline constexpr rgb black{0, 0, 0}, white{255, 255, 255};
inline constexpr rgb red{255, 0, 0}, green{0, 255, 0}, blue{0, 0, 255};

/// Foreground and background colour of a binarised digit.
struct two_colours {
  rgb fg, bg;
  friend bool operator==(const two_colours&, const two_colours&) = default;
};

/// Domain A's schemes. The names are the authors' file-name tags, misspelling included
/// ("Whilte"), so that our files sort and match exactly like theirs.
enum class bw_scheme : std::uint8_t { black_on_white, white_on_black };

constexpr two_colours colours(bw_scheme s) {
  return s == bw_scheme::black_on_white ? two_colours{black, white} : two_colours{white, black};
}
constexpr std::string_view tag(bw_scheme s) {
  return s == bw_scheme::black_on_white ? "Black_Whilte" : "Whilte_Black";
}
/// u < 0.5: black on white; otherwise white on black (prepare_data_mnist*_BW.py).
constexpr bw_scheme bw_scheme_from_uniform(double u) {
  return u < 0.5 ? bw_scheme::black_on_white : bw_scheme::white_on_black;
}

/// Domain B's six schemes of MNIST-Single, named foreground_background, in the order of the six
/// equal bins of u_B.
enum class rgb_scheme : std::uint8_t { r_g, g_r, r_b, b_r, g_b, b_g };
inline constexpr int rgb_scheme_count = 6;

constexpr two_colours colours(rgb_scheme s) {
  constexpr std::array<two_colours, 6> table{{{red, green}, {green, red}, {red, blue}, {blue, red}, {green, blue},
                                              {blue, green}}};
  return table[std::size_t(s)];
}
constexpr std::string_view tag(rgb_scheme s) {
  constexpr std::array<std::string_view, 6> names{"R_G", "G_R", "R_B", "B_R", "G_B", "B_G"};
  return names[std::size_t(s)];
}
/// The bins exactly as the script compares them: u < 1.0/6.0, u < 2.0/6.0, ...
constexpr rgb_scheme rgb_scheme_from_uniform(double u) {
  for (int k = 1; k < rgb_scheme_count; ++k)
    if (u < double(k) / 6.0) return rgb_scheme(k - 1);
  return rgb_scheme::b_g;
}

/// The binarisation of both scripts: foreground is img > 127.5 (>= 128), background img < 127.5.
constexpr bool is_foreground(std::uint8_t grey) { return grey >= 128; }

/// Paints an h x w grey digit, binarised, into `dst` (RGB) with its top-left corner at (y0, x0).
inline void paint_digit(std::span<const std::uint8_t> grey, int h, int w, two_colours c, io::image& dst, int y0 = 0,
                        int x0 = 0) {
  require<shape_error>(grey.size() == std::size_t(h) * std::size_t(w), "paint_digit: ", grey.size(),
                       " grey pixels for a ", h, "x", w, " digit");
  require<shape_error>(dst.channels == 3 && y0 >= 0 && x0 >= 0 && y0 + h <= dst.height && x0 + w <= dst.width,
                       "paint_digit: a ", h, "x", w, " digit at (", y0, ", ", x0, ") does not fit a ", dst.width, "x",
                       dst.height, "x", dst.channels, " RGB image");
  for (int y = 0; y < h; ++y) {
    std::uint8_t* row = &dst.at(y0 + y, x0);
    for (int x = 0; x < w; ++x) {
      const rgb& p = is_foreground(grey[std::size_t(y) * w + x]) ? c.fg : c.bg;
      row[3 * x] = p.r;
      row[3 * x + 1] = p.g;
      row[3 * x + 2] = p.b;
    }
  }
}

/// colorsys.hsv_to_rgb, operation for operation (h, s, v and the result in [0, 1]).
inline std::array<double, 3> hsv_to_rgb(double h, double s, double v) {
  if (s == 0.0) return {v, v, v};
  const double h6 = detail::unfused_mul(h, 6.0);
  int i = int(h6);  // Python's int() truncates
  const double f = h6 - double(i);
  const double p = v * (1.0 - s);
  const double q = v * (1.0 - detail::unfused_mul(s, f));
  const double t = v * (1.0 - detail::unfused_mul(s, 1.0 - f));
  i = ((i % 6) + 6) % 6;
  switch (i) {
    case 0: return {v, t, p};
    case 1: return {q, v, p};
    case 2: return {p, v, t};
    case 3: return {p, q, v};
    case 4: return {t, p, v};
    default: return {v, p, q};
  }
}

/// The script's hsv2rgb: round(c * 255) per channel. Python 2's round() goes half away from zero,
/// as std::round does (Python 3 would round half to even).
inline rgb hsv_to_rgb8(double h, double s, double v) {
  const auto c = hsv_to_rgb(h, s, v);
  auto to8 = [](double x) { return std::uint8_t(std::clamp(std::round(x * 255.0), 0.0, 255.0)); };
  return {to8(c[0]), to8(c[1]), to8(c[2])};
}

/// MNIST-Multiple's class colour: hue label/10, saturation 0.5 * s_factor, value 0.5 * v_factor, where
/// the factors are the U(1 - jitter, 1 + jitter) draws.
inline rgb class_colour(int label, double s_factor, double v_factor, int classes = 10) {
  return hsv_to_rgb8(double(label) / double(classes), 0.5 * s_factor, 0.5 * v_factor);
}

}  // namespace i2i::data
