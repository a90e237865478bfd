// GPU half of the parity tests: losses and Gram matrices.
#include "gpu_common.cuh"
#include "i2i/backend/cuda/kernels/gram.cuh"
#include "i2i/backend/cuda/kernels/losses.cuh"

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
  return back(cuda::gram_style_loss(up(pred), up(t), l1 ? loss::style_distance::l1 : loss::style_distance::mse,
                                    norm(chw)));
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
  template loss_out<T> gram_style_loss<T>(const tensor<T>&, const tensor<T>&, bool, bool);
I2I_PARITY_LOSS(float)
I2I_PARITY_LOSS(double)

}  // namespace i2i::parity::gpu
