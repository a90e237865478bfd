#pragma once
// A small pix2pixHD-style translator: MNIST digit -> its boundary map (the 4-neighbour outline of the
// digit's stroke, as pix2pixHD computes instance boundaries). It is the main job of the foundation: real
// data, real training, and every layer kind of pix2pixHD's generator, written as a type exactly the way
// pix2pixHD's GlobalGenerator is (docs/tutorial.md walks through it):
//
//   reflect 3 -> conv7 1->16 -> IN+ReLU                      28x28
//   conv3 s2 p1 16->32 -> IN+ReLU                            14x14
//   residual: reflect 1, conv3, IN+ReLU, reflect 1, conv3, IN
//   convT3 s2 p1 op1 32->16 -> IN+ReLU                       28x28
//   reflect 3 -> conv7 16->1 -> tanh
//
// Written over the backend B (cpu_backend<float> by default; cuda_backend<float> in the nvcc TU of
// mnist_edges --gpu) and free of backend headers: a CPU program includes the CPU backend first
// (edge_translator.hpp). Digits are read and batched on the host; each batch is uploaded once.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "i2i/backend/default_backend.hpp"
#include "i2i/i2i.hpp"
#include "i2i/io/idx.hpp"
#include "i2i/optim/adam.hpp"

namespace mnist_edges {

using i2i::tensor;

/// The translation target of host digits, on backend B: 1 where a binarised digit pixel differs from a
/// 4-neighbour (B::boundary_map), scaled to [-1, 1].
template <class B = i2i::cpu_backend<float>>
tensor<float> edge_target(const tensor<float>& digits) {
  auto binary = tensor<float>::empty(digits.shape());
  for (std::int64_t i = 0; i < digits.numel(); ++i) binary[i] = digits[i] > 0.f ? 1.f : 0.f;
  const auto edges = B::boundary_map(B::to_backend(binary));
  return B::sub(B::scale(edges, 2.f), B::to_backend(tensor<float>::filled(edges.shape(), 1.f)));
}

// snippet-begin: edge-generator
template <int C>
using res_block = i2i::residual<i2i::seq<i2i::reflect_pad<1>, i2i::conv<C, 3>, i2i::instance_norm<>, i2i::relu,
                                         i2i::reflect_pad<1>, i2i::conv<C, 3>, i2i::instance_norm<>>,
                                "conv_block">;
template <int C>
using down = i2i::inlined<i2i::conv<C, 3, 2, 1>, i2i::instance_norm<>, i2i::relu>;
template <int C>
using up = i2i::inlined<i2i::conv_transpose<C, 3, 2, 1, 1>, i2i::instance_norm<>, i2i::relu>;

using edge_generator = i2i::named<"model", i2i::seq<i2i::channels<1>,                       //
    i2i::reflect_pad<3>, i2i::conv<16, 7>, i2i::instance_norm<>, i2i::relu,                 // c7s1-16
    down<32>, res_block<32>, up<16>,                                                        // d32, R32, u16
    i2i::reflect_pad<3>, i2i::conv<1, 7>, i2i::tanh_>>;                                     // c7s1-1, tanh
// snippet-end

/// The translator: the generator bound to a backend, initialised as pix2pixHD initialises.
// snippet-begin: bind
template <class B>
class basic_translator : public i2i::model<edge_generator, B> {
 public:
  explicit basic_translator(std::uint32_t seed = 1) { i2i::initialize(*this, i2i::init_policy::pix2pixhd(), seed); }
};
using translator = basic_translator<i2i::cpu_backend<float>>;  // on a GPU: basic_translator<cuda_backend<float>>
// snippet-end

/// Mean L1 error of the translator on `count` images starting at `first`, in batches of 100.
template <class B>
double evaluate_l1(const basic_translator<B>& net, const i2i::io::idx_data& images, std::size_t first,
                   std::size_t count) {
  double total = 0;
  for (std::size_t b = first; b < first + count; b += 100) {
    const std::size_t n = std::min<std::size_t>(100, first + count - b);
    auto x = i2i::io::idx_images(images, b, n);
    total += B::l1_loss(net(B::to_backend(x)), edge_target<B>(x)).value * double(n);
  }
  return total / double(count);
}

/// L1 error of always answering "no edge" (-1): the floor any translator that learned nothing sits at.
template <class B = i2i::cpu_backend<float>>
double constant_baseline_l1(const i2i::io::idx_data& images, std::size_t first, std::size_t count) {
  auto target = edge_target<B>(i2i::io::idx_images(images, first, count));
  return B::l1_loss(B::to_backend(tensor<float>::filled(target.shape(), -1.f)), target).value;
}

struct train_options {
  int steps = 1200;
  int batch = 32;
  double lr = 1e-3;
  std::uint32_t seed = 1;
};

/// Trains on random batches of the training images; calls report(step, loss) every 100 steps.
template <class B, class Report>
void train(basic_translator<B>& net, const i2i::io::idx_data& images, const train_options& o, Report&& report) {
  i2i::optim::adam<B> opt(net.parameters(), {.lr = o.lr, .beta1 = 0.5, .beta2 = 0.999});
  std::mt19937 rng(o.seed);
  std::uniform_int_distribution<std::size_t> pick(0, images.count() - 1);
  const std::size_t hw = images.item_size();
  auto x = tensor<float>::empty({o.batch, 1, std::int64_t(images.dims[1]), std::int64_t(images.dims[2])});
  double running = 0;
  for (int step = 1; step <= o.steps; ++step) {
    for (int i = 0; i < o.batch; ++i) {
      const std::uint8_t* src = images.data.data() + pick(rng) * hw;
      for (std::size_t k = 0; k < hw; ++k) x[std::int64_t(i * hw + k)] = float(src[k]) / 127.5f - 1.f;
    }
    // snippet-begin: train-step
    auto ctx = net.forward(B::to_backend(x));                     // output + what backward needs (one upload)
    auto loss = B::l1_loss(ctx.output, edge_target<B>(x));        // value and dL/dy (a backend op)
    opt.zero_grad();
    net.backward(ctx, loss.grad, {}, /*need_input_grad=*/false);  // parameter gradients
    opt.step();
    // snippet-end
    running += loss.value;
    if (step % 100 == 0) {
      report(step, running / 100);
      running = 0;
    }
  }
}

}  // namespace mnist_edges
