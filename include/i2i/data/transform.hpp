#pragma once
// pix2pixHD's per-sample transform chain (data/base_dataset.py; research/pix2pixhd.md §3.2-3.3):
// resize -> crop -> make-divisible (mode none only) -> flip, with one set of random parameters (crop
// origin, flip) drawn per sample and shared by its label map, instance map and image.
//
//   data::transform_options opt{.load_size = 256, .fine_size = 128, .mode = data::resize_mode::resize_and_crop};
//   data::rng r(seed);
//   auto p = data::draw_params(opt, label.width, label.height, r);
//   auto label_t = data::apply_transform(label, opt, p, data::interp::nearest);
//   auto image_t = data::apply_transform(image, opt, p, data::interp::bicubic);
#include <cmath>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "i2i/core/error.hpp"
#include "i2i/core/shape.hpp"
#include "i2i/data/resample.hpp"
#include "i2i/data/rng.hpp"

namespace i2i::data {

/// --resize_or_crop.
enum class resize_mode { resize_and_crop, crop, scale_width, scale_width_and_crop, none };

inline const char* to_string(resize_mode m) {
  switch (m) {
    case resize_mode::resize_and_crop: return "resize_and_crop";
    case resize_mode::crop: return "crop";
    case resize_mode::scale_width: return "scale_width";
    case resize_mode::scale_width_and_crop: return "scale_width_and_crop";
    case resize_mode::none: return "none";
  }
  return "?";
}

inline std::ostream& operator<<(std::ostream& os, resize_mode m) { return os << to_string(m); }

/// The mode named as on pix2pixHD's command line; anything else is a value_error listing the names.
inline resize_mode parse_resize_mode(std::string_view name) {
  for (auto m : {resize_mode::resize_and_crop, resize_mode::crop, resize_mode::scale_width,
                 resize_mode::scale_width_and_crop, resize_mode::none})
    if (name == to_string(m)) return m;
  throw value_error(i2i::detail::concat("resize_or_crop: unknown mode '", name,
                                        "'; expected resize_and_crop, crop, scale_width, scale_width_and_crop or none"));
}

/// The options of pix2pixHD that shape the transform (defaults are pix2pixHD's).
struct transform_options {
  int load_size = 1024;                        ///< --loadSize: square side (resize*) or width (scale_width*)
  int fine_size = 512;                         ///< --fineSize: side of the square random crop
  resize_mode mode = resize_mode::scale_width;  ///< --resize_or_crop
  bool is_train = true;                        ///< flips happen only in training
  bool no_flip = false;                        ///< --no_flip
  int n_downsample_global = 4;                 ///< mode none rounds sizes to 2^(this + n_local_enhancers)
  int n_local_enhancers = 0;                   ///< 0 for --netG global; 1 for local

