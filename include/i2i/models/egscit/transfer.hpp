#pragma once
// EGSC-IT's transfer block (research/egscit.md §4), applied once between the shared generator block and
// the domain decoder:
//
//   m  = 0.5 + 0.5 sigmoid(f_s)                        f_s = F_{dom(s)}(source), last residual block
//   x' = x * m                                          (element-wise, C channels; m in (0.5, 1))
//   y  = mu_e * (x' - mu_x') / (v_x' + eps) + v_e       mu_e, v_e: spatial mean and POPULATION variance of
//                                                       f_e = F_{dom(e)}(exemplar), per sample and channel
//
// The AdaIN form is the reference's (scale by the exemplar's mean, shift by its variance, divide by the
// variance, eps = 0): B::adain_egscit_from_exemplar. Every step is a backend op (B::feature_mask, B::mul,
// B::adain_egscit_from_exemplar and their backwards), so the block runs on any backend B. The reference's code comment says the mask lies in
// [0.75, 1]; the arithmetic gives (0.5, 1), which is what runs.
//
// Routing (which image's F features feed the mask and the statistics) is in transfer_routes below; the
// cycle passes reuse the ORIGINAL images' masks and statistics instead of recomputing them from x_AB / x_BA.
//
// Gradients. transfer_backward returns d/dx (the content code). In stage 2 the F networks are frozen and
// their inputs are data (x_A, x_B; never a generated image, since the cycles reuse the originals'
// features), so nothing upstream needs d/df_s or d/df_e; they are computed only when asked
// (need_feature_grads, used by the gradient checks and by anyone who trains F through the block).
//
// Ablations: use_mask = false skips the mask (x' = x); use_adain = false skips AdaIN (y = x'). The mask's
// spatial size must equal x's: the reference would resize it bilinearly, which no shipped configuration
// triggers, so a mismatch is reported as an error rather than silently resampled.
#include <array>
#include <cmath>
#include <ostream>
#include <string_view>

#include "i2i/backend/adain_types.hpp"
#include "i2i/core/error.hpp"
#include "i2i/models/egscit/domain.hpp"
#include "i2i/models/egscit/transfer_options.hpp"

namespace i2i::egscit {

/// One row of the routing table of §4.
struct transfer_route {
  std::string_view output;  ///< "x_AA", "x_BA", ...
  domain content;           ///< encoder the content code comes from (its input's domain)
  std::string_view content_image;  ///< the image encoded: "x_A", "x_B", "x_AB", "x_BA"
  domain mask_from;         ///< F features (of the ORIGINAL image of this domain) that make the mask
  domain stats_from;        ///< F features (of the ORIGINAL image of this domain) that give mu_e, v_e
  domain decoder;           ///< G_A or G_B
};

inline constexpr std::array<transfer_route, 6> transfer_routes{{
    {"x_AA", domain::A, "x_A", domain::A, domain::A, domain::A},
    {"x_BA", domain::B, "x_B", domain::B, domain::A, domain::A},
    {"x_AB", domain::A, "x_A", domain::A, domain::B, domain::B},
    {"x_BB", domain::B, "x_B", domain::B, domain::B, domain::B},
    {"x_ABA", domain::B, "x_AB", domain::A, domain::A, domain::A},  // mask of x_A, not of x_AB
    {"x_BAB", domain::A, "x_BA", domain::B, domain::B, domain::B},  // mask of x_B, not of x_BA
}};

inline const transfer_route& route_of(std::string_view output) {
  for (const auto& r : transfer_routes)
    if (r.output == output) return r;
  throw value_error(i2i::detail::concat("egscit::route_of: no output named '", output,
                                        "' (x_AA, x_BA, x_AB, x_BB, x_ABA, x_BAB)"));
}

/// What transfer_backward needs (keep it until backward is done).
template <class T>
struct transfer_result {
  tensor<T> y;       ///< the transferred content code, N x C x H x W
  tensor<T> mask;    ///< m (undefined when the mask is off)
  tensor<T> masked;  ///< x' = x * m (x itself when the mask is off)
  adain_egscit_exemplar_result<T> adain;  ///< saved statistics (empty when AdaIN is off)
  transfer_options options;
};

template <class T>
struct transfer_grads {
  tensor<T> dx;                 ///< d/d content code
  tensor<T> dsource_features;   ///< d/d f_s (only with need_feature_grads and the mask on)
  tensor<T> dexemplar_features; ///< d/d f_e (only with need_feature_grads and AdaIN on)
};

/// x: content code; f_s: F features of the source (mask); f_e: F features of the exemplar (statistics).
template <class B, class T = typename B::scalar>
transfer_result<T> transfer_forward(const tensor<T>& x, const tensor<T>& f_s, const tensor<T>& f_e,
                                    const transfer_options& opt = {}) {
  const char* op = "egscit::transfer";
  require_nchw(op, "content code", x);
  transfer_result<T> r;
  r.options = opt;
  if (opt.use_mask) {
    require<shape_error>(f_s.defined() && f_s.shape() == x.shape(), op, ": source features have shape ",
                         f_s.defined() ? f_s.shape() : shape{}, ", expected the content code's shape ", x.shape(),
                         " (the mask multiplies the code element-wise; resizing it is not supported)");
    r.mask = B::feature_mask(f_s);
    r.masked = B::mul(x, r.mask);
  } else {
    r.masked = x;
  }
  if (opt.use_adain) {
    require<shape_error>(f_e.defined() && f_e.rank() == 4 && f_e.n() == x.n() && f_e.c() == x.c(), op,
                         ": exemplar features have shape ", f_e.defined() ? f_e.shape() : shape{}, ", expected ",
                         x.n(), " samples and ", x.c(), " channels like the content code ", x.shape());
    r.adain = B::adain_egscit_from_exemplar(r.masked, f_e, opt.eps);
    r.y = r.adain.adain.y;
  } else {
    r.y = r.masked;
  }
  return r;
}

template <class B, class T = typename B::scalar>
transfer_grads<T> transfer_backward(const tensor<T>& x, const tensor<T>& f_s, const tensor<T>& f_e,
                                    const transfer_result<T>& saved, const tensor<T>& dy,
                                    bool need_feature_grads = false) {
  const char* op = "egscit::transfer_backward";
  require<shape_error>(dy.shape() == x.shape(), op, ": gradient has shape ", dy.shape(), ", expected ", x.shape());
  transfer_grads<T> g;
  tensor<T> dmasked = dy;
  if (saved.options.use_adain) {
    if (need_feature_grads) {
      auto a = B::adain_egscit_from_exemplar_backward(saved.masked, f_e, saved.adain, dy);
      dmasked = a.dx;
      g.dexemplar_features = a.dexemplar;
    } else {
      dmasked = B::adain_egscit_backward(saved.masked, saved.adain.exemplar.mean, saved.adain.exemplar.var,
                                         saved.adain.adain, dy)
                    .dx;
    }
  }
  if (saved.options.use_mask) {
    g.dx = B::mul(dmasked, saved.mask);
    if (need_feature_grads) g.dsource_features = B::feature_mask_backward(B::mul(dmasked, x), saved.mask);
  } else {
    g.dx = B::scale(dmasked, T(1));  // a copy (x * 1 == x exactly): callers accumulate into dx
  }
  return g;
}

}  // namespace i2i::egscit
