#pragma once
// The whole-step parity test's networks and step, written once over the backend B and compiled twice:
// with cpu_backend<float> in cpu_reference.cpp and with cuda_backend<float, P> in test_step_parity.cu.
// Eigen-free (i2i.hpp and the pix2pixHD specs only); losses are computed on the host by the CPU TU's
// lsgan_host / l1_host on both sides, so the comparison isolates the backend's ops and optimizer.
//
// Networks: pix2pixHD's GlobalGenerator (ngf 8, 2 downsamplings, 1 residual block) and a 2-scale
// NLayer discriminator (ndf 8, 2 layers) with feature-matching taps. Ops exercised: reflection pad,
// conv (7x7, 3x3 s2, 4x4 s2 pad 2, 4x4 s1 pad 2), transposed conv (3x3 s2 p1 op1), instance norm + ReLU /
// LeakyReLU, tanh, residual add, concat/split, average pooling (the D pyramid), Adam.
//
// Step (pix2pixHD's order, no image pool): fake = G(x); A = D(x|fake); B = D(x|real);
//   loss_G = sum_s LSGAN(A_s, real) + 10 * FM(A, B) + 10 * L1(fake, real) -> backward through D and G
//   D's gradients from that pass are zeroed; loss_D = 0.5 (sum_s LSGAN(A_s, fake) + LSGAN(B_s, real))
//   -> backward into D; then one Adam step (lr 2e-4, betas 0.5/0.999) on G and on D.
#include <string>
#include <vector>

#include "i2i/i2i.hpp"
#include "i2i/models/pix2pixhd/global_generator.hpp"
#include "i2i/optim/adam.hpp"
#include "parity_host.hpp"

