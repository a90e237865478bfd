// i2i_export: a trained checkpoint as an ONNX file (docs/onnx.md), for OpenCV DNN, onnxruntime, TensorRT.
//
//   i2i_export --model checkpoints/label2city --onnx G.onnx [--size 512x1024]      pix2pixHD G (global or local)
//   i2i_export --model checkpoints/label2city --net D --onnx D.onnx                 its multiscale discriminator
//   i2i_export --model checkpoints/label2city --net E --onnx E.onnx                 its feature encoder
//   i2i_export --model runs/egscit_street --onnx a2b.onnx [--direction b2a] [--no-noise]   EGSC-IT translator
//
// The kind of model and its architecture come from the checkpoint's metadata, as for pix2pixhd_test and
// egscit_translate: a pix2pixHD folder holds <epoch>_net_G.safetensors (G's input is the label channels,
// the boundary map unless --no_instance, and the features with --instance_feat, already concatenated:
// the one-hot encoding and the instance pooling stay outside the graph); an EGSC-IT or UNIT folder holds
// E_A.safetensors and is loaded by the translator loader's path (egscit/load.hpp).
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>

#include "../pix2pixhd/cli.hpp"
#include "pix2pixhd_options.hpp"
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/io/checkpoint.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/recipes/egscit/load.hpp"
#include "i2i/onnx/egscit_translator.hpp"
#include "i2i/onnx/export.hpp"

namespace {

using namespace i2i;
namespace fs = std::filesystem;
using B = cpu_backend<float>;

/// The command line (i2i_export --help).
struct export_args {
  std::string model, onnx, size, net = "G", which_epoch = "latest", direction = "a2b", exemplar_size;
  bool dynamic = false, no_noise = false;
};

struct size2 {
  std::int64_t h = 0, w = 0;
};

size2 parse_size(const std::string& s, const char* what) {
  const auto x = s.find('x');
  require<value_error>(x != std::string::npos && x > 0 && x + 1 < s.size(), what, " '", s,
                       "' is not HxW (e.g. 256x512)");
  size2 r;
  try {
    r.h = std::stoll(s.substr(0, x));
    r.w = std::stoll(s.substr(x + 1));
  } catch (const std::exception&) {
    throw value_error(i2i::detail::concat(what, " '", s, "' is not HxW (e.g. 256x512)"));
  }
  require<value_error>(r.h > 0 && r.w > 0, what, " '", s, "' must be positive");
  return r;
}

void report(const std::string& path, const onnx::export_summary& s) {
  std::cout << "Wrote " << path << ": " << s.initializer_elements << " initializer values; ops";
  for (const auto& [op, n] : s.op_counts) std::cout << " " << op << " x" << n;
  std::cout << "\n";
}

template <class Model>
void load_and_export(Model& m, const std::string& checkpoint, const shape& in, const std::string& out,
                     const onnx::export_options& o) {
  load_model(m, checkpoint);  // strict: every key of this configuration
  m.eval();
  report(out, onnx::export_model(m, in, out, o));
}

int export_pix2pixhd(const export_args& a, const fs::path& dir, const std::string& g_path,
                     onnx::export_options o) {
  const auto meta = io::read_checkpoint_metadata(g_path);
  auto text = [&](const char* k) {
    auto it = meta.find(k);
    require<io_error>(it != meta.end(), "'", g_path, "' has no metadata '", k, "'");
    return it->second;
  };
  pix2pixhd::train_options t;
  t.preset = text("preset");
  t.netG = text("netG");
  t.data.label_nc = std::stoi(text("label_nc"));
  t.data.no_instance = text("no_instance") == "1";
  t.instance_feat = text("instance_feat") == "1";
  const std::string net = a.net, epoch = a.which_epoch;
  const std::int64_t fine = std::stoll(text("fineSize"));
  const size2 sz = !a.size.empty() ? parse_size(a.size, "--size") : size2{fine, fine};
  const std::string out = a.onnx;
  p2phd_cli::dispatch(t, [&]<class Cfg>() {
    std::cout << "pix2pixHD " << Cfg::preset::name << ", netG " << (Cfg::local ? "local" : "global") << ", "
              << Cfg::label_channels << " label channels" << (Cfg::feat ? " + features" : "") << ": exporting " << net
              << " at " << sz.h << "x" << sz.w << "\n";
    if (net == "G") {
      require<value_error>(sz.h % Cfg::size_multiple == 0 && sz.w % Cfg::size_multiple == 0, "--size ",
                           sz.h, "x", sz.w, " must be a multiple of ", Cfg::size_multiple, " for this generator");
      model<typename Cfg::generator, B> G;
      load_and_export(G, g_path, shape::nchw(1, Cfg::g_in, sz.h, sz.w), out, o);
    } else if (net == "D") {
      model<typename Cfg::discriminator, B> D;
      load_and_export(D, (dir / (epoch + "_net_D.safetensors")).string(), shape::nchw(1, Cfg::d_in, sz.h, sz.w), out, o);
    } else {
      require<value_error>(Cfg::feat, "'", dir.string(), "' was trained without --instance_feat: no E");
      model<typename Cfg::feature_encoder, B> E;
      load_and_export(E, (dir / (epoch + "_net_E.safetensors")).string(), shape::nchw(1, 3, sz.h, sz.w), out, o);
    }
  });
  return 0;
}

int export_egscit(const export_args& a, const fs::path& dir, const onnx::export_options& base) {
  auto info = egscit::read_checkpoint_info(dir);
  egscit::train_options o = info.options;
  require<value_error>(o.kind == egscit::model_kind::egscit || o.kind == egscit::model_kind::unit, "'",
                       dir.string(), "' holds a ", o.kind,
                       " model; the exporter covers the EGSC-IT translator (and UNIT, its ablation)");
  o.perceptual = false;  // inference needs no perceptual network (as egscit::load_translator_as)
  o.vgg.allow_substitute = true;
  o.config_name = info.config;
  const std::string direction = a.direction;
  onnx::translator_export_options t;
  static_cast<onnx::export_options&>(t) = base;
  t.latent_noise = o.noise_test && !a.no_noise;
  const size2 def = info.config == "mnist" ? size2{28, 28} : size2{256, 256};
  const size2 sz = !a.size.empty() ? parse_size(a.size, "--size") : def;
  const size2 ez = !a.exemplar_size.empty() ? parse_size(a.exemplar_size, "--exemplar_size") : sz;
  const std::string out = a.onnx;
  return egscit::with_named_config(info.config, [&]<class Cfg, class Dis>() {
    egscit::stage2_trainer<Cfg, B, Dis> trainer(o, [](const std::string&) {});
    trainer.load(dir, false);
    std::cout << "EGSC-IT (" << o.kind << ", configuration " << info.config << ", iteration " << info.iteration
              << "): exporting the " << direction << " translator at " << sz.h << "x" << sz.w
              << (t.latent_noise ? " with a latent noise input" : " without latent noise") << "\n";
    report(out, onnx::export_translator(trainer.net, direction == "a2b" ? onnx::translation::a_to_b
                                                                         : onnx::translation::b_to_a,
                                        o.transfer, shape::nchw(1, 3, sz.h, sz.w), shape::nchw(1, 3, ez.h, ez.w), out, t));
    return 0;
  });
}

}  // namespace

