#pragma once
// What optim::adam<B> and optim::sgd<B> need of a backend: its scalar, zero-filled state tensors, clearing
// gradients, the element updates as ops (backend/optimizer_args.hpp) and the host transfers that the
// optimizer-state files use. cpu_backend<T> and cuda_backend<> satisfy it; a scalar type (the former
// optim::adam<float>) does not, and the error names this concept.
#include <concepts>

#include "i2i/backend/optimizer_args.hpp"
#include "i2i/core/shape.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::optim {

template <class B>
concept update_backend =
    requires { typename B::scalar; } &&
    requires(const tensor<typename B::scalar>& t, const shape& s, const adam_update_args& a, const sgd_update_args& sa) {
      { B::zeros(s) } -> std::same_as<tensor<typename B::scalar>>;
      B::fill_zero(t);
      B::adam_update(t, t, t, t, a);
      B::sgd_update(t, t, t, sa);
      { B::to_host(t) } -> std::same_as<tensor<typename B::scalar>>;
      B::assign_from_host(t, t);
    };

}  // namespace i2i::optim
