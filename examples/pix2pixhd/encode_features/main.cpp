// pix2pixHD's encode_features.py (research/pix2pixhd.md §4): runs the trained feature encoder E over the
// training set, reads one feature vector per (image, instance), clusters them per class with K-means
// and writes the cluster centres that test-time sampling and the editing program use.
//
//   pix2pixhd_encode_features --dataroot data/pix2pixhd/scenes --name scenes_feat
//       [--checkpoints_dir ./checkpoints] [--which_epoch latest] [--n_clusters 10] [--seed 0]
//       [--loadSize 1024 --fineSize 512 --resize_or_crop scale_width]   # the values used in training
//       [--preset cpu --netG global --label_nc 12]                      # read from the checkpoint
//       [--n_init 10] [--min_area_ratio 0.5] [--max_dataset_size N] [--out FILE] [--threads N]
//
// Reads <checkpoints_dir>/<name>/<which_epoch>_net_E.safetensors; writes, next to it,
//   features_clustered_<k, 3 digits>.safetensors  class -> k_c x 3 centres (pix2pixhd/kmeans.hpp)
//   features.safetensors                          class -> n_c x 4 rows [f0, f1, f2, size statistic]
// (the reference writes features_clustered_010.npy and features.npy, pickled dicts).
//
// As the reference: training images at training resolution, serially, no flips; class = id (< 1000)
// or id / 1000; size statistic = pixels / floor(H W / 32); rows with a statistic <= 0.5 (objects smaller
// than 1/64 of the image) are dropped before clustering; k = min(rows, n_clusters); K-means++ with
// restarts. Classes left without rows get no clusters (their pixels are zero-filled at test time).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "checkpoint_config.hpp"
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/core/threads.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/models/pix2pixhd/features.hpp"
#include "i2i/models/pix2pixhd/instance_pooling.hpp"
#include "i2i/recipes/pix2pixhd/kmeans.hpp"
#include "i2i/recipes/pix2pixhd/options.hpp"

using namespace i2i;
namespace fs = std::filesystem;