  /// 2^(n_downsample_global + n_local_enhancers): what the generator needs the sides divisible by.
  int size_multiple() const { return 1 << (n_downsample_global + n_local_enhancers); }
};

/// The random parameters of one sample (get_params).
struct transform_params {
  int crop_x = 0, crop_y = 0;
  bool flip = false;
};

/// Python 3's round(): halves go to the even neighbour (round(2.5) == 2), as in __make_power_2.
inline double round_half_even(double x) {
  const double f = std::floor(x), d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return std::fmod(f, 2.0) == 0 ? f : f + 1;
}

/// The size after the resize step (before cropping), for a w x h input.
inline std::pair<int, int> resized_size(const transform_options& opt, int w, int h) {
  switch (opt.mode) {
    case resize_mode::resize_and_crop: return {opt.load_size, opt.load_size};
    case resize_mode::scale_width:
    case resize_mode::scale_width_and_crop:
      // __scale_width: int(target_width * oh / ow) in floating point; an unchanged width keeps the image.
      if (w == opt.load_size) return {w, h};
      return {opt.load_size, int(double(opt.load_size) * h / w)};
    case resize_mode::crop: return {w, h};
    case resize_mode::none: {
      const double base = opt.size_multiple();
      return {int(round_half_even(w / base) * base), int(round_half_even(h / base) * base)};
    }
  }
  return {w, h};
}

/// The size a w x h input has after the whole chain.
inline std::pair<int, int> transformed_size(const transform_options& opt, int w, int h) {
  auto [rw, rh] = resized_size(opt, w, h);
  const bool crops = opt.mode == resize_mode::crop || opt.mode == resize_mode::resize_and_crop ||
                     opt.mode == resize_mode::scale_width_and_crop;
  if (crops && (rw > opt.fine_size || rh > opt.fine_size)) return {opt.fine_size, opt.fine_size};
  return {rw, rh};
}

/// get_params: crop origin uniform in [0, max(0, W' - fineSize)] x [0, max(0, H' - fineSize)] where W' x H'
/// is the size after the resize step of resize_and_crop / scale_width_and_crop (the input size otherwise),
/// and a flip with probability 1/2. Drawn even when unused, so that every sample takes the same draws.
inline transform_params draw_params(const transform_options& opt, int w, int h, rng& r) {
  int nw = w, nh = h;
  if (opt.mode == resize_mode::resize_and_crop) {
    nw = nh = opt.load_size;
  } else if (opt.mode == resize_mode::scale_width_and_crop) {
    nw = opt.load_size;
    nh = int(std::int64_t(opt.load_size) * h / w);  // loadSize * h // w
  }
  transform_params p;
  p.crop_x = int(r.uniform_int(0, std::max(0, nw - opt.fine_size)));
  p.crop_y = int(r.uniform_int(0, std::max(0, nh - opt.fine_size)));
  p.flip = r.uniform() > 0.5;
  return p;
}

/// Checks the options themselves (sizes positive, enough downsampling bits), naming what is wrong.
inline void check_options(const transform_options& opt) {
  require<value_error>(opt.load_size > 0 && opt.fine_size > 0, "transform: loadSize ", opt.load_size,
                       " and fineSize ", opt.fine_size, " must be positive");
  require<value_error>(opt.n_downsample_global >= 0 && opt.n_local_enhancers >= 0 &&
                           opt.n_downsample_global + opt.n_local_enhancers <= 16,
                       "transform: n_downsample_global ", opt.n_downsample_global, " and n_local_enhancers ",
                       opt.n_local_enhancers, " must be >= 0 with a sum <= 16");
}

/// Applies the chain to one image. `how`: nearest for label and instance maps, bicubic for RGB images.
/// `where` names the file in errors (e.g. an image too small for mode none).
template <class T>
io::basic_image<T> apply_transform(const io::basic_image<T>& img, const transform_options& opt,
                                   const transform_params& p, interp how, const std::string& where = "image") {
  check_options(opt);
  require<value_error>(!img.empty(), where, ": empty image");
  io::basic_image<T> out = img;
  auto [rw, rh] = resized_size(opt, img.width, img.height);
  require<value_error>(rw > 0 && rh > 0, where, ": ", img.width, "x", img.height, " becomes ", rw, "x", rh,
                       " with resize_or_crop ", to_string(opt.mode), " (loadSize ", opt.load_size,
                       ", multiple ", opt.size_multiple(), ")");
  if (rw != img.width || rh != img.height) out = resize(out, rw, rh, how);
  const bool crops = opt.mode == resize_mode::crop || opt.mode == resize_mode::resize_and_crop ||
                     opt.mode == resize_mode::scale_width_and_crop;
  if (crops && (out.width > opt.fine_size || out.height > opt.fine_size))
    out = crop(out, p.crop_x, p.crop_y, opt.fine_size, opt.fine_size);
  if (opt.is_train && !opt.no_flip && p.flip) out = flip_horizontal(out);
  return out;
}

/// Throws shape_error unless the height and width of `s` (an NCHW shape, or rank 2 as H x W) are
/// divisible by `multiple`, naming `where`, the size and the nearest sizes that would work.
inline void require_divisible(const shape& s, std::int64_t multiple, const std::string& where) {
  require<value_error>(multiple >= 1, "require_divisible: multiple must be >= 1, got ", multiple);
  require<shape_error>(s.rank() == 4 || s.rank() == 2, where, ": shape ", s, " is neither NCHW nor H x W");
  const std::int64_t h = s[s.rank() - 2], w = s[s.rank() - 1];
  if (h % multiple == 0 && w % multiple == 0) return;
  auto down = [&](std::int64_t v) { return v / multiple * multiple; };
  auto up = [&](std::int64_t v) { return (v + multiple - 1) / multiple * multiple; };
  throw shape_error(i2i::detail::concat(
      where, ": size ", h, "x", w, " (HxW) after the transform is not divisible by ", multiple,
      " = 2^(n_downsample_global + n_local_enhancers); the generator needs it (use a fineSize/loadSize that is a "
      "multiple, resize_or_crop none to round, or resize the data to e.g. ",
      down(h) > 0 ? down(h) : up(h), "x", down(w) > 0 ? down(w) : up(w), ")"));
}

}  // namespace i2i::data
