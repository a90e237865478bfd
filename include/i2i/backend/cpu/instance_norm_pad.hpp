#pragma once
// Instance normalisation, a fused activation and reflection padding in one pass (pix2pixHD's residual
// blocks: IN, ReLU, ReflectionPad2d(1) before the second conv):
//
//   instance_norm_pad(x, weight, bias, eps, act, p)                   -> instance_norm_pad_result (y padded)
//   instance_norm_pad_backward(dy, x, fwd, weight, dweight, dbias)    -> dx
//
// equal to instance_norm(x, w, b, eps) -> activate(act) -> reflection_pad2d(p) and to the backward of
// those three BIT FOR BIT for identity, relu, leaky_relu and relu6: every value is computed by the same
// functions in the same order (instance_norm.hpp's plane statistics and plane backward, activation.hpp's
// ranges, pad.hpp's plane gather), and those activations are selects and one product, whose SIMD and
// scalar forms agree. tanh and sigmoid agree to about one unit in the last place: Eigen's vectorised
// tanh/exp and its scalar ones differ in the last bit, and which elements fall into a SIMD packet
// depends on the range (a row here, the whole tensor in `activate`). seq fuses only the exact ones
// (compose/fuse.hpp). Why fused: the chain writes the activation tensor twice and reads it twice more, and keeps
// two copies of it for backward; here each plane is normalised while it is in cache and written once,
// straight into the padded output (the padded border is copied from the row just written), and
// backward gathers dy over the reflected positions into dx's plane, applies the activation's
// derivative read from the saved padded output (relu and leaky_relu preserve sign, so no
// pre-activation tensor is kept) and runs the norm's two reductions.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "i2i/backend/checks/norm.hpp"
#include "i2i/backend/cpu/activation.hpp"
#include "i2i/backend/cpu/instance_norm.hpp"
#include "i2i/backend/cpu/pad.hpp"
#include "i2i/backend/norm_pad_types.hpp"
#include "i2i/core/dtype.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/core/threads.hpp"

namespace i2i::cpu {

template <cpu_scalar T>
using instance_norm_pad_result = i2i::instance_norm_pad_result<T>;

template <cpu_scalar T>
instance_norm_pad_result<T> instance_norm_pad(const tensor<T>& x, const tensor<T>& weight, const tensor<T>& bias,
                                              double eps, const activation& act, const padding2d& pad) {
  const shape ys = checks::instance_norm_pad<checks::on_host>(x, weight, bias, eps, act, pad);
  const std::int64_t C = x.c(), H = x.h(), W = x.w(), M = H * W, P = x.n() * C, OH = ys[2], OW = ys[3];
  instance_norm_pad_result<T> r{tensor<T>::empty(ys), tensor<T>::empty({x.n(), C}), tensor<T>::empty({x.n(), C}),
                                act, pad};
  parallel_for(P, detail::norm_plane_grain(M), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; ++p) {
      const T* xp = x.data() + p * M;
      double mean, inv_std;
      detail::instance_plane_statistics(xp, M, eps, mean, inv_std);
      const std::int64_t c = p % C;
      const double g = weight.defined() ? double(weight[c]) : 1.0;
      const double beta = bias.defined() ? double(bias[c]) : 0.0;
      T* yp = r.y.data() + p * OH * OW;
      // Interior rows (with instance_norm's arithmetic), each row's reflected columns copied from it.
      for (std::int64_t h = 0; h < H; ++h) {
        T* row = yp + (h + pad.top) * OW;
        detail::affine_activate_range(xp + h * W, row + pad.left, W, T(mean), T(g * inv_std), T(beta), act);
        for (std::int64_t j = 0; j < pad.left; ++j) row[j] = row[pad.left + (pad.left - j)];
        for (std::int64_t j = 0; j < pad.right; ++j) row[pad.left + W + j] = row[pad.left + W - 2 - j];
      }
      // Reflected rows: copies of finished padded rows.
      for (std::int64_t rr = 0; rr < pad.top; ++rr)
        std::copy_n(yp + (pad.top + detail::reflect_index(rr - pad.top, H)) * OW, OW, yp + rr * OW);
      for (std::int64_t rr = pad.top + H; rr < OH; ++rr)
        std::copy_n(yp + (pad.top + detail::reflect_index(rr - pad.top, H)) * OW, OW, yp + rr * OW);
      r.mean[p] = T(mean);
      r.inv_std[p] = T(inv_std);
    }
  });
  return r;
}

template <cpu_scalar T>
tensor<T> instance_norm_pad_backward(const tensor<T>& dy, const tensor<T>& x, const instance_norm_pad_result<T>& fwd,
                                     const tensor<T>& weight, const tensor<T>& dweight, const tensor<T>& dbias) {
  checks::instance_norm_pad_backward<checks::on_host>(dy, x, fwd, weight, dweight, dbias);
  const padding2d& pad = fwd.pad;
  const std::int64_t N = x.n(), C = x.c(), H = x.h(), W = x.w(), M = H * W, P = N * C, OH = dy.h(), OW = dy.w();
  auto dx = tensor<T>::empty(x.shape());
  std::vector<double> sum_dz(static_cast<std::size_t>(P), 0.0), sum_dz_xhat(static_cast<std::size_t>(P), 0.0);
  parallel_for(P, detail::norm_plane_grain(M), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; ++p) {
      T* dxp = dx.data() + p * M;
      // dx's plane holds, in turn, the gathered gradient of the activation's output, dz, and dx.
      std::fill_n(dxp, M, T(0));
      detail::reflection_pad_plane_backward(dy.data() + p * OH * OW, OH, OW, dxp, H, W, pad);
      const T* yp = fwd.y.data() + p * OH * OW;
      for (std::int64_t h = 0; h < H; ++h)
        detail::activation_backward_range(dxp + h * W, yp + (h + pad.top) * OW + pad.left, dxp + h * W, W, fwd.act);
      const double g = weight.defined() ? double(weight[p % C]) : 1.0;
      detail::instance_plane_backward(dxp, x.data() + p * M, M, double(fwd.mean[p]), double(fwd.inv_std[p]), g,
                                      sum_dz[std::size_t(p)], sum_dz_xhat[std::size_t(p)]);
    }
  });
  detail::add_instance_param_grads(sum_dz, sum_dz_xhat, N, C, dweight, dbias);
  return dx;
}

}  // namespace i2i::cpu
