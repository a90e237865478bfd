#pragma once
// What the pooling ops of every backend share besides their checks: max_pool_result, the output-size
// formula and TF "SAME" padding (Eigen-free and CUDA-free, so the backends cannot disagree on a shape;
// cpu:: and cuda:: re-export them).
#include <algorithm>
#include <cstdint>

#include "i2i/core/error.hpp"
#include "i2i/core/padding.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i {

/// max_pool2d's result. argmax holds, per output element, the flat index h * W + w of the winning
/// input pixel inside its own (n, c) plane; backward needs nothing else.
template <class T>
struct max_pool_result {
  tensor<T> y;
  tensor<std::int32_t> argmax;
};

inline std::int64_t pool_output_size(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t before,
                                     std::int64_t after) {
  return (in + before + after - kernel) / stride + 1;
}

/// TF "SAME" padding: output ceil(in / stride), the odd pixel of padding at the bottom/right.
inline padding2d same_pool_padding(const shape& x, std::int64_t kernel, std::int64_t stride) {
  require<shape_error>(x.rank() == 4, "same_pool_padding: input ", x, " is not NCHW (rank 4)");
  require<value_error>(kernel >= 1 && stride >= 1, "same_pool_padding: kernel ", kernel, " and stride ", stride,
                       " must be positive (input ", x, ")");
  auto total = [&](std::int64_t in) {
    const std::int64_t out = (in + stride - 1) / stride;
    return std::max<std::int64_t>((out - 1) * stride + kernel - in, 0);
  };
  const std::int64_t th = total(x[2]), tw = total(x[3]);
  return {th / 2, th - th / 2, tw / 2, tw - tw / 2};
}

}  // namespace i2i
