#pragma once
// Element-wise arithmetic on the device, mirroring cpu/pointwise.hpp:
//
//   add(a, b) / sub(a, b) / mul(a, b) / mul_backward(a, b, dy) -> {da, db} / scale(x, s) / add_into(dst, src) / add_scaled_into(dst, src, s)
//   add_channel_bias(x, bias) / add_channel_bias_backward(dy, dbias)   (x: N x C or N x C x H x W)
//
// Backward rules without a function: add -> (dy, dy); sub -> (dy, scale(dy, -1)); scale(x, s) -> scale(dy, s).
// Every storage type (16-bit computed in float). The bias ops take the bias in its own type P, so a
// bf16 activation can take an fp32 bias and accumulate its gradient into fp32; dbias is summed in double.
#include <cstdint>

#include "i2i/backend/cuda/kernels/block_reduce.cuh"
#include "i2i/backend/binary_grads.hpp"
#include "i2i/backend/checks/pointwise.hpp"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/cuda/kernels/launch.cuh"
#include "i2i/backend/cuda/kernels/scalar.cuh"

namespace i2i::cuda {

using i2i::binary_grads;  // backend/binary_grads.hpp

namespace pointwise_detail {

struct add_op {
  template <class C>
  __device__ C operator()(C a, C b) const { return a + b; }
};
struct sub_op {
  template <class C>
  __device__ C operator()(C a, C b) const { return a - b; }
};
struct mul_op {
  template <class C>
  __device__ C operator()(C a, C b) const { return a * b; }
};

template <class T, class Op>
__global__ void binary_kernel(const T* a, const T* b, T* y, std::int64_t n, Op op) {
  I2I_GRID_STRIDE(i, n) y[i] = from_compute<T>(op(to_compute(a[i]), to_compute(b[i])));
}

template <class T>
__global__ void mul_backward_kernel(const T* a, const T* b, const T* dy, T* da, T* db, std::int64_t n) {
  I2I_GRID_STRIDE(i, n) {
    const compute_t<T> g = to_compute(dy[i]);
    da[i] = from_compute<T>(g * to_compute(b[i]));
    db[i] = from_compute<T>(g * to_compute(a[i]));
  }
}

template <class T>
__global__ void scale_kernel(const T* x, T* y, std::int64_t n, compute_t<T> s) {
  I2I_GRID_STRIDE(i, n) y[i] = from_compute<T>(s * to_compute(x[i]));
}

template <class T>
__global__ void add_scaled_kernel(T* dst, const T* src, std::int64_t n, compute_t<T> s) {
  I2I_GRID_STRIDE(i, n) dst[i] = from_compute<T>(to_compute(dst[i]) + to_compute(src[i]) * s);
}

template <class T, class P>
__global__ void channel_bias_kernel(const T* x, const P* bias, T* y, std::int64_t n, std::int64_t channels,
                                    std::int64_t inner) {
  I2I_GRID_STRIDE(i, n) {
    const std::int64_t c = (i / inner) % channels;
    y[i] = from_compute<T>(to_compute(x[i]) + compute_t<T>(to_compute(bias[c])));
  }
}

/// One block per channel: dbias[c] += sum over samples and pixels of dy[:, c].
template <class T, class P>
__global__ void channel_bias_backward_kernel(const T* dy, P* dbias, std::int64_t samples, std::int64_t channels,
                                             std::int64_t inner) {
  __shared__ double scratch[32];
  I2I_BLOCK_STRIDE(c, channels) {
    double acc = 0;
    const std::int64_t per_channel = samples * inner;
    for (std::int64_t k = threadIdx.x; k < per_channel; k += blockDim.x) {
      const std::int64_t s = k / inner, r = k - s * inner;
      acc += double(to_compute(dy[(s * channels + c) * inner + r]));
    }
    acc = reduce_detail::block_sum(acc, scratch);
    if (threadIdx.x == 0) dbias[c] = from_compute<P>(compute_t<P>(to_compute(dbias[c])) + compute_t<P>(acc));
  }
}


template <class T, class Op>
tensor<T> binary(const tensor<T>& a, const tensor<T>& b, Op op, const char* name) {
  auto y = launch::empty<T>(a.shape());
  if (a.numel() > 0) {
    binary_kernel<<<launch::elementwise_blocks(a.numel()), launch::threads, 0, current_stream()>>>(
        a.data(), b.data(), y.data(), a.numel(), op);
    I2I_CUDA_CHECK_LAUNCH(name);
  }
  return y;
}


}  // namespace pointwise_detail

/// a + b, same shapes.
template <device_scalar T>
tensor<T> add(const tensor<T>& a, const tensor<T>& b) {
  checks::binary<on_current_device>("add", a, b);
  return pointwise_detail::binary(a, b, pointwise_detail::add_op{}, "add_kernel");
}

/// a - b, same shapes.
template <device_scalar T>
tensor<T> sub(const tensor<T>& a, const tensor<T>& b) {
  checks::binary<on_current_device>("sub", a, b);
  return pointwise_detail::binary(a, b, pointwise_detail::sub_op{}, "sub_kernel");
}

/// a * b element-wise, same shapes.
template <device_scalar T>
tensor<T> mul(const tensor<T>& a, const tensor<T>& b) {
  checks::binary<on_current_device>("mul", a, b);
  return pointwise_detail::binary(a, b, pointwise_detail::mul_op{}, "mul_kernel");
}

/// Gradients of y = a * b: da = dy * b, db = dy * a.
template <device_scalar T>
binary_grads<T> mul_backward(const tensor<T>& a, const tensor<T>& b, const tensor<T>& dy) {
  checks::mul_backward<on_current_device>(a, b, dy);
  binary_grads<T> g{launch::empty<T>(a.shape()), launch::empty<T>(a.shape())};
  if (a.numel() > 0) {
    pointwise_detail::mul_backward_kernel<<<launch::elementwise_blocks(a.numel()), launch::threads, 0,
                                            current_stream()>>>(a.data(), b.data(), dy.data(), g.da.data(),
                                                                g.db.data(), a.numel());
    I2I_CUDA_CHECK_LAUNCH("mul_backward_kernel");
  }
  return g;
}

/// s * x (s in the compute type: float for the 16-bit types).
template <device_scalar T>
tensor<T> scale(const tensor<T>& x, compute_t<T> s) {
  checks::require_tensor<on_current_device>("scale", "x", x);
  auto y = launch::empty<T>(x.shape());
  if (x.numel() > 0) {
    pointwise_detail::scale_kernel<<<launch::elementwise_blocks(x.numel()), launch::threads, 0, current_stream()>>>(
        x.data(), y.data(), x.numel(), s);
    I2I_CUDA_CHECK_LAUNCH("scale_kernel");
  }
  return y;
}

/// dst += src in place (gradient accumulation where two paths meet).
template <device_scalar T>
void add_into(const tensor<T>& dst, const tensor<T>& src) {
  checks::add_into<on_current_device>(dst, src);
  if (dst.numel() == 0) return;
  pointwise_detail::binary_kernel<<<launch::elementwise_blocks(dst.numel()), launch::threads, 0, current_stream()>>>(
      dst.data(), src.data(), dst.data(), dst.numel(), pointwise_detail::add_op{});
  I2I_CUDA_CHECK_LAUNCH("add_into_kernel");
}

/// dst += src * s in place (a weighted loss gradient added to an accumulated one).
template <device_scalar T>
void add_scaled_into(const tensor<T>& dst, const tensor<T>& src, compute_t<T> s) {
  checks::add_into<on_current_device>(dst, src);
  if (dst.numel() == 0) return;
  pointwise_detail::add_scaled_kernel<<<launch::elementwise_blocks(dst.numel()), launch::threads, 0,
                                        current_stream()>>>(dst.data(), src.data(), dst.numel(), s);
  I2I_CUDA_CHECK_LAUNCH("add_scaled_kernel");
}

/// y[n, c, ...] = x[n, c, ...] + bias[c]; x is N x C or N x C x H x W, bias has shape C.
template <device_scalar T, device_scalar P>
tensor<T> add_channel_bias(const tensor<T>& x, const tensor<P>& bias) {
  const std::int64_t inner = checks::channel_bias<on_current_device>("add_channel_bias", x, bias, "bias");
  auto y = launch::empty<T>(x.shape());
  if (x.numel() > 0) {
    pointwise_detail::channel_bias_kernel<<<launch::elementwise_blocks(x.numel()), launch::threads, 0,
                                            current_stream()>>>(x.data(), bias.data(), y.data(), x.numel(), x.dim(1),
                                                                inner);
    I2I_CUDA_CHECK_LAUNCH("channel_bias_kernel");
  }
  return y;
}

/// Backward of add_channel_bias: dbias[c] += sum of dy over N, H, W. The input gradient is dy itself.
template <device_scalar T, device_scalar P>
void add_channel_bias_backward(const tensor<T>& dy, const tensor<P>& dbias) {
  const std::int64_t inner = checks::channel_bias<on_current_device>("add_channel_bias_backward", dy, dbias, "dbias");
  const std::int64_t channels = dy.dim(1);
  if (channels == 0) return;
  pointwise_detail::channel_bias_backward_kernel<<<launch::plane_blocks(channels), launch::plane_threads, 0,
                                                   current_stream()>>>(dy.data(), dbias.data(), dy.dim(0), channels,
                                                                       inner);
  I2I_CUDA_CHECK_LAUNCH("channel_bias_backward_kernel");
}

}  // namespace i2i::cuda
