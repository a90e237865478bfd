// Translates with a trained EGSC-IT model (egscit_train --stage 2 output):
//
//   egscit_translate --model DIR --from A --content a.png --exemplar b.png --out ab.png
//   egscit_translate --model DIR --from A --grid --contents a1.png,a2.png --exemplars b1.png,b2.png,b3.png
//                    --out grid.png
//
// --from names the content image's domain (A: output in domain B in the exemplar's style). The grid has
// one row per content image and one column per exemplar; the first row shows the exemplars and the first
// column the contents. --config mnist|street|small must match training. Latent noise is added at test time
// as in the reference unless --no-noise-test; --seed picks the noise.
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "i2i/io/png.hpp"
#include "i2i/models/egscit/trainer.hpp"

namespace {

using namespace i2i;
using namespace i2i::egscit;

using small = config<1, 8, 1>;
using small_dis = discriminator<3, 8, 3>;

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> r;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) r.push_back(item);
  return r;
}

template <class Cfg, class Dis>
int translate(const std::map<std::string, std::string>& a, bool grid, bool noise) {
  train_options o;
  o.perceptual = false;  // inference needs no perceptual network
  o.noise_test = noise;
  if (a.count("--eps")) o.transfer.eps = std::stod(a.at("--eps"));
  if (a.count("--ablation")) {
    const auto& ab = a.at("--ablation");
    o = with_ablation(o, ab == "no_mask" ? ablation::no_feature_mask : ab == "no_adain" ? ablation::no_adain : ablation::none);
  }
  auto t = std::make_unique<stage2_trainer<Cfg, cpu_backend<float>, Dis>>(o, [](const std::string&) {});
  t->load(a.at("--model"), false);
  const domain from = a.at("--from") == "B" ? domain::B : domain::A;
  const std::uint64_t seed = a.count("--seed") ? std::stoull(a.at("--seed")) : 0;
  auto run1 = [&](const io::image& c, const io::image& e) {
    const auto y = t->translate(io::to_tensor(c), from, io::to_tensor(e), seed);
    return io::to_image(y);
  };
  if (!grid) {
    const auto c = io::read_image(a.at("--content"), 3), e = io::read_image(a.at("--exemplar"), 3);
    io::write_png(a.at("--out"), run1(c, e));
    std::cout << "wrote " << a.at("--out") << "\n";
    return 0;
  }
  const auto contents = split_list(a.at("--contents")), exemplars = split_list(a.at("--exemplars"));
  require<value_error>(!contents.empty() && !exemplars.empty(), "egscit_translate: --grid needs --contents and --exemplars");
  std::vector<io::image> cells;
  const auto first = io::read_image(contents[0], 3);
  cells.emplace_back(first.width, first.height, 3, std::uint8_t(255));  // top-left corner: blank
  std::vector<io::image> ex;
  for (const auto& p : exemplars) {
    ex.push_back(io::read_image(p, 3));
    cells.push_back(ex.back());
  }
  for (const auto& p : contents) {
    const auto c = io::read_image(p, 3);
    cells.push_back(c);
    for (const auto& e : ex) cells.push_back(run1(c, e));
  }
  io::write_png(a.at("--out"), io::make_grid(std::span<const io::image>(cells), int(exemplars.size()) + 1));
  std::cout << "wrote " << contents.size() << " x " << exemplars.size() << " grid to " << a.at("--out") << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) try {
  std::map<std::string, std::string> a;
  bool grid = false, noise = true;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--grid") grid = true;
    else if (k == "--no-noise-test") noise = false;
    else if (k.rfind("--", 0) == 0 && i + 1 < argc) a[k] = argv[++i];
    else throw value_error("egscit_translate: unexpected argument '" + k + "'");
  }
  for (const char* k : {"--model", "--from", "--out"})
    require<value_error>(a.count(k) != 0, "egscit_translate: ", k, " is required");
  if (!grid)
    for (const char* k : {"--content", "--exemplar"})
      require<value_error>(a.count(k) != 0, "egscit_translate: ", k, " is required (or --grid)");
  const std::string cfg = a.count("--config") ? a.at("--config") : "mnist";
  if (cfg == "mnist") return translate<mnist, discriminator<>>(a, grid, noise);
  if (cfg == "street") return translate<street, discriminator<>>(a, grid, noise);
  if (cfg == "small") return translate<small, small_dis>(a, grid, noise);
  throw value_error("egscit_translate: unknown --config '" + cfg + "'");
} catch (const std::exception& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