int main(int argc, char** argv) try {
  export_args a;
  examples::command_line cli{"i2i_export", "Exports a trained pix2pixHD network or EGSC-IT translator to ONNX"};
  cli.add_option("--model", a.model, "the checkpoint folder (pix2pixhd_train's or egscit_train's)")->required();
  cli.add_option("--onnx", a.onnx, "the ONNX file to write")->required();
  cli.add_option("--size", a.size, "the input's HxW (default: training's fineSize; EGSC-IT: 28x28 or 256x256)");
  cli.add_flag("--dynamic", a.dynamic, "make the batch, height and width symbolic (N, <input>_H, <input>_W)");
  const std::string p2phd = "pix2pixHD", egscit = "EGSC-IT";
  cli.add_option("--net", a.net, "which network")->check(CLI::IsMember({"G", "D", "E"}))->group(p2phd);
  examples::pix2pixhd_flags::add_which_epoch(cli, a.which_epoch)->group(p2phd);
  cli.add_option("--direction", a.direction, "which translator")->check(CLI::IsMember({"a2b", "b2a"}))->group(egscit);
  cli.add_flag("--no-noise", a.no_noise, "no latent noise input")->group(egscit);
  cli.add_option("--exemplar_size", a.exemplar_size, "the exemplar's HxW (default: --size)")->group(egscit);
  if (const auto status = cli.parse(argc, argv)) return *status;
  onnx::export_options o;
  o.dynamic_batch = o.dynamic_size = a.dynamic;
  const fs::path dir = a.model;
  require<io_error>(fs::is_directory(dir), "'", dir.string(), "' is not a folder");
  const fs::path g = dir / (a.which_epoch + "_net_G.safetensors");
  if (fs::exists(g)) return export_pix2pixhd(a, dir, g.string(), o);
  if (fs::exists(dir / "E_A.safetensors")) return export_egscit(a, dir, o);
  throw io_error(i2i::detail::concat("'", dir.string(), "' holds neither a pix2pixHD checkpoint (",
                                     g.filename().string(), ") nor an EGSC-IT one (E_A.safetensors)"));
} catch (const std::exception& e) {
  std::cerr << "i2i_export: " << e.what() << "\n";
  return 1;
}
