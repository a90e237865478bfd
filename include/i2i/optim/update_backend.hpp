#pragma once
// What optim::adam<B> and optim::sgd<B> need of a backend: its scalar, zero-filled state tensors, clearing
// gradients, the element updates as ops (backend/optimizer_args.hpp) and the host transfers that the
// optimizer-state files use. cpu_backend<T> and cuda_backend<> satisfy it; a scalar type (the former
// optim::adam<float>) does not, and the error names this concept.
#include <concepts>

#include "i2i/backend/concept.hpp"

namespace i2i::optim {

/// The backend's placement and memory ops (backend/concept.hpp) and its optimizer updates: the
/// families an optimizer calls, so that it also works on a backend written only for training state.
template <class B>
concept update_backend = backend_memory_ops<B> && backend_optimizer_ops<B>;

}  // namespace i2i::optim
