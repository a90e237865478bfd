#pragma once
// The types every loss shares, on every backend: the result (value + gradient), GAN targets, the NaN
// guard, the Gram options and the cross-entropy options. Free of any backend, so that the loss kernels
// of both backends (cpu/losses*.hpp, cuda/kernels/losses*.cuh and gram.cuh), the loss terms
// (loss/types/) and code written over any backend use one definition.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

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
