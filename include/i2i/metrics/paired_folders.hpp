#pragma once
// Scores of translations against references, pair by pair, with mean ± std, from image lists or from
// two folders paired the way EGSC-IT's eval/embed_mnist.py pairs them: each folder sorted by file
// name (PNGs, then JPEGs, as its two globs concatenate), the first n files (1000 there), matched by
// rank. `ab/{i:06d}_..._to_...png` and `testA2B/{i:06d}_...png` then meet at rank i.
//
//   auto r = i2i::metrics::egscit_ssim("out/ab", "out/ba", "data/egscit/mnist_BW");   // vs testA2B/testB2A
//   std::printf("A->B %.4f ± %.4f\n", r.a2b.summary.mean, r.a2b.summary.std);
//
// SSIM against the ground truth is the intended protocol (egscit.md §9.1). The authors' committed
// script compared with the real A/B images instead; ssim_folders("out/ab", ".../testB") gives that
// literal variant. Link i2i::io.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/threads.hpp"
#include "i2i/io/image.hpp"
#include "i2i/metrics/ssim.hpp"

namespace i2i::metrics {

/// Mean and population standard deviation (numpy's np.mean / np.std) of `count` values.
struct mean_std {
  double mean = 0, std = 0;
  std::size_t count = 0;
};

inline mean_std summarize(std::span<const double> v) {
  mean_std r;
  r.count = v.size();
  if (v.empty()) return r;
  double sum = 0;
  for (double x : v) sum += x;
  r.mean = sum / double(v.size());
  double ss = 0;
  for (double x : v) ss += (x - r.mean) * (x - r.mean);
  r.std = std::sqrt(ss / double(v.size()));
  return r;
}

/// The images of a folder in the order the authors' script reads them: *.png sorted by name, then
/// *.jpg sorted by name (byte order, like Python's sorted()).
inline std::vector<std::filesystem::path> sorted_images(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  require<io_error>(fs::is_directory(dir), "sorted_images: '", dir.string(), "' is not a folder");
  std::vector<fs::path> png, jpg;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const auto ext = e.path().extension().string();
    if (ext == ".png") png.push_back(e.path());
    if (ext == ".jpg") jpg.push_back(e.path());
  }
  auto by_name = [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); };
  std::sort(png.begin(), png.end(), by_name);
  std::sort(jpg.begin(), jpg.end(), by_name);
  png.insert(png.end(), jpg.begin(), jpg.end());
  return png;
}

/// One score per pair, their summary, and the files each came from (empty for in-memory lists).
struct paired_scores {
  std::vector<double> values;
  mean_std summary;
  std::vector<std::string> outputs, references;
};

/// metric(output, reference) for every pair of two equally long image lists.
template <class Metric>
paired_scores score_pairs(std::span<const io::image> outputs, std::span<const io::image> references, Metric metric) {
  require<value_error>(outputs.size() == references.size(), "score_pairs: ", outputs.size(), " outputs but ",
                       references.size(), " references");
  paired_scores r;
  r.values.resize(outputs.size());
  parallel_for(std::int64_t(outputs.size()), 8, [&](std::int64_t b, std::int64_t e) {
    for (auto i = std::size_t(b); i < std::size_t(e); ++i) r.values[i] = metric(outputs[i], references[i]);
  });
  r.summary = summarize(r.values);
  return r;
}

/// metric(output, reference) over the first `first_n` images of two folders paired by rank (both must
/// hold at least that many; first_n = 0 takes all and needs equal counts). Images are read as RGB,
/// as scipy.misc.imread read the authors' RGB PNGs.
template <class Metric>
paired_scores score_folders(const std::filesystem::path& output_dir, const std::filesystem::path& reference_dir,
                            std::size_t first_n, Metric metric) {
  const auto outs = sorted_images(output_dir), refs = sorted_images(reference_dir);
  std::size_t n = first_n;
  if (n == 0) {
    require<value_error>(outs.size() == refs.size(), "score_folders: '", output_dir.string(), "' holds ", outs.size(),
                         " images but '", reference_dir.string(), "' holds ", refs.size());
    n = outs.size();
  }
  require<value_error>(outs.size() >= n && refs.size() >= n, "score_folders: need the first ", n, " images, but '",
                       output_dir.string(), "' holds ", outs.size(), " and '", reference_dir.string(), "' holds ",
                       refs.size());
  require<value_error>(n > 0, "score_folders: no images in '", output_dir.string(), "'");
  paired_scores r;
  r.values.resize(n);
  r.outputs.resize(n);
  r.references.resize(n);
  parallel_for(std::int64_t(n), 8, [&](std::int64_t b, std::int64_t e) {
    for (auto i = std::size_t(b); i < std::size_t(e); ++i) {
      r.outputs[i] = outs[i].string();
      r.references[i] = refs[i].string();
      const io::image x = io::read_image(r.outputs[i], 3), y = io::read_image(r.references[i], 3);
      require<shape_error>(x.width == y.width && x.height == y.height, "score_folders: '", r.outputs[i], "' is ",
                           x.width, "x", x.height, " but '", r.references[i], "' is ", y.width, "x", y.height);
      r.values[i] = metric(x, y);
    }
  });
  r.summary = summarize(r.values);
  return r;
}

/// SSIM (ssim.hpp) of every pair of two image lists.
inline paired_scores ssim_pairs(std::span<const io::image> outputs, std::span<const io::image> references,
                                const ssim_options& opt = {}) {
  return score_pairs(outputs, references, [&](const io::image& x, const io::image& y) { return ssim(x, y, opt); });
}

/// SSIM of the first `first_n` pairs of two folders (1000, as the authors).
inline paired_scores ssim_folders(const std::filesystem::path& output_dir, const std::filesystem::path& reference_dir,
                                  std::size_t first_n = 1000, const ssim_options& opt = {}) {
  return score_folders(output_dir, reference_dir, first_n,
                       [&](const io::image& x, const io::image& y) { return ssim(x, y, opt); });
}

/// Both directions of EGSC-IT's SSIM table row.
struct egscit_ssim_result {
  paired_scores a2b;  ///< ab/ (content A[i], exemplar B[i]) against testA2B/
  paired_scores b2a;  ///< ba/ against testB2A/
};

/// SSIM of `ab_dir` against `dataset_dir`/testA2B and of `ba_dir` against `dataset_dir`/testB2A over
/// the first `first_n` pairs; dataset_dir is the folder data::write_egscit_folders wrote (e.g.
/// .../mnist_BW).
inline egscit_ssim_result egscit_ssim(const std::filesystem::path& ab_dir, const std::filesystem::path& ba_dir,
                                      const std::filesystem::path& dataset_dir, std::size_t first_n = 1000,
                                      const ssim_options& opt = {}) {
  return {ssim_folders(ab_dir, dataset_dir / "testA2B", first_n, opt),
          ssim_folders(ba_dir, dataset_dir / "testB2A", first_n, opt)};
}

}  // namespace i2i::metrics
