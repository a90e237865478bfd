#pragma once
// The SSIM evaluation of EGSC-IT and its baselines on MNIST-Single (research/egscit.md §7, §9.1), on the
// folders egscit_prepare_data writes (testA, testB, testA2B, testB2A):
//
//   * pairing: each folder sorted by file name, the first N files, paired by rank. testA[i] is translated
//     with exemplar testB[i] and compared with testA2B[i] (testA[i]'s digit in testB[i]'s colours);
//     B -> A likewise with testB[i], exemplar testA[i], ground truth testB2A[i];
//   * the translation goes to uint8 as the authors' scipy.misc.imsave saved it: min-max stretched per image
//     (data/scipy_bytescale.hpp); `stretch = false` maps [-1, 1] to 0..255 instead (io::to_image);
//   * SSIM(translation, ground truth) with metrics/ssim.hpp (7x7 uniform, K1 0.01, K2 0.03, sample
//     covariance, mean over channels: skimage's compare_ssim(multichannel=True));
//   * reported: mean and population standard deviation (numpy's default) per direction, and on request
//     two reference rows that need no model: SSIM(source, GT) and SSIM(exemplar, GT).
//
// The model is any function translate(content, from, exemplar, noise_seed) -> images in [-1, 1], so that
// EGSC-IT, UNIT, CycleGAN and MUNIT are evaluated by the same code (load.hpp builds one from a checkpoint).
// Batch k of a direction uses noise_seed k, so a run is reproducible.
#include <algorithm>
#include <cmath>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "i2i/data/aligned_dataset.hpp"
#include "i2i/data/scipy_bytescale.hpp"
#include "i2i/io/image.hpp"
#include "i2i/io/parse_json.hpp"
#include "i2i/io/pixels.hpp"
#include "i2i/metrics/ssim.hpp"
#include "i2i/models/egscit/transfer.hpp"

namespace i2i::egscit {

/// translate(content, from, exemplar, noise_seed): batch i of content styled by exemplar i.
using translate_fn =
    std::function<tensor<float>(const tensor<float>& content, domain from, const tensor<float>& exemplar, std::uint64_t)>;

/// One direction's files, paired by rank.
struct evaluation_pairs {
  domain from = domain::A;
  std::vector<std::string> sources, exemplars, truths;
  /// Per record: true when the translation involves a combination held out of MNIST-Single's training
  /// (a digit 5..9 in a domain-B scheme other than R/G, egscit.md §8.1). Empty when the names are not
  /// MNIST-Single's ({i:06d}_{label}_{scheme}.png).
  std::vector<bool> held_out;
  std::size_t size() const { return sources.size(); }
};

/// The digit and colour scheme of an MNIST-Single file name "{i:06d}_{label}_{scheme}.png", or label -1.
struct mnist_single_name {
  int label = -1;
  std::string scheme;
};
inline mnist_single_name parse_mnist_single_name(const std::string& path) {
  const std::string stem = std::filesystem::path(path).stem().string();
  const auto a = stem.find('_');
  if (a == std::string::npos || a + 2 >= stem.size() || stem[a + 2] != '_' ||
      !std::isdigit(static_cast<unsigned char>(stem[a + 1])))
    return {};
  return {stem[a + 1] - '0', stem.substr(a + 3)};
}

/// Held-out records of a direction: the digit is the source's, the domain-B scheme is the exemplar's
/// (A -> B: the output shows a combination training B never had) or the source's own (B -> A: the
/// input is one). Empty when any name does not parse.
inline std::vector<bool> held_out_records(const evaluation_pairs& p) {
  std::vector<bool> r;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const auto src = parse_mnist_single_name(p.sources[i]);
    const auto b_side = parse_mnist_single_name(p.from == domain::A ? p.exemplars[i] : p.sources[i]);
    if (src.label < 0 || b_side.label < 0) return {};
    r.push_back(src.label >= 5 && b_side.scheme != "R_G");
  }
  return r;
}

