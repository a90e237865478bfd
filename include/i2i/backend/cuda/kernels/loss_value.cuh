#pragma once
// The loss result type and its shared pieces for the device losses (losses.cuh, gram.cuh).
//
// include/i2i/loss/loss_value.hpp defines these for the CPU losses, but it includes Eigen (through
// cpu/argcheck.hpp), which must never reach an nvcc translation unit. The definitions below are
// token-for-token the same as there (the One Definition Rule allows a class, enum or inline function to
// be defined in several translation units when the definitions are identical), so a loss_value<float>
// made by a .cu file is the very type a .cpp file sees. Keep them identical; the cleaner fix is an
// Eigen-free loss/loss_types.hpp that both headers include (reported to the lead).
//
// Unlike the CPU losses, the grad of a device loss lives in device memory.
#include <cmath>
#include <string>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::loss {

template <class T>
struct loss_value {
  double value = 0;  ///< the (mean-reduced) loss
  tensor<T> grad;    ///< d value / d prediction, in the prediction's shape
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

enum class gram_norm { hw, chw };
enum class style_distance { mse, l1 };

}  // namespace i2i::loss
