#pragma once
// The pix2pixHD training step the GPU benchmark times: the library's train::gan_step over backend B
// (the step pix2pixHD's trainer runs), compiled for cuda_backend in gpu_bench.cu and for cpu_backend in
// cpu_step.cpp. Eigen-free (i2i.hpp + the pix2pixHD specs); benchmarks/peers/pix2pixhd_step.py is the
// same networks and step in PyTorch. One difference from the peer: gan_step returns each loss's value
// on the host (one small device-to-host read per loss call, as the trainer), the peer leaves them on
// the device.
//
// Networks: the library's own specs, as pix2pixHD's trainer builds them for the full preset with 36
// label channels (Cityscapes: 35 labels + boundary map), no VGG term:
//   global  pix2pixhd::config<full_preset, false, 36, false>::generator = GlobalGenerator(36 -> 3,
//           ngf 64, 4 downsamplings, 9 residual blocks)
//   local   pix2pixhd::config<full_preset, true, 36, false>::generator = LocalEnhancer(36 -> 3, ngf 32,
//           1 enhancer with 3 blocks around a G1 at ngf 64, 4 downsamplings, 9 blocks): the paper's 1024p
//   D       pix2pixhd::multiscale_discriminator<39, 2, 64, 3>: 2-scale NLayerDiscriminator (39 inputs =
//           label|image, ndf 64, 3 layers, intermediate features tapped) for both generators. (The full
//           preset's local configuration has 3 scales, as pix2pixHD's 1024p script; the benchmark's rows
//           keep the 2-scale D that the GPU issue asks for, so that one D type serves every row.)
// LSGAN and feature matching (lambda_feat 10). Step, as pix2pixHD's (and train::gan_step's) order with
// no image pool:
//   fake = G(x);  A = D(x | fake);  B = D(x | real)
//   loss_G = sum_s LSGAN(A_s, 1) + sum_{s,j} 10/2 * 4/4 * L1(A_s^j, B_s^j)
//     backward through D (frozen: no D weight gradients) into G; Adam on G
//   loss_D = 0.5 (sum_s LSGAN(A_s, 0) + LSGAN(B_s, 1)); backward into D; Adam on D
#include <string>
#include <vector>

#include "i2i/i2i.hpp"
#include "i2i/models/pix2pixhd/config.hpp"
#include "i2i/optim/adam.hpp"
#include "i2i/train/gan_step.hpp"

namespace i2i::bench {

using p2p_global_config = pix2pixhd::config<pix2pixhd::full_preset, false, 36, false>;
using p2p_local_config = pix2pixhd::config<pix2pixhd::full_preset, true, 36, false>;
using p2p_generator = p2p_global_config::generator;       ///< GlobalGenerator, ngf 64
using p2p_local_generator = p2p_local_config::generator;  ///< LocalEnhancer, ngf 32 (G1 at 64)
using p2p_discriminator = pix2pixhd::multiscale_discriminator<p2p_global_config::d_in, 2, 64, 3>;
inline constexpr int p2p_input_channels = p2p_global_config::g_in;  // 36
inline constexpr double lambda_feat = 10.0;

/// FLOPs of one step: G forward + data and weight gradients (3x forward); D: two forwards, the G pass's
/// data gradient and two weight-gradient passes (5x forward of one D pass).
template <class G, class D>
double step_flops(const G& g, const D& d, const shape& in) {
  const shape out = g.output_shape(in);
  return 3.0 * g.flops(in) + 5.0 * d.flops(shape::nchw(in[0], in[1] + out[1], out[2], out[3]));
}

/// The models and the library's step (train::gan_step, no pool, LSGAN + feature matching, Adam 2e-4
/// (0.5, 0.999)): the benchmark times exactly what pix2pixHD's trainer runs per iteration. GSpec is
/// p2p_generator or p2p_local_generator; D is the same for both.
template <class B, class GSpec = p2p_generator>
struct p2p_trainer {
  using T = float;
  using G_model = model<GSpec, B>;
  using D_model = model<p2p_discriminator, B>;
  G_model G{"G"};
  D_model D{"D"};
  train::gan_step<G_model, D_model> gan;

  explicit p2p_trainer(std::uint64_t seed) : G("G"), D("D"), gan((init(seed), G), D, options()) {}

  static train::gan_step_options options() {
    train::gan_step_options o;
    o.pool_size = 0;
    o.feature_matching = true;
    o.fm.lambda_feat = lambda_feat;  // num_D 2 and n_layers 3 from D's taps: 10/2 * 4/4 per tap
    o.d_loss_factor = 0.5;
    return o;
  }

  int init(std::uint64_t seed) {
    initialize(G, init_policy::pix2pixhd(), seed);
    initialize(D, init_policy::pix2pixhd(), seed + 1);
    return 0;
  }

  double flops(const shape& in) const { return step_flops(G, D, in); }

  /// One iteration; the record's values (G_GAN, G_GAN_Feat, D_real, D_fake, G, D) are on the host.
  train::step_record step(const tensor<T>& x, const tensor<T>& real) { return gan.step(x, real); }
};

}  // namespace i2i::bench
