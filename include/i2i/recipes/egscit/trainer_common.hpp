#pragma once
// What every EGSC-IT-family trainer shares (stage 1, stage 2 / UNIT, CycleGAN, MUNIT), so that they draw
// the same batches, augment alike, seed every random draw of iteration t from (seed, t, step), and
// write checkpoints a program can rebuild the model from:
//
//   image_source / folder_source   one domain's images by index
//   trainer_detail                 seeding, the per-domain epoch sampler, augmentation (§6.2), batch
//                                  helpers over any backend B, save/load of one model file, the log sink
//
// Every random draw (batch order, augmentation, the latent noise) happens on the host with the same
// generators on every backend, so the CPU stream is the same whatever B is; what it produces is
// uploaded once with B::to_backend.
//   step_losses                    what a step reports
//   checkpoint_metadata            model kind, ablation, configuration and inference switches, written
//                                  into every file a trainer saves; apply_checkpoint_metadata reads them
//                                  back into train_options
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "i2i/data/aligned_dataset.hpp"
#include "i2i/io/checkpoint.hpp"
#include "i2i/io/image.hpp"
#include "i2i/io/pixels.hpp"
#include "i2i/io/safetensors.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/recipes/egscit/options.hpp"

namespace i2i {
// The trainers' default backend, declared only: models/ never includes a backend (the programs and tests
// include the one they use).
template <cpu_scalar T>
struct cpu_backend;
}  // namespace i2i

namespace i2i::egscit {

// ---------------------------------------------------------------------------------------------------
// Data.

/// Images of one domain, by index (rendered or read on demand).
struct image_source {
  std::size_t size = 0;
  std::function<io::image(std::size_t)> at;
};

/// Every PNG/JPEG under `dir`, sorted by path, read as RGB.
inline image_source folder_source(const std::string& dir) {
  auto files = std::make_shared<std::vector<std::string>>(data::list_images(dir, "egscit image folder"));
  require<io_error>(!files->empty(), "egscit::folder_source: no PNG or JPEG image under '", dir, "'");
  return {files->size(), [files](std::size_t i) { return io::read_image(files->at(i), 3); }};
}

namespace trainer_detail {

inline std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
inline std::uint64_t seed_of(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0) {
  return mix(mix(mix(mix(seed) ^ a) ^ b) ^ c);
}

/// The k-th image drawn from a domain: epoch k / n of per-epoch permutations seeded by (seed, dom, epoch).
class sampler {
 public:
  sampler(std::uint64_t seed, int dom) : seed_(seed), dom_(dom) {}
  std::vector<std::size_t> draw(std::size_t n, std::uint64_t first, int count) {
    std::vector<std::size_t> out;
    for (int i = 0; i < count; ++i) {
      const std::uint64_t k = first + std::uint64_t(i), epoch = k / n;
      if (epoch != epoch_ || perm_.size() != n) {
        perm_.resize(n);
        for (std::size_t j = 0; j < n; ++j) perm_[j] = j;
        std::mt19937_64 rng(seed_of(seed_, 0x5a3d1e, std::uint64_t(dom_), epoch));
        std::shuffle(perm_.begin(), perm_.end(), rng);
        epoch_ = epoch;
      }
      out.push_back(perm_[k % n]);
    }
    return out;
  }

 private:
  std::uint64_t seed_;
  int dom_;
  std::uint64_t epoch_ = ~std::uint64_t(0);
  std::vector<std::size_t> perm_;
};

/// Horizontal flip (p 0.5), then a zoom-crop (p 0.5): s ~ U(0.8, 1), left ~ U(0, W(1-s)),
/// top ~ U(0, H(1-s)), out(x, y) = in(s x + left, s y + top) bilinearly (egscit.md §6.2).
template <class T>
void augment(tensor<T>& x, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  const std::int64_t C = x.c(), H = x.h(), W = x.w();
  std::vector<T> plane(std::size_t(H * W));
  for (std::int64_t n = 0; n < x.n(); ++n) {
    const bool flip = u(rng) < 0.5;
    const bool zoom = u(rng) < 0.5;
    double s = 1, left = 0, top = 0;
    if (zoom) {
      s = 0.8 + 0.2 * u(rng);
      left = u(rng) * double(W) * (1 - s);
      top = u(rng) * double(H) * (1 - s);
    }
    for (std::int64_t c = 0; c < C; ++c) {
      T* p = x.data() + (n * C + c) * H * W;
      if (flip)
        for (std::int64_t y = 0; y < H; ++y) std::reverse(p + y * W, p + (y + 1) * W);
      if (!zoom) continue;
      std::copy(p, p + H * W, plane.begin());
      for (std::int64_t y = 0; y < H; ++y)
        for (std::int64_t xx = 0; xx < W; ++xx) {
          const double sy = std::min(s * double(y) + top, double(H - 1)), sx = std::min(s * double(xx) + left, double(W - 1));
          const std::int64_t y0 = std::int64_t(sy), x0 = std::int64_t(sx);
          const std::int64_t y1 = std::min(y0 + 1, H - 1), x1 = std::min(x0 + 1, W - 1);
          const double fy = sy - double(y0), fx = sx - double(x0);
          const auto at = [&](std::int64_t yy, std::int64_t xq) { return double(plane[std::size_t(yy * W + xq)]); };
          p[y * W + xx] = T((1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) +
                            fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1)));
        }
    }
  }
}

