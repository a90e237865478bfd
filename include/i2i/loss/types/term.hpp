#pragma once
// Loss terms as types (DESIGN §1 end): the pieces every term shares, on every backend.
//
// A loss *kernel* is a backend op (B::l1_loss, B::lsgan_loss, B::gram_distance, ...: the CPU backend's
// losses*.hpp headers and their CUDA twins) that maps a prediction to {value, d value / d prediction}. A loss *term* is an
// object with a runtime weight and a name that wraps such kernels for a role in a training step: the GAN
// term of a multiscale D, pix2pixHD's feature matching, a VGG content loss. Its value and gradients are
// already multiplied by its weight, and every error it raises (a NaN loss, a shape mismatch) starts with
// the term's name, so "loss_G_VGG: l1_loss: the loss is nan" says which of a step's five terms diverged.
//
// Where a term's backend comes from:
//   - terms over a model's forward context (gan_loss over D's scales, feature_matching) from the
//     context: model<Spec, B>::context::backend;
//   - terms bound to a network (vgg_perceptual<Net>, gram_style<Net>) from Net::backend;
//   - terms over plain tensors (l1_term, kl_term, cross_entropy_term, gan_loss on one map) are plain
//     configuration and name B at the call: `term.apply<B>(fake, real)`.
// Terms over a context return a term_result whose `injection` holds the gradients to hand to that model's
// backward, at its output and at named taps; terms over images return a loss_value (d/d image).
#include <algorithm>
#include <cmath>
#include <concepts>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/loss/loss_types.hpp"
#include "i2i/model/run_state.hpp"

namespace i2i::loss {

/// Gradients one loss injects into one model's backward: at the model's output and at named taps.
/// Adding twice at the same place sums (a GAN term and feature matching both feed D's pass on the fake).
/// Sums are new tensors (B::add), so tensors handed in are never written through.
template <class B>
class injection {
 public:
  using T = typename B::scalar;
  const tensor<T>& output() const { return output_; }
  const std::vector<std::pair<std::string, tensor<T>>>& taps() const { return taps_; }
  bool empty() const { return !output_.defined() && taps_.empty(); }

  void add_output(const tensor<T>& g) { output_ = output_.defined() ? B::add(output_, g) : g; }
  void add_tap(const std::string& key, const tensor<T>& g) {
    for (auto& [k, v] : taps_)
      if (k == key) {
        v = B::add(v, g);
        return;
      }
    taps_.emplace_back(key, g);
  }
  void add(const injection& o) {
    if (o.output_.defined()) add_output(o.output_);
    for (const auto& [k, v] : o.taps_) add_tap(k, v);
  }
  void scale(double s) {
    if (output_.defined()) output_ = B::scale(output_, T(s));
    for (auto& [k, v] : taps_) v = B::scale(v, T(s));
  }
  tap_list<T> tap_grads() const {
    tap_list<T> r;
    for (const auto& [k, v] : taps_) r.put(k, v);
    return r;
  }

