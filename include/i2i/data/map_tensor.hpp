#pragma once
// Label and instance maps <-> tensors: a map's ids (io::image16, one channel, as data::read_map returns
// them) become a 1 x 1 x H x W float tensor of the same ids, which is what data::encode_input,
// the data loader and the translators take. Images (RGB, [-1, 1]) convert with io::to_tensor and
// io::to_image (io/pixels.hpp).
//
//   auto label = data::map_to_tensor(data::read_map("label.png"));     // 1 x 1 x H x W ids
//   auto back  = data::tensor_to_map(label);                           // the same io::image16
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/io/pixels.hpp"

namespace i2i::data {

/// Writes the map's ids as floats into `dst` (width * height values, row-major): one plane of an
/// N x 1 x H x W tensor.
inline void map_ids_to_plane(const io::image16& m, float* dst) {
  require<shape_error>(m.channels == 1, "map_to_tensor: a label or instance map has 1 channel, this one has ",
                       m.channels);
  std::transform(m.pixels.begin(), m.pixels.end(), dst, [](std::uint16_t v) { return float(v); });
}

/// The map's ids as a 1 x 1 x H x W tensor (exact: every 16-bit id is a float).
inline tensor<float> map_to_tensor(const io::image16& m) {
  auto t = tensor<float>::empty(shape::nchw(1, 1, m.height, m.width));
  map_ids_to_plane(m, t.data());
  return t;
}

/// Map n of an N x 1 x H x W tensor of ids; value_error naming the pixel for a value that is not an
/// integer in [0, 65535].
inline io::image16 tensor_to_map(const tensor<float>& t, std::int64_t n = 0) {
  require<shape_error>(t.defined() && t.rank() == 4 && t.c() == 1, "tensor_to_map: tensor has shape ", t.shape(),
                       ", expected N x 1 x H x W ids");
  require<value_error>(n >= 0 && n < t.n(), "tensor_to_map: map ", n, " of a batch of ", t.n());
  io::image16 m(int(t.w()), int(t.h()), 1);
  const float* src = t.data() + n * t.h() * t.w();
  for (std::size_t i = 0; i < m.pixels.size(); ++i) {
    const float v = src[i];
    require<value_error>(v >= 0 && v <= 65535 && std::floor(v) == v, "tensor_to_map: value ", v, " at pixel (x=",
                         i % std::size_t(m.width), ", y=", i / std::size_t(m.width), ") is not an id in [0, 65535]");
    m.pixels[i] = std::uint16_t(v);
  }
  return m;
}

}  // namespace i2i::data