/// N x 3 x H x W in [-1, 1] from images (p - 127.5) / 127.5.
template <class T>
tensor<T> to_batch(const image_source& src, const std::vector<std::size_t>& idx) {
  std::vector<io::image> imgs;
  imgs.reserve(idx.size());
  for (auto i : idx) {
    imgs.push_back(src.at(i));
    require<value_error>(imgs.back().channels == 3 && imgs.back().width == imgs.front().width &&
                             imgs.back().height == imgs.front().height,
                         "egscit trainer: image ", i, " is ", imgs.back().width, "x", imgs.back().height, "x",
                         imgs.back().channels, ", expected RGB of the batch's size ", imgs.front().width, "x",
                         imgs.front().height);
  }
  auto t = io::to_tensor(std::span<const io::image>(imgs));
  if constexpr (std::is_same_v<T, float>) return t;
  else return t.template cast<T>();
}

/// a and b stacked along the batch axis. NCHW tensors are contiguous per sample, so this is a
/// concatenation of the two buffers: done as a channel concatenation of 1 x numel x 1 x 1 views.
template <class B>
tensor<typename B::scalar> cat_batch(const tensor<typename B::scalar>& a, const tensor<typename B::scalar>& b) {
  require<shape_error>(a.c() == b.c() && a.h() == b.h() && a.w() == b.w(), "egscit cat_batch: ", a.shape(), " and ",
                       b.shape(), " differ beyond the batch");
  const auto flat_view = [](const auto& t) { return t.reshaped(shape::nchw(1, t.numel(), 1, 1)); };
  return B::concat_channels({flat_view(a), flat_view(b)}).reshaped(shape::nchw(a.n() + b.n(), a.c(), a.h(), a.w()));
}
/// Samples [from, from + count) of t (a copy).
template <class B>
tensor<typename B::scalar> slice_batch(const tensor<typename B::scalar>& t, std::int64_t from, std::int64_t count) {
  require<shape_error>(from >= 0 && count > 0 && from + count <= t.n(), "egscit slice_batch: samples [", from, ", ",
                       from + count, ") of ", t.shape());
  const std::int64_t per = t.c() * t.h() * t.w();
  std::vector<std::int64_t> sizes;
  if (from > 0) sizes.push_back(from * per);
  sizes.push_back(count * per);
  if (from + count < t.n()) sizes.push_back((t.n() - from - count) * per);
  auto parts = B::split_channels(t.reshaped(shape::nchw(1, t.numel(), 1, 1)), sizes);
  return parts[from > 0 ? 1 : 0].reshaped(shape::nchw(count, t.c(), t.h(), t.w()));
}
/// acc += g * w, with acc starting at zero when undefined.
template <class B>
void add_scaled(tensor<typename B::scalar>& acc, const tensor<typename B::scalar>& g, double w) {
  using T = typename B::scalar;
  if (!acc.defined()) {
    acc = B::zeros(g.shape());
  }
  B::add_scaled_into(acc, g, T(w));
}
template <class B>
tensor<typename B::scalar> scaled(const tensor<typename B::scalar>& g, double w) {
  using T = typename B::scalar;
  return B::scale(g, T(w));
}
/// mu + e with e ~ N(0, 1) drawn on the host from `rng` (a copy of mu when off).
template <class B>
tensor<typename B::scalar> add_noise(const tensor<typename B::scalar>& mu, bool on, std::mt19937_64& rng) {
  using T = typename B::scalar;
  if (!on) return B::scale(mu, T(1));  // a copy (x * 1 == x exactly): callers may accumulate into it
  std::normal_distribution<double> nd(0, 1);
  auto e = tensor<T>::empty(mu.shape());
  for (std::int64_t i = 0; i < e.numel(); ++i) e[i] = T(nd(rng));
  return B::add(mu, B::to_backend(e));
}

/// Saves `m` as <dir>/<file>.safetensors.
template <class M>
void save_in(const M& m, const std::filesystem::path& dir, const std::string& file,
             std::map<std::string, std::string> meta = {}) {
  save_model(m, (dir / (file + ".safetensors")).string(), std::move(meta));
}
template <class M>
void load_from(M& m, const std::filesystem::path& dir, const std::string& file) {
  load_model(m, (dir / (file + ".safetensors")).string());
}

inline void say(const std::function<void(const std::string&)>& log, const std::string& s) {
  if (log) log(s);
  else std::clog << s << '\n';
}

