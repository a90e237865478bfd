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
#include <string>

#include "i2i/core/threads.hpp"
#include "i2i/recipes/pix2pixhd/digit_scenes.hpp"
#include "i2i/recipes/pix2pixhd/photo_scenes.hpp"

namespace {

std::string data_dir() {
  if (const char* env = std::getenv("I2I_DATA_DIR")) return env;
#ifdef I2I_DEFAULT_DATA_DIR
  return I2I_DEFAULT_DATA_DIR;
#else
  return "data";
#endif
}

void usage() {
  std::cerr << "usage: pix2pixhd_prepare_data photo|digits [--out DIR] [--sources DIR] [--mnist DIR]\n"
               "         [--width W] [--height H] [--train N] [--test N] [--seed S]\n"
               "         [--min-things N] [--max-things N] [--min-digits N] [--max-digits N] [--threads N]\n"
               "  photo : Tux Paint photo stamps on real backgrounds (run cmake/fetch_scene_data.sh first)\n"
               "  digits: MNIST digit scenes (run cmake/fetch_mnist.sh first)\n";
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
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    usage();
    return argc < 2 ? 2 : 0;
  }
  const std::string kind = argv[1];
  if (kind != "photo" && kind != "digits") {
    usage();
    return 2;
  }
  namespace fs = std::filesystem;
  const std::string root = data_dir();
  std::string out = (fs::path(root) / "pix2pixhd" / (kind == "photo" ? "scenes" : "digits")).string();
  std::string sources = (fs::path(root) / "scene_sources").string(), mnist = (fs::path(root) / "mnist").string();
  i2i::data::photo_scene_options po;
  i2i::data::digit_scene_options dopt;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw i2i::value_error("pix2pixhd_prepare_data: " + a + " needs a value");
      return argv[++i];
    };
    auto next_int = [&]() {
      const std::string v = next();
      std::size_t used = 0;
      long long x = 0;
      try {
        x = std::stoll(v, &used);
      } catch (const std::exception&) {
      }
      if (used == 0 || used != v.size()) throw i2i::value_error("pix2pixhd_prepare_data: " + a + " needs an integer, got '" + v + "'");
      return x;
    };
    if (a == "--out") out = next();
    else if (a == "--sources") sources = next();
    else if (a == "--mnist") mnist = next();
    else if (a == "--width") po.width = dopt.width = int(next_int());
    else if (a == "--height") po.height = dopt.height = int(next_int());
    else if (a == "--train") po.train_count = dopt.train_count = std::size_t(next_int());
    else if (a == "--test") po.test_count = dopt.test_count = std::size_t(next_int());
    else if (a == "--seed") po.seed = dopt.seed = std::uint64_t(next_int());
    else if (a == "--min-things") po.min_things = int(next_int());
    else if (a == "--max-things") po.max_things = int(next_int());
    else if (a == "--min-digits") dopt.min_digits = int(next_int());
    else if (a == "--max-digits") dopt.max_digits = int(next_int());
    else if (a == "--threads") i2i::set_num_threads(int(next_int()));
    else {
      usage();
      throw i2i::value_error("pix2pixhd_prepare_data: unknown option '" + a + "'");
    }
  }
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
