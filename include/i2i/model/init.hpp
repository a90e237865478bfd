#pragma once
// Initialisation policies: one rule per parameter role, applied to a whole model with one seed.
//
//   init_policy::pytorch()    PyTorch's defaults: conv/linear weights and biases U(-1/sqrt(fan_in), +),
//                             norm weight 1, bias 0
//   init_policy::pix2pixhd()  conv weights N(0, 0.02), biases PyTorch's default, BN weight N(1, 0.02),
//                             BN bias 0 (networks.weights_init)
//   init_policy::egscit()     truncated N(0, 0.02) weights (resampled beyond 2 sigma, as TF), zero biases
//   init_policy::glorot()     Glorot-uniform weights, zero biases (TF-slim, EGSC-IT's discriminator)
#include <cmath>
#include <cstdint>
#include <random>

#include "i2i/model/parameter.hpp"

namespace i2i {

struct init_rule {
  enum class kind { keep, constant, normal, truncated_normal, uniform_fan_in, glorot_uniform };
  kind how = kind::keep;
  double a = 0, b = 0;  // constant: a; normal: mean a, std b

  static init_rule keep() { return {}; }
  static init_rule constant(double v) { return {kind::constant, v, 0}; }
  static init_rule normal(double mean, double std) { return {kind::normal, mean, std}; }
  static init_rule truncated_normal(double mean, double std) { return {kind::truncated_normal, mean, std}; }
  /// U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch's kaiming_uniform(a = sqrt(5)) and its bias default.
  static init_rule pytorch_default() { return {kind::uniform_fan_in, 0, 0}; }
  static init_rule glorot_uniform() { return {kind::glorot_uniform, 0, 0}; }
};

struct init_policy {
  init_rule conv_weight, conv_bias, linear_weight, linear_bias, norm_weight, norm_bias;

  static init_policy pytorch() {
    auto d = init_rule::pytorch_default();
    return {d, d, d, d, init_rule::constant(1), init_rule::constant(0)};
  }
  static init_policy pix2pixhd() {
    auto p = pytorch();
    p.conv_weight = init_rule::normal(0, 0.02);
    p.norm_weight = init_rule::normal(1, 0.02);
    return p;
  }
  static init_policy egscit() {
    auto t = init_rule::truncated_normal(0, 0.02);
    auto z = init_rule::constant(0);
    return {t, z, t, z, init_rule::constant(1), z};
  }
  static init_policy glorot() {
    auto g = init_rule::glorot_uniform();
    auto z = init_rule::constant(0);
    return {g, z, g, z, init_rule::constant(1), z};
  }

  const init_rule& rule_for(param_role r) const {
    switch (r) {
      case param_role::conv_weight: return conv_weight;
      case param_role::conv_bias: return conv_bias;
      case param_role::linear_weight: return linear_weight;
      case param_role::linear_bias: return linear_bias;
      case param_role::norm_weight: return norm_weight;
      case param_role::norm_bias: return norm_bias;
      case param_role::buffer: break;
    }
    static const init_rule keep{};
    return keep;
  }
};

/// Fills one parameter by its rule. Buffers (running statistics) are left as constructed.
template <class T>
void initialize(parameter<T>& p, const init_rule& r, std::mt19937_64& rng) {
  if (r.how == init_rule::kind::keep || !p.trainable()) return;
  auto v = p.value.values();
  switch (r.how) {
    case init_rule::kind::constant:
      std::fill(v.begin(), v.end(), T(r.a));
      break;
    case init_rule::kind::normal: {
      std::normal_distribution<double> d(r.a, r.b);
      for (auto& x : v) x = T(d(rng));
      break;
    }
    case init_rule::kind::truncated_normal: {
      std::normal_distribution<double> d(0, 1);
      for (auto& x : v) {
        double z;
        do z = d(rng);
        while (std::abs(z) > 2);
        x = T(r.a + r.b * z);
      }
      break;
    }
    case init_rule::kind::uniform_fan_in: {
      const double bound = p.fan_in > 0 ? 1 / std::sqrt(double(p.fan_in)) : 0;
      std::uniform_real_distribution<double> d(-bound, bound);
      for (auto& x : v) x = T(d(rng));
      break;
    }
    case init_rule::kind::glorot_uniform: {
      const double limit = std::sqrt(6.0 / double(p.fan_in + p.fan_out));
      std::uniform_real_distribution<double> d(-limit, limit);
      for (auto& x : v) x = T(d(rng));
      break;
    }
    case init_rule::kind::keep:
      break;
  }
}

/// Initialises every parameter of a model with one seed. Values are drawn on the host, in definition
/// order, so a CPU and a GPU model built with the same seed start from identical weights.
template <class Model>
void initialize(Model& m, const init_policy& policy, std::uint64_t seed) {
  using B = typename Model::backend;
  std::mt19937_64 rng(seed);
  for (const auto& p : m.all_parameters()) {
    parameter<typename Model::T> host = *p;
    host.value = B::to_host(p->value);
    initialize(host, policy.rule_for(p->role), rng);
    B::assign_from_host(p->value, host.value);
  }
}

}  // namespace i2i
