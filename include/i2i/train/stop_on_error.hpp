#pragma once
// Where a training step failed: a loss that is NaN or Inf (loss::require_finite) or any other value_error
// stops training with the loss term and the iteration named, so that a diverged run says which term blew
// up and when. The step throws before it writes anything, so every checkpoint saved before that iteration
// is intact (resume from it with a lower learning rate, or check the inputs).
//
//   auto d_fake = train::loss_term("D_fake", [&] { return gan(ctx, loss::gan_target::fake); });
//   auto rec = train::stop_on_error("pix2pixhd trainer", iteration, [&] { return step(batch); });
#include <cstdint>
#include <string>
#include <utility>

#include "i2i/core/error.hpp"

namespace i2i::train {

/// Runs f(), the computation of the loss term `name`; a value_error (a non-finite loss) gets the term's name.
template <class F>
decltype(auto) loss_term(const std::string& name, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (const value_error& e) {
    throw value_error(i2i::detail::concat("the loss term ", name, ": ", e.what()));
  }
}

/// Runs f(), training iteration `iteration` (counted from 1); a value_error stops training with the
/// iteration named.
template <class F>
decltype(auto) stop_on_error(const std::string& who, std::int64_t iteration, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (const value_error& e) {
    throw value_error(i2i::detail::concat(who, ": training stopped at iteration ", iteration, ": ", e.what(),
                                          " (checkpoints saved before this iteration are unchanged)"));
  }
}

}  // namespace i2i::train