namespace {

constexpr const char* program = "pix2pixhd_encode_features";

struct run_options {
  std::string e_path, out, rows_out;
  data::dataset_options data;
  pix2pixhd::kmeans_options km;
  double min_area_ratio = 0.5;
};

template <class Cfg>
int run(const run_options& o) {
  using P = typename Cfg::preset;
  model<typename Cfg::feature_encoder, cpu_backend<float>> E;  // unnamed: keys as the reference ("model.1.weight")
  load_model(E, o.e_path);  // strict: a checkpoint of another architecture lists every mismatching key
  E.eval();
  const int e_multiple = 1 << P::n_downsample_E;

  data::aligned_dataset ds(o.data);
  std::cout << program << ": E from " << o.e_path << " (preset " << P::name << ", " << E.parameter_count()
            << " parameters); " << ds.size() << " training samples under " << o.data.dataroot << "\n";
  pix2pixhd::class_feature_table table;
  table.feat_num = P::feat_num;
  const auto t0 = std::chrono::steady_clock::now();
  std::size_t objects = 0;
  for (std::size_t i = 0; i < ds.size(); ++i) {
    const data::sample s = ds.get(i, data::transform_params{});
    require<value_error>(s.image.h() % e_multiple == 0 && s.image.w() % e_multiple == 0, program, ": '",
                         s.label_path, "' is ", s.image.w(), "x", s.image.h(),
                         " (WxH) after the transform; E needs sides divisible by ", e_multiple,
                         " (2^n_downsample_E); pick --loadSize/--fineSize/--resize_or_crop accordingly");
    const auto fc = pix2pixhd::encode_instance_features(E, s.image, s.inst);
    const auto rows = pix2pixhd::extract_instance_features(fc.output, s.inst);
    table.add(rows);
    objects += rows.size();
    if ((i + 1) % 100 == 0 || i + 1 == ds.size()) {
      const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("  %zu/%zu images, %zu objects, %.1f s\n", i + 1, ds.size(), objects, sec);
      std::fflush(stdout);
    }
  }

  // features.npy's counterpart: every row with its size statistic, per class.
  {
    std::vector<tensor<float>> keep;
    std::vector<io::safetensors_blob> blobs;
    for (const auto& [cls, rows] : table.by_class) {
      auto t = tensor<float>::empty(shape{std::int64_t(rows.size()), table.feat_num + 1});
      for (std::size_t r = 0; r < rows.size(); ++r) {
        std::copy(rows[r].value.begin(), rows[r].value.end(), t.data() + r * (table.feat_num + 1));
        t.data()[r * (table.feat_num + 1) + table.feat_num] = float(rows[r].area_ratio);
      }
      keep.push_back(t);
      blobs.push_back(io::blob_of("class_" + std::to_string(cls), keep.back()));
    }
    io::write_safetensors(o.rows_out, blobs,
                          {{"i2i.kind", "pix2pixhd_instance_features"},
                           {"columns", "feature values, then pixels / floor(H W / 32)"},
                           {"encoder", o.e_path}},
                          program);
  }

  const auto clusters = pix2pixhd::cluster_features(table, o.km, o.min_area_ratio);
  pix2pixhd::save_feature_clusters(clusters, o.out,
                                   {{"encoder", o.e_path},
                                    {"dataroot", o.data.dataroot},
                                    {"seed", std::to_string(o.km.seed)},
                                    {"min_area_ratio", io::detail::number_text(o.min_area_ratio)}});
  std::cout << "  class  objects  kept  clusters\n";
  for (const auto& [cls, rows] : table.by_class) {
    const std::size_t kept = table.points(cls, o.min_area_ratio).size() / std::size_t(table.feat_num);
    std::printf("  %5lld  %7zu  %4zu  %8lld\n", static_cast<long long>(cls), rows.size(), kept,
                static_cast<long long>(clusters.has(cls) ? clusters.of(cls).dim(0) : 0));
  }
  std::cout << "wrote " << o.out << " (" << clusters.centres.size() << " classes with clusters) and " << o.rows_out
            << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) try {
  pix2pixhd_cli::trained_run r;
  pix2pixhd_cli::architecture_flags arch;
  run_options o;
  std::string out;
  examples::command_line cli{program, "pix2pixHD's encode_features.py: runs E over the training set and writes "
                                      "features_clustered_<k>.safetensors next to the checkpoint"};
  pix2pixhd_cli::add_trained_run(cli, r);
  pix2pixhd_cli::add_architecture(cli, arch);
  examples::add_number(cli, "--n_clusters", o.km.k, 1, 1 << 20, "K-means clusters per class");
  examples::add_seed(cli, o.km.seed);
  examples::add_number(cli, "--n_init", o.km.n_init, 1, 1 << 20, "K-means restarts");
  examples::add_number(cli, "--min_area_ratio", o.min_area_ratio, 0.0, 1e9,
                       "drop objects whose pixels / floor(H W / 32) is at most this before clustering");
  cli.add_option("--out", out, "the cluster file (default: features_clustered_<k>.safetensors next to the checkpoint)");
  if (const auto status = cli.parse(argc, argv)) return *status;
  o.e_path = r.checkpoint("E");
  const auto cfg = pix2pixhd_cli::read_config(program, o.e_path, arch.given(),
                                              {{"preset", "cpu"}, {"netG", "global"}, {"label_nc", "35"}});
  o.data = r.dataset("train", cfg.label_nc);
  const fs::path here = fs::path(r.checkpoints_dir) / r.name;
  o.out = out.empty() ? (here / pix2pixhd::feature_clusters_filename(o.km.k)).string() : out;
  o.rows_out = (fs::path(o.out).parent_path() / "features.safetensors").string();

  // The transform's size rounding (mode none) and divisibility check follow G, as in training.
  pix2pixhd::train_options t;
  t.preset = cfg.preset;
  t.netG = cfg.netG;
  t.instance_feat = true;
  t.data = o.data;
  int status = -1;
  auto body = [&]<class Cfg>() {
    if constexpr (Cfg::feat) {
      o.data.transform.n_downsample_global = Cfg::preset::n_downsample_global;
      o.data.transform.n_local_enhancers = Cfg::n_local_enhancers;
      status = run<Cfg>(o);
    }
  };
  // E does not depend on the label channels: one label count per preset suffices to name its type.
  t.data.label_nc = 11;
  t.data.no_instance = false;
  if (!pix2pixhd::try_dispatch<pix2pixhd::tiny_preset, pix2pixhd::cpu_preset, pix2pixhd::full_preset>(
          t, pix2pixhd::label_channel_list<12>{}, body))
    throw value_error(i2i::detail::concat(program, ": unknown preset '", cfg.preset, "' (tiny, cpu or full)"));
  return status;
} catch (const std::exception& e) {
  return pix2pixhd_cli::report_error(program, e);
}
