#pragma once
// pix2pixHD's loss terms written over a backend B (cpu_backend<float> or cuda_backend<float, P>): the
// same numbers as loss::gan_loss, loss::feature_matching and loss::vgg_perceptual (loss/types/), with
// every tensor operation a B:: call (B::lsgan_loss, B::bce_with_logits_loss, B::l1_loss, B::scale,
// B::add), so that pix2pixhd::trainer runs one step on either backend. Eigen-free: nvcc TUs include it.
//
//   loss::on_backend::gan<B>(ctx, gan_target::real, vanilla, weight)   // sum over D's "scale<k>.out" taps
//   loss::on_backend::feature_matching<B> fm{lambda_feat, num_D, n_layers_D};  fm(fake_ctx, real_ctx)
//   loss::on_backend::vgg_l1<Net> vgg(net, lambda);  vgg(fake, real)   // relu{1..5}_1, 1/32 .. 1
//
// The host terms loss::gan_loss and loss::feature_matching (loss/types/) ARE these on cpu_backend, and
// loss::injection / term_result are these types: one implementation. vgg_l1 is the fixed-layer form of
// loss::vgg_perceptual; on cpu_backend the two are bit-identical (tests/unit/pix2pixhd_backend_terms).
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/loss/loss_types.hpp"
#include "i2i/loss/term_support.hpp"
#include "i2i/model/run_state.hpp"

namespace i2i::loss::on_backend {

/// Gradients one loss injects into one model's backward (loss::injection over B's add and scale).
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

template <class B>
struct term_result {
  double value = 0;
  std::vector<std::pair<std::string, double>> parts;
  injection<B> grad;
};

/// model.backward with an injection; dL/d(input) when need_input_grad.
template <class Model, class Context, class B>
tensor<typename B::scalar> backward(Model& m, const Context& ctx, const injection<B>& g, bool need_input_grad = true) {
  return m.backward(ctx, g.output(), g.tap_grads(), need_input_grad);
}

namespace detail {

// The shared pieces (loss/term_support.hpp): the same names and texts as the host terms.
using term_detail::is_scale_output;
using term_detail::named;
using term_detail::require_weight;
using term_detail::scale_scope;

template <class B>
loss_value<typename B::scalar> weighted(loss_value<typename B::scalar> r, double w) {
  if (w != 1) {
    r.value *= w;
    r.grad = B::scale(r.grad, typename B::scalar(w));
  }
  return r;
}

template <class B>
loss_value<typename B::scalar> gan_one(const tensor<typename B::scalar>& pred, gan_target t, bool vanilla) {
  return vanilla ? B::bce_with_logits_loss(pred, t) : B::lsgan_loss(pred, t);
}

}  // namespace detail

/// The GAN term over a (multiscale) D's forward context: per_map(prediction, target) -> loss_value on
/// every "scale<k>.out" tap, weighted and summed, the gradients going to those taps; on the output when D
/// is not multiscale. loss::gan_loss<Mode> is this with Mode::apply on cpu_backend.
template <class B, class Ctx, class PerMap>
term_result<B> gan_with(const Ctx& ctx, gan_target target, const PerMap& per_map, double weight,
                        const std::string& name) {
  return detail::named(name, [&] {
    detail::require_weight(name, weight);
    term_result<B> r;
    for (const auto& [key, pred] : ctx.taps.items()) {
      if (!detail::is_scale_output(key)) continue;
      auto l = detail::weighted<B>(per_map(pred, target), weight);
      r.value += l.value;
      r.parts.emplace_back(key, l.value);
      r.grad.add_tap(key, l.grad);
    }
    if (r.parts.empty()) {
      require<value_error>(ctx.output.defined(), "the forward context has no output");
      auto l = detail::weighted<B>(per_map(ctx.output, target), weight);
      r.value = l.value;
      r.parts.emplace_back("out", l.value);
      r.grad.add_output(l.grad);
    }
    require_finite(r.value, name.c_str());
    return r;
  });
}

/// loss::gan_loss<lsgan> (vanilla = false) or gan_loss<vanilla> over B's losses.
template <class B, class Ctx>
term_result<B> gan(const Ctx& ctx, gan_target target, bool vanilla = false, double weight = 1) {
  const std::string name = std::string("gan_loss<") + (vanilla ? "vanilla" : "lsgan") + ">";
  const auto per_map = [vanilla](const tensor<typename B::scalar>& pred, gan_target t) {
    return detail::gan_one<B>(pred, t, vanilla);
  };
  return gan_with<B>(ctx, target, per_map, weight, name);
}

/// loss::feature_matching over B: lambda_feat / num_D * 4 / (n_layers + 1) * mean |fake - real| per
/// intermediate tap, real taps detached.
template <class B>
struct feature_matching {
  double lambda_feat = 10;
  int num_d = 0;
  int n_layers = -1;
  std::string name = "feature_matching";

