#pragma once
// The pix2pixHD training step the GPU benchmark times, written once over the backend B and a Hooks
// type (losses, zero_grad), with optim::adam<B>, compiled for cuda_backend in gpu_bench.cu and for cpu_backend in
// cpu_step.cpp. Eigen-free (i2i.hpp + the generator spec); benchmarks/peers/pix2pixhd_step.py is the
// same networks and step in PyTorch.
//
// Networks (pix2pixHD's Cityscapes configuration without VGG): GlobalGenerator(36 -> 3, ngf 64,
// 4 downsamplings, 9 residual blocks); 2-scale NLayerDiscriminator (39 inputs = label|image, ndf 64,
// 3 layers, intermediate features tapped) with LSGAN and feature matching (lambda_feat 10).
// Step, as pix2pixHD's (and train::gan_step's) order with no image pool:
//   fake = G(x);  A = D(x | fake);  B = D(x | real)
//   loss_G = sum_s LSGAN(A_s, 1) + sum_{s,j} 10/2 * 4/4 * L1(A_s^j, B_s^j)
//     backward through D (frozen: no D weight gradients, as gan_step) into G; Adam on G
//   loss_D = 0.5 (sum_s LSGAN(A_s, 0) + LSGAN(B_s, 1)); backward into D; Adam on D
#include <string>
#include <vector>

#include "i2i/i2i.hpp"
#include "i2i/models/pix2pixhd/global_generator.hpp"
#include "i2i/optim/adam.hpp"

namespace i2i::bench {

using p2p_generator = pix2pixhd::global_generator<36, 3, 64, 4, 9>;
// pix2pixhd::multiscale_discriminator<39, 2, 64, 3> spelled out: nvcc 13 rejects that header's partial
// specialisation over a fixed_string parameter. Same stages, names and taps.
using p2p_nlayer =
    chain<channels<39>, tap<"layer0", named<"layer0", seq<conv<64, 4, 2, 2>, leaky_relu<0.2>>>>,
          tap<"layer1", named<"layer1", seq<conv<128, 4, 2, 2>, instance_norm<>, leaky_relu<0.2>>>>,
          tap<"layer2", named<"layer2", seq<conv<256, 4, 2, 2>, instance_norm<>, leaky_relu<0.2>>>>,
          tap<"layer3", named<"layer3", seq<conv<512, 4, 1, 2>, instance_norm<>, leaky_relu<0.2>>>>,
          tap<"layer4", named<"layer4", seq<conv<1, 4, 1, 2>>>>>;
using p2p_discriminator = multiscale<2, p2p_nlayer, "_">;
inline constexpr double lambda_feat = 10.0, fm_tap_weight = lambda_feat / 2.0 * 4.0 / 4.0;

/// FLOPs of one step: G forward + data and weight gradients (3x forward); D: two forwards, the G pass's
/// data gradient and two weight-gradient passes (5x forward of one D pass).
template <class G, class D>
double step_flops(const G& g, const D& d, const shape& in) {
  const shape out = g.output_shape(in);
  return 3.0 * g.flops(in) + 5.0 * d.flops(shape::nchw(in[0], 39, out[2], out[3]));
}

template <class B, class Hooks>
struct p2p_trainer {
  using T = float;
  model<p2p_generator, B> G{"G"};
  model<p2p_discriminator, B> D{"D"};
  Hooks hooks;
  optim::adam<B> opt_g;
  optim::adam<B> opt_d;

  explicit p2p_trainer(std::uint64_t seed)
      : G("G"), D("D"), opt_g((init(seed), G.parameters())), opt_d(D.parameters()) {}

  int init(std::uint64_t seed) {
    initialize(G, init_policy::pix2pixhd(), seed);
    initialize(D, init_policy::pix2pixhd(), seed + 1);
    hooks.zero_grad(G);
    hooks.zero_grad(D);
    return 0;
  }

  static bool is_out(const std::string& k) { return k.size() > 4 && k.compare(k.size() - 4, 4, ".out") == 0; }
  static bool is_last(const std::string& k) { return k.size() > 7 && k.compare(k.size() - 7, 7, ".layer4") == 0; }

  void step(const tensor<T>& x, const tensor<T>& real) {
    auto gctx = G.forward(x);
    auto actx = D.forward(B::concat_channels({x, gctx.output}));
    auto bctx = D.forward(B::concat_channels({x, real}));

    tap_list<T> g_taps;
    for (const auto& [k, a] : actx.taps.items()) {
      if (is_out(k)) g_taps.put(k, hooks.lsgan(a, true, 1.0, "G_GAN"));
      else if (!is_last(k)) g_taps.put(k, hooks.l1(a, bctx.tap(k), fm_tap_weight, "G_GAN_Feat"));
    }
    hooks.zero_grad(G);
    D.freeze("");
    auto d_in = D.backward(actx, tensor<T>{}, g_taps, true);
    D.unfreeze("");
    G.backward(gctx, B::split_channels(d_in, {36, 3})[1], {}, false);
    opt_g.step();

    hooks.zero_grad(D);
    tap_list<T> fake_taps, real_taps;
    for (const auto& [k, a] : actx.taps.items())
      if (is_out(k)) fake_taps.put(k, hooks.lsgan(a, false, 0.5, "D_fake"));
    for (const auto& [k, b] : bctx.taps.items())
      if (is_out(k)) real_taps.put(k, hooks.lsgan(b, true, 0.5, "D_real"));
    D.backward(actx, tensor<T>{}, fake_taps, false);
    D.backward(bctx, tensor<T>{}, real_taps, false);
    opt_d.step();
  }
};

}  // namespace i2i::bench
