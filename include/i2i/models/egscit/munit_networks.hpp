#pragma once
// MUNIT's generator (Huang et al. 2018, NVlabs/MUNIT networks.py AdaINGen) built in EGSC-IT's backbone, so
// that the baseline of the SSIM table differs from EGSC-IT only where the two methods differ
// (research/egscit.md §6.5, §11). Per domain X:
//
//   E^c_X  content encoder   EGSC-IT's encoder body (conv7, N1-1 stride-2 convs, NRes resblocks): no
//                            shared block, no noise                                    N x latent x h x w
//   E^s_X  style encoder     conv7, max(2, N1-1) of the backbone's stride-2 convs (two at least, so the
//                            style sees the whole digit at N1 = 1: 28 -> 14 -> 7), global average
//                            pooling, 1x1 conv to StyleDim (8)                          N x 8 x 1 x 1
//   MLP_X                    3 linear layers (StyleDim -> W -> W -> P), ReLU between: every AdaIN
//                            layer's (mean, std), P = 2 layers per block x NRes x 2 x latent
//   G_X    decoder           NRes of MUNIT's AdaIN residual blocks in the backbone's form
//                              x + AdaIN(conv(pad(ReLU(AdaIN(conv(pad(x)))))))       (AdaIN eps 1e-5)
//                            then the backbone's up path (N1-1 deconvs) and the 1x1 + tanh output
//
// The AdaIN parameters are an input of the decoder, not weights, so the decoder is not one spec: each
// residual-block convolution is a model and the canonical AdaIN (B::adain, with its gradient for the
// predicted parameters) runs between them, as EGSC-IT's transfer block runs between its models. The MLP
// output is split as MUNIT's assign_adain_params does: for AdaIN layer l = 0, 1, ... (two per block, in
// order), channels [2Cl, 2Cl + C) are the mean (bias) and [2Cl + C, 2C(l+1)) the std (weight), used as
// they come (no exp, no abs), which is MUNIT's.
//
// Names (model "gen_A"): gen_A.enc_content.<i>.*, gen_A.enc_style.<i>.*, gen_A.mlp.<i>.*, the residual
// block convs gen_A.dec.<k>.1.* and gen_A.dec.<k>.5.* (their positions in pad, conv, AdaIN, ReLU, pad,
// conv, AdaIN), the up path gen_A.dec_up.<i>.*.
#include <algorithm>
#include <cstdint>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "i2i/backend/adain_types.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/models/egscit/networks.hpp"

namespace i2i::egscit {

/// N x C x H x W -> N x C x 1 x 1, the spatial mean (MUNIT's AdaptiveAvgPool2d(1)): B::global_avg_pool2d.
/// H and W are runtime values, so avg_pool<K, S> cannot express it.
struct global_avg_pool {
  static constexpr int in_channels = any_channels;
  static constexpr int out_channels(int in) { return in; }

  template <int In, class B>
  struct instance {
    using T = typename B::scalar;
    struct context {
      shape x_shape;
    };
    std::string path;
    explicit instance(const build_context<T>& bc) : path(bc.path) {}
    tensor<T> forward(const tensor<T>& x, context& c, run_state<T>&) const {
      spec_detail::check_input(path, "global_avg_pool", x, In);
      require<shape_error>(x.h() * x.w() > 0, spec_detail::where(path, "global_avg_pool"), ": input ", x.shape(),
                           " has no pixels");
      c.x_shape = x.shape();
      return B::global_avg_pool2d(x);
    }
    tensor<T> backward(const context& c, const tensor<T>& dy, run_state<T>&, bool) {
      return B::global_avg_pool2d_backward(dy, c.x_shape);
    }
    shape trace(const shape& in, double&) const { return shape::nchw(in[0], in[1], 1, 1); }
  };
};

/// MUNIT's architecture in the backbone of `Cfg` (an egscit::config): the specs and the sizes.
template <class Cfg, int StyleDim = 8, int MlpWidth = 256>
struct munit_arch {
  static_assert(StyleDim >= 1 && MlpWidth >= 1, "egscit::munit_arch: StyleDim and MlpWidth must be positive");
  static constexpr int latent = Cfg::latent, n_res = Cfg::n_res, style_dim = StyleDim, mlp_width = MlpWidth;
  static constexpr int n_adain = 2 * Cfg::n_res;              ///< AdaIN layers: two per residual block
  static constexpr int n_adain_params = 2 * n_adain * latent;  ///< (mean, std) per channel and layer
  static constexpr int style_downs = std::max(2, Cfg::n1 - 1);

