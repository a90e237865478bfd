#pragma once
// counting_backend: binds a spec with parameters that occupy no memory, for parameter counts, names,
// shapes and FLOP traces of full-size networks (pix2pixHD's GlobalGenerator has 182.5 M parameters:
// 1.5 GB with gradients in float). Its scalar is an empty type, so filling a parameter stores nothing
// (the loop compiles away) and the allocator's pages are never touched: building the 182 M-parameter
// generator this way costs a few MB of resident memory.
//
//   model<pix2pixhd::global_generator<36>, counting_backend<>> G;
//   G.parameter_count();  G.flops(shape::nchw(1, 36, 512, 1024));  G.all_parameters()[0]->value.shape();
//
// Such a model cannot run forward or backward, and its parameter values are meaningless; use
// cpu_backend<T> for anything that computes. It therefore satisfies parameter_backend (what model<>
// needs to hold parameters) but not the op set `backend` (backend/concept.hpp), which model<>'s forward
// and backward require: calling them on a counting model is a compile-time error, not a wrong count.
#include "i2i/backend/concept.hpp"
#include "i2i/backend/cpu/backend.hpp"

namespace i2i {

/// A scalar without storage. Constructible from any number so that specs may write T(0) and T(1).
struct shape_only_scalar {
  constexpr shape_only_scalar() = default;
  template <class U>
  constexpr shape_only_scalar(U) {}
};

/// The argument types (conv_args etc.) of `Base`, with shape_only_scalar parameters.
template <class Base = cpu_backend<float>>
struct counting_backend : Base {
  using scalar = shape_only_scalar;
  using tensor_type = tensor<shape_only_scalar>;

  // Parameters stay where they were built; there is nothing to move or to initialise.
  static tensor_type to_backend(const tensor_type& t) { return t; }
  static tensor_type to_host(const tensor_type& t) { return t; }
  static void assign_from_host(const tensor_type&, const tensor_type&) {}
  static void fill_zero(const tensor_type&) {}
};

static_assert(parameter_backend<counting_backend<>>);
static_assert(!backend<counting_backend<>>, "counting_backend computes nothing; it must not pass for a backend");

}  // namespace i2i
