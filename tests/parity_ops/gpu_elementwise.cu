// GPU half of the parity tests: activations, pointwise arithmetic, concat/split, reductions, padding,
// and the 16-bit storage variants.
#include <string>

#include "gpu_common.cuh"
#include "i2i/backend/cuda/kernels/activation.cuh"
#include "i2i/backend/cuda/kernels/cast.cuh"
#include "i2i/backend/cuda/kernels/concat.cuh"
#include "i2i/backend/cuda/kernels/instance_norm.cuh"
#include "i2i/backend/cuda/kernels/pad.cuh"
#include "i2i/backend/cuda/kernels/pointwise.cuh"
#include "i2i/backend/cuda/kernels/reduce.cuh"

namespace i2i::parity {

std::string device_missing() {
  const auto p = cuda::probe_devices();
  return p.count > 0 ? std::string() : "no CUDA device visible (" + p.what() + ")";
}

namespace gpu {
using detail::act;
using detail::down;
using detail::up;

template <class T>
tensor<T> activate(const tensor<T>& x, act_arg a) {
  return down(cuda::activate(up(x), act(a)));
}
template <class T>
tensor<T> activate_inplace(const tensor<T>& x, act_arg a) {
  auto d = up(x);
  cuda::activate_inplace(d, act(a));
  return down(d);
}
template <class T>
tensor<T> activation_backward(const tensor<T>& dy, const tensor<T>& y, act_arg a) {
  return down(cuda::activation_backward(up(dy), up(y), act(a)));
}
template <class T>
tensor<T> add(const tensor<T>& a, const tensor<T>& b) {
  return down(cuda::add(up(a), up(b)));
}
template <class T>
tensor<T> sub(const tensor<T>& a, const tensor<T>& b) {
  return down(cuda::sub(up(a), up(b)));
}
template <class T>
tensor<T> mul(const tensor<T>& a, const tensor<T>& b) {
  return down(cuda::mul(up(a), up(b)));
}
template <class T>
std::pair<tensor<T>, tensor<T>> mul_backward(const tensor<T>& a, const tensor<T>& b, const tensor<T>& dy) {
  auto g = cuda::mul_backward(up(a), up(b), up(dy));
  return {down(g.da), down(g.db)};
}
template <class T>
tensor<T> scale(const tensor<T>& x, double s) {
  return down(cuda::scale(up(x), T(s)));
}
template <class T>
tensor<T> add_into(const tensor<T>& dst, const tensor<T>& src) {
  auto d = up(dst);
  cuda::add_into(d, up(src));
  return down(d);
}
template <class T>
tensor<T> add_channel_bias(const tensor<T>& x, const tensor<T>& bias) {
  return down(cuda::add_channel_bias(up(x), up(bias)));
}
template <class T>
tensor<T> add_channel_bias_backward(const tensor<T>& dy, const tensor<T>& dbias) {
  auto d = up(dbias);
  cuda::add_channel_bias_backward(up(dy), d);
  return down(d);
}
template <class T>
tensor<T> concat_channels(const std::vector<tensor<T>>& parts) {
  std::vector<tensor<T>> d;
  for (const auto& p : parts) d.push_back(up(p));
  return down(cuda::concat_channels(d));
}
template <class T>
std::vector<tensor<T>> split_channels(const tensor<T>& x, const std::vector<std::int64_t>& sizes) {
  std::vector<tensor<T>> out;
  for (const auto& p : cuda::split_channels(up(x), sizes)) out.push_back(down(p));
  return out;
}
template <class T>
reductions reduce(const tensor<T>& x) {
  const auto d = up(x);
  return {cuda::sum(d), d.numel() > 0 ? cuda::mean(d) : 0.0, cuda::abs_sum(d), cuda::all_finite(d)};
}
template <class T>
tensor<T> reflection_pad2d(const tensor<T>& x, const padding2d& p) {
  return down(cuda::reflection_pad2d(up(x), p));
}
template <class T>
tensor<T> reflection_pad2d_backward(const tensor<T>& dy, const shape& xs, const padding2d& p) {
  return down(cuda::reflection_pad2d_backward(up(dy), xs, p));
}
template <class T>
tensor<T> zero_pad2d(const tensor<T>& x, const padding2d& p) {
  return down(cuda::zero_pad2d(up(x), p));
}
template <class T>
tensor<T> zero_pad2d_backward(const tensor<T>& dy, const shape& xs, const padding2d& p) {
  return down(cuda::zero_pad2d_backward(up(dy), xs, p));
}

#define I2I_PARITY_ELEMENTWISE(T)                                                                                \
  template tensor<T> activate<T>(const tensor<T>&, act_arg);                                                     \
  template tensor<T> activate_inplace<T>(const tensor<T>&, act_arg);                                             \
  template tensor<T> activation_backward<T>(const tensor<T>&, const tensor<T>&, act_arg);                        \
  template tensor<T> add<T>(const tensor<T>&, const tensor<T>&);                                                 \
  template tensor<T> sub<T>(const tensor<T>&, const tensor<T>&);                                                 \
  template tensor<T> mul<T>(const tensor<T>&, const tensor<T>&);                                                 \
  template std::pair<tensor<T>, tensor<T>> mul_backward<T>(const tensor<T>&, const tensor<T>&, const tensor<T>&); \
  template tensor<T> scale<T>(const tensor<T>&, double);                                                         \
  template tensor<T> add_into<T>(const tensor<T>&, const tensor<T>&);                                            \
  template tensor<T> add_channel_bias<T>(const tensor<T>&, const tensor<T>&);                                    \
  template tensor<T> add_channel_bias_backward<T>(const tensor<T>&, const tensor<T>&);                           \
  template tensor<T> concat_channels<T>(const std::vector<tensor<T>>&);                                          \
  template std::vector<tensor<T>> split_channels<T>(const tensor<T>&, const std::vector<std::int64_t>&);         \
  template reductions reduce<T>(const tensor<T>&);                                                               \
  template tensor<T> reflection_pad2d<T>(const tensor<T>&, const padding2d&);                                    \
  template tensor<T> reflection_pad2d_backward<T>(const tensor<T>&, const shape&, const padding2d&);             \
  template tensor<T> zero_pad2d<T>(const tensor<T>&, const padding2d&);                                          \
  template tensor<T> zero_pad2d_backward<T>(const tensor<T>&, const shape&, const padding2d&);
I2I_PARITY_ELEMENTWISE(float)
I2I_PARITY_ELEMENTWISE(double)
#undef I2I_PARITY_ELEMENTWISE

// ---------------------------------------------------------------------------------------------------
// 16-bit storage.

namespace {
/// Runs f on the 16-bit type of `fmt`: f(type_tag) with the tag's value_type the storage type.
template <class F>
auto with_format(half_format fmt, F&& f) {
  if (fmt == half_format::bf16) return f(__nv_bfloat16{});
  return f(__half{});
}
template <class H>
tensor<H> narrow(const tensor<float>& x) {
  return cuda::cast<H>(up(x));
}
template <class H>
tensor<float> widen(const tensor<H>& x) {
  return down(cuda::cast<float>(x));
}
}  // namespace

tensor<float> round_trip(const tensor<float>& x, half_format f) {
  return with_format(f, [&](auto h) { return widen(narrow<decltype(h)>(x)); });
}
tensor<float> activate16(const tensor<float>& x, act_arg a, half_format f) {
  return with_format(f, [&](auto h) { return widen(cuda::activate(narrow<decltype(h)>(x), act(a))); });
}
tensor<float> activation_backward16(const tensor<float>& dy, const tensor<float>& y, act_arg a, half_format f) {
  return with_format(f, [&](auto h) {
    using H = decltype(h);
    return widen(cuda::activation_backward(narrow<H>(dy), narrow<H>(y), act(a)));
  });
}
tensor<float> add16(const tensor<float>& a, const tensor<float>& b, half_format f) {
  return with_format(f, [&](auto h) {
    using H = decltype(h);
    return widen(cuda::add(narrow<H>(a), narrow<H>(b)));
  });
}
tensor<float> mul16(const tensor<float>& a, const tensor<float>& b, half_format f) {
  return with_format(f, [&](auto h) {
    using H = decltype(h);
    return widen(cuda::mul(narrow<H>(a), narrow<H>(b)));
  });
}
tensor<float> scale16(const tensor<float>& x, double s, half_format f) {
  return with_format(f, [&](auto h) { return widen(cuda::scale(narrow<decltype(h)>(x), float(s))); });
}
tensor<float> add_into16(const tensor<float>& dst, const tensor<float>& src, half_format f) {
  return with_format(f, [&](auto h) {
    using H = decltype(h);
    auto d = narrow<H>(dst);
    cuda::add_into(d, narrow<H>(src));
    return widen(d);
  });
}
tensor<float> add_channel_bias16(const tensor<float>& x, const tensor<float>& bias, half_format f) {
  return with_format(f, [&](auto h) { return widen(cuda::add_channel_bias(narrow<decltype(h)>(x), up(bias))); });
}
tensor<float> reflection_pad2d16(const tensor<float>& x, const padding2d& p, half_format f) {
  return with_format(f, [&](auto h) { return widen(cuda::reflection_pad2d(narrow<decltype(h)>(x), p)); });
}
tensor<float> instance_norm16(const tensor<float>& x, const tensor<float>& w, const tensor<float>& b, act_arg a,
                              half_format f) {
  return with_format(f, [&](auto h) {
    return widen(cuda::instance_norm(narrow<decltype(h)>(x), up(w), up(b), 1e-5, act(a)).y);
  });
}
reductions reduce16(const tensor<float>& x, half_format f) {
  return with_format(f, [&](auto h) {
    const auto d = narrow<decltype(h)>(x);
    return reductions{cuda::sum(d), cuda::mean(d), cuda::abs_sum(d), cuda::all_finite(d)};
  });
}

}  // namespace gpu
}  // namespace i2i::parity
