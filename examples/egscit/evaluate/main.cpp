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
#include "egscit_options.hpp"

namespace {

using namespace i2i;
using namespace i2i::egscit;

}  // namespace

int main(int argc, char** argv) try {
  using examples::add_number;
  evaluation_report rep;
  std::string json, grid_path;
  std::size_t grid_size = 8;
  bool no_stretch = false;
  examples::egscit_flags::override_flags over;
  examples::command_line cli{"egscit_evaluate", "Scores a trained model on the test split (egscit.md §10)"};
  cli.add_option("--model", rep.model_dir, "the checkpoint folder")->required();
  cli.add_option("--data", rep.data_dir, "the dataset (egscit_prepare_data's layout)")->required();
  add_number(cli, "--count", rep.options.count, 1, examples::unlimited<std::size_t>, "test records per direction");
  add_number(cli, "--first", rep.options.first, 0, examples::unlimited<std::size_t>,
             "the first record (records first..first+count-1)");
  add_number(cli, "--batch", rep.options.batch, 1, 65536, "images per forward");
  cli.add_option("--json", json, "also write the report here");
  cli.add_option("--grid", grid_path, "write a K x K exemplar grid here");
  add_number(cli, "--grid-size", grid_size, 1, 1024, "K");
  cli.add_flag("--reference", rep.options.reference, "also score the reference translations");
  cli.add_flag("--no-stretch", no_stretch, "no min-max stretch of the outputs");
  examples::egscit_flags::add_overrides(cli, over);
  if (const auto status = cli.parse(argc, argv)) return *status;
  rep.options.stretch = !no_stretch;
  const bool stretch = rep.options.stretch;
  const auto t0 = std::chrono::steady_clock::now();
  const auto m = load_translator(rep.model_dir, over.apply());

  rep.model = to_string(m.info.options.kind);
  rep.ablation = ablation_name(m.info.options);
  rep.config = m.info.config;
  rep.iterations = m.info.iteration;
  rep.ab = evaluate_direction(m.translate, pair_test_folders(rep.data_dir, domain::A, rep.options.count, rep.options.first),
                              rep.options);
  rep.ba = evaluate_direction(m.translate, pair_test_folders(rep.data_dir, domain::B, rep.options.count, rep.options.first),
                              rep.options);
  std::cout << to_text(rep);
  if (!json.empty()) {
    std::ofstream f(json);
    require<io_error>(bool(f), "egscit_evaluate: cannot write '", json, "'");
    f << to_json(rep);
    std::cout << "wrote " << json << "\n";
  }
  if (!grid_path.empty()) {
    const std::size_t k = grid_size;
    const auto p = pair_test_folders(rep.data_dir, domain::A, k);
    std::vector<io::image> src, ex;
    for (std::size_t i = 0; i < k; ++i) {
      src.push_back(io::read_image(p.sources[i], 3));
      ex.push_back(io::read_image(p.exemplars[i], 3));
    }
    const auto grid = exemplar_grid(src, ex, [&](const io::image& s, const io::image& e) {
      return evaluation_image(m.translate(io::to_tensor(s), domain::A, io::to_tensor(e), 0), 0, stretch);
    });
    io::write_png(grid_path, grid);
    std::cout << "wrote " << k << " x " << k << " exemplar grid to " << grid_path << "\n";
  }
  std::cout << "took " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