  template <class Seq>
  struct style_of;
  template <int... I>
  struct style_of<std::integer_sequence<int, I...>> {
    // MUNIT doubles the width for the first two stride-2 stages and keeps it after.
    using type = seq<reflect_pad<3>, conv<Cfg::ngf, 7>, lrelu, down<(Cfg::ngf << std::min(I + 1, 2))>...,
                     global_avg_pool, conv<StyleDim, 1>>;
  };
  template <class Seq>
  struct up_of;
  template <int... I>
  struct up_of<std::integer_sequence<int, I...>> {
    using type = seq<up<(latent >> (I + 1))>..., conv_transpose<Cfg::output_nc, 1, 1>, tanh_>;
  };

  using content_encoder = chain<channels<Cfg::input_nc>, named<"enc_content", typename Cfg::encoder_body>>;
  using style_encoder =
      chain<channels<Cfg::input_nc>, named<"enc_style", typename style_of<std::make_integer_sequence<int, style_downs>>::type>>;
  using mlp = chain<channels<StyleDim>, named<"mlp", seq<linear<MlpWidth>, relu, linear<MlpWidth>, relu,
                                                          linear<n_adain_params>>>>;
  /// One convolution of an AdaIN residual block, named by its position in the block.
  template <fixed_string Slot>
  using res_conv = chain<channels<latent>, reflect_pad<1>, named<Slot, conv<latent, 3>>>;
  using conv_a = res_conv<"1">;
  using conv_b = res_conv<"5">;
  /// The backbone's up path: N1-1 deconvs, the 1x1 output layer, tanh.
  using up_path = chain<channels<latent>, named<"dec_up", typename up_of<std::make_integer_sequence<int, Cfg::n1 - 1>>::type>>;
};

namespace munit_detail {

/// The N x P (x 1 x 1) AdaIN parameters as consecutive N x c column blocks (on any backend).
template <class B>
std::vector<tensor<typename B::scalar>> column_blocks(const tensor<typename B::scalar>& p, std::int64_t c) {
  const std::int64_t n = p.dim(0), width = p.numel() / std::max<std::int64_t>(n, 1);
  auto parts = B::split_channels(p.reshaped(shape::nchw(n, width, 1, 1)),
                                 std::vector<std::int64_t>(std::size_t(width / c), c));
  for (auto& t : parts) t = t.reshaped(shape{n, c});
  return parts;
}
/// The inverse of column_blocks: N x c blocks side by side as N x P x 1 x 1.
template <class B>
tensor<typename B::scalar> join_columns(const std::vector<tensor<typename B::scalar>>& blocks) {
  std::vector<tensor<typename B::scalar>> parts;
  for (const auto& t : blocks) parts.push_back(t.reshaped(shape::nchw(t.dim(0), t.dim(1), 1, 1)));
  return B::concat_channels(parts);
}

template <class T>
void append(std::vector<std::shared_ptr<parameter<T>>>& out, const std::vector<std::shared_ptr<parameter<T>>>& in) {
  out.insert(out.end(), in.begin(), in.end());
}

}  // namespace munit_detail

/// G_X's decoder: NRes AdaIN residual blocks (a model per convolution, AdaIN between), then the up path.
template <class Arch, class Backend>
class munit_decoder {
 public:
  using T = typename Backend::scalar;
  using conv_a_model = model<typename Arch::conv_a, Backend>;
  using conv_b_model = model<typename Arch::conv_b, Backend>;
  using up_model = model<typename Arch::up_path, Backend>;
  static constexpr double adain_eps = 1e-5;  ///< MUNIT's AdaptiveInstanceNorm2d eps

  struct block_context {
    typename conv_a_model::context a;
    typename conv_b_model::context b;
    adain_result<T> n1, n2;  // the two AdaINs
    tensor<T> mean1, std1, mean2, std2;
    tensor<T> r;                  // ReLU(AdaIN 1), what the activation's backward needs
  };
  struct context {
    std::vector<block_context> blocks;
    typename up_model::context up;
    std::int64_t n_params = 0;  // width of the AdaIN parameter tensor
    const tensor<T>& output() const { return up.output; }
  };
  struct grads {
    tensor<T> dx;       ///< for the content code
    tensor<T> dparams;  ///< for the AdaIN parameters, the MLP's output shape
  };

  /// `name` prefixes the parameters (gen_A -> gen_A.dec.0.1.weight, gen_A.dec_up.0.weight).
  explicit munit_decoder(const std::string& name) : up_(name) {
    for (int k = 0; k < Arch::n_res; ++k) {
      a_.push_back(std::make_unique<conv_a_model>(name + ".dec." + std::to_string(k)));
      b_.push_back(std::make_unique<conv_b_model>(name + ".dec." + std::to_string(k)));
    }
  }

