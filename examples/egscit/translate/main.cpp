// Translates with a trained model (egscit_train's stage-2 output, or a UNIT / CycleGAN / MUNIT run):
//
//   egscit_translate --model DIR --from A --content a.png --exemplar b.png --out ab.png
//   egscit_translate --model DIR --from A --grid --contents a1.png,a2.png --exemplars b1.png,b2.png,b3.png
//                    --out grid.png
//
// --from names the content image's domain (A: output in domain B in the exemplar's style). The grid has
// one row per content image and one column per exemplar; the first row shows the exemplars and the first
// column the contents. The model kind, ablation, configuration, AdaIN eps and test-time noise come from
// the checkpoint's metadata; --config mnist|street|small|medium, --ablation, --eps and --no-noise-test
// override them (checkpoints written before the metadata existed need --config when not "mnist"). Latent
// noise is added at test time as in the reference unless switched off; --seed picks the noise.
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/io/png.hpp"
#include "i2i/recipes/egscit/grid.hpp"
#include "i2i/recipes/egscit/load.hpp"

namespace {

using namespace i2i;
using namespace i2i::egscit;

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> r;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) r.push_back(item);
  return r;
}

}  // namespace

int main(int argc, char** argv) try {
  std::map<std::string, std::string> a;
  bool grid = false, noise_off = false;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--grid") grid = true;
    else if (k == "--no-noise-test") noise_off = true;
    else if (k.rfind("--", 0) == 0 && i + 1 < argc) a[k] = argv[++i];
    else throw value_error("egscit_translate: unexpected argument '" + k + "'");
  }
  for (const char* k : {"--model", "--from", "--out"})
    require<value_error>(a.count(k) != 0, "egscit_translate: ", k, " is required");
  if (!grid)
    for (const char* k : {"--content", "--exemplar"})
      require<value_error>(a.count(k) != 0, "egscit_translate: ", k, " is required (or --grid)");
  load_overrides over;
  if (a.count("--config")) over.config = a.at("--config");
  if (a.count("--ablation")) over.ablation = a.at("--ablation");
  if (a.count("--eps")) over.eps = std::stod(a.at("--eps"));
  if (noise_off) over.noise_test = false;
  const auto m = load_translator(a.at("--model"), over);
  std::cout << "model " << m.info.options.kind << ", ablation " << ablation_name(m.info.options) << ", config "
            << m.info.config << ", iteration " << m.info.iteration << "\n";
  const domain from = a.at("--from") == "B" ? domain::B : domain::A;
  const std::uint64_t seed = a.count("--seed") ? std::stoull(a.at("--seed")) : 0;
  auto run1 = [&](const io::image& c, const io::image& e) {
    return io::to_image(m.translate(io::to_tensor(c), from, io::to_tensor(e), seed));
  };
  if (!grid) {
    const auto c = io::read_image(a.at("--content"), 3), e = io::read_image(a.at("--exemplar"), 3);
    io::write_png(a.at("--out"), run1(c, e));
    std::cout << "wrote " << a.at("--out") << "\n";
    return 0;
  }
  const auto contents = split_list(a.count("--contents") ? a.at("--contents") : "");
  const auto exemplars = split_list(a.count("--exemplars") ? a.at("--exemplars") : "");
  require<value_error>(!contents.empty() && !exemplars.empty(), "egscit_translate: --grid needs --contents and --exemplars");
  std::vector<io::image> cs, ex;
  for (const auto& p : contents) cs.push_back(io::read_image(p, 3));
  for (const auto& p : exemplars) ex.push_back(io::read_image(p, 3));
  io::write_png(a.at("--out"), exemplar_grid(cs, ex, run1));
  std::cout << "wrote " << contents.size() << " x " << exemplars.size() << " grid to " << a.at("--out") << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
