#pragma once
// VGG19's convolutional features up to relu5_1, for perceptual losses (research/pix2pixhd.md §1.7,
// egscit.md §5).
//
// Keys equal torchvision's vgg19().features state_dict (features.0.weight ... features.28.weight), so
// converted torchvision weights load strictly; 12,944,960 parameters. Taps after the ReLUs that both
// references use: relu1_1 (features.1), relu2_1 (6), relu3_1 (11), relu4_1 (20), relu5_1 (29, also the
// output). Freeze it (model.freeze("")) and run it with need_input_grad = true to push a loss to G.
//
//   vgg19              max-pool 2x2/2 VALID, torchvision (pix2pixHD)
//   vgg19_tf_same      max-pool 2x2/2 TF SAME (EGSC-IT's machrisaa tensorflow-vgg: odd sizes round up);
//                      its vgg19.npy layers map to indices through vgg19_conv_layers below
//
// Input. torchvision's weights expect ImageNet-normalised RGB in [0, 1] (vgg_input::imagenet); EGSC-IT's
// Caffe weights expect BGR in [0, 255] minus the BGR means (vgg_input::caffe_bgr). pix2pixHD, faithfully,
// feeds its [-1, 1] images with no normalisation at all (NVIDIA/pix2pixHD#136): do the same to match its
// loss scale. Each helper maps from [-1, 1] RGB and has a backward (a per-channel scale).
#include <array>
#include <cstdint>
#include <string_view>

#include "i2i/i2i.hpp"

namespace i2i::models {

namespace vgg_detail {
template <int C>
using vgg_conv = conv<C, 3, 1, 1>;

template <int Pool>
using vgg19_body =
    seq<vgg_conv<64>, tap<"relu1_1", relu>, vgg_conv<64>, relu, max_pool<2, 2, Pool>,                      //  0..4
        vgg_conv<128>, tap<"relu2_1", relu>, vgg_conv<128>, relu, max_pool<2, 2, Pool>,                    //  5..9
        vgg_conv<256>, tap<"relu3_1", relu>, vgg_conv<256>, relu, vgg_conv<256>, relu, vgg_conv<256>, relu, // 10..17
        max_pool<2, 2, Pool>,                                                                               // 18
        vgg_conv<512>, tap<"relu4_1", relu>, vgg_conv<512>, relu, vgg_conv<512>, relu, vgg_conv<512>, relu, // 19..26
        max_pool<2, 2, Pool>,                                                                               // 27
        vgg_conv<512>, tap<"relu5_1", relu>>;                                                               // 28..29
}  // namespace vgg_detail

template <int Pool = 0>
struct vgg19_features : chain<channels<3>, named<"features", vgg_detail::vgg19_body<Pool>>> {
  static constexpr std::array<std::string_view, 5> taps{"relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"};
};

using vgg19 = vgg19_features<0>;
using vgg19_tf_same = vgg19_features<tf_same>;

/// Caffe/TF layer name -> torchvision features index, for importing vgg19.npy (machrisaa layout).
struct vgg19_conv_layer {
  std::string_view name;
  int index;
};
inline constexpr std::array<vgg19_conv_layer, 13> vgg19_conv_layers{{{"conv1_1", 0},
                                                                     {"conv1_2", 2},
                                                                     {"conv2_1", 5},
                                                                     {"conv2_2", 7},
                                                                     {"conv3_1", 10},
                                                                     {"conv3_2", 12},
                                                                     {"conv3_3", 14},
                                                                     {"conv3_4", 16},
                                                                     {"conv4_1", 19},
                                                                     {"conv4_2", 21},
                                                                     {"conv4_3", 23},
                                                                     {"conv4_4", 25},
                                                                     {"conv5_1", 28}}};

/// Input preprocessing for VGG, from images in [-1, 1] (RGB, N x 3 x H x W).
namespace vgg_input {

/// y[:, c] = scale[c] * x[:, from[c]] + shift[c]: a per-channel affine map with a channel permutation.
struct channel_map {
  std::array<int, 3> from;
  std::array<double, 3> scale, shift;

  template <class T>
  tensor<T> apply(const tensor<T>& x) const {
    check(x, "vgg_input: input");
    auto y = tensor<T>::empty(x.shape());
    const std::int64_t hw = x.h() * x.w();
    for (std::int64_t n = 0; n < x.n(); ++n)
      for (int c = 0; c < 3; ++c) {
        const T* src = x.data() + (n * 3 + from[std::size_t(c)]) * hw;
        T* dst = y.data() + (n * 3 + c) * hw;
        const T a = T(scale[std::size_t(c)]), b = T(shift[std::size_t(c)]);
        for (std::int64_t i = 0; i < hw; ++i) dst[i] = a * src[i] + b;
      }
    return y;
  }
  /// dL/dx from dL/dy.
  template <class T>
  tensor<T> backward(const tensor<T>& dy) const {
    check(dy, "vgg_input: gradient");
    auto dx = tensor<T>::empty(dy.shape());
    const std::int64_t hw = dy.h() * dy.w();
    for (std::int64_t n = 0; n < dy.n(); ++n)
      for (int c = 0; c < 3; ++c) {
        const T* src = dy.data() + (n * 3 + c) * hw;
        T* dst = dx.data() + (n * 3 + from[std::size_t(c)]) * hw;
        const T a = T(scale[std::size_t(c)]);
        for (std::int64_t i = 0; i < hw; ++i) dst[i] = a * src[i];
      }
    return dx;
  }

 private:
  template <class T>
  static void check(const tensor<T>& x, const char* what) {
    require<shape_error>(x.rank() == 4 && x.c() == 3, what, " has shape ", x.shape(), ", expected N x 3 x H x W");
  }
};

/// torchvision: ((x + 1) / 2 - mean) / std with ImageNet's RGB mean (0.485, 0.456, 0.406) and std
/// (0.229, 0.224, 0.225).
inline channel_map imagenet() {
  constexpr std::array<double, 3> mean{0.485, 0.456, 0.406}, sd{0.229, 0.224, 0.225};
  channel_map m{{0, 1, 2}, {}, {}};
  for (std::size_t c = 0; c < 3; ++c) {
    m.scale[c] = 0.5 / sd[c];
    m.shift[c] = (0.5 - mean[c]) / sd[c];
  }
  return m;
}

/// EGSC-IT / Caffe: (x + 1) * 127.5, RGB -> BGR, minus the BGR means (103.939, 116.779, 123.68).
inline channel_map caffe_bgr() {
  constexpr std::array<double, 3> mean{103.939, 116.779, 123.68};
  channel_map m{{2, 1, 0}, {}, {}};
  for (std::size_t c = 0; c < 3; ++c) {
    m.scale[c] = 127.5;
    m.shift[c] = 127.5 - mean[c];
  }
  return m;
}

/// pix2pixHD: the [-1, 1] image as it is.
inline channel_map none() { return {{0, 1, 2}, {1, 1, 1}, {0, 0, 0}}; }

}  // namespace vgg_input
}  // namespace i2i::models