  /// y = G(c; params): params is N x n_adain_params (x 1 x 1), the MLP's output.
  context forward(const tensor<T>& c, const tensor<T>& params) const {
    const std::int64_t C = Arch::latent;
    require<shape_error>(params.rank() >= 2 && params.dim(0) == c.dim(0) &&
                             params.numel() == c.dim(0) * std::int64_t(Arch::n_adain_params),
                         "munit decoder ", up_.name(), ": AdaIN parameters ", params.shape(), " for content ", c.shape(),
                         ", expected ", c.dim(0), " x ", Arch::n_adain_params, " (2 x ", C, " per AdaIN layer, ",
                         Arch::n_adain, " layers)");
    context ctx;
    ctx.n_params = Arch::n_adain_params;
    tensor<T> x = c;
    const auto cols = munit_detail::column_blocks<Backend>(params, C);  // mean, std of layer 0, 1, ...
    for (int k = 0; k < Arch::n_res; ++k) {
      block_context b;
      const std::size_t l1 = 2 * std::size_t(k), l2 = l1 + 1;
      b.mean1 = cols[2 * l1];
      b.std1 = cols[2 * l1 + 1];
      b.mean2 = cols[2 * l2];
      b.std2 = cols[2 * l2 + 1];
      b.a = a_[std::size_t(k)]->forward(x);
      b.n1 = Backend::adain(b.a.output, b.mean1, b.std1, {adain_eps, false});
      b.r = Backend::activate(b.n1.y, Backend::activation::relu());
      b.b = b_[std::size_t(k)]->forward(b.r);
      b.n2 = Backend::adain(b.b.output, b.mean2, b.std2, {adain_eps, false});
      x = Backend::add(x, b.n2.y);
      ctx.blocks.push_back(std::move(b));
    }
    ctx.up = up_.forward(x);
    return ctx;
  }
  tensor<T> operator()(const tensor<T>& c, const tensor<T>& params) const { return forward(c, params).output(); }

  /// Adds the parameter gradients; returns the gradients for the content code and the AdaIN parameters.
  grads backward(const context& ctx, const tensor<T>& dy) {
    grads g;
    auto dx = up_.backward(ctx.up, dy, {}, true);
    const std::int64_t n = dx.n();
    std::vector<tensor<T>> dcols(std::size_t(2 * Arch::n_adain));  // d mean, d std of layer 0, 1, ...
    for (int k = Arch::n_res - 1; k >= 0; --k) {
      const auto& b = ctx.blocks[std::size_t(k)];
      const std::size_t l1 = 2 * std::size_t(k), l2 = l1 + 1;
      // dx flows both through the skip (unchanged) and through the residual branch.
      auto n2 = Backend::adain_backward(b.b.output, b.mean2, b.std2, b.n2, dx);
      dcols[2 * l2] = n2.dstyle_mean;
      dcols[2 * l2 + 1] = n2.dstyle_std;
      auto dr = b_[std::size_t(k)]->backward(b.b, n2.dx, {}, true);
      auto dn1 = Backend::activation_backward(dr, b.r, Backend::activation::relu());
      auto n1 = Backend::adain_backward(b.a.output, b.mean1, b.std1, b.n1, dn1);
      dcols[2 * l1] = n1.dstyle_mean;
      dcols[2 * l1 + 1] = n1.dstyle_std;
      dx = Backend::add(dx, a_[std::size_t(k)]->backward(b.a, n1.dx, {}, true));
    }
    // Added into zeros, as the parameters' gradient always was accumulated (0 + g keeps -0 out).
    g.dparams = Backend::zeros(shape::nchw(n, ctx.n_params, 1, 1));
    Backend::add_into(g.dparams, munit_detail::join_columns<Backend>(dcols));
    g.dx = dx;
    return g;
  }

  /// Every parameter in definition order: block 0 conv 1, conv 5, block 1, ..., the up path.
  std::vector<std::shared_ptr<parameter<T>>> all_parameters() const {
    std::vector<std::shared_ptr<parameter<T>>> r;
    for (int k = 0; k < Arch::n_res; ++k) {
      munit_detail::append(r, a_[std::size_t(k)]->all_parameters());
      munit_detail::append(r, b_[std::size_t(k)]->all_parameters());
    }
    munit_detail::append(r, up_.all_parameters());
    return r;
  }
  /// f(m) for each of its models: the residual blocks' convolutions, then the upsampling path.
  template <class F>
  void for_each_model(F&& f) {
    for (const auto& m : a_) f(*m);
    for (const auto& m : b_) f(*m);
    f(up_);
  }
  void zero_grad() const {
    for (const auto& m : a_) m->zero_grad();
    for (const auto& m : b_) m->zero_grad();
    up_.zero_grad();
  }
  /// Initialises every convolution (one seed per model, derived from `seed`).
  void init(const init_policy& policy, std::uint64_t seed) {
    for (int k = 0; k < Arch::n_res; ++k) {
      initialize(*a_[std::size_t(k)], policy, seed + 2 * std::uint64_t(k) + 1);
      initialize(*b_[std::size_t(k)], policy, seed + 2 * std::uint64_t(k) + 2);
    }
    initialize(up_, policy, seed);
  }
  double flops(const shape& code) const {
    double f = up_.flops(code);
    for (int k = 0; k < Arch::n_res; ++k) f += a_[std::size_t(k)]->flops(code) + b_[std::size_t(k)]->flops(code);
    return f;
  }

