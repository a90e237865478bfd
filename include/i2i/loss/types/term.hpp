#pragma once
// Loss terms as types (DESIGN §1 end): the pieces every term shares.
//
// A loss *function* (loss/l1.hpp, lsgan.hpp, ...) maps a prediction to {value, d value / d prediction}.
// A loss *term* is an object with a runtime weight and a name that wraps such functions for a role in a
// training step: the GAN term of a multiscale D, pix2pixHD's feature matching, a VGG content loss. Its
// value and gradients are already multiplied by its weight, and every error it raises (a NaN loss, a
// shape mismatch) starts with the term's name, so "loss_G_VGG: l1_loss: the loss is nan" says which
// of a step's five terms diverged.
//
// Terms that read a model's forward context (GAN and feature matching over D's taps) return an
// `injection`: the gradients to hand to that model's backward, at its output and at named taps.
// Terms over images (L1, VGG perceptual, Gram style) return a loss_value: the gradient w.r.t. the image.
#include <algorithm>
#include <cmath>
#include <concepts>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/backend/cpu/pointwise.hpp"
#include "i2i/loss/backend_terms.hpp"
#include "i2i/loss/loss_value.hpp"
#include "i2i/loss/term_support.hpp"
#include "i2i/model/run_state.hpp"

namespace i2i::loss {

/// Gradients one loss injects into one model's backward: at the model's output and at named taps.
/// Adding twice at the same place sums (a GAN term and feature matching both feed D's pass on the fake).
/// Sums are new tensors, so tensors handed in are never written through. The backend-generic class
/// (loss/backend_terms.hpp) on the CPU backend.
template <class T>
using injection = on_backend::injection<cpu_backend<T>>;

/// What a term over a model's context returns: the weighted value, its parts (per scale or per layer,
/// weighted, summing to value) and the gradients to inject into that model's backward.
template <class T>
using term_result = on_backend::term_result<cpu_backend<T>>;

/// Runs model.backward with an injection; returns dL/d(input) when need_input_grad.
using on_backend::backward;

/// A forward context as terms read it (model<...>::context): the output and the recorded taps.
template <class C>
concept forward_context = requires(const C& c) {
  c.output;
  c.taps.items();
};

/// A term over a generated image and its real counterpart, as a training step plugs it in:
/// `term(fake, real)` returns the weighted value and d/d fake; `term.name` names it in records and errors.
template <class X, class T>
concept image_term = requires(X& x, const tensor<T>& a) {
  { x(a, a) } -> std::same_as<loss_value<T>>;
  { x.name } -> std::convertible_to<std::string>;
};

/// A runtime-pluggable image term: any function of (fake, real) returning {value, d/d fake}.
template <class T>
struct custom_term {
  std::string name;
  std::function<loss_value<T>(const tensor<T>& fake, const tensor<T>& real)> fn;
  loss_value<T> operator()(const tensor<T>& fake, const tensor<T>& real) const {
    require<value_error>(bool(fn), "custom_term '", name, "': no function");
    auto r = fn(fake, real);
    if (!std::isfinite(r.value))
      throw value_error(i2i::detail::concat(name, ": the loss is ", r.value, "; an input holds NaN or Inf, or the ",
                                            "values overflowed (check the learning rate and the inputs)"));
    return r;
  }
};

namespace term_detail {

/// The weighted loss_value: value and gradient times w (the gradient is a new tensor unless w == 1).
template <class T>
loss_value<T> weighted(loss_value<T> r, double w) {
  return on_backend::detail::weighted<cpu_backend<T>>(std::move(r), w);
}

}  // namespace term_detail

}  // namespace i2i::loss