/// Files of ranks first .. first+count-1 of each folder of `data` by sorted name (A -> B: testA, testB,
/// testA2B; B -> A: testB, testA, testB2A); rank k is the same record in all three. §9.1 scores ranks
/// 0-999; a later range (e.g. first = 1000) is a validation split that the table never sees.
inline evaluation_pairs pair_test_folders(const std::filesystem::path& data, domain from, std::size_t count,
                                          std::size_t first = 0) {
  const bool ab = from == domain::A;
  const auto take = [&](const char* sub) {
    const auto dir = (data / sub).string();
    auto files = data::list_images(dir, std::string("egscit evaluation folder ") + sub);
    require<value_error>(files.size() >= first + count, "egscit evaluate: '", dir, "' holds ", files.size(),
                         " images, fewer than the ", first + count, " that records ", first, "..",
                         first + count - 1, " need (ranks must pair the same records)");
    files.erase(files.begin(), files.begin() + std::ptrdiff_t(first));
    files.resize(count);
    return files;
  };
  evaluation_pairs p;
  p.from = from;
  p.sources = take(ab ? "testA" : "testB");
  p.exemplars = take(ab ? "testB" : "testA");
  p.truths = take(ab ? "testA2B" : "testB2A");
  p.held_out = held_out_records(p);
  return p;
}

/// Image n of a translated batch as the evaluation sees it: scipy's imsave stretch, or the plain
/// [-1, 1] -> 0..255 mapping.
inline io::image evaluation_image(const tensor<float>& y, std::int64_t n, bool stretch) {
  return stretch ? data::imsave_image(y, n) : io::to_image(y, n);
}

struct ssim_summary {
  std::size_t n = 0;
  double mean = 0, std = 0;    ///< population standard deviation (numpy.std's default)
  std::vector<double> values;  ///< per image, in rank order
};

inline ssim_summary summarise(std::vector<double> v) {
  ssim_summary s;
  s.n = v.size();
  for (double x : v) s.mean += x;
  if (s.n) s.mean /= double(s.n);
  for (double x : v) s.std += (x - s.mean) * (x - s.mean);
  if (s.n) s.std = std::sqrt(s.std / double(s.n));
  s.values = std::move(v);
  return s;
}

struct direction_result {
  domain from = domain::A;
  ssim_summary translated;           ///< SSIM(translation, GT)
  ssim_summary source_vs_truth;      ///< reference: SSIM(untranslated source, GT) (only with reference)
  ssim_summary exemplar_vs_truth;    ///< reference: SSIM(exemplar, GT) (only with reference)
  ssim_summary held_out;             ///< SSIM(translation, GT) over the held-out records (n 0: none known)
};

struct evaluate_options {
  std::size_t count = 1000;  ///< N test records (§9.1: the first 1000)
  std::size_t first = 0;     ///< rank of the first record (0 in §9.1)
  bool stretch = true;       ///< scipy.misc.imsave's min-max stretch (faithful)
  int batch = 8;             ///< translation batch (the reference's bs)
  bool reference = false;    ///< also the two lower bounds that need no model
};

/// Record i of a direction: source, exemplar, ground truth.
struct evaluation_record {
  io::image source, exemplar, truth;
};

/// SSIM of one direction over records 0..count-1 (from files, or rendered in memory).
inline direction_result evaluate_direction(const translate_fn& translate, domain from, std::size_t count,
                                           const std::function<evaluation_record(std::size_t)>& record,
                                           const evaluate_options& opt = {}) {
  require<value_error>(opt.batch >= 1, "egscit evaluate: batch ", opt.batch, " must be >= 1");
  direction_result r;
  r.from = from;
  std::vector<double> got, src, ex;
  for (std::size_t first = 0, k = 0; first < count; first += std::size_t(opt.batch), ++k) {
    const std::size_t n = std::min(count - first, std::size_t(opt.batch));
    std::vector<io::image> s, e, g;
    for (std::size_t i = first; i < first + n; ++i) {
      auto rec = record(i);
      s.push_back(std::move(rec.source));
      e.push_back(std::move(rec.exemplar));
      g.push_back(std::move(rec.truth));
    }
    const auto y = translate(io::to_tensor(std::span<const io::image>(s)), from,
                             io::to_tensor(std::span<const io::image>(e)), k);
    require<shape_error>(y.rank() == 4 && y.n() == std::int64_t(n), "egscit evaluate: the model returned ", y.shape(),
                         " for a batch of ", n);
    for (std::size_t i = 0; i < n; ++i) {
      got.push_back(metrics::ssim(evaluation_image(y, std::int64_t(i), opt.stretch), g[i]));
      if (opt.reference) {
        src.push_back(metrics::ssim(s[i], g[i]));
        ex.push_back(metrics::ssim(e[i], g[i]));
      }
    }
  }
  r.translated = summarise(std::move(got));
  if (opt.reference) {
    r.source_vs_truth = summarise(std::move(src));
    r.exemplar_vs_truth = summarise(std::move(ex));
  }
  return r;
}

