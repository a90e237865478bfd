// i2i: the library's command-line tool. Subcommands:
//
//   i2i translate --model PATH --input FILE_OR_FOLDER --output DIR [--gpu | --device cuda:N]
//       pix2pixHD: PATH is a *_net_G.safetensors file or a folder with latest_net_G.safetensors; the
//       inputs are label maps, and each one's instance map comes from --instance or, by the datasets'
//       convention, from the sibling folder <phase>_inst of a <phase>_label folder, paired by sorted
//       order (as pix2pixhd_train's aligned dataset pairs them).
//       EGSC-IT family: PATH is egscit_train's checkpoint folder; the inputs are source images and
//       --exemplar FILE_OR_FOLDER gives one exemplar for all or one per source (sorted order).
//   Writes DIR/<input stem>.png per input; a progress bar with ETA on a terminal, one line per image
//   otherwise. Errors name the file.
//
//   i2i export --model DIR --onnx FILE [--size HxW] [--net G|D|E] [--dynamic] ...
//       a trained checkpoint as an ONNX file (docs/onnx.md). The exporter compiles every pix2pixHD and
//       EGSC-IT configuration with the ONNX writer (protobuf), so it stays its own program, i2i_export,
//       installed next to this one; `i2i export ARGS` runs it with ARGS, as git runs git-<command>. Its
//       options and --help are i2i_export's.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "i2i/data/aligned_dataset.hpp"  // list_images, and rgb_to_chw for label_nc 0 (the loader's numbers)
#include "i2i/translator.hpp"
#include "progress.hpp"

namespace {

namespace fs = std::filesystem;
using namespace i2i;

struct translate_options {
  std::string model, input, output, instance, exemplar, device_text = "cpu", from = "A";
  bool gpu = false;
  std::uint64_t seed = 0;
};

/// The input files: the file itself, or every PNG/JPEG under the folder, sorted.
std::vector<std::string> inputs_of(const std::string& path, const char* what) {
  require<io_error>(fs::exists(path), "i2i translate: ", what, " '", path, "' does not exist");
  if (!fs::is_directory(path)) return {path};
  auto files = data::list_images(path, std::string("i2i translate: ") + what + " folder");
  require<io_error>(!files.empty(), "i2i translate: ", what, " folder '", path, "' holds no PNG or JPEG file");
  return files;
}

/// Partners of `inputs` from `partner` (a file for all, or a folder paired by sorted order).
std::vector<std::string> partners_of(const std::vector<std::string>& inputs, const std::string& input,
                                     const std::string& partner, const char* what) {
  if (!fs::is_directory(partner)) {
    require<io_error>(fs::is_regular_file(partner), "i2i translate: ", what, " '", partner, "' does not exist");
    return std::vector<std::string>(inputs.size(), partner);
  }
  auto files = inputs_of(partner, what);
  if (!fs::is_directory(input)) {  // one input file: its rank among its folder's files picks the partner
    const auto siblings = data::list_images(fs::path(input).parent_path().string());
    const auto it = std::find(siblings.begin(), siblings.end(), input);
    const std::size_t rank = std::size_t(it - siblings.begin());
    require<io_error>(siblings.size() == files.size() && it != siblings.end(), "i2i translate: cannot pair '", input,
                      "' with a file of ", what, " folder '", partner, "' (", siblings.size(), " vs ", files.size(),
                      " files; they are paired by sorted order)");
    return {files[rank]};
  }
  require<io_error>(files.size() == inputs.size(), "i2i translate: '", input, "' holds ", inputs.size(),
                    " files but ", what, " folder '", partner, "' holds ", files.size(),
                    "; they are paired by sorted order, so the counts must match");
  return files;
}

/// The instance maps' folder by the datasets' convention: <phase>_label -> <phase>_inst.
std::optional<std::string> conventional_instance_folder(const std::string& input) {
  const fs::path dir = fs::is_directory(input) ? fs::path(input) : fs::path(input).parent_path();
  std::string name = fs::path(dir).filename().string();
  if (name.empty()) name = dir.parent_path().filename().string();  // a trailing slash
  const std::string suffix = "_label";
  if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return std::nullopt;
  const fs::path inst = fs::absolute(dir).lexically_normal().parent_path() /
                        (name.substr(0, name.size() - suffix.size()) + "_inst");
  if (!fs::is_directory(inst)) return std::nullopt;
  return inst.string();
}

std::string output_for(const translate_options& o, const std::string& input) {
  return (fs::path(o.output) / (fs::path(input).stem().string() + ".png")).string();
}

template <class F>
void for_each_input(const std::vector<std::string>& inputs, F&& translate_one) {
  i2i_cli::progress bar(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    try {
      translate_one(i);
    } catch (const i2i::error& e) {
      throw i2i::error("'" + inputs[i] + "': " + e.what());
    }
    bar.step(i + 1, inputs[i]);
  }
}

void translate_pix2pixhd(const translate_options& o, device where) {
  const auto t = pix2pixhd::load_translator(o.model, where);
  const auto& info = t.info();
  std::cerr << "pix2pixHD generator '" << info.file.string() << "': preset " << info.preset << ", netG " << info.netG
            << ", label_nc " << info.label_nc << (info.instance_maps ? "" : ", no instance maps") << ", on "
            << where << "\n";
  require<value_error>(!info.instance_feat, "i2i translate: '", info.file.string(),
                       "' was trained with --instance_feat; its features come from pix2pixhd_encode_features / "
                       "pix2pixhd_edit (translate them with the C++ API: translator::translate(label, inst, features))");
  require<value_error>(o.exemplar.empty(), "i2i translate: --exemplar applies to EGSC-IT models, not to '",
                       info.file.string(), "'");
  const auto labels = inputs_of(o.input, "input");
  std::vector<std::string> insts;
  if (info.instance_maps) {
    std::string folder = o.instance;
    if (folder.empty()) {
      const auto found = conventional_instance_folder(o.input);
      require<io_error>(found.has_value(), "i2i translate: '", info.file.string(), "' was trained with instance ",
                        "maps, and none was found for '", o.input, "': pass --instance FILE_OR_FOLDER, or keep ",
                        "the label maps in a <phase>_label folder next to <phase>_inst");
      folder = *found;
    }
    insts = partners_of(labels, o.input, folder, "instance map");
  }
  fs::create_directories(o.output);
  for_each_input(labels, [&](std::size_t i) {
    io::image out;
    if (info.label_nc > 0) {
      out = t.translate(data::read_map(labels[i]), insts.empty() ? io::image16{} : data::read_map(insts[i]));
    } else {  // RGB input: the data loader's normalisation, so the numbers are pix2pixhd_test's
      const io::image rgb = io::read_image(labels[i], 3);
      auto x = tensor<float>::empty(shape::nchw(1, 3, rgb.height, rgb.width));
      data::detail::rgb_to_chw(rgb, x.data());
      out = io::to_image(
          t.translate(x, insts.empty() ? tensor<float>{} : data::map_to_tensor(data::read_map(insts[i]))));
    }
    io::write_png(output_for(o, labels[i]), out);
  });
}

void translate_egscit(const translate_options& o, device where) {
  const auto t = egscit::load_translator(o.model, where);
  std::cerr << "EGSC-IT family model '" << t.info().dir.string() << "': " << t.info().kind << ", config "
            << t.info().config << ", iteration " << t.info().iteration << ", on " << where << "\n";
  require<value_error>(!o.exemplar.empty(), "i2i translate: '", o.model, "' is an EGSC-IT-family model; pass ",
                       "--exemplar FILE_OR_FOLDER (the style to translate into)");
  require<value_error>(o.from == "A" || o.from == "B", "i2i translate: --from must be A or B, not '", o.from, "'");
  const auto sources = inputs_of(o.input, "input");
  const auto exemplars = partners_of(sources, o.input, o.exemplar, "exemplar");
  fs::create_directories(o.output);
  for_each_input(sources, [&](std::size_t i) {
    const auto y = t.translate(io::read_image(sources[i], 3), io::read_image(exemplars[i], 3),
                               o.from == "A" ? egscit::domain::A : egscit::domain::B, o.seed);
    io::write_png(output_for(o, sources[i]), y);
  });
}

/// Replaces this process with i2i_export from this program's folder, passing `args` on (i2i export).
[[noreturn]] void run_export(const std::vector<std::string>& args) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const fs::path exporter = (ec ? fs::path(".") : self.parent_path()) / "i2i_export";
  require<io_error>(fs::exists(exporter), "i2i export: '", exporter.string(),
                    "' is missing: the exporter is built with the ONNX writer (I2I_WITH_ONNX, Debian libprotobuf-dev "
                    "and protobuf-compiler) and the examples (I2I_BUILD_EXAMPLES), and installed next to i2i");
  std::vector<std::string> argv_text{exporter.string()};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  throw io_error(i2i::detail::concat("i2i export: cannot run '", exporter.string(), "': ", std::strerror(errno)));
}

