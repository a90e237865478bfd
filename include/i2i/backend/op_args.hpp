#pragma once
// Argument types shared by every backend's ops: the fused activation and the convolution geometries.
// They are Eigen-free and CUDA-free, so the CPU op headers and the nvcc-only CUDA headers use the very
// same definitions (one type, one set of constructors, one check).
#include <algorithm>
#include <cstdint>
#include <ostream>

#include "i2i/core/error.hpp"
#include "i2i/core/padding.hpp"

namespace i2i {

// relu6 (min(max(x, 0), 6): MobileNetV2, Keras ReLU(max_value=6)) comes last so that the numbering of
// the older kinds stays as it was.
enum class activation_kind : std::uint8_t { identity, relu, leaky_relu, tanh, sigmoid, relu6 };

/// A pointwise activation chosen at run time; also what a norm op fuses after itself.
struct activation {
  activation_kind kind = activation_kind::identity;
  double slope = 0;  ///< negative-side slope; leaky_relu only

  static constexpr activation identity() { return {}; }
  static constexpr activation relu() { return {activation_kind::relu, 0}; }
  static constexpr activation leaky_relu(double slope = 0.2) { return {activation_kind::leaky_relu, slope}; }
  static constexpr activation tanh() { return {activation_kind::tanh, 0}; }
  static constexpr activation sigmoid() { return {activation_kind::sigmoid, 0}; }
  static constexpr activation relu6() { return {activation_kind::relu6, 0}; }
  friend constexpr bool operator==(const activation&, const activation&) = default;
  friend std::ostream& operator<<(std::ostream& os, const activation& a) {
    switch (a.kind) {
      case activation_kind::identity: return os << "identity";
      case activation_kind::relu: return os << "relu";
      case activation_kind::leaky_relu: return os << "leaky_relu(" << a.slope << ")";
      case activation_kind::tanh: return os << "tanh";
      case activation_kind::sigmoid: return os << "sigmoid";
      case activation_kind::relu6: return os << "relu6";
    }
    return os << "?";
  }
};

/// Backward from the output y needs the activation to preserve sign, hence slope >= 0.
inline void check_activation(const char* op, const activation& a) {
  require<value_error>(a.kind != activation_kind::leaky_relu || a.slope >= 0, op, ": leaky_relu slope ", a.slope,
                       " is negative; backward from the output needs slope >= 0");
}

/// Convolution geometry: strides, zero padding (which may be asymmetric: TF SAME, Keras's ZeroPadding2D)
/// and groups (PyTorch's Conv2d(groups=g): input and output channels split into g groups, group k's
/// outputs see only group k's inputs; the weight is Cout x Cin/g x KH x KW; g = Cin is a depthwise conv).
struct conv2d_args {
  std::int64_t stride_h = 1, stride_w = 1;
  padding2d pad{};
  std::int64_t groups = 1;

  /// Stride s and the same zero padding p on every side (PyTorch Conv2d(stride=s, padding=p)).
  static conv2d_args make(std::int64_t stride, std::int64_t padding) {
    return {stride, stride, padding2d::uniform(padding)};
  }
  /// TensorFlow padding "SAME" for a kh x kw kernel with stride s on an h x w input: the output is
  /// ceil(h/s) x ceil(w/s), the total padding max((out-1)*s + k - in, 0) puts the smaller half before
  /// (so odd totals pad one more at the bottom/right).
  static conv2d_args same_tf(std::int64_t kh, std::int64_t kw, std::int64_t stride, std::int64_t h, std::int64_t w) {
    auto one = [&](std::int64_t k, std::int64_t in, std::int64_t& before, std::int64_t& after) {
      const std::int64_t out = (in + stride - 1) / stride;
      const std::int64_t total = std::max<std::int64_t>((out - 1) * stride + k - in, 0);
      before = total / 2;
      after = total - before;
    };
    conv2d_args a;
    a.stride_h = a.stride_w = stride;
    one(kh, h, a.pad.top, a.pad.bottom);
    one(kw, w, a.pad.left, a.pad.right);
    return a;
  }
  static conv2d_args same_tf(std::int64_t k, std::int64_t stride, std::int64_t h, std::int64_t w) {
    return same_tf(k, k, stride, h, w);
  }
};

/// Transposed convolution geometry: the "full" output ((H-1)*s + K) cropped by crop.top/left before and
/// crop.bottom/right after; a negative after-crop extends the output (PyTorch output_padding).
struct conv_transpose2d_args {
  std::int64_t stride_h = 1, stride_w = 1;
  padding2d crop{};

  /// PyTorch ConvTranspose2d(stride, padding, output_padding): crop = {p, p - op, p, p - op}.
  static conv_transpose2d_args pytorch(std::int64_t stride, std::int64_t padding, std::int64_t output_padding) {
    return {stride, stride, {padding, padding - output_padding, padding, padding - output_padding}};
  }
  /// TensorFlow conv2d_transpose with padding "SAME": output = input * stride. It is the input gradient
  /// of a SAME conv from in*s to in pixels, whose total padding max(K - s, 0) puts the smaller half
  /// before; so crop.top = max(K - s, 0) / 2 and the rest (negative when K < s) goes after.
  /// For K = 3, s = 2: input pixel o writes rows 2o, 2o+1, 2o+2 and row 2H is dropped.
  static conv_transpose2d_args tf_same(std::int64_t stride, std::int64_t kernel) {
    const std::int64_t before = std::max<std::int64_t>(kernel - stride, 0) / 2;
    const std::int64_t after = kernel - stride - before;
    return {stride, stride, {before, after, before, after}};
  }
};

}  // namespace i2i
