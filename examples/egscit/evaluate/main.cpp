// SSIM of a trained EGSC-IT, UNIT, CycleGAN or MUNIT model on MNIST-Single's test pairs (docs/egscit.md,
// research/egscit.md §9.1):
//
//   egscit_evaluate --model runs/unit --data data/egscit/mnist_BW [--count 1000] [--json unit.json]
//                   [--grid grid.png] [--grid-size 8] [--reference] [--no-stretch] [--batch 8]
//                   [--config NAME] [--eps E] [--no-noise-test] [--ablation NAME]
//
// The model's kind, ablation and configuration come from the checkpoint's metadata; the flags after
// --batch override them (for checkpoints written before the metadata existed). testA[i] is translated with
// exemplar testB[i] and compared with testA2B[i], B -> A likewise with testB2A[i] (first N files of each
// folder by sorted name, paired by rank); outputs are min-max stretched as scipy.misc.imsave did unless
// --no-stretch. --reference adds SSIM(source, GT) and SSIM(exemplar, GT). --grid writes A -> B for the first
// --grid-size sources (rows) and exemplars (columns).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/io/png.hpp"
#include "i2i/recipes/egscit/evaluate.hpp"
#include "i2i/recipes/egscit/grid.hpp"
#include "i2i/recipes/egscit/load.hpp"

namespace {

using namespace i2i;
using namespace i2i::egscit;

void usage() {
  std::cerr << "usage: egscit_evaluate --model DIR --data DIR [--count N] [--first K (0; records K..K+N-1)]\n"
               "                       [--json FILE] [--grid FILE]\n"
               "                       [--grid-size K] [--reference] [--no-stretch] [--batch B]\n"
               "                       [--config mnist|street|small|medium] [--eps E] [--no-noise-test]\n"
               "                       [--ablation NAME]\n";
}

}  // namespace

int main(int argc, char** argv) try {
  std::map<std::string, std::string> a;
  bool reference = false, stretch = true, noise_off = false;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--reference") reference = true;
    else if (k == "--no-stretch") stretch = false;
    else if (k == "--no-noise-test") noise_off = true;
    else if (k == "--help" || k == "-h") {
      usage();
      return 0;
    } else if (k.rfind("--", 0) == 0 && i + 1 < argc) a[k] = argv[++i];
    else throw value_error("egscit_evaluate: unexpected argument '" + k + "'");
  }
  if (!a.count("--model") || !a.count("--data")) {
    usage();
    return 2;
  }
  load_overrides over;
  if (a.count("--config")) over.config = a.at("--config");
  if (a.count("--ablation")) over.ablation = a.at("--ablation");
  if (a.count("--eps")) over.eps = std::stod(a.at("--eps"));
  if (noise_off) over.noise_test = false;
  const auto t0 = std::chrono::steady_clock::now();
  const auto m = load_translator(a.at("--model"), over);

  evaluation_report rep;
  rep.model = to_string(m.info.options.kind);
  rep.ablation = ablation_name(m.info.options);
  rep.config = m.info.config;
  rep.iterations = m.info.iteration;
  rep.model_dir = a.at("--model");
  rep.data_dir = a.at("--data");
  rep.options.count = std::stoul(a.count("--count") ? a.at("--count") : "1000");
  rep.options.first = std::stoul(a.count("--first") ? a.at("--first") : "0");
  rep.options.batch = std::stoi(a.count("--batch") ? a.at("--batch") : "8");
  rep.options.stretch = stretch;
  rep.options.reference = reference;
  rep.ab = evaluate_direction(m.translate, pair_test_folders(rep.data_dir, domain::A, rep.options.count, rep.options.first),
                              rep.options);
  rep.ba = evaluate_direction(m.translate, pair_test_folders(rep.data_dir, domain::B, rep.options.count, rep.options.first),
                              rep.options);
  std::cout << to_text(rep);
  if (a.count("--json")) {
    std::ofstream f(a.at("--json"));
    require<io_error>(bool(f), "egscit_evaluate: cannot write '", a.at("--json"), "'");
    f << to_json(rep);
    std::cout << "wrote " << a.at("--json") << "\n";
  }
  if (a.count("--grid")) {
    const std::size_t k = std::stoul(a.count("--grid-size") ? a.at("--grid-size") : "8");
    const auto p = pair_test_folders(rep.data_dir, domain::A, k);
    std::vector<io::image> src, ex;
    for (std::size_t i = 0; i < k; ++i) {
      src.push_back(io::read_image(p.sources[i], 3));
      ex.push_back(io::read_image(p.exemplars[i], 3));
    }
    const auto grid = exemplar_grid(src, ex, [&](const io::image& s, const io::image& e) {
      return evaluation_image(m.translate(io::to_tensor(s), domain::A, io::to_tensor(e), 0), 0, stretch);
    });
    io::write_png(a.at("--grid"), grid);
    std::cout << "wrote " << k << " x " << k << " exemplar grid to " << a.at("--grid") << "\n";
  }
  std::cout << "took " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
