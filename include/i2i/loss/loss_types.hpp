#pragma once
// The types every loss shares, on every backend: the result (value + gradient), GAN targets, the NaN
// guard, the Gram options and the cross-entropy options. Free of any backend, so that the loss kernels
// of both backends (cpu/losses*.hpp, cuda/kernels/losses*.cuh and gram.cuh), the loss terms
// (loss/types/) and code written over any backend use one definition.
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::loss {

template <class T>
struct loss_value {
  // Constructors, not an aggregate: `loss_value<T>{v, grad}` (every loss op's form) leaves `pending`
  // empty without -Wmissing-field-initializers noise at each of them.
  loss_value() = default;
  loss_value(double v, tensor<T> g, tensor<T> p = {}) : value(v), grad(std::move(g)), pending(std::move(p)) {}

  double value = 0;  ///< the (mean-reduced) loss; with a pending part, the host part of it
  tensor<T> grad;    ///< d value / d prediction, in the prediction's shape (and on its device)
  /// The part of the loss left in the backend's memory while a defer_loss_values scope is alive (one
  /// element; undefined otherwise): the loss is value + pending[0].
  tensor<T> pending;
};

/// While alive on this thread, the backends' loss ops do not read their values back to the host: each
/// leaves it in `loss_value::pending` (one element in the backend's memory, value 0) and raises flag[0]
/// to 1 when it is not finite, instead of throwing. A training step captured as a CUDA graph
/// (cuda/graphed_step.cuh) must contain no host read; the loss terms carry pending parts through their
/// sums and weights (term_detail::add_value, weighted), and the step reads them all after the replay.
/// The CPU honours the scope too (with the value already on the host), so the plumbing is tested there;
/// a non-finite CPU loss still throws at once.
template <class T>
class defer_loss_values {
 public:
  /// `flag`: one element in the loss ops' backend memory, zeroed by the caller.
  explicit defer_loss_values(tensor<T> flag) : flag_(std::move(flag)), previous_(std::exchange(active_(), this)) {
    require<shape_error>(flag_.numel() == 1, "defer_loss_values: the flag has shape ", flag_.shape(),
                         ", expected one element");
  }
  ~defer_loss_values() { active_() = previous_; }
  defer_loss_values(const defer_loss_values&) = delete;
  defer_loss_values& operator=(const defer_loss_values&) = delete;

  /// The flag of the innermost scope alive on this thread, or nullptr when values are read as usual.
  static const tensor<T>* flag() noexcept { return active_() ? &active_()->flag_ : nullptr; }

 private:
  static defer_loss_values*& active_() noexcept {
    thread_local defer_loss_values* a = nullptr;
    return a;
  }
  tensor<T> flag_;
  defer_loss_values* previous_;
};

/// A loss computed on the host, deferred when a defer_loss_values scope is alive: its value moves into
/// a one-element host tensor (the CPU backend's memory). For the CPU backend's loss ops.
template <class T>
loss_value<T> defer_host_value(loss_value<T> r) {
  const tensor<T>* flag = defer_loss_values<T>::flag();
  if (flag == nullptr) return r;
  r.pending = tensor<T>::zeros(shape{1});
  r.pending[0] = T(r.value);
  if (!std::isfinite(r.value)) (*flag)[0] = T(1);
  r.value = 0;
  return r;
}

/// The GAN target of a discriminator output: "this is real" (1) or "this is fake" (0).
enum class gan_target { real, fake };

constexpr double target_value(gan_target t) { return t == gan_target::real ? 1.0 : 0.0; }

/// Throws value_error naming `what` (the loss) when `value` is NaN or infinite, so a diverging run stops
/// at the first bad loss instead of writing NaN weights (DESIGN §5).
inline void require_finite(double value, const char* what) {
  if (!std::isfinite(value))
    throw value_error(i2i::detail::concat(what, ": the loss is ", value,
                                          "; an input holds NaN or Inf, or the values overflowed (check the learning "
                                          "rate and the inputs)"));
}

/// Gram normalisation: hw divides by H*W (EGSC-IT), chw by C*H*W (Johnson et al.).
enum class gram_norm { hw, chw };
/// Distance between Gram matrices: mse (Gatys, Johnson) or l1 (EGSC-IT).
enum class style_distance { mse, l1 };

/// What a Gram matrix of C channels over H*W pixels is divided by.
constexpr double gram_divisor(std::int64_t c, std::int64_t hw, gram_norm norm) {
  return norm == gram_norm::hw ? double(hw) : double(c) * double(hw);
}

/// Softmax cross-entropy's options (B::cross_entropy_loss), as PyTorch's F.cross_entropy.
struct cross_entropy_options {
  std::int64_t ignore_index = -1;       ///< pixels with this label count for nothing; < 0 ignores nothing
  std::vector<double> class_weights{};  ///< one weight per class (C of them), or empty for 1 everywhere
};

}  // namespace i2i::loss
