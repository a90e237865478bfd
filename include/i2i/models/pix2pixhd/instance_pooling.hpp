#pragma once
// Encoder E followed by pix2pixHD's instance-wise average pooling (research/pix2pixhd.md §1.4): every
// pixel of E's output is replaced by the mean of its channel over the pixels of its sample that share
// its instance id. The pooling needs the instance map as a second input, so it is not a layer of the
// spec: these two functions wrap a bound encoder model and its backend's segment mean (B::segment_mean,
// B::segment_mean_backward), forward and backward, on any backend: the image and the instance map live
// where the model computes (B::to_backend).
//
//   auto fc = pix2pixhd::encode_instance_features(E, image, instances);  // fc.output: N x 3 x H x W
//   ... G's input = concat(one_hot_labels, edges, fc.output) ...
//   pix2pixhd::encode_instance_features_backward(E, fc, d_features);     // E's parameter gradients
//
// The ids are float-valued integers, N x 1 x H x W at E's output resolution (pix2pixHD's inst maps);
// they get no gradient. With --label_feat pass the label map instead.
#include "i2i/core/error.hpp"
#include "i2i/models/pix2pixhd/instance_map_check.hpp"

namespace i2i::pix2pixhd {

/// What encode_instance_features produced; keep it until its backward is done.
template <class Model>
struct instance_features_context {
  using T = typename Model::T;
  typename Model::context encoder;  ///< E's own forward context (its output is before pooling)
  tensor<T> instances;              ///< the instance map, reused by backward
  tensor<T> output;                 ///< the pooled features, piecewise constant per (sample, instance)
};

/// E(image), then the mean of each channel over each instance.
template <class Model>
instance_features_context<Model> encode_instance_features(const Model& E, const tensor<typename Model::T>& image,
                                                          const tensor<typename Model::T>& instances) {
  instance_features_context<Model> c;
  c.encoder = E.forward(image);
  const auto& f = c.encoder.output;
  require_instance_map_matches(instances, f);
  c.instances = instances;
  c.output = Model::backend::segment_mean(f, instances);
  return c;
}

/// Backpropagates d(output) through the pooling (the same averaging, a symmetric projection) and E;
/// E's parameter gradients accumulate. Returns dL/d(image) when need_input_grad.
template <class Model>
tensor<typename Model::T> encode_instance_features_backward(Model& E, const instance_features_context<Model>& c,
                                                            const tensor<typename Model::T>& dy,
                                                            bool need_input_grad = true) {
  require<shape_error>(dy.shape() == c.output.shape(), "encode_instance_features_backward: gradient has shape ",
                       dy.shape(), ", expected ", c.output.shape());
  return E.backward(c.encoder, Model::backend::segment_mean_backward(dy, c.instances), {}, need_input_grad);
}

}  // namespace i2i::pix2pixhd