 private:
  tensor<T> output_;
  std::vector<std::pair<std::string, tensor<T>>> taps_;
};

/// What a term over a model's context returns: the weighted value, its parts (per scale or per layer,
/// weighted, summing to value) and the gradients to inject into that model's backward. Inside a
/// loss::defer_loss_values scope the value is value + pending[0] and the parts hold host parts only.
template <class B>
struct term_result {
  double value = 0;
  std::vector<std::pair<std::string, double>> parts;
  injection<B> grad;
  tensor<typename B::scalar> pending;  ///< the part left in B's memory (loss_value::pending)
};

/// Runs model.backward with an injection; returns dL/d(input) when need_input_grad.
template <class Model, class Context, class B>
tensor<typename B::scalar> backward(Model& m, const Context& ctx, const injection<B>& g, bool need_input_grad = true) {
  return m.backward(ctx, g.output(), g.tap_grads(), need_input_grad);
}

/// A forward context as terms read it (model<Spec, B>::context): the output, the recorded taps and the
/// backend the model ran on.
template <class C>
concept forward_context = requires(const C& c) {
  typename C::backend;
  c.output;
  c.taps.items();
};

/// The backend of a forward context.
template <forward_context C>
using backend_of = typename C::backend;

/// A term over a generated image and its real counterpart, as a training step on backend B plugs it in:
/// `term.apply<B>(fake, real)` returns the weighted value and d/d fake; `term.name` names it in records
/// and errors.
template <class X, class B>
concept image_term = requires(X& x, const tensor<typename B::scalar>& a) {
  { x.template apply<B>(a, a) } -> std::same_as<loss_value<typename B::scalar>>;
  { x.name } -> std::convertible_to<std::string>;
};

/// A runtime-pluggable image term: any function of (fake, real) returning {value, d/d fake}, on whatever
/// backend the function computes on.
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
  template <class B>
    requires std::same_as<typename B::scalar, T>
  loss_value<T> apply(const tensor<T>& fake, const tensor<T>& real) const {
    return (*this)(fake, real);
  }
};

namespace term_detail {

/// Calls f and prefixes the message of any i2i error it throws with the term's name, keeping the type.
template <class F>
decltype(auto) named(const std::string& term, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (const shape_error& e) {
    throw shape_error(term + ": " + e.what());
  } catch (const value_error& e) {
    throw value_error(term + ": " + e.what());
  } catch (const io_error& e) {
    throw io_error(term + ": " + e.what());
  } catch (const device_error& e) {
    throw device_error(term + ": " + e.what());
  } catch (const error& e) {
    throw error(term + ": " + e.what());
  }
}

inline void require_weight(const std::string& term, double w) {
  require<value_error>(std::isfinite(w), term, ": weight ", w, " is not finite");
}

/// The weighted loss_value: value and gradient times w (the gradient is a new tensor unless w == 1).
template <class B>
loss_value<typename B::scalar> weighted(loss_value<typename B::scalar> r, double w) {
  if (w != 1) {
    r.value *= w;
    r.grad = B::scale(r.grad, typename B::scalar(w));
    if (r.pending.defined()) r.pending = B::scale(r.pending, typename B::scalar(w));
  }
  return r;
}

/// into += part, for anything with a host `value` and a `pending` part in B's memory (loss_value,
/// term_result): host parts add on the host, pending parts on the backend, so a deferred sum stays
/// without host reads (loss::defer_loss_values).
template <class B, class Into, class Part>
void add_value(Into& into, const Part& part) {
  into.value += part.value;
  if (part.pending.defined()) into.pending = into.pending.defined() ? B::add(into.pending, part.pending) : part.pending;
}

/// True for "scale<k>" (k one or more digits).
inline bool is_scale_part(const std::string& part) {
  bool ok = part.size() > 5 && part.compare(0, 5, "scale") == 0;
  for (std::size_t i = 5; ok && i < part.size(); ++i) ok = part[i] >= '0' && part[i] <= '9';
  return ok;
}

/// True when `key` is a multiscale scale output, "scale<k>.out", possibly under a tap scope ("x.scale1.out").
inline bool is_scale_output(const std::string& key) {
  const std::string suffix = ".out";
  if (key.size() <= suffix.size() || key.compare(key.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  const std::string head = key.substr(0, key.size() - suffix.size());
  const auto dot = head.rfind('.');
  return is_scale_part(dot == std::string::npos ? head : head.substr(dot + 1));
}

/// The scale a tap belongs to: the key up to and including its last "scale<k>" component ("" if none).
inline std::string scale_scope(const std::string& key) {
  std::string scope;
  std::size_t start = 0;
  while (start <= key.size()) {
    const auto end = std::min(key.find('.', start), key.size());
    if (is_scale_part(key.substr(start, end - start)) && end < key.size()) scope = key.substr(0, end);
    start = end + 1;
  }
  return scope;
}

}  // namespace term_detail

}  // namespace i2i::loss
