// pix2pixHD's interactive editing back end (ui_model.py; research/pix2pixhd.md §4) as a command line
// program: re-renders one object of a test sample with another style (a K-means cluster centre of its
// class) or another class.
//
//   pix2pixhd_edit --dataroot data/pix2pixhd/scenes --name scenes_feat --index 3 --list
//   pix2pixhd_edit --dataroot ... --name scenes_feat --index 3 --instance 4001 --all-clusters
//   pix2pixhd_edit --dataroot ... --name scenes_feat --index 3 --instance 4001 --cluster 2
//   pix2pixhd_edit --dataroot ... --name scenes_feat --index 3 --instance 4001 --label 7 [--cluster K | --all-clusters]
//
// Options: --checkpoints_dir ./checkpoints, --which_epoch latest, --phase test, --clusters FILE (default
// <checkpoints_dir>/<name>/features_clustered_<n_clusters>.safetensors, --n_clusters 10), --results_dir
// ./results, --loadSize/--fineSize/--resize_or_crop (the values used in training), --threads N;
// --preset/--netG/--label_nc are read from the checkpoint's metadata.
//
// Every object starts with ui_model's reproducible style: a cluster of its class drawn by a generator
// seeded with id + 1; objects of classes without clusters get zero features (the reference leaves
// them uninitialised). Then:
//   --cluster K       the chosen object takes centre K of its class;
//   --all-clusters    one rendering per centre of its class;
//   --label L         the object becomes class L (a thing gets id L*1000 + next index, stuff id L), the
//                     one-hot and boundary channels are recomputed, and it takes its seeded style of
//                     class L (or --cluster K / --all-clusters of class L; zero features when class L has
//                     no clusters and no cluster was asked for).
// Output, in <results_dir>/<name>/edit_<which_epoch>/<sample>_inst<ID>/: original.png, one PNG per edit
// (cluster_<K>.png, label_<L>.png, label_<L>_cluster_<K>.png) and grid.png (original | edits, one row).
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "../encode_features/checkpoint_config.hpp"
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/core/threads.hpp"
#include "i2i/io/image.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/models/pix2pixhd/features.hpp"
#include "i2i/recipes/pix2pixhd/options.hpp"

// G's label channels (label_nc + 1 boundary channel) this program is compiled for: digit scenes (11),
// photo scenes (12), Cityscapes (35). Each count instantiates 6 generators (3 presets x global/local).
#ifndef I2I_PIX2PIXHD_EDIT_LABEL_CHANNELS
#define I2I_PIX2PIXHD_EDIT_LABEL_CHANNELS 12, 13, 36
#endif

using namespace i2i;
namespace fs = std::filesystem;

