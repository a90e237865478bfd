// GPU half of the parity tests: instance norm (also fused with reflection padding), batch norm and AdaIN,
// forward and backward.
#include "gpu_common.cuh"
#include "i2i/backend/cuda/kernels/adain.cuh"
#include "i2i/backend/cuda/kernels/batch_norm.cuh"
#include "i2i/backend/cuda/kernels/instance_norm.cuh"
#include "i2i/backend/cuda/kernels/instance_norm_pad.cuh"

namespace i2i::parity::gpu {
using detail::act;
using detail::down;
using detail::up;

template <class T>
norm_out<T> instance_norm(const tensor<T>& x, const tensor<T>& w, const tensor<T>& b, double eps, act_arg a) {
  auto r = cuda::instance_norm(up(x), up(w), up(b), eps, act(a));
  return {down(r.y), down(r.mean), down(r.inv_std)};
}

template <class T>
norm_grads<T> instance_norm_backward(const tensor<T>& dy, const tensor<T>& x, const tensor<T>& w, const tensor<T>& b,
                                     double eps, act_arg a, const tensor<T>& dweight, const tensor<T>& dbias) {
  const auto dx_in = up(x), dw = up(w), ddw = up(dweight), ddb = up(dbias);
  auto r = cuda::instance_norm(dx_in, dw, up(b), eps, act(a));
  auto dx = cuda::instance_norm_backward(up(dy), dx_in, r, dw, ddw, ddb);
  return {down(dx), down(ddw), down(ddb)};
}

template <class T>
norm_out<T> instance_norm_pad(const tensor<T>& x, const tensor<T>& w, const tensor<T>& b, double eps, act_arg a,
                              const padding2d& p) {
  auto r = cuda::instance_norm_pad(up(x), up(w), up(b), eps, act(a), p);
  return {down(r.y), down(r.mean), down(r.inv_std)};
}

template <class T>
norm_grads<T> instance_norm_pad_backward(const tensor<T>& dy, const tensor<T>& x, const tensor<T>& w,
                                         const tensor<T>& b, double eps, act_arg a, const padding2d& p,
                                         const tensor<T>& dweight, const tensor<T>& dbias) {
  const auto dx_in = up(x), dw = up(w), ddw = up(dweight), ddb = up(dbias);
  auto r = cuda::instance_norm_pad(dx_in, dw, up(b), eps, act(a), p);
  auto dx = cuda::instance_norm_pad_backward(up(dy), dx_in, r, dw, ddw, ddb);
  return {down(dx), down(ddw), down(ddb)};
}

template <class T>
bn_out<T> batch_norm(bool training, const tensor<T>& x, const tensor<T>& w, const tensor<T>& b, const tensor<T>& rm,
                     const tensor<T>& rv, double momentum, double eps, act_arg a) {
  const auto drm = up(rm), drv = up(rv);
  auto r = training ? cuda::batch_norm_train(up(x), up(w), up(b), drm, drv, momentum, eps, act(a))
                    : cuda::batch_norm_eval(up(x), up(w), up(b), drm, drv, eps, act(a));
  return {down(r.y), down(r.mean), down(r.inv_std), down(drm), down(drv)};
}

template <class T>
norm_grads<T> batch_norm_backward(bool training, const tensor<T>& dy, const tensor<T>& x, const tensor<T>& w,
                                  const tensor<T>& b, const tensor<T>& rm, const tensor<T>& rv, double eps, act_arg a,
                                  const tensor<T>& dweight, const tensor<T>& dbias) {
  const auto dxin = up(x), dw = up(w), ddw = up(dweight), ddb = up(dbias);
  auto r = training ? cuda::batch_norm_train(dxin, dw, up(b), up(rm), up(rv), 0.1, eps, act(a))
                    : cuda::batch_norm_eval(dxin, dw, up(b), up(rm), up(rv), eps, act(a));
  auto dx = cuda::batch_norm_backward(up(dy), dxin, r, dw, ddw, ddb);
  return {down(dx), down(ddw), down(ddb)};
}

template <class T>
bn_sync_out<T> batch_norm_synchronised(const tensor<T>& x, const tensor<T>& w, const tensor<T>& b, const tensor<T>& rm,
                                       const tensor<T>& rv, double momentum, double eps, act_arg a,
                                       const std::vector<double>& mean, const std::vector<double>& var,
                                       std::int64_t count, const tensor<T>& dy, const tensor<T>& dweight,
                                       const tensor<T>& dbias, const std::vector<double>& group) {
  const auto dx_in = up(x), dw = up(w), drm = up(rm), drv = up(rv), ddw = up(dweight), ddb = up(dbias);
  bn_sync_out<T> out;
  out.sums = cuda::batch_norm_sums(dx_in);
  auto r = cuda::batch_norm_train_with_stats(dx_in, dw, up(b), drm, drv, momentum, eps, act(a), mean, var, count);
  out.train = {down(r.y), down(r.mean), down(r.inv_std), down(drm), down(drv)};
  const auto ddy = up(dy);
  out.backward_sums = cuda::batch_norm_backward_sums(ddy, dx_in, r);
  auto dx = cuda::batch_norm_backward_with_sums(ddy, dx_in, r, dw, ddw, ddb, group, count);
  out.grads = {down(dx), down(ddw), down(ddb)};
  return out;
}

template <class T>
std::vector<tensor<T>> channel_moments(const tensor<T>& x, bool unbiased, const tensor<T>& dmean,
                                       const tensor<T>& dvar) {
  const auto d = up(x);
  auto r = cuda::channel_moments(d, unbiased);
  auto dx = cuda::channel_moments_backward(d, r, up(dmean), up(dvar));
  return {down(r.mean), down(r.var), down(dx)};
}

template <class T>
std::vector<tensor<T>> adain(const tensor<T>& x, const tensor<T>& style_mean, const tensor<T>& style_std, double eps,
                             bool unbiased, const tensor<T>& dy) {
  const auto d = up(x), sm = up(style_mean), ss = up(style_std);
  auto r = cuda::adain(d, sm, ss, adain_options{eps, unbiased});
  auto g = cuda::adain_backward(d, sm, ss, r, up(dy));
  return {down(r.y), down(r.mean), down(r.rstd), down(g.dx), down(g.dstyle_mean), down(g.dstyle_std)};
}

template <class T>
std::vector<tensor<T>> adain_from_style(const tensor<T>& x, const tensor<T>& s, double eps, bool unbiased,
                                        const tensor<T>& dy) {
  const auto d = up(x), ds = up(s);
  auto r = cuda::adain_from_style(d, ds, adain_options{eps, unbiased});
  auto g = cuda::adain_from_style_backward(d, ds, r, up(dy));
  return {down(r.adain.y), down(g.dx), down(g.dstyle)};
}

template <class T>
std::vector<tensor<T>> adain_egscit(const tensor<T>& x, const tensor<T>& em, const tensor<T>& ev, double eps,
                                    const tensor<T>& dy) {
  const auto d = up(x), dem = up(em), dev = up(ev);
  auto r = cuda::adain_egscit(d, dem, dev, eps);
  auto g = cuda::adain_egscit_backward(d, dem, dev, r, up(dy));
  return {down(r.y), down(r.mean), down(r.inv_var), down(g.dx), down(g.dexemplar_mean), down(g.dexemplar_var)};
}

template <class T>
std::vector<tensor<T>> adain_egscit_from_exemplar(const tensor<T>& x, const tensor<T>& fe, double eps,
                                                  const tensor<T>& dy) {
  const auto d = up(x), dfe = up(fe);
  auto r = cuda::adain_egscit_from_exemplar(d, dfe, eps);
  auto g = cuda::adain_egscit_from_exemplar_backward(d, dfe, r, up(dy));
  return {down(r.adain.y), down(g.dx), down(g.dexemplar)};
}

#define I2I_PARITY_NORM(T)                                                                                          \
  template norm_out<T> instance_norm<T>(const tensor<T>&, const tensor<T>&, const tensor<T>&, double, act_arg);     \
  template norm_grads<T> instance_norm_backward<T>(const tensor<T>&, const tensor<T>&, const tensor<T>&,            \
                                                   const tensor<T>&, double, act_arg, const tensor<T>&,             \
                                                   const tensor<T>&);                                               \
  template norm_out<T> instance_norm_pad<T>(const tensor<T>&, const tensor<T>&, const tensor<T>&, double, act_arg,  \
                                            const padding2d&);                                                      \
  template norm_grads<T> instance_norm_pad_backward<T>(const tensor<T>&, const tensor<T>&, const tensor<T>&,        \
                                                       const tensor<T>&, double, act_arg, const padding2d&,         \
                                                       const tensor<T>&, const tensor<T>&);                         \
  template bn_out<T> batch_norm<T>(bool, const tensor<T>&, const tensor<T>&, const tensor<T>&, const tensor<T>&,    \
                                   const tensor<T>&, double, double, act_arg);                                      \
  template norm_grads<T> batch_norm_backward<T>(bool, const tensor<T>&, const tensor<T>&, const tensor<T>&,         \
                                                const tensor<T>&, const tensor<T>&, const tensor<T>&, double,       \
                                                act_arg, const tensor<T>&, const tensor<T>&);                       \
  template bn_sync_out<T> batch_norm_synchronised<T>(const tensor<T>&, const tensor<T>&, const tensor<T>&,          \
                                                     const tensor<T>&, const tensor<T>&, double, double, act_arg,     \
                                                     const std::vector<double>&, const std::vector<double>&,         \
                                                     std::int64_t, const tensor<T>&, const tensor<T>&,               \
                                                     const tensor<T>&, const std::vector<double>&);                 \
  template std::vector<tensor<T>> channel_moments<T>(const tensor<T>&, bool, const tensor<T>&, const tensor<T>&);   \
  template std::vector<tensor<T>> adain<T>(const tensor<T>&, const tensor<T>&, const tensor<T>&, double, bool,      \
                                           const tensor<T>&);                                                       \
  template std::vector<tensor<T>> adain_from_style<T>(const tensor<T>&, const tensor<T>&, double, bool,             \
                                                      const tensor<T>&);                                            \
  template std::vector<tensor<T>> adain_egscit<T>(const tensor<T>&, const tensor<T>&, const tensor<T>&, double,     \
                                                  const tensor<T>&);                                                \
  template std::vector<tensor<T>> adain_egscit_from_exemplar<T>(const tensor<T>&, const tensor<T>&, double,         \
                                                                const tensor<T>&);
I2I_PARITY_NORM(float)
I2I_PARITY_NORM(double)

}  // namespace i2i::parity::gpu