void run_translate(const translate_options& o) {
  const device where = o.gpu ? device::cuda(0) : device::parse(o.device_text);
  const fs::path model(o.model);
  require<io_error>(fs::exists(model), "i2i translate: model '", o.model, "' does not exist");
  const bool pix2pixhd = fs::is_regular_file(model) || fs::exists(model / "latest_net_G.safetensors");
  if (pix2pixhd) translate_pix2pixhd(o, where);
  else translate_egscit(o, where);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"i2i: image-to-image translation with trained pix2pixHD and EGSC-IT-family models", "i2i"};
  app.require_subcommand(1);
  translate_options o;
  auto* tr = app.add_subcommand("translate", "translate a file or a folder with a trained model");
  tr->add_option("--model", o.model,
                 "pix2pixHD: *_net_G.safetensors or its folder (latest_net_G); EGSC-IT family: the checkpoint folder")
      ->required();
  tr->add_option("--input", o.input, "an input file or a folder of PNG/JPEG files (label maps, or source images)")
      ->required();
  tr->add_option("--output", o.output, "folder for the results (<input stem>.png)")->required();
  tr->add_option("--instance", o.instance,
                 "pix2pixHD: instance map file or folder (default: the sibling <phase>_inst of a <phase>_label folder)");
  tr->add_option("--exemplar", o.exemplar, "EGSC-IT family: exemplar file (for all) or folder (one per input)");
  tr->add_option("--from", o.from, "EGSC-IT family: the inputs' domain, A or B (default A)");
  tr->add_option("--seed", o.seed, "EGSC-IT family: test-time noise seed (default 0)");
  auto* gpu = tr->add_flag("--gpu", o.gpu, "run on CUDA device 0 (same as --device cuda:0)");
  tr->add_option("--device", o.device_text, "cpu (default), cuda or cuda:N")->excludes(gpu);
  tr->callback([&] { run_translate(o); });
  std::vector<std::string> export_args;
  auto* ex = app.add_subcommand("export", "a trained checkpoint as an ONNX file (runs i2i_export; "
                                          "i2i export --help lists its options)");
  ex->prefix_command();  // everything after `export` goes to i2i_export untouched, --help included
  ex->set_help_flag();
  ex->callback([&] { run_export(ex->remaining()); });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
