#pragma once
// The EGSC-IT translator's networks for both domains, bound to one backend and one shared_registry so
// that E_A and E_B hold the same "enc_shared" block and the generator side one "gen_shared" block
// (research/egscit.md §1, §3). The data flow between them (noise on the latent, the transfer block, the
// joint A+B batch through the shared blocks, cycles) is the training code's: each member is a model with
// its own forward/backward and per-call contexts.
//
//   x_AB = G_B( transfer( S( E_A(x_A) + noise ), mask = F_A(x_A), stats = F_B(x_B) ) )
//
// Parameter count: trainable_parameter_count() is what TF's G optimizer holds ("encoder" or "generator"
// in the name): E_A and E_B (domain parts), the shared encoder block once, the shared generator block
// once, G_A and G_B (decoders) — 1,053,318 for MNIST-Single, 18,017,286 for N1 = 3 (egscit.md §10). The
// frozen F_A and F_B (231,040 each for MNIST) and the discriminators are not in it.
#include <memory>
#include <set>
#include <vector>

#include "i2i/models/egscit/networks.hpp"

namespace i2i::egscit {

template <class Cfg, class B>
struct translator_networks {
  using T = typename B::scalar;

  shared_registry registry;  // first: the models below register their shared blocks in it
  model<encoder<Cfg>, B> E_A{"E_A", &registry}, E_B{"E_B", &registry};
  model<generator_shared<Cfg>, B> S{"S", &registry};
  model<decoder<Cfg>, B> G_A{"G_A", &registry}, G_B{"G_B", &registry};
  model<feature_mask_net<Cfg>, B> F_A{"F_A", &registry}, F_B{"F_B", &registry};

  translator_networks() {
    F_A.freeze("");
    F_B.freeze("");
  }

  /// E_A, E_B, S, G_A, G_B's parameters, each shared one once, in that order.
  std::vector<std::shared_ptr<parameter<T>>> trainable() const {
    std::vector<std::shared_ptr<parameter<T>>> out;
    std::set<const parameter<T>*> seen;
    auto take = [&](const auto& m) {
      for (const auto& p : m.all_parameters())
        if (p->trainable() && seen.insert(p.get()).second) out.push_back(p);
    };
    take(E_A);
    take(E_B);
    take(S);
    take(G_A);
    take(G_B);
    return out;
  }
  std::int64_t trainable_parameter_count() const {
    std::int64_t n = 0;
    for (const auto& p : trainable()) n += p->value.numel();
    return n;
  }
  /// What the G optimizer takes (unfrozen, shared blocks once).
  std::vector<optim::param_ref<T>> generator_parameters() const {
    std::vector<optim::param_ref<T>> r;
    for (const auto& p : trainable())
      if (!p->frozen) r.push_back({p->name, p->value, p->grad});
    return r;
  }
  /// f(m) for every trained model: E_A, E_B, S, G_A, G_B (not the frozen F_A, F_B).
  template <class F>
  void for_each_model(F&& f) {
    each_model(*this, f);
  }
  template <class F>
  void for_each_model(F&& f) const {
    each_model(*this, f);
  }
  void zero_grad() const {
    for_each_model([](const auto& m) { m.zero_grad(); });
  }

  /// Latent shape for an image shape.
  shape latent_shape(const shape& image) const { return E_A.output_shape(image); }
  /// FLOPs of E_src + shared blocks + G_tgt for one image (egscit.md §10 "Translator (E+shared+G)").
  double translator_flops(const shape& image) const {
    const auto z = latent_shape(image);
    return E_A.flops(image) + S.flops(z) + G_B.flops(z);
  }
  /// FLOPs of one F net (mask or exemplar statistics).
  double feature_mask_flops(const shape& image) const { return F_A.flops(image); }
 private:
  template <class Self, class F>
  static void each_model(Self& s, F& f) {
    f(s.E_A);
    f(s.E_B);
    f(s.S);
    f(s.G_A);
    f(s.G_B);
  }
};

}  // namespace i2i::egscit
