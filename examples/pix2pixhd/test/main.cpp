// pix2pixhd_test: pix2pixHD's test.py (research/pix2pixhd.md §5). One command from a trained
// checkpoint: the architecture (preset, netG, label_nc, instance maps, features) and the data transform
// are read from the checkpoint's metadata, so they cannot mismatch (the reference's most common user
// error, NVIDIA/pix2pixHD#51).
//
//   pix2pixhd_test --name digits_global --dataroot data/pix2pixhd/digits
//   -> results/digits_global/test_latest/index.html and images/<stem>_{input_label,synthesized_image,
//      real_image}.png
//
// Images are PNG (the reference writes JPEG; PNG keeps evaluations free of compression artefacts).
// With --instance_feat checkpoints, features come from E on the real test image (--use_encoded_image);
// sampling them from cluster centres is pix2pixhd_encode_features/edit's job.
#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "../cli.hpp"
#include "pix2pixhd_options.hpp"
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/core/threads.hpp"
#include "i2i/data/encode.hpp"
#include "i2i/io/image.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/models/pix2pixhd/instance_pooling.hpp"

namespace {

using namespace i2i;
namespace fs = std::filesystem;

/// PASCAL VOC's colour map: class c's bits spread over the high bits of R, G and B (0 is black).
inline std::array<std::uint8_t, 3> class_colour(int c) {
  std::array<std::uint8_t, 3> rgb{0, 0, 0};
  for (int j = 0; j < 8; ++j, c >>= 3)
    for (int k = 0; k < 3; ++k) rgb[std::size_t(k)] |= std::uint8_t(((c >> k) & 1) << (7 - j));
  return rgb;
}

io::image colour_labels(const tensor<float>& label, int label_nc) {
  if (label_nc == 0) return io::to_image(label);  // RGB input
  const int h = int(label.h()), w = int(label.w());
  io::image img(w, h, 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const auto c = class_colour(int(label.at(0, 0, y, x)));
      for (int k = 0; k < 3; ++k) img.at(y, x, k) = c[std::size_t(k)];
    }
  return img;
}

struct test_options {
  pix2pixhd::train_options o;
  std::string results_dir, which_epoch, g_path;
  std::size_t how_many = 50;
  bool use_encoded_image = false;
};

template <class Cfg>
void run_test(const test_options& t) {
  using B = cpu_backend<float>;
  model<typename Cfg::generator, B> G;
  load_model(G, t.g_path);  // strict: every key of this configuration
  G.eval();
  std::optional<model<typename Cfg::feature_encoder, B>> E;
  const auto& o = t.o;
  if constexpr (Cfg::feat) {
    require<value_error>(t.use_encoded_image, "pix2pixhd_test: '", t.g_path,
                         "' was trained with --instance_feat; pass --use_encoded_image (features from E on the real "
                         "image) or sample cluster features with pix2pixhd_edit");
    const std::string e_path = (fs::path(t.g_path).parent_path() / (t.which_epoch + "_net_E.safetensors")).string();
    E.emplace();
    load_model(*E, e_path);
    E->eval();
  }
  data::dataset_options d = o.data;
  d.transform.is_train = false;
  d.transform.n_downsample_global = Cfg::preset::n_downsample_global;
  d.transform.n_local_enhancers = Cfg::n_local_enhancers;
  const fs::path img_dir = fs::path(d.dataroot) / (d.phase + (d.label_nc == 0 ? "_B" : "_img"));
  d.load_image = fs::is_directory(img_dir);
  require<io_error>(d.load_image || !t.use_encoded_image, "pix2pixhd_test: --use_encoded_image needs '",
                    img_dir.string(), "'");
  data::aligned_dataset ds(d);
  const fs::path out = fs::path(t.results_dir) / o.name / ("test_" + t.which_epoch);
  fs::create_directories(out / "images");
  std::ofstream html((out / "index.html").string());
  html << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Experiment = " << o.name << ", Phase = "
       << d.phase << ", Epoch = " << t.which_epoch << "</title></head><body>\n<h1>" << o.name << " (" << Cfg::preset::name
       << ", netG " << (Cfg::local ? "local" : "global") << ", epoch " << t.which_epoch << ")</h1>\n"
       << "<table border=\"1\" style=\"table-layout: fixed;\">\n<tr><th>sample</th><th>input_label</th>"
       << "<th>synthesized_image</th>" << (d.load_image ? "<th>real_image</th>" : "") << "</tr>\n";
  const std::size_t n = std::min(t.how_many, ds.size());
  for (std::size_t i = 0; i < n; ++i) {
    const data::sample s = ds.get(i, data::transform_params{});
    tensor<float> x = o.data.no_instance ? data::encode_input(s.label, d.label_nc)
                                         : data::encode_input(s.label, s.inst, d.label_nc);
    if constexpr (Cfg::feat) {
      auto f = pix2pixhd::encode_instance_features(*E, s.image, s.inst);
      x = B::concat_channels({x, f.output});
    }
    const tensor<float> fake = G(x);
    const std::string stem = fs::path(s.label_path).stem().string();
    io::write_png((out / "images" / (stem + "_input_label.png")).string(), colour_labels(s.label, d.label_nc));
    io::write_png((out / "images" / (stem + "_synthesized_image.png")).string(), io::to_image(fake));
    if (d.load_image) io::write_png((out / "images" / (stem + "_real_image.png")).string(), io::to_image(s.image));
    html << "<tr><td>" << stem << "</td>";
    for (const char* k : {"input_label", "synthesized_image", "real_image"}) {
      if (std::string(k) == "real_image" && !d.load_image) continue;
      html << "<td><a href=\"images/" << stem << "_" << k << ".png\"><img src=\"images/" << stem << "_" << k
           << ".png\" style=\"width:256px\"></a><br>" << k << "</td>";
    }
    html << "</tr>\n";
    std::cout << "process image... " << s.label_path << "\n";
  }
  html << "</table>\n</body></html>\n";
  std::cout << "Wrote " << n << " results: " << (out / "index.html").string() << "\n";
}

std::string meta_text(const std::map<std::string, std::string>& m, const char* k, const std::string& path) {
  auto it = m.find(k);
  require<io_error>(it != m.end(), "pix2pixhd_test: '", path, "' has no metadata '", k,
                    "' (not written by pix2pixhd_train?)");
  return it->second;
}

}  // namespace

