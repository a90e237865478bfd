// GPU half of the parity tests of the ops EGSC-IT's trainers added: add_scaled_into, the feature mask,
// spatial L2 normalisation.
#include "egscit_ops_api.hpp"
#include "gpu_common.cuh"
#include "i2i/backend/cuda/kernels/feature_mask.cuh"
#include "i2i/backend/cuda/kernels/l2_normalise.cuh"
#include "i2i/backend/cuda/kernels/pointwise.cuh"

namespace i2i::parity::gpu {
using detail::down;
using detail::up;

template <class T>
tensor<T> add_scaled_into(const tensor<T>& dst, const tensor<T>& src, double s) {
  auto d = up(dst);
  cuda::add_scaled_into(d, up(src), T(s));
  return down(d);
}
template <class T>
tensor<T> feature_mask(const tensor<T>& f) {
  return down(cuda::feature_mask(up(f)));
}
template <class T>
tensor<T> feature_mask_backward(const tensor<T>& dm, const tensor<T>& m) {
  return down(cuda::feature_mask_backward(up(dm), up(m)));
}
template <class T>
l2_normalise_result<T> spatial_l2_normalise(const tensor<T>& f) {
  auto r = cuda::spatial_l2_normalise(up(f));
  return {down(r.y), down(r.inv_norm), down(r.clamped)};
}
template <class T>
tensor<T> spatial_l2_normalise_backward(const l2_normalise_result<T>& saved, const tensor<T>& dy) {
  return down(cuda::spatial_l2_normalise_backward(l2_normalise_result<T>{up(saved.y), up(saved.inv_norm),
                                                                         up(saved.clamped)},
                                                  up(dy)));
}

#define I2I_PARITY_EGSCIT_OPS(T)                                                                               \
  template tensor<T> add_scaled_into<T>(const tensor<T>&, const tensor<T>&, double);                           \
  template tensor<T> feature_mask<T>(const tensor<T>&);                                                        \
  template tensor<T> feature_mask_backward<T>(const tensor<T>&, const tensor<T>&);                             \
  template l2_normalise_result<T> spatial_l2_normalise<T>(const tensor<T>&);                                   \
  template tensor<T> spatial_l2_normalise_backward<T>(const l2_normalise_result<T>&, const tensor<T>&);
I2I_PARITY_EGSCIT_OPS(float)
I2I_PARITY_EGSCIT_OPS(double)

}  // namespace i2i::parity::gpu
