#pragma once
// The types every loss shares, on every backend: the result (value + gradient), GAN targets, the NaN
// guard and the Gram options. Eigen-free, so that the CPU losses (loss/*.hpp) and the device losses
// (backend/cuda/kernels/*.cuh, compiled by nvcc) use one definition.
#include <cmath>
#include <string>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::loss {

template <class T>
struct loss_value {
  double value = 0;  ///< the (mean-reduced) loss
  tensor<T> grad;    ///< d value / d prediction, in the prediction's shape (and on its device)
};

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

}  // namespace i2i::loss