 private:
  std::vector<std::unique_ptr<conv_a_model>> a_;
  std::vector<std::unique_ptr<conv_b_model>> b_;
  up_model up_;
};

/// One domain's MUNIT generator: E^c, E^s, the MLP and the AdaIN decoder, all under one name.
template <class Arch, class Backend>
struct munit_generator {
  using T = typename Backend::scalar;
  using arch = Arch;
  model<typename Arch::content_encoder, Backend> enc_content;
  model<typename Arch::style_encoder, Backend> enc_style;
  model<typename Arch::mlp, Backend> mlp;
  munit_decoder<Arch, Backend> dec;

  explicit munit_generator(const std::string& name) : enc_content(name), enc_style(name), mlp(name), dec(name) {}

  /// decode(c, s): the MLP turns the style code into AdaIN parameters, the decoder draws the image.
  struct decoded {
    typename model<typename Arch::mlp, Backend>::context m;
    typename munit_decoder<Arch, Backend>::context d;
    const tensor<T>& image() const { return d.output(); }
  };
  decoded decode(const tensor<T>& c, const tensor<T>& s) const {
    decoded r;
    r.m = mlp.forward(s);
    r.d = dec.forward(c, r.m.output);
    return r;
  }
  /// Backward of decode: adds parameter gradients, returns {d content, d style}.
  std::pair<tensor<T>, tensor<T>> decode_backward(const decoded& r, const tensor<T>& dy) {
    auto g = dec.backward(r.d, dy);
    auto ds = mlp.backward(r.m, g.dparams, {}, true);
    return {std::move(g.dx), std::move(ds)};
  }

  std::vector<std::shared_ptr<parameter<T>>> all_parameters() const {
    std::vector<std::shared_ptr<parameter<T>>> r;
    munit_detail::append(r, enc_content.all_parameters());
    munit_detail::append(r, enc_style.all_parameters());
    munit_detail::append(r, mlp.all_parameters());
    munit_detail::append(r, dec.all_parameters());
    return r;
  }
  /// What an optimizer takes (unfrozen parameters).
  std::vector<optim::param_ref<T>> parameters() const {
    std::vector<optim::param_ref<T>> r;
    for (const auto& p : all_parameters())
      if (p->trainable() && !p->frozen) r.push_back({p->name, p->value, p->grad});
    return r;
  }
  void zero_grad() const {
    enc_content.zero_grad();
    enc_style.zero_grad();
    mlp.zero_grad();
    dec.zero_grad();
  }
  /// f(m) for each of its models (the decoder's one by one).
  template <class F>
  void for_each_model(F&& f) {
    f(enc_content);
    f(enc_style);
    f(mlp);
    dec.for_each_model(f);
  }
  /// MUNIT's weights_init('kaiming') (its configs' `init: kaiming`): conv and linear weights
  /// N(0, 2 / fan_in), biases 0; one generator seeded by `seed`, parameters in definition order.
  void init_kaiming(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    for (const auto& p : all_parameters()) {
      if (!p->trainable()) continue;
      auto host = Backend::to_host(p->value).clone();
      auto v = host.values();
      if (p->role == param_role::conv_weight || p->role == param_role::linear_weight) {
        std::normal_distribution<double> d(0, std::sqrt(2.0 / double(std::max<std::int64_t>(p->fan_in, 1))));
        for (auto& x : v) x = T(d(rng));
      } else {
        std::fill(v.begin(), v.end(), T(0));
      }
      Backend::assign_from_host(p->value, host);
    }
  }
  /// Any of the library's init policies, one seed per part.
  void init(const init_policy& policy, std::uint64_t seed) {
    initialize(enc_content, policy, seed);
    initialize(enc_style, policy, seed + 100);
    initialize(mlp, policy, seed + 200);
    dec.init(policy, seed + 300);
  }
  std::int64_t parameter_count() const {
    std::int64_t n = 0;
    for (const auto& p : all_parameters())
      if (p->trainable()) n += p->value.numel();
    return n;
  }
  /// The whole state as one state_dict (host tensors; aliases on the CPU), for one checkpoint file.
  state_dict<T> state() const {
    state_dict<T> sd;
    for (const auto& p : all_parameters()) sd.push_back({p->name, Backend::to_host(p->value)});
    return sd;
  }
};

}  // namespace i2i::egscit
