// GPU half of the parity tests: pooling, resampling, label maps and segment means.
#include "gpu_common.cuh"
#include "i2i/backend/cuda/kernels/label_maps.cuh"
#include "i2i/backend/cuda/kernels/pool.cuh"
#include "i2i/backend/cuda/kernels/resample.cuh"
#include "i2i/backend/cuda/kernels/segment_mean.cuh"

namespace i2i::parity::gpu {
using detail::down;
using detail::up;

template <class T>
tensor<T> avg_pool2d(const tensor<T>& x, std::int64_t k, std::int64_t s, const padding2d& p, bool include_pad) {
  return down(cuda::avg_pool2d(up(x), k, s, p, include_pad));
}
template <class T>
tensor<T> avg_pool2d_backward(const tensor<T>& dy, const shape& xs, std::int64_t k, std::int64_t s, const padding2d& p,
                              bool include_pad) {
  return down(cuda::avg_pool2d_backward(up(dy), xs, k, s, p, include_pad));
}
template <class T>
pool_out<T> max_pool2d(const tensor<T>& x, std::int64_t k, std::int64_t s, const padding2d& p) {
  auto r = cuda::max_pool2d(up(x), k, s, p);
  return {down(r.y), down(r.argmax)};
}
template <class T>
tensor<T> global_avg_pool2d(const tensor<T>& x) {
  return down(cuda::global_avg_pool2d(up(x)));
}
template <class T>
tensor<T> global_avg_pool2d_backward(const tensor<T>& dy, const shape& xs) {
  return down(cuda::global_avg_pool2d_backward(up(dy), xs));
}
template <class T>
tensor<T> max_pool2d_backward(const tensor<T>& dy, const shape& xs, const tensor<std::int32_t>& argmax) {
  return down(cuda::max_pool2d_backward(up(dy), xs, up(argmax)));
}
template <class T>
tensor<T> upsample_nearest2d(const tensor<T>& x, std::int64_t h, std::int64_t w) {
  return down(cuda::upsample_nearest2d(up(x), h, w));
}
template <class T>
tensor<T> upsample_nearest2d_backward(const tensor<T>& dy, const shape& xs) {
  return down(cuda::upsample_nearest2d_backward(up(dy), xs));
}
template <class T>
tensor<T> resize_bilinear2d(const tensor<T>& x, std::int64_t h, std::int64_t w, bool align_corners) {
  return down(cuda::resize_bilinear2d(up(x), h, w, align_corners));
}
template <class T>
tensor<T> resize_bilinear2d_backward(const tensor<T>& dy, const shape& xs, bool align_corners) {
  return down(cuda::resize_bilinear2d_backward(up(dy), xs, align_corners));
}
template <class T>
tensor<T> segment_mean(const tensor<T>& x, const tensor<T>& ids) {
  return down(cuda::segment_mean(up(x), up(ids)));
}
template <class T>
tensor<T> segment_mean_backward(const tensor<T>& dy, const tensor<T>& ids) {
  // Through a prebuilt index, the path a layer takes (one index for forward and backward).
  const auto idx = cuda::make_segment_index(up(ids));
  return down(cuda::segment_mean_backward(up(dy), idx));
}
template <class T>
std::int64_t segment_count(const tensor<T>& ids) {
  return cuda::make_segment_index(up(ids)).segments;
}
template <class T>
tensor<T> one_hot(const tensor<T>& labels, std::int64_t label_nc) {
  return down(cuda::one_hot(up(labels), label_nc));
}
template <class T>
tensor<T> boundary_map(const tensor<T>& inst) {
  return down(cuda::boundary_map(up(inst)));
}

#define I2I_PARITY_SPATIAL(T)                                                                                     \
  template tensor<T> avg_pool2d<T>(const tensor<T>&, std::int64_t, std::int64_t, const padding2d&, bool);         \
  template tensor<T> avg_pool2d_backward<T>(const tensor<T>&, const shape&, std::int64_t, std::int64_t,           \
                                            const padding2d&, bool);                                              \
  template pool_out<T> max_pool2d<T>(const tensor<T>&, std::int64_t, std::int64_t, const padding2d&);            \
  template tensor<T> max_pool2d_backward<T>(const tensor<T>&, const shape&, const tensor<std::int32_t>&);         \
  template tensor<T> global_avg_pool2d<T>(const tensor<T>&);                                                       \
  template tensor<T> global_avg_pool2d_backward<T>(const tensor<T>&, const shape&);                                \
  template tensor<T> upsample_nearest2d<T>(const tensor<T>&, std::int64_t, std::int64_t);                         \
  template tensor<T> upsample_nearest2d_backward<T>(const tensor<T>&, const shape&);                              \
  template tensor<T> resize_bilinear2d<T>(const tensor<T>&, std::int64_t, std::int64_t, bool);                    \
  template tensor<T> resize_bilinear2d_backward<T>(const tensor<T>&, const shape&, bool);                         \
  template tensor<T> segment_mean<T>(const tensor<T>&, const tensor<T>&);                                         \
  template tensor<T> segment_mean_backward<T>(const tensor<T>&, const tensor<T>&);                                \
  template std::int64_t segment_count<T>(const tensor<T>&);                                                       \
  template tensor<T> one_hot<T>(const tensor<T>&, std::int64_t);                                                  \
  template tensor<T> boundary_map<T>(const tensor<T>&);
I2I_PARITY_SPATIAL(float)
I2I_PARITY_SPATIAL(double)

}  // namespace i2i::parity::gpu
