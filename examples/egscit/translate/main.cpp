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
#include <string>
#include <vector>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/io/png.hpp"
#include "i2i/recipes/egscit/grid.hpp"
#include "i2i/recipes/egscit/load.hpp"
#include "egscit_options.hpp"

namespace {

using namespace i2i;
using namespace i2i::egscit;

}  // namespace

int main(int argc, char** argv) try {
  std::string model, from, out, content, exemplar;
  std::vector<std::string> content_list, exemplar_list;
  bool grid = false;
  std::uint64_t seed = 0;
  examples::egscit_flags::override_flags over;
  examples::command_line cli{"egscit_translate", "Translates with a trained model (egscit_train's stage-2 output, "
                                                 "or a UNIT / CycleGAN / MUNIT run)"};
  cli.add_option("--model", model, "the checkpoint folder")->required();
  cli.add_option("--from", from, "the content image's domain (A: output in domain B in the exemplar's style)")
      ->required()
      ->check(CLI::IsMember({"A", "B"}));
  cli.add_option("--out", out, "the output PNG")->required();
  auto* content_opt = cli.add_option("--content", content, "the content image");
  auto* exemplar_opt = cli.add_option("--exemplar", exemplar, "the exemplar image");
  const std::string group = "Grid (one row per content image, one column per exemplar)";
  auto* grid_opt = cli.add_flag("--grid", grid, "write a grid instead of one image")->group(group);
  cli.add_option("--contents", content_list, "comma-separated content images")
      ->delimiter(',')
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->group(group)
      ->needs(grid_opt);
  cli.add_option("--exemplars", exemplar_list, "comma-separated exemplar images")
      ->delimiter(',')
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->group(group)
      ->needs(grid_opt);
  examples::add_seed(cli, seed, "the test-time noise's seed");
  examples::egscit_flags::add_overrides(cli, over);
  if (const auto status = cli.parse(argc, argv)) return *status;
  if (!grid)
    for (const auto* o : {content_opt, exemplar_opt})
      require<value_error>(o->count() != 0, "egscit_translate: ", o->get_name(), " is required (or --grid)");
  const auto m = load_translator(model, over.apply());
  std::cout << "model " << m.info.options.kind << ", ablation " << ablation_name(m.info.options) << ", config "
            << m.info.config << ", iteration " << m.info.iteration << "\n";
  const domain from_domain = from == "B" ? domain::B : domain::A;
  auto run1 = [&](const io::image& c, const io::image& e) {
    return io::to_image(m.translate(io::to_tensor(c), from_domain, io::to_tensor(e), seed));
  };
  if (!grid) {
    const auto c = io::read_image(content, 3), e = io::read_image(exemplar, 3);
    io::write_png(out, run1(c, e));
    std::cout << "wrote " << out << "\n";
    return 0;
  }
  require<value_error>(!content_list.empty() && !exemplar_list.empty(),
                       "egscit_translate: --grid needs --contents and --exemplars");
  std::vector<io::image> cs, ex;
  for (const auto& p : content_list) cs.push_back(io::read_image(p, 3));
  for (const auto& p : exemplar_list) ex.push_back(io::read_image(p, 3));
  io::write_png(out, exemplar_grid(cs, ex, run1));
  std::cout << "wrote " << content_list.size() << " x " << exemplar_list.size() << " grid to " << out << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