/// The batch of one domain for a step: `batch` images from the sampler starting at draw number `draw`,
/// augmented when `augment` (on the host), then in B's memory. `who` names the trainer in errors.
template <class B>
tensor<typename B::scalar> draw_batch(const image_source& s, sampler& smp, std::uint64_t draw, int batch,
                                      bool augment_on, std::mt19937_64& rng, const char* who) {
  require<value_error>(s.size > 0 && bool(s.at), who, ": an image source is empty");
  auto x = to_batch<typename B::scalar>(s, smp.draw(s.size, draw, batch));
  if (augment_on) augment(x, rng);
  return B::to_backend(x);
}
/// The parameters of several models in one list, in argument order (what one optimizer of a
/// two-domain trainer holds: G_A and G_B, or D_A and D_B).
template <class M0, class... M>
auto joined_parameters(const M0& first, const M&... rest) {
  auto r = first.parameters();
  const auto append = [&r](const auto& m) {
    auto p = m.parameters();
    r.insert(r.end(), p.begin(), p.end());
  };
  (append(rest), ...);
  return r;
}
/// Draw number of the first image of step j (0: the D step, 1..g_updates: the G steps) of iteration t:
/// every step takes a fresh batch, as the reference's queue dequeues one per sess.run.
inline std::uint64_t first_draw(std::int64_t t, int steps_per_iteration, int j, int batch) {
  return (std::uint64_t(t) * std::uint64_t(steps_per_iteration) + std::uint64_t(j)) * std::uint64_t(batch);
}

}  // namespace trainer_detail

/// Losses of one step (weighted totals and the main unweighted terms), for logs and tests.
struct step_losses {
  double d = 0;         ///< weighted D loss
  double g = 0;         ///< weighted G loss (last G step of the iteration)
  double recon = 0;     ///< mean L1 self-reconstruction of A and B (unweighted)
  double cycle = 0;     ///< mean L1 cycle of A and B (stage 2)
  double content = 0;   ///< unweighted perceptual content (stage 2)
  double style = 0;     ///< unweighted perceptual style (stage 2)
  double lr = 0;
};


// ---------------------------------------------------------------------------------------------------
// Checkpoint metadata: enough to rebuild the model of a saved directory without flags.

/// Keys: egscit.model (model_kind), egscit.ablation (ablation_name), egscit.config (the programs' name,
/// when set), egscit.n1 / ngf / n_res (the configuration's numbers, a check against a wrong name),
/// egscit.eps, egscit.noise_test, egscit.seed (translate's noise is seeded from it), egscit.stage and
/// iteration.
template <class Cfg>
std::map<std::string, std::string> checkpoint_metadata(const train_options& o, std::int64_t iteration,
                                                       const std::string& stage) {
  std::ostringstream eps;
  eps.precision(17);
  eps << o.transfer.eps;
  std::map<std::string, std::string> m{{"egscit.stage", stage},
                                       {"iteration", std::to_string(iteration)},
                                       {"egscit.model", to_string(o.kind)},
                                       {"egscit.ablation", ablation_name(o)},
                                       {"egscit.n1", std::to_string(Cfg::n1)},
                                       {"egscit.ngf", std::to_string(Cfg::ngf)},
                                       {"egscit.n_res", std::to_string(Cfg::n_res)},
                                       {"egscit.eps", eps.str()},
                                       {"egscit.noise_test", o.noise_test ? "1" : "0"},
                                       {"egscit.seed", std::to_string(o.seed)}};
  if (!o.config_name.empty()) m["egscit.config"] = o.config_name;
  return m;
}

/// Reads checkpoint_metadata's keys back into `o` (kind and its switches, ablation, eps, test noise,
/// seed, config name); keys a file does not have leave `o` as it is (older checkpoints).
inline train_options apply_checkpoint_metadata(train_options o, const std::map<std::string, std::string>& m,
                                               const std::string& path) {
  auto has = [&](const char* k) { return m.count(k) != 0; };
  if (has("egscit.model")) o = with_model(o, model_kind_from_string(m.at("egscit.model")));
  if (has("egscit.ablation")) o = with_ablation_name(o, m.at("egscit.ablation"));
  if (has("egscit.eps")) o.transfer.eps = io::metadata_number<double>(m, "egscit.eps", path);
  if (has("egscit.noise_test")) o.noise_test = m.at("egscit.noise_test") == "1";
  if (has("egscit.seed")) o.seed = io::metadata_number<std::uint64_t>(m, "egscit.seed", path);
  if (has("egscit.config")) o.config_name = m.at("egscit.config");
  return o;
}

/// The metadata of a safetensors file.
inline std::map<std::string, std::string> file_metadata(const std::filesystem::path& file) {
  return io::read_checkpoint_metadata(file.string());
}

/// Throws when a file's configuration numbers differ from Cfg's (a model rebuilt with the wrong
/// --config would otherwise fail later with a less telling shape error).
template <class Cfg>
void check_config_metadata(const std::filesystem::path& file) {
  const auto m = file_metadata(file);
  const std::string path = file.string();
  for (auto [key, want] : {std::pair{"egscit.n1", Cfg::n1}, std::pair{"egscit.ngf", Cfg::ngf},
                           std::pair{"egscit.n_res", Cfg::n_res}})
    if (m.count(key))
      require<value_error>(io::metadata_number<int>(m, key, path) == want, "egscit: '", path, "' was saved with ", key,
                           " = ", m.at(key), ", the configuration being built has ", want,
                           " (pick the configuration it was trained with)");
}

}  // namespace i2i::egscit