namespace i2i::parity {

using small_g = pix2pixhd::global_generator<3, 3, 8, 2, 1>;
// pix2pixhd::multiscale_discriminator<6, 2, 8, 2> written out: nvcc 13's front end rejects the partial
// specialisation over a fixed_string parameter that pix2pixhd/discriminator.hpp uses ("incomplete type
// nlayer_stages<...>"), so the same stages and names are spelled here (scale{k}_layer{j}, taps
// scale{k}.layer{j}).
using small_nlayer = chain<channels<6>, tap<"layer0", named<"layer0", seq<conv<8, 4, 2, 2>, leaky_relu<std::ratio<1, 5>>>>>,
                           tap<"layer1", named<"layer1", seq<conv<16, 4, 2, 2>, instance_norm<>, leaky_relu<std::ratio<1, 5>>>>>,
                           tap<"layer2", named<"layer2", seq<conv<32, 4, 1, 2>, instance_norm<>, leaky_relu<std::ratio<1, 5>>>>>,
                           tap<"layer3", named<"layer3", seq<conv<1, 4, 1, 2>>>>>;
using small_d = multiscale<2, small_nlayer, "_">;
inline constexpr std::int64_t step_batch = 2, step_h = 32, step_w = 32;
inline constexpr double step_lr = 2e-4, fm_weight = 10.0, l1_weight = 10.0;

inline void scale_host(const tensor<float>& t, double s) {
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = float(t[i] * s);
}

/// Hooks: `template <class M> static void zero_grad(M&)` for the backend B. The optimizer is
/// optim::adam<B> on both sides: its update is the backend's op B::adam_update.
template <class B, class Hooks>
step_result train_step(std::uint64_t seed) {
  using T = float;
  model<small_g, B> G;
  model<small_d, B> D;
  initialize(G, init_policy::pix2pixhd(), seed);
  initialize(D, init_policy::pix2pixhd(), seed + 1);
  Hooks::zero_grad(G);
  Hooks::zero_grad(D);

  step_result r;
  auto snapshot = [](const auto& m) {
    std::vector<named_host> v;
    for (const auto& p : m.all_parameters()) v.push_back({p->name, B::to_host(p->value).clone()});
    return v;
  };
  auto snapshot_grads = [](const auto& m) {
    std::vector<named_host> v;
    for (const auto& p : m.all_parameters())
      if (p->grad.defined()) v.push_back({p->name, B::to_host(p->grad).clone()});
    return v;
  };
  r.initial_g = snapshot(G);
  r.initial_d = snapshot(D);

  const tensor<T> x = B::to_backend(random_host(shape::nchw(step_batch, 3, step_h, step_w), seed + 10));
  const tensor<T> real = B::to_backend(random_host(shape::nchw(step_batch, 3, step_h, step_w), seed + 11, -0.9f, 0.9f));

  auto gctx = G.forward(x);
  const tensor<T> fake = gctx.output;
  r.fake = B::to_host(fake).clone();
  auto actx = D.forward(B::concat_channels({x, fake}));
  auto bctx = D.forward(B::concat_channels({x, real}));

  // Which taps are scale outputs (GAN terms) and which are feature-matching features: every stage but
  // the last (layer3, whose output is the scale's output).
  auto is_out = [](const std::string& k) { return k.size() > 4 && k.compare(k.size() - 4, 4, ".out") == 0; };
  auto is_last = [](const std::string& k) { return k.size() > 7 && k.compare(k.size() - 7, 7, ".layer3") == 0; };
  std::size_t n_fm = 0;
  for (const auto& [k, v] : actx.taps.items())
    if (!is_out(k) && !is_last(k)) ++n_fm;

  // ---- G loss and its backward through D (D's gradients from it are discarded below).
  double loss_g = 0;
  tap_list<T> g_taps;
  for (const auto& [k, a] : actx.taps.items()) {
    if (is_out(k)) {
      auto l = lsgan_host(B::to_host(a), true);
      loss_g += l.value;
      g_taps.put(k, B::to_backend(l.grad));
    } else if (!is_last(k)) {
      auto l = l1_host(B::to_host(a), B::to_host(bctx.tap(k)));
      const double w = fm_weight / double(n_fm);
      loss_g += w * l.value;
      scale_host(l.grad, w);
      g_taps.put(k, B::to_backend(l.grad));
    }
  }
  auto l1 = l1_host(B::to_host(fake), B::to_host(real));
  loss_g += l1_weight * l1.value;
  scale_host(l1.grad, l1_weight);
  auto d_in = D.backward(actx, tensor<T>{}, g_taps, true);
  auto parts = B::split_channels(d_in, {3, 3});
  tensor<T> dfake = parts[1];
  B::add_into(dfake, B::to_backend(l1.grad));
  G.backward(gctx, dfake, {}, false);
  Hooks::zero_grad(D);

  // ---- D loss.
  double loss_d = 0;
  tap_list<T> fake_taps, real_taps;
  for (const auto& [k, a] : actx.taps.items())
    if (is_out(k)) {
      auto l = lsgan_host(B::to_host(a), false);
      loss_d += 0.5 * l.value;
      scale_host(l.grad, 0.5);
      fake_taps.put(k, B::to_backend(l.grad));
    }
  for (const auto& [k, b] : bctx.taps.items())
    if (is_out(k)) {
      auto l = lsgan_host(B::to_host(b), true);
      loss_d += 0.5 * l.value;
      scale_host(l.grad, 0.5);
      real_taps.put(k, B::to_backend(l.grad));
    }
  D.backward(actx, tensor<T>{}, fake_taps, false);
  D.backward(bctx, tensor<T>{}, real_taps, false);

  r.loss_g = loss_g;
  r.loss_d = loss_d;
  r.grad_g = snapshot_grads(G);
  r.grad_d = snapshot_grads(D);

  optim::adam<B> opt_g(G.parameters(), {.lr = step_lr});
  optim::adam<B> opt_d(D.parameters(), {.lr = step_lr});
  opt_g.step();
  opt_d.step();
  r.weight_g = snapshot(G);
  r.weight_d = snapshot(D);
  return r;
}

}  // namespace i2i::parity
