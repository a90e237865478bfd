#pragma once
// A small pix2pixHD-style translator written directly on the CPU op library: MNIST digit -> its
// boundary map (the 4-neighbour outline of the digit's stroke, as pix2pixHD computes instance
// boundaries). It is the main job of the foundation: real data, real training, every layer kind that
// pix2pixHD's generator uses (reflection pad, 7x7 conv, stride-2 conv, instance norm + ReLU, a residual
// block, a transposed conv, tanh).
//
//   reflect 3 -> conv7 1->16 -> IN+ReLU                      28x28
//   conv3 s2 p1 16->32 -> IN+ReLU                            14x14
//   residual: reflect 1, conv3, IN+ReLU, reflect 1, conv3, IN
//   convT3 s2 p1 op1 32->16 -> IN+ReLU                       28x28
//   reflect 3 -> conv7 16->1 -> tanh
//
// The layers are written out by hand because the composition layer (specs, model binding) builds on
// this; the same network as a type is a few lines there.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "i2i/backend/cpu/conv2d.hpp"
#include "i2i/backend/cpu/conv_transpose2d.hpp"
#include "i2i/backend/cpu/instance_norm.hpp"
#include "i2i/backend/cpu/label_maps.hpp"
#include "i2i/backend/cpu/pad.hpp"
#include "i2i/backend/cpu/pointwise.hpp"
#include "i2i/backend/cpu/activation.hpp"
#include "i2i/io/idx.hpp"
#include "i2i/loss/l1.hpp"
#include "i2i/optim/adam.hpp"

namespace mnist_edges {

using i2i::tensor;
namespace cpu = i2i::cpu;

/// The translation target: 1 where a binarised digit pixel differs from a 4-neighbour, scaled to [-1, 1].
inline tensor<float> edge_target(const tensor<float>& digits) {
  auto binary = tensor<float>::empty(digits.shape());
  for (std::int64_t i = 0; i < digits.numel(); ++i) binary[i] = digits[i] > 0.f ? 1.f : 0.f;
  auto edges = cpu::boundary_map(binary);
  for (auto& v : edges.values()) v = 2 * v - 1;
  return edges;
}

/// A weight and bias with their gradient buffers; weights ~ N(0, 0.02) as pix2pixHD initialises convs.
struct parameter_pair {
  tensor<float> w, b, dw, db;
  parameter_pair(const i2i::shape& ws, std::int64_t bias_size, std::mt19937& rng) {
    w = tensor<float>::empty(ws);
    std::normal_distribution<float> n(0.f, 0.02f);
    for (auto& v : w.values()) v = n(rng);
    b = tensor<float>::zeros({bias_size});
    dw = tensor<float>::zeros(ws);
    db = tensor<float>::zeros({bias_size});
  }
};

class translator {
 public:
  /// Everything backward needs from one forward pass (one context per call, so several can coexist).
  struct context {
    tensor<float> p1, p3a, p3b, r3, p5, y;
    cpu::instance_norm_result<float> n1, n2, n3a, n3b, n4;
    tensor<float> c1, c2, c3a, c3b, c4;
  };

  explicit translator(std::uint32_t seed = 1)
      : rng_(seed),
        l1_({16, 1, 7, 7}, 16, rng_),
        l2_({32, 16, 3, 3}, 32, rng_),
        l3a_({32, 32, 3, 3}, 32, rng_),
        l3b_({32, 32, 3, 3}, 32, rng_),
        l4_({32, 16, 3, 3}, 16, rng_),  // transposed conv: Cin x Cout x k x k
        l5_({1, 16, 7, 7}, 1, rng_) {}

  tensor<float> forward(const tensor<float>& x, context& c) const {
    const auto relu = cpu::activation::relu();
    c.p1 = cpu::reflection_pad2d(x, i2i::padding2d::uniform(3));
    c.c1 = cpu::conv2d(c.p1, l1_.w, &l1_.b, {});
    c.n1 = cpu::instance_norm(c.c1, {}, {}, 1e-5, relu);
    c.c2 = cpu::conv2d(c.n1.y, l2_.w, &l2_.b, cpu::conv2d_args::make(2, 1));
    c.n2 = cpu::instance_norm(c.c2, {}, {}, 1e-5, relu);
    c.p3a = cpu::reflection_pad2d(c.n2.y, i2i::padding2d::uniform(1));
    c.c3a = cpu::conv2d(c.p3a, l3a_.w, &l3a_.b, {});
    c.n3a = cpu::instance_norm(c.c3a, {}, {}, 1e-5, relu);
    c.p3b = cpu::reflection_pad2d(c.n3a.y, i2i::padding2d::uniform(1));
    c.c3b = cpu::conv2d(c.p3b, l3b_.w, &l3b_.b, {});
    c.n3b = cpu::instance_norm(c.c3b);
    c.r3 = cpu::add(c.n2.y, c.n3b.y);
    c.c4 = cpu::conv_transpose2d(c.r3, l4_.w, &l4_.b, cpu::conv_transpose2d_args::pytorch(2, 1, 1));
    c.n4 = cpu::instance_norm(c.c4, {}, {}, 1e-5, relu);
    c.p5 = cpu::reflection_pad2d(c.n4.y, i2i::padding2d::uniform(3));
    c.y = cpu::tanh(cpu::conv2d(c.p5, l5_.w, &l5_.b, {}));
    return c.y;
  }