namespace {

constexpr const char* program = "pix2pixhd_edit";

struct run_options {
  std::string g_path, clusters_path, out_dir;
  data::dataset_options data;
  std::size_t index = 0;
  bool list = false, all_clusters = false;
  std::optional<std::int64_t> instance, cluster, label;
};

struct edit {
  std::string name;
  tensor<float> label, inst;
  std::vector<pix2pixhd::instance_feature> objs;
};

void print_instances(const std::vector<pix2pixhd::instance_feature>& objs, const pix2pixhd::feature_clusters& fc) {
  std::cout << "  instance  class  pixels  clusters  initial style\n";
  for (const auto& o : objs)
    std::printf("  %8lld  %5lld  %6lld  %8lld  %s\n", static_cast<long long>(o.id), static_cast<long long>(o.cls),
                static_cast<long long>(o.pixels), static_cast<long long>(fc.has(o.cls) ? fc.of(o.cls).dim(0) : 0),
                o.cluster >= 0 ? ("cluster " + std::to_string(o.cluster)).c_str() : "zero (class has no clusters)");
}

template <class Cfg>
int run(const run_options& o) {
  using G_model = model<typename Cfg::generator, cpu_backend<float>>;
  const int label_nc = o.data.label_nc;
  pix2pixhd::feature_clusters fc;
  if (!o.list || fs::exists(o.clusters_path)) fc = pix2pixhd::load_feature_clusters(o.clusters_path);
  require<value_error>(fc.feat_num == Cfg::feat_nc, program, ": '", o.clusters_path, "' holds ", fc.feat_num,
                       "-d centres but G takes ", Cfg::feat_nc, " feature channels");

  data::dataset_options d = o.data;
  d.load_image = false;
  d.transform.n_downsample_global = Cfg::preset::n_downsample_global;
  d.transform.n_local_enhancers = Cfg::n_local_enhancers;
  const data::aligned_dataset ds(d);
  const data::sample s = ds.get(o.index, data::transform_params{});
  const std::string stem = fs::path(s.label_path).stem().string();

  auto base = pix2pixhd::list_instances(s.inst);
  pix2pixhd::assign_seeded_clusters(base, fc);
  std::cout << program << ": sample " << o.index << " (" << s.label_path << "), " << s.label.w() << "x" << s.label.h()
            << " (WxH), " << base.size() << " objects\n";
  if (o.list) {
    print_instances(base, fc);
    return 0;
  }
  const std::int64_t id = *o.instance;
  const bool present = std::any_of(base.begin(), base.end(), [&](const auto& b) { return b.id == id; });
  require<value_error>(present, program, ": instance ", id, " is not in the instance map of sample ", o.index, " ('",
                       s.inst_path, "'; its ids: ", pix2pixhd::detail::id_list(base, 0), "; see --list)");
  const auto& chosen = pix2pixhd::find_instance(base, 0, id);

  // The edits, each a full set of maps and per-object features.
  std::vector<edit> edits;
  if (!o.label) {
    require<value_error>(fc.has(chosen.cls), program, ": instance ", id, " is of class ", chosen.cls,
                         ", which has no clusters in '", o.clusters_path, "' (classes with clusters: ",
                         fc.centres.empty() ? std::string("none") : fc.class_list(),
                         "); encode_features keeps only objects larger than 1/64 of the image. Try --label");
    const std::int64_t n = fc.of(chosen.cls).dim(0);
    std::vector<std::int64_t> ks;
    if (o.all_clusters)
      for (std::int64_t k = 0; k < n; ++k) ks.push_back(k);
    else
      ks.push_back(*o.cluster);
    for (std::int64_t k : ks) {
      edit e{"cluster_" + std::to_string(k), s.label, s.inst, base};
      pix2pixhd::set_instance_cluster(e.objs, 0, id, fc, k);
      edits.push_back(std::move(e));
    }
  } else {
    const auto r = pix2pixhd::relabel_instance(s.label, s.inst, 0, id, *o.label, label_nc);
    auto objs = pix2pixhd::list_instances(r.inst);
    pix2pixhd::assign_seeded_clusters(objs, fc);  // every other object keeps its style (seeded by its id)
    const std::string name = "label_" + std::to_string(*o.label);
    std::cout << "  instance " << id << " (class " << chosen.cls << ") becomes instance " << r.new_id << " of class "
              << *o.label << "\n";
    if (o.all_clusters || o.cluster) {
      require<value_error>(fc.has(*o.label), program, ": class ", *o.label, " has no clusters in '", o.clusters_path,
                           "' (classes with clusters: ", fc.centres.empty() ? std::string("none") : fc.class_list(),
                           "); leave out --cluster/--all-clusters to render it with zero features");
      std::vector<std::int64_t> ks;
      if (o.all_clusters)
        for (std::int64_t k = 0; k < fc.of(*o.label).dim(0); ++k) ks.push_back(k);
      else
        ks.push_back(*o.cluster);
      for (std::int64_t k : ks) {
        edit e{name + "_cluster_" + std::to_string(k), r.label, r.inst, objs};
        pix2pixhd::set_instance_cluster(e.objs, 0, r.new_id, fc, k);
        edits.push_back(std::move(e));
      }
    } else {
      if (!fc.has(*o.label))
        std::cout << "  class " << *o.label << " has no clusters: the object is rendered with zero features\n";
      edits.push_back({name, r.label, r.inst, objs});
    }
  }

  G_model G;  // unnamed: keys as the reference ("model.1.weight")
  load_model(G, o.g_path);  // strict: another architecture lists every mismatching key
  G.eval();
  auto render = [&](const tensor<float>& label, const tensor<float>& inst,
                    const std::vector<pix2pixhd::instance_feature>& objs) {
    const auto feat = pix2pixhd::paint_instance_features(inst, objs, Cfg::feat_nc);
    return G(pix2pixhd::generator_input(label, inst, feat, label_nc));
  };

  const fs::path dir = fs::path(o.out_dir) / (stem + "_inst" + std::to_string(id));
  fs::create_directories(dir);
  std::vector<io::image> row;
  row.push_back(io::to_image(render(s.label, s.inst, base)));
  io::write_png((dir / "original.png").string(), row.back());
  std::cout << "  original: instance " << id << " with "
            << (chosen.cluster >= 0 ? "cluster " + std::to_string(chosen.cluster) : std::string("zero features"))
            << "\n";
  for (const auto& e : edits) {
    row.push_back(io::to_image(render(e.label, e.inst, e.objs)));
    io::write_png((dir / (e.name + ".png")).string(), row.back());
    std::cout << "  " << e.name << "\n";
  }
  io::write_png((dir / "grid.png").string(), io::make_grid(row, int(row.size())));
  std::cout << "wrote " << row.size() << " images and grid.png (original | edits) to " << dir.string() << "\n";
  return 0;
}

#define I2I_EDIT_STR2(...) #__VA_ARGS__
#define I2I_EDIT_STR(...) I2I_EDIT_STR2(__VA_ARGS__)
constexpr const char* compiled_list = I2I_EDIT_STR(I2I_PIX2PIXHD_EDIT_LABEL_CHANNELS);

}  // namespace