/// SSIM of one direction over the files of `pairs`.
inline direction_result evaluate_direction(const translate_fn& translate, const evaluation_pairs& pairs,
                                           const evaluate_options& opt = {}) {
  require<value_error>(pairs.sources.size() == pairs.exemplars.size() && pairs.sources.size() == pairs.truths.size(),
                       "egscit evaluate: ", pairs.sources.size(), " sources, ", pairs.exemplars.size(), " exemplars, ",
                       pairs.truths.size(), " ground truths; expected equal counts");
  auto r = evaluate_direction(translate, pairs.from, pairs.size(), [&](std::size_t i) {
    return evaluation_record{io::read_image(pairs.sources[i], 3), io::read_image(pairs.exemplars[i], 3),
                             io::read_image(pairs.truths[i], 3)};
  }, opt);
  if (pairs.held_out.size() == r.translated.values.size()) {
    std::vector<double> v;
    for (std::size_t i = 0; i < pairs.held_out.size(); ++i)
      if (pairs.held_out[i]) v.push_back(r.translated.values[i]);
    r.held_out = summarise(std::move(v));
  }
  return r;
}

/// What egscit_evaluate reports about the model it evaluated.
struct evaluation_report {
  std::string model = "egscit", ablation = "none", config, model_dir, data_dir;
  std::int64_t iterations = 0;
  evaluate_options options;
  direction_result ab, ba;
};

/// The report as JSON: model, ablation, config, iterations, N, stretch, and per direction the SSIM mean
/// and std (plus the reference rows when computed). A mean over no images (NaN) is null.
inline std::string to_json(const evaluation_report& r) {
  const auto summary = [](const ssim_summary& s) { return io::json{{"mean", s.mean}, {"std", s.std}, {"n", s.n}}; };
  io::json j = {{"model", r.model},           {"ablation", r.ablation},         {"config", r.config},
                {"iterations", r.iterations}, {"model_dir", r.model_dir},       {"data_dir", r.data_dir},
                {"n", r.options.count},       {"first", r.options.first},       {"stretch", r.options.stretch}};
  for (const auto* d : {&r.ab, &r.ba}) {
    io::json& out = j[d == &r.ab ? "ab" : "ba"] = {{"ssim", summary(d->translated)}};
    if (d->held_out.n) out["held_out"] = summary(d->held_out);
    if (r.options.reference) {
      out["source_vs_gt"] = summary(d->source_vs_truth);
      out["exemplar_vs_gt"] = summary(d->exemplar_vs_truth);
    }
  }
  // Paths are bytes: one that is not UTF-8 is written with U+FFFD rather than failing the report.
  return j.dump(2, ' ', false, io::json::error_handler_t::replace) + "\n";
}

/// The report as a few lines of text (what egscit_evaluate prints).
inline std::string to_text(const evaluation_report& r) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(4);
  o << "model " << r.model << ", ablation " << r.ablation << ", config " << r.config << ", iteration " << r.iterations
    << ", N " << r.options.count << (r.options.first ? ", from record " + std::to_string(r.options.first) : "")
    << (r.options.stretch ? ", imsave stretch" : ", no stretch") << "\n";
  o << "  A->B SSIM " << r.ab.translated.mean << " +- " << r.ab.translated.std << "   B->A SSIM " << r.ba.translated.mean
    << " +- " << r.ba.translated.std << "\n";
  if (r.ab.held_out.n || r.ba.held_out.n)
    o << "  held-out combinations (digits 5-9 not R/G): A->B " << r.ab.held_out.mean << " (n " << r.ab.held_out.n
      << ")   B->A " << r.ba.held_out.mean << " (n " << r.ba.held_out.n << ")\n";
  if (r.options.reference) {
    o << "  reference: source vs GT  A->B " << r.ab.source_vs_truth.mean << "  B->A " << r.ba.source_vs_truth.mean << "\n";
    o << "  reference: exemplar vs GT  A->B " << r.ab.exemplar_vs_truth.mean << "  B->A " << r.ba.exemplar_vs_truth.mean
      << "\n";
  }
  return o.str();
}

}  // namespace i2i::egscit
