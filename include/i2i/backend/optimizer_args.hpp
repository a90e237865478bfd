#pragma once
// The per-step scalars of the optimizer updates (B::adam_update, B::sgd_update), shared by every
// backend (their argument checks: backend/checks/optimizer.hpp). Eigen-free and CUDA-free: optim/ computes the scalars once per step
// and group, and the CPU and CUDA kernels read the same struct, so the two updates cannot drift apart.
#include <cmath>
#include <cstdint>


namespace i2i {

/// One Adam update (PyTorch's torch.optim.Adam, amsgrad off) of one parameter tensor:
///   g <- g + weight_decay * p   (only when weight_decay != 0)
///   m <- beta1 m + (1 - beta1) g ;  v <- beta2 v + (1 - beta2) g^2
///   p <- p - step_size * m / (sqrt(v) * inv_sqrt_bc2 + eps)
/// Doubles here; each kernel rounds them to its scalar type once, as the update always did.
struct adam_update_args {
  double step_size = 0;     ///< lr / (1 - beta1^t)
  double inv_sqrt_bc2 = 1;  ///< 1 / sqrt(1 - beta2^t)
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  /// For a step replayed by a CUDA graph (cuda/graphed_step.cuh), whose kernel arguments are fixed at
  /// capture: when set, {step_size, inv_sqrt_bc2} are read when the update runs from this pair in the
  /// backend's memory (optim::adam::prepare_step writes it before each step) instead of the two fields.
  const float* live_scalars = nullptr;
  /// When set and *skip_if != 0 when the update runs, it changes nothing (a captured step whose loss was
  /// not finite: the weights stay as they were, and the host reports the loss after the replay).
  const float* skip_if = nullptr;

  /// The scalars of step t (t counted from 1) at learning rate lr.
  static adam_update_args at_step(std::int64_t t, double lr, double beta1, double beta2, double eps,
                                  double weight_decay) {
    const double bc1 = 1 - std::pow(beta1, double(t));
    const double bc2 = 1 - std::pow(beta2, double(t));
    return {lr / bc1, 1 / std::sqrt(bc2), beta1, beta2, eps, weight_decay};
  }
};

/// The four tensors of one parameter's Adam update; B::adam_update_many takes a list of them and updates
/// them all with the same scalars (on CUDA in a few launches for the whole list: multi_tensor_plan.hpp).
template <class Tensor>
struct adam_operands {
  Tensor param, grad, exp_avg, exp_avg_sq;
};

/// One SGD update (PyTorch's torch.optim.SGD) of one parameter tensor, with d = g + weight_decay * p:
///   momentum 0:  p <- p - lr * d                      (the buffer is not touched and may be undefined)
///   else:        b <- d on the first step, else momentum * b + (1 - dampening) * d
///                p <- p - lr * (nesterov ? d + momentum * b : b)
struct sgd_update_args {
  double lr = 1e-2, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false;
  bool first_step = true;  ///< PyTorch starts the momentum buffer at the first gradient, not at zero
};

}  // namespace i2i