int main(int argc, char** argv) try {
  pix2pixhd_cli::trained_run r;
  pix2pixhd_cli::architecture_flags arch;
  run_options o;
  std::string phase = "test", clusters, results_dir = "./results";
  int n_clusters = 10;
  examples::command_line cli{program, "Re-renders one object of a test sample with each cluster's style of its "
                                      "class, or another class (pix2pixHD's ui_model.py)"};
  pix2pixhd_cli::add_trained_run(cli, r);
  pix2pixhd_cli::add_architecture(cli, arch);
  cli.add_option("--phase", phase, "which split of the dataset");
  examples::pix2pixhd_flags::add_results_dir(cli, results_dir);
  cli.add_option("--clusters", clusters,
                 "the cluster file (default: <checkpoints_dir>/<name>/features_clustered_<n_clusters>.safetensors)");
  examples::add_number(cli, "--n_clusters", n_clusters, 1, 1 << 20, "picks the default cluster file");
  const std::string group = "The edit";
  examples::add_number(cli, "--index", o.index, 0, examples::unlimited<std::size_t>, "the sample")->group(group);
  cli.add_flag("--list", o.list, "list the sample's objects")->group(group);
  examples::add_number(cli, "--instance", o.instance, 0, examples::unlimited<std::int64_t>, "the object to edit")
      ->group(group);
  auto* cluster = examples::add_number(cli, "--cluster", o.cluster, 0, examples::unlimited<std::int64_t>,
                                       "give it centre K of its class")->group(group);
  cli.add_flag("--all-clusters", o.all_clusters, "one rendering per centre of its class")->group(group)->excludes(cluster);
  examples::add_number(cli, "--label", o.label, 0, examples::unlimited<std::int64_t>,
                       "make it an object of class L (below label_nc)")->group(group);
  if (const auto status = cli.parse(argc, argv)) return *status;
  o.g_path = r.checkpoint("G");
  const auto cfg = pix2pixhd_cli::read_config(program, o.g_path, arch.given(),
                                              {{"preset", "cpu"}, {"netG", "global"}, {"label_nc", "35"}});
  o.data = r.dataset(phase, cfg.label_nc);
  o.clusters_path = clusters.empty()
                        ? (fs::path(r.checkpoints_dir) / r.name / pix2pixhd::feature_clusters_filename(n_clusters)).string()
                        : clusters;
  o.out_dir = (fs::path(results_dir) / r.name / ("edit_" + r.which_epoch)).string();

  require<value_error>(o.list || o.instance, program, ": pass --instance ID (see --list for the sample's objects)");
  require<value_error>(o.list || o.label || o.cluster || o.all_clusters, program,
                       ": pass --cluster K, --all-clusters or --label L");
  require<value_error>(!o.label || (*o.label >= 0 && *o.label < cfg.label_nc), program, ": --label ",
                       o.label.value_or(0), " is outside 0..", cfg.label_nc - 1, " (label_nc ", cfg.label_nc, ")");
  require<io_error>(o.list || fs::exists(o.clusters_path), program, ": cluster file '", o.clusters_path,
                    "' does not exist; run pix2pixhd_encode_features first (or pass --clusters FILE)");

  pix2pixhd::train_options t;
  t.preset = cfg.preset;
  t.netG = cfg.netG;
  t.instance_feat = true;
  t.data.label_nc = cfg.label_nc;
  int status = -1;
  auto body = [&]<class Cfg>() {
    if constexpr (Cfg::feat) status = run<Cfg>(o);
  };
  if (!pix2pixhd::try_dispatch<pix2pixhd::tiny_preset, pix2pixhd::cpu_preset, pix2pixhd::full_preset>(
          t, pix2pixhd::label_channel_list<I2I_PIX2PIXHD_EDIT_LABEL_CHANNELS>{}, body))
    throw value_error(i2i::detail::concat(
        program, ": no compiled generator for preset '", cfg.preset, "' with label_nc ", cfg.label_nc, " (",
        cfg.label_nc + 1, " label channels); this program is built for the presets tiny, cpu, full and label channels ",
        compiled_list, ": add the count to I2I_PIX2PIXHD_EDIT_LABEL_CHANNELS in examples/pix2pixhd/edit/CMakeLists.txt"));
  return status;
} catch (const std::exception& e) {
  return pix2pixhd_cli::report_error(program, e);
}