  tensor<float> forward(const tensor<float>& x) const {
    context c;
    return forward(x, c);
  }

  /// Accumulates parameter gradients for dL/dy = dy (the input gradient is not needed).
  void backward(const context& c, const tensor<float>& dy) {
    const auto pad1 = i2i::padding2d::uniform(1), pad3 = i2i::padding2d::uniform(3);
    auto dz5 = cpu::tanh_backward(dy, c.y);
    cpu::conv2d_backward_params(c.p5, dz5, l5_.dw, &l5_.db, {});
    auto da4 = cpu::reflection_pad2d_backward(cpu::conv2d_backward_input(dz5, l5_.w, c.p5.shape(), {}),
                                              c.n4.y.shape(), pad3);
    auto dc4 = cpu::instance_norm_backward(da4, c.c4, c.n4);
    const auto up = cpu::conv_transpose2d_args::pytorch(2, 1, 1);
    cpu::conv_transpose2d_backward_params(c.r3, dc4, l4_.dw, &l4_.db, up);
    auto dr3 = cpu::conv_transpose2d_backward_input(dc4, l4_.w, c.r3.shape(), up);
    // Residual block: the skip path passes dr3 straight to a2; the branch adds its own gradient.
    auto dc3b = cpu::instance_norm_backward(dr3, c.c3b, c.n3b);
    cpu::conv2d_backward_params(c.p3b, dc3b, l3b_.dw, &l3b_.db, {});
    auto da3a = cpu::reflection_pad2d_backward(cpu::conv2d_backward_input(dc3b, l3b_.w, c.p3b.shape(), {}),
                                               c.n3a.y.shape(), pad1);
    auto dc3a = cpu::instance_norm_backward(da3a, c.c3a, c.n3a);
    cpu::conv2d_backward_params(c.p3a, dc3a, l3a_.dw, &l3a_.db, {});
    auto da2 = cpu::add(dr3, cpu::reflection_pad2d_backward(
                                 cpu::conv2d_backward_input(dc3a, l3a_.w, c.p3a.shape(), {}), c.n2.y.shape(), pad1));
    auto dc2 = cpu::instance_norm_backward(da2, c.c2, c.n2);
    const auto down = cpu::conv2d_args::make(2, 1);
    cpu::conv2d_backward_params(c.n1.y, dc2, l2_.dw, &l2_.db, down);
    auto da1 = cpu::conv2d_backward_input(dc2, l2_.w, c.n1.y.shape(), down);
    auto dc1 = cpu::instance_norm_backward(da1, c.c1, c.n1);
    cpu::conv2d_backward_params(c.p1, dc1, l1_.dw, &l1_.db, {});
  }

  std::vector<i2i::optim::param_ref<float>> parameters() {
    std::vector<i2i::optim::param_ref<float>> ps;
    auto add = [&](const std::string& name, parameter_pair& p) {
      ps.push_back({name + ".weight", p.w, p.dw});
      ps.push_back({name + ".bias", p.b, p.db});
    };
    add("conv1", l1_);
    add("down", l2_);
    add("res.conv1", l3a_);
    add("res.conv2", l3b_);
    add("up", l4_);
    add("head", l5_);
    return ps;
  }

 private:
  std::mt19937 rng_;
  parameter_pair l1_, l2_, l3a_, l3b_, l4_, l5_;
};

/// Mean L1 error of the translator on `count` images starting at `first`, in batches of 100.
inline double evaluate_l1(const translator& net, const i2i::io::idx_data& images, std::size_t first,
                          std::size_t count) {
  double total = 0;
  for (std::size_t b = first; b < first + count; b += 100) {
    const std::size_t n = std::min<std::size_t>(100, first + count - b);
    auto x = i2i::io::idx_images(images, b, n);
    total += i2i::loss::l1_loss(net.forward(x), edge_target(x)).value * double(n);
  }
  return total / double(count);
}

/// L1 error of always answering "no edge" (-1): the floor any translator that learned nothing sits at.
inline double constant_baseline_l1(const i2i::io::idx_data& images, std::size_t first, std::size_t count) {
  auto target = edge_target(i2i::io::idx_images(images, first, count));
  return i2i::loss::l1_loss(tensor<float>::filled(target.shape(), -1.f), target).value;
}

struct train_options {
  int steps = 1200;
  int batch = 32;
  double lr = 1e-3;
  std::uint32_t seed = 1;
};

/// Trains on random batches of the training images; calls report(step, loss) every 100 steps.
template <class Report>
void train(translator& net, const i2i::io::idx_data& images, const train_options& o, Report&& report) {
  i2i::optim::adam<float> opt(net.parameters(), {.lr = o.lr, .beta1 = 0.5, .beta2 = 0.999});
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
    translator::context ctx;
    auto y = net.forward(x, ctx);
    auto loss = i2i::loss::l1_loss(y, edge_target(x));
    opt.zero_grad();
    net.backward(ctx, loss.grad);
    opt.step();
    running += loss.value;
    if (step % 100 == 0) {
      report(step, running / 100);
      running = 0;
    }
  }
}

}  // namespace mnist_edges
