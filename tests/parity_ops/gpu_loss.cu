// GPU half of the parity tests: losses (elementwise, cross-entropy) and Gram matrices.
#include "gpu_common.cuh"
#include "i2i/backend/cuda/kernels/gram.cuh"
#include "i2i/backend/cuda/kernels/losses.cuh"
#include "i2i/backend/cuda/kernels/losses_cross_entropy.cuh"
#include "i2i/loss/gram_style_loss.hpp"

namespace i2i::parity::gpu {
using detail::down;
using detail::up;

namespace {
template <class T>
loss_out<T> back(const loss::loss_value<T>& r) {
  return {r.value, down(r.grad)};
}
loss::gan_target target(bool real) { return real ? loss::gan_target::real : loss::gan_target::fake; }
loss::gram_norm norm(bool chw) { return chw ? loss::gram_norm::chw : loss::gram_norm::hw; }

/// The Gram ops of cuda_backend for T = float and double (cuda_backend itself stores float only), so
/// that loss::gram_style_loss<B> runs on the device in both precisions.
template <class T>
struct gram_ops {
  using scalar = T;
  static tensor<T> gram_matrix(const tensor<T>& f, loss::gram_norm n) { return cuda::gram_matrix(f, n); }
  static tensor<T> gram_matrix_backward(const tensor<T>& f, const tensor<T>& dg, loss::gram_norm n) {
    return cuda::gram_matrix_backward(f, dg, n);
  }
  static loss::loss_value<T> gram_distance(const tensor<T>& gp, const tensor<T>& gt, loss::style_distance d, double w) {
    return cuda::gram_distance(gp, gt, d, w);
  }
};
}  // namespace

template <class T>
loss_out<T> l1_loss(const tensor<T>& pred, const tensor<T>& t) {
  return back(cuda::l1_loss(up(pred), up(t)));
}
template <class T>
loss_out<T> mse_loss(const tensor<T>& pred, const tensor<T>& t) {
  return back(cuda::mse_loss(up(pred), up(t)));
}
template <class T>
loss_out<T> lsgan_loss(const tensor<T>& pred, bool real) {
  return back(cuda::lsgan_loss(up(pred), target(real)));
}
template <class T>
loss_out<T> bce_with_logits_loss(const tensor<T>& logits, bool real) {
  return back(cuda::bce_with_logits_loss(up(logits), target(real)));
}
template <class T>
loss_out<T> bce_with_logits_loss(const tensor<T>& logits, const tensor<T>& t) {
  return back(cuda::bce_with_logits_loss(up(logits), up(t)));
}
template <class T>
loss_out<T> kl_loss(const tensor<T>& z) {
  return back(cuda::kl_loss(up(z)));
}
template <class T>
tensor<T> gram_matrix(const tensor<T>& f, bool chw) {
  return down(cuda::gram_matrix(up(f), norm(chw)));
}
template <class T>
tensor<T> gram_matrix_backward(const tensor<T>& f, const tensor<T>& dg, bool chw) {
  return down(cuda::gram_matrix_backward(up(f), up(dg), norm(chw)));
}
template <class T>
loss_out<T> gram_style_loss(const tensor<T>& pred, const tensor<T>& t, bool l1, bool chw) {
  return back(loss::gram_style_loss<gram_ops<T>>(up(pred), up(t),
                                                l1 ? loss::style_distance::l1 : loss::style_distance::mse, norm(chw)));
}

template <class T>
loss_out<T> gram_distance(const tensor<T>& gp, const tensor<T>& gt, bool l1, double weight) {
  return back(cuda::gram_distance(up(gp), up(gt), l1 ? loss::style_distance::l1 : loss::style_distance::mse, weight));
}
template <class T>
loss_out<T> cross_entropy_loss(const tensor<T>& logits, const tensor<T>& labels, const loss::cross_entropy_options& opt) {
  return back(cuda::cross_entropy_loss(up(logits), up(labels), opt));
}

#define I2I_PARITY_LOSS(T)                                                                  \
  template loss_out<T> l1_loss<T>(const tensor<T>&, const tensor<T>&);                      \
  template loss_out<T> mse_loss<T>(const tensor<T>&, const tensor<T>&);                     \
  template loss_out<T> lsgan_loss<T>(const tensor<T>&, bool);                               \
  template loss_out<T> bce_with_logits_loss<T>(const tensor<T>&, bool);                     \
  template loss_out<T> bce_with_logits_loss<T>(const tensor<T>&, const tensor<T>&);         \
  template loss_out<T> kl_loss<T>(const tensor<T>&);                                        \
  template tensor<T> gram_matrix<T>(const tensor<T>&, bool);                                \
  template tensor<T> gram_matrix_backward<T>(const tensor<T>&, const tensor<T>&, bool);     \
  template loss_out<T> gram_style_loss<T>(const tensor<T>&, const tensor<T>&, bool, bool);  \
  template loss_out<T> gram_distance<T>(const tensor<T>&, const tensor<T>&, bool, double);  \
  template loss_out<T> cross_entropy_loss<T>(const tensor<T>&, const tensor<T>&, const loss::cross_entropy_options&);
I2I_PARITY_LOSS(float)
I2I_PARITY_LOSS(double)

}  // namespace i2i::parity::gpu