int main(int argc, char** argv) try {
  namespace flags = examples::pix2pixhd_flags;
  test_options t;
  t.which_epoch = "latest";
  t.results_dir = "./results";
  t.o.data.phase = "test";
  examples::command_line cli{"pix2pixhd_test",
                             "pix2pixHD's test.py: translates a test split with a checkpoint of pix2pixhd_train"};
  flags::add_experiment(cli, t.o.name, t.o.checkpoints_dir)->required();
  flags::add_which_epoch(cli, t.which_epoch);
  flags::add_results_dir(cli, t.results_dir);
  flags::add_data_folders(cli, t.o.data.dataroot, t.o.data.phase);
  flags::add_max_dataset_size(cli, t.o.data.max_dataset_size);
  examples::add_number(cli, "--how_many", t.how_many, 0, examples::unlimited<std::size_t>, "how many test images");
  cli.add_flag("--use_encoded_image", t.use_encoded_image,
               "features from E on the real test image (checkpoints trained with --instance_feat)");
  const auto given = flags::add_transform(cli, t.o.data.transform);
  for (auto* o : {given.load_size, given.fine_size, given.resize_or_crop}) o->default_str("as trained");
  examples::add_threads(cli);
  if (const auto status = cli.parse(argc, argv)) return *status;
  t.g_path = (fs::path(t.o.checkpoints_dir) / t.o.name / (t.which_epoch + "_net_G.safetensors")).string();
  require<io_error>(fs::exists(t.g_path), "pix2pixhd_test: '", t.g_path, "' does not exist (check --name, ",
                    "--checkpoints_dir and --which_epoch)");
  const auto meta = io::read_checkpoint_metadata(t.g_path);
  require<io_error>(meta_text(meta, "i2i.model", t.g_path) == "pix2pixhd", "pix2pixhd_test: '", t.g_path,
                    "' is not a pix2pixHD generator");
  t.o.preset = meta_text(meta, "preset", t.g_path);
  t.o.netG = meta_text(meta, "netG", t.g_path);
  t.o.data.label_nc = std::stoi(meta_text(meta, "label_nc", t.g_path));
  t.o.data.no_instance = meta_text(meta, "no_instance", t.g_path) == "1";
  t.o.instance_feat = meta_text(meta, "instance_feat", t.g_path) == "1";
  if (!*given.load_size) t.o.data.transform.load_size = std::stoi(meta_text(meta, "loadSize", t.g_path));
  if (!*given.fine_size) t.o.data.transform.fine_size = std::stoi(meta_text(meta, "fineSize", t.g_path));
  if (!*given.resize_or_crop)
    t.o.data.transform.mode = data::parse_resize_mode(meta_text(meta, "resize_or_crop", t.g_path));
  t.o.data.transform.no_flip = true;
  std::cout << "Checkpoint '" << t.g_path << "': preset " << t.o.preset << ", netG " << t.o.netG << ", label_nc "
            << t.o.data.label_nc << (t.o.data.no_instance ? ", no instance maps" : "")
            << (t.o.instance_feat ? ", instance features" : "") << ", epoch " << meta_text(meta, "epoch", t.g_path)
            << "\n";
  p2phd_cli::dispatch(t.o, [&]<class Cfg>() { run_test<Cfg>(t); });
  return 0;
} catch (const std::exception& e) {
  std::cerr << "pix2pixhd_test: " << e.what() << "\n";
  return 1;
}
