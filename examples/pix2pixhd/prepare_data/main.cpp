// Builds pix2pixHD datasets in the reference layout (train_label, train_inst, train_img, test_*,
// classes.txt) from real images that Debian packages ship (research/data.md §4(b)):
//
//   cmake/fetch_scene_data.sh && cmake/fetch_mnist.sh
//   pix2pixhd_prepare_data photo  [--out DIR] [--sources DIR] [--width 256] [--height 128]
//                                  [--train 1000] [--test 200] [--seed 1] [--min-things 2] [--max-things 5]
//   pix2pixhd_prepare_data digits [--out DIR] [--mnist DIR] [--width 128] [--height 64]
//                                  [--train 1000] [--test 200] [--seed 1] [--min-digits 3] [--max-digits 6]
//
// photo: Tux Paint photo stamps (8 thing classes) on MATE photos and GIMP patterns (sky, vegetation,
//        ground); label_nc 12. Default out: $I2I_DATA_DIR/pix2pixhd/scenes.
// digits: MNIST digits on textured canvases; label_nc 11. Default out: $I2I_DATA_DIR/pix2pixhd/digits.
// The same seed and options give the same files. The data is generated, never committed: the sources
// are GPL (Tux Paint, MATE, GIMP) and CC BY-SA (MNIST).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "i2i/core/threads.hpp"
#include "i2i/recipes/pix2pixhd/digit_scenes.hpp"
#include "i2i/recipes/pix2pixhd/photo_scenes.hpp"
#include "program_options.hpp"

namespace {

std::string data_dir() {
  if (const char* env = std::getenv("I2I_DATA_DIR")) return env;
#ifdef I2I_DEFAULT_DATA_DIR
  return I2I_DEFAULT_DATA_DIR;
#else
  return "data";
#endif
}

void report(const i2i::data::build_summary& s, const std::string& out, double seconds) {
  std::cout << "wrote " << s.train << " train + " << s.test << " test samples of " << s.width << "x" << s.height
            << " (WxH) to " << out << " in " << seconds << " s; label_nc " << s.label_nc << "\n";
  std::int64_t total = 0;
  for (auto p : s.stats.pixels) total += p;
  std::cout << "  class            pixels%  instances\n";
  for (const auto& c : s.classes) {
    const auto id = std::size_t(c.id);
    char line[96];
    std::snprintf(line, sizeof line, "  %2d %-13s %7.2f  %9lld\n", c.id, c.name.c_str(),
                  total ? 100.0 * double(s.stats.pixels[id]) / double(total) : 0.0,
                  static_cast<long long>(s.stats.instances[id]));
    std::cout << line;
  }
}

}  // namespace

int main(int argc, char** argv) try {
  using examples::add_number;
  namespace fs = std::filesystem;
  const std::string root = data_dir();
  std::string kind, out, sources = (fs::path(root) / "scene_sources").string(),
                          mnist = (fs::path(root) / "mnist").string();
  i2i::data::photo_scene_options po;
  i2i::data::digit_scene_options dopt;
  std::optional<int> width, height;  // the defaults differ per kind
  std::optional<std::size_t> train, test;
  std::optional<std::uint64_t> seed;
  examples::command_line cli{"pix2pixhd_prepare_data", "Builds a pix2pixHD dataset (train_label, train_inst, "
                                                       "train_img, test_*, classes.txt) from real images"};
  cli.add_option("kind", kind,
                 "photo: Tux Paint photo stamps on real backgrounds (run cmake/fetch_scene_data.sh first); "
                 "digits: MNIST digit scenes (run cmake/fetch_mnist.sh first)")
      ->required()
      ->check(CLI::IsMember({"photo", "digits"}));
  cli.add_option("--out", out, "the dataset folder (default: $I2I_DATA_DIR/pix2pixhd/scenes or .../digits)");
  cli.add_option("--sources", sources, "photo: the scene sources (cmake/fetch_scene_data.sh)");
  cli.add_option("--mnist", mnist, "digits: the MNIST IDX files (cmake/fetch_mnist.sh)");
  add_number(cli, "--width", width, 1, 65536, "canvas width (photo 256, digits 128)");
  add_number(cli, "--height", height, 1, 65536, "canvas height (photo 128, digits 64)");
  add_number(cli, "--train", train, 0, examples::unlimited<std::size_t>, "training samples (1000)");
  add_number(cli, "--test", test, 0, examples::unlimited<std::size_t>, "test samples (200)");
  examples::add_seed(cli, seed, "random seed (1)");
  add_number(cli, "--min-things", po.min_things, 0, 1000, "photo: stamps per scene, at least");
  add_number(cli, "--max-things", po.max_things, 0, 1000, "photo: stamps per scene, at most");
  add_number(cli, "--min-digits", dopt.min_digits, 0, 1000, "digits: digits per canvas, at least");
  add_number(cli, "--max-digits", dopt.max_digits, 0, 1000, "digits: digits per canvas, at most");
  examples::add_threads(cli);
  if (const auto status = cli.parse(argc, argv)) return *status;
  if (out.empty()) out = (fs::path(root) / "pix2pixhd" / (kind == "photo" ? "scenes" : "digits")).string();
  if (width) po.width = dopt.width = *width;
  if (height) po.height = dopt.height = *height;
  if (train) po.train_count = dopt.train_count = *train;
  if (test) po.test_count = dopt.test_count = *test;
  if (seed) po.seed = dopt.seed = *seed;
  const auto t0 = std::chrono::steady_clock::now();
  i2i::data::scene_sources used;
  const auto summary = kind == "photo" ? i2i::data::build_photo_scenes(sources, out, po, &used)
                                       : i2i::data::build_digit_scenes(mnist, out, dopt);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  {
    std::ofstream info(fs::path(out) / "dataset.txt");
    info << "made by pix2pixhd_prepare_data " << kind << "\n"
         << "size " << summary.width << "x" << summary.height << " (WxH), train " << summary.train << ", test "
         << summary.test << ", seed " << (kind == "photo" ? po.seed : dopt.seed) << ", label_nc " << summary.label_nc
         << "\n"
         << (kind == "photo" ? "sources: Debian tuxpaint-stamps-default (GPL-2), mate-backgrounds (GPL-2+), gimp-data "
                               "(GPL-2+/GPL-3+) under "  + sources
                             : "sources: MNIST (CC BY-SA 3.0) in " + mnist)
         << "\ntrain with: --label_nc " << summary.label_nc << " --loadSize " << summary.width << " --fineSize "
         << summary.width << " --resize_or_crop none (or scale_width)\n";
  }
  report(summary, out, seconds);
  if (kind == "photo") {
    std::size_t stuff = 0;
    for (const auto& v : used.stuff) stuff += v.size();
    std::cout << "  from " << used.stamps.size() << " photo stamps (" << used.split[0].size() << " train, "
              << used.split[1].size() << " test only) and " << stuff << " background sources\n";
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "pix2pixhd_prepare_data: " << e.what() << "\n";
  return 1;
}