  double tap_weight(int num_scales, int taps_of_scale) const {
    const int nd = num_d > 0 ? num_d : std::max(num_scales, 1);
    const int nl1 = n_layers >= 0 ? n_layers + 1 : taps_of_scale;
    return lambda_feat / double(nd) * 4.0 / double(nl1);
  }

  template <class Fake, class Real>
  term_result<B> operator()(const Fake& fake, const Real& real) const {
    using T = typename B::scalar;
    return detail::named(name, [&] {
      detail::require_weight(name, lambda_feat);
      std::set<const void*> outputs;
      if (fake.output.defined()) outputs.insert(fake.output.data());
      int num_scales = 0;
      for (const auto& [key, t] : fake.taps.items())
        if (detail::is_scale_output(key)) {
          outputs.insert(t.data());
          ++num_scales;
        }
      std::map<std::string, int> per_scale;
      std::vector<const std::pair<std::string, tensor<T>>*> matched;
      for (const auto& item : fake.taps.items()) {
        if (detail::is_scale_output(item.first) || outputs.count(item.second.data())) continue;
        matched.push_back(&item);
        ++per_scale[detail::scale_scope(item.first)];
      }
      require<value_error>(!matched.empty(),
                           "the discriminator's forward context has no intermediate taps to match; tap its "
                           "layers (tap<\"layer0\", ...>) or turn feature matching off");
      term_result<B> r;
      for (const auto* item : matched) {
        const auto& [key, f] = *item;
        const tensor<T>* g = real.taps.find(key);
        require<value_error>(g != nullptr, "the real pass recorded no tap '", key,
                             "'; both contexts must come from the same discriminator");
        require<shape_error>(g->shape() == f.shape(), "tap '", key, "' has shape ", f.shape(), " on the fake pass and ",
                             g->shape(), " on the real pass; the two inputs must have the same shape");
        const double w = tap_weight(num_scales, per_scale[detail::scale_scope(key)]);
        auto l = detail::weighted<B>(B::l1_loss(f, *g), w);
        r.value += l.value;
        r.parts.emplace_back(key, l.value);
        r.grad.add_tap(key, l.grad);
      }
      require_finite(r.value, name.c_str());
      return r;
    });
  }
};

/// loss::vgg_perceptual with pix2pixHD's layers (relu1_1..relu5_1, weights 1/32, 1/16, 1/8, 1/4, 1) over
/// a bound feature network Net = model<Spec, B>; freezes the network; real features detached.
template <class Net>
class vgg_l1 {
 public:
  using B = typename Net::backend;
  using T = typename Net::T;
  struct layer {
    std::string tap;
    double weight;
  };
  static std::vector<layer> pix2pixhd_layers() {
    return {{"relu1_1", 1. / 32}, {"relu2_1", 1. / 16}, {"relu3_1", 1. / 8}, {"relu4_1", 1. / 4}, {"relu5_1", 1.}};
  }

  explicit vgg_l1(Net& net, double lambda = 10, std::string term_name = "vgg_perceptual")
      : weight(lambda), name(std::move(term_name)), net_(&net), layers_(pix2pixhd_layers()) {
    detail::require_weight(name, weight);
    for (const auto& p : net.all_parameters()) p->frozen = true;
  }

  double weight;
  std::string name;

  loss_value<T> operator()(const tensor<T>& fake, const tensor<T>& real) const {
    return detail::named(name, [&] {
      require<shape_error>(fake.shape() == real.shape(), "fake has shape ", fake.shape(), " but real has shape ",
                           real.shape());
      // Not `const auto`: nvcc 13's front end (cicc) takes time exponential in N for a const-qualified
      // local std::tuple of N non-trivially destructible elements, and VGG19's context is a 30-element
      // tuple (minutes to hours); non-const it compiles in seconds (docs/cuda.md, known gaps).
      auto cf = net_->forward(fake);
      auto cr = net_->forward(real);
      for (const auto& l : layers_) (void)cf.tap(l.tap);
      tap_list<T> grads;
      double value = 0;
      for (const auto& l : layers_) {
        auto r = detail::weighted<B>(B::l1_loss(cf.tap(l.tap), cr.tap(l.tap)), weight * l.weight);
        value += r.value;
        grads.put(l.tap, r.grad);
      }
      require_finite(value, name.c_str());
      return loss_value<T>{value, net_->backward(cf, tensor<T>{}, grads, true)};
    });
  }

 private:
  Net* net_;
  std::vector<layer> layers_;
};

}  // namespace i2i::loss::on_backend
