#pragma once
// The pix2pixHD training step the GPU benchmark times: the library's train::gan_step over backend B
// (the step pix2pixHD's trainer runs), compiled for cuda_backend in gpu_bench.cu and for cpu_backend in
// cpu_step.cpp. Eigen-free (i2i.hpp + the generator spec); benchmarks/peers/pix2pixhd_step.py is the
// same networks and step in PyTorch. One difference from the peer: gan_step returns each loss's value
// on the host (one small device-to-host read per loss call, as the trainer), the peer leaves them on
// the device.
//
// Networks (pix2pixHD's Cityscapes configuration without VGG): GlobalGenerator(36 -> 3, ngf 64,
// 4 downsamplings, 9 residual blocks); 2-scale NLayerDiscriminator (39 inputs = label|image, ndf 64,
// 3 layers, intermediate features tapped) with LSGAN and feature matching (lambda_feat 10).
// Step, as pix2pixHD's (and train::gan_step's) order with no image pool:
//   fake = G(x);  A = D(x | fake);  B = D(x | real)
//   loss_G = sum_s LSGAN(A_s, 1) + sum_{s,j} 10/2 * 4/4 * L1(A_s^j, B_s^j)
//     backward through D (frozen: no D weight gradients) into G; Adam on G
//   loss_D = 0.5 (sum_s LSGAN(A_s, 0) + LSGAN(B_s, 1)); backward into D; Adam on D
#include <string>
#include <vector>

#include "i2i/i2i.hpp"
#include "i2i/models/pix2pixhd/global_generator.hpp"
#include "i2i/optim/adam.hpp"
#include "i2i/train/gan_step.hpp"

namespace i2i::bench {

using p2p_generator = pix2pixhd::global_generator<36, 3, 64, 4, 9>;
// pix2pixhd::multiscale_discriminator<39, 2, 64, 3> spelled out: nvcc 13 rejects that header's partial
// specialisation over a fixed_string parameter. Same stages, names and taps.
using p2p_nlayer =
    chain<channels<39>, tap<"layer0", named<"layer0", seq<conv<64, 4, 2, 2>, leaky_relu<std::ratio<1, 5>>>>>,
          tap<"layer1", named<"layer1", seq<conv<128, 4, 2, 2>, instance_norm<>, leaky_relu<std::ratio<1, 5>>>>>,
          tap<"layer2", named<"layer2", seq<conv<256, 4, 2, 2>, instance_norm<>, leaky_relu<std::ratio<1, 5>>>>>,
          tap<"layer3", named<"layer3", seq<conv<512, 4, 1, 2>, instance_norm<>, leaky_relu<std::ratio<1, 5>>>>>,
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

/// The models and the library's step (train::gan_step, no pool, LSGAN + feature matching, Adam 2e-4
/// (0.5, 0.999)): the benchmark times exactly what pix2pixHD's trainer runs per iteration.
template <class B>
struct p2p_trainer {
  using T = float;
  using G_model = model<p2p_generator, B>;
  using D_model = model<p2p_discriminator, B>;
  G_model G{"G"};
  D_model D{"D"};
  train::gan_step<G_model, D_model> gan;

  explicit p2p_trainer(std::uint64_t seed) : G("G"), D("D"), gan((init(seed), G), D, options()) {}

  static train::gan_step_options options() {
    train::gan_step_options o;
    o.pool_size = 0;
    o.feature_matching = true;
    o.fm.lambda_feat = lambda_feat;  // num_D 2 and n_layers 3 from D's taps: fm_tap_weight per tap
    o.d_loss_factor = 0.5;
    return o;
  }

  int init(std::uint64_t seed) {
    initialize(G, init_policy::pix2pixhd(), seed);
    initialize(D, init_policy::pix2pixhd(), seed + 1);
    return 0;
  }

  /// One iteration; the record's values (G_GAN, G_GAN_Feat, D_real, D_fake, G, D) are on the host.
  train::step_record step(const tensor<T>& x, const tensor<T>& real) { return gan.step(x, real); }
};

}  // namespace i2i::bench
