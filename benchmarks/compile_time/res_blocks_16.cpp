// Compile-time probe: the translation unit dlib needs 52 s and 1.7 GB for (16 residual blocks, forward
// and backward; research/cpp_anchors.md). Here: a generator with 16 pix2pixHD residual blocks bound to
// the CPU backend, forward and backward instantiated, plus one training step. Build it with
//   /usr/bin/time -v cmake --build <build> --target compile_time_res_blocks_16
// and read "Elapsed" and "Maximum resident set size" (docs/performance.md, "Compile time").
#include <cstdio>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/i2i.hpp"
#include "i2i/optim/adam.hpp"

using namespace i2i;

template <int C>
using res_block = residual<seq<reflect_pad<1>, conv<C, 3>, instance_norm<>, relu, reflect_pad<1>, conv<C, 3>, instance_norm<>>,
                           "conv_block">;
using generator = named<"model", seq<channels<3>, reflect_pad<3>, conv<16, 7>, instance_norm<>, relu,
                                     inlined<conv<32, 3, 2, 1>, instance_norm<>, relu>, repeat<16, res_block<32>>,
                                     inlined<conv_transpose<16, 3, 2, 1, 1>, instance_norm<>, relu>, reflect_pad<3>,
                                     conv<3, 7>, tanh_>>;

int main() {
  model<generator, cpu_backend<float>> g;
  initialize(g, init_policy::pix2pixhd(), 1);
  optim::adam<cpu_backend<float>> opt(g.parameters());
  auto x = tensor<float>::filled(shape::nchw(1, 3, 32, 32), 0.5f);
  auto ctx = g.forward(x);
  auto loss = cpu_backend<float>::l1_loss(ctx.output, x);
  g.zero_grad();
  g.backward(ctx, loss.grad);
  opt.step();
  std::printf("16 residual blocks: %lld parameters, L1 %.4f\n", static_cast<long long>(g.parameter_count()), loss.value);
}
