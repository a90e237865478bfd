#pragma once
// Learning-rate schedules as small value types: `lr_at(t)` is a pure function of the epoch or step, so a
// resumed run gets the same rate as an uninterrupted one (no state to checkpoint beyond t itself).
#include <cmath>
#include <cstdint>
#include <limits>

#include "i2i/core/error.hpp"

namespace i2i::optim {

/// pix2pixHD: lr0 for epochs 1..niter, then linear decay to zero over niter_decay epochs.
/// Epochs are counted from 1, as pix2pixHD's train.py counts them. The reference subtracts
/// lr0/niter_decay at the end of every epoch e > niter, so epoch niter+k (k >= 1) runs at
///   lr0 * (1 - (k-1)/niter_decay)
/// (epoch niter+1 still at lr0, the last epoch niter+niter_decay at lr0/niter_decay). Computed from the
/// formula rather than by repeated subtraction, so it is exact and independent of where a run resumed.
/// Epochs after the last one get 0.
struct constant_then_linear_decay {
  double lr0 = 2e-4;
  std::int64_t niter = 100;
  std::int64_t niter_decay = 100;

  constant_then_linear_decay(double lr0_, std::int64_t niter_, std::int64_t niter_decay_)
      : lr0(lr0_), niter(niter_), niter_decay(niter_decay_) {
    require<value_error>(lr0 >= 0 && niter >= 0 && niter_decay >= 0, "constant_then_linear_decay: invalid lr0 ", lr0,
                         ", niter ", niter, " or niter_decay ", niter_decay, " (all must be >= 0)");
    require<value_error>(niter_decay <= std::numeric_limits<std::int64_t>::max() - niter,
                         "constant_then_linear_decay: niter ", niter, " + niter_decay ", niter_decay,
                         " epochs do not fit in 64 bits");
  }

  std::int64_t total_epochs() const { return niter + niter_decay; }

  /// total_epochs() x per_epoch, or a value_error when that many iterations do not fit in 64 bits.
  std::int64_t total_iterations(std::int64_t per_epoch) const {
    require<value_error>(per_epoch >= 0, "constant_then_linear_decay: negative iterations per epoch ", per_epoch);
    require<value_error>(per_epoch == 0 || total_epochs() <= std::numeric_limits<std::int64_t>::max() / per_epoch,
                         "constant_then_linear_decay: ", total_epochs(), " epochs of ", per_epoch,
                         " iterations do not fit in 64 bits");
    return total_epochs() * per_epoch;
  }

  double lr_at(std::int64_t epoch) const {
    require<value_error>(epoch >= 1, "constant_then_linear_decay: epoch ", epoch, " (epochs count from 1)");
    if (epoch <= niter) return lr0;
    const std::int64_t k = epoch - niter;  // 1 for the first decaying epoch
    if (k > niter_decay) return 0.0;
    return lr0 * (1.0 - double(k - 1) / double(niter_decay));
  }
};

/// EGSC-IT: lr0 * (1 - t/T)^power with power 0.9, t the iteration counter from 0 (one iteration = one D
/// step) and T = epochs * sample_num. The reference computes the rate before the iteration with the
/// counter's current value, so iteration 0 runs at lr0. For t >= T (only reachable by resuming past the
/// end, where Python would produce a complex number) the rate is 0.
struct poly_decay {
  double lr0 = 1e-4;
  std::int64_t max_steps = 1;
  double power = 0.9;

  poly_decay(double lr0_, std::int64_t max_steps_, double power_ = 0.9)
      : lr0(lr0_), max_steps(max_steps_), power(power_) {
    require<value_error>(lr0 >= 0 && max_steps > 0 && power >= 0, "poly_decay: invalid lr0 ", lr0, ", max_steps ",
                         max_steps, " (must be > 0) or power ", power);
  }

  double lr_at(std::int64_t step) const {
    require<value_error>(step >= 0, "poly_decay: negative step ", step);
    if (step >= max_steps) return 0.0;
    return lr0 * std::pow(1.0 - double(step) / double(max_steps), power);
  }
};

}  // namespace i2i::optim
