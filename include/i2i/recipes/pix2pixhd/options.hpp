#pragma once
// pix2pixHD's training options (research/pix2pixhd.md §2.11): what train.py reads, checked against the
// compiled network configuration a program runs (the configurations and presets themselves are the
// network's: models/pix2pixhd/config.hpp, which explains why the architecture options are presets).
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "i2i/core/error.hpp"
#include "i2i/data/aligned_dataset.hpp"
#include "i2i/data/loader.hpp"
#include "i2i/models/pix2pixhd/config.hpp"

namespace i2i::pix2pixhd {

/// Everything pix2pixHD's train.py reads, with the reference's defaults (§2.11). Architecture fields
/// left at -1 take the preset's value; any other value must equal it.
struct train_options {
  // experiment
  std::string name = "label2city";
  std::string checkpoints_dir = "./checkpoints";
  std::string preset = "cpu";
  std::uint64_t seed = 0;  ///< weight init, shuffle, crops, flips, the fake pool

  // data (dataroot, label_nc, no_instance, loadSize/fineSize/resize_or_crop/no_flip live in `data`)
  data::dataset_options data;
  int batch_size = 1;  ///< --batchSize
  bool serial_batches = false;

  // architecture (checked against the preset)
  bool instance_feat = false;  ///< --instance_feat: E's instance-pooled features appended to G's input
  std::string netG = "global";
  int ngf = -1, n_downsample_global = -1, n_blocks_global = -1, n_local_enhancers = -1, n_blocks_local = -1;
  int ndf = -1, n_layers_D = -1, num_D = -1;

  // losses
  double lambda_feat = 10;
  bool no_ganFeat_loss = false;
  bool no_vgg_loss = false;
  /// --perceptual vgg19|mobilenet_v2: the feature network of the VGG loss. vgg19 is the paper's (needs
  /// --vgg_weights); mobilenet_v2 is the installable 8-bit ImageNet MobileNetV2 of docs/mobilenet_v2.md
  /// (NOT VGG19; needs --mobilenet_v2_weights), on its four taps with weights 1/8, 1/4, 1/2, 1.
  std::string perceptual = "vgg19";
  std::string vgg_weights;  ///< torchvision vgg19 "features.*" weights as safetensors (models/vgg19.hpp)
  std::string mobilenet_v2_weights;  ///< cmake/fetch_mobilenet_v2.sh's mobilenet_v2.safetensors
  bool no_lsgan = false;
  int pool_size = 0;

  // optimisation
  double lr = 2e-4, beta1 = 0.5;
  int niter = 100, niter_decay = 100, niter_fix_global = 0;

  // checkpoints and logging
  bool continue_train = false;
  std::string load_pretrain;          ///< folder with latest_net_{G,D,E}.safetensors to start from (partial)
  std::int64_t save_latest_freq = 1000;  ///< iterations between 'latest' checkpoints (0: epoch ends only)
  int save_epoch_freq = 10;           ///< epochs between numbered snapshots <epoch>_net_G.safetensors
  std::int64_t print_freq = 100;      ///< iterations between loss lines
  std::int64_t max_iterations = -1;   ///< stop after this many iterations in this run (-1: the schedule's end)

  // device
  /// --cuda_graphs (with --gpu): each step after the first is replayed as a CUDA graph
  /// (cuda/graphed_step.cuh); a step that cannot be captured (--pool_size, --instance_feat, several
  /// ranks) runs as usual and the log says why.
  bool cuda_graphs = false;

  bool local() const { return netG == "local"; }
  /// label_nc (or 3 for RGB inputs) + 1 boundary channel unless no_instance.
  int label_channels() const { return label_channels_of(data.label_nc, !data.no_instance); }
};

namespace detail {
inline void check_arch_option(const char* opt, int given, int expected, const std::string& preset) {
  require<value_error>(given < 0 || given == expected, "pix2pixhd: --", opt, " ", given, " is not what preset '",
                       preset, "' was compiled with (", expected,
                       "); network sizes are template parameters: pick another --preset or leave --", opt,
                       " out (see include/i2i/models/pix2pixhd/config.hpp)");
}
}  // namespace detail

/// Checks the options against configuration Cfg and fills the architecture fields and the transform's
/// size_multiple inputs from it.
template <class Cfg>
void resolve_options(train_options& o) {
  using P = typename Cfg::preset;
  require<value_error>(o.netG == "global" || o.netG == "local", "pix2pixhd: --netG '", o.netG,
                       "' is not global or local");
  require<value_error>(o.local() == Cfg::local && o.label_channels() == Cfg::label_channels &&
                           o.instance_feat == Cfg::feat && o.preset == P::name,
                       "pix2pixhd: options (preset ", o.preset, ", netG ", o.netG, ", ", o.label_channels(),
                       " label channels, instance_feat ", o.instance_feat, ") do not match the configuration (",
                       P::name, ", ", Cfg::local ? "local" : "global", ", ", Cfg::label_channels, ", ", Cfg::feat, ")");
  require<value_error>(!o.instance_feat || !o.data.no_instance,
                       "pix2pixhd: --instance_feat pools features per instance and needs instance maps; drop "
                       "--no_instance");
  detail::check_arch_option("ngf", o.ngf, Cfg::ngf, o.preset);
  detail::check_arch_option("n_downsample_global", o.n_downsample_global, P::n_downsample_global, o.preset);
  detail::check_arch_option("n_blocks_global", o.n_blocks_global, P::n_blocks_global, o.preset);
  if (Cfg::local) {
    detail::check_arch_option("n_local_enhancers", o.n_local_enhancers, P::n_local_enhancers, o.preset);
    detail::check_arch_option("n_blocks_local", o.n_blocks_local, P::n_blocks_local, o.preset);
  }
  detail::check_arch_option("ndf", o.ndf, P::ndf, o.preset);
  detail::check_arch_option("n_layers_D", o.n_layers_D, P::n_layers_D, o.preset);
  detail::check_arch_option("num_D", o.num_D, Cfg::num_D, o.preset);
  o.ngf = Cfg::ngf;
  o.n_downsample_global = P::n_downsample_global;
  o.n_blocks_global = P::n_blocks_global;
  o.n_local_enhancers = Cfg::n_local_enhancers;
  o.n_blocks_local = P::n_blocks_local;
  o.ndf = P::ndf;
  o.n_layers_D = P::n_layers_D;
  o.num_D = Cfg::num_D;
  o.data.transform.n_downsample_global = P::n_downsample_global;
  o.data.transform.n_local_enhancers = Cfg::n_local_enhancers;
  require<value_error>(o.niter >= 0 && o.niter_decay >= 0 && std::int64_t(o.niter) + o.niter_decay >= 1,
                       "pix2pixhd: niter ", o.niter, " + niter_decay ", o.niter_decay, " must be at least one epoch");
  require<value_error>(o.niter_fix_global >= 0, "pix2pixhd: negative niter_fix_global ", o.niter_fix_global);
  require<value_error>(o.niter_fix_global == 0 || Cfg::local,
                       "pix2pixhd: --niter_fix_global only applies to --netG local");
  require<value_error>(o.batch_size >= 1, "pix2pixhd: batchSize must be >= 1, got ", o.batch_size);
  require<value_error>(o.pool_size >= 0, "pix2pixhd: negative pool_size ", o.pool_size);
  require<value_error>(o.perceptual == "vgg19" || o.perceptual == "mobilenet_v2", "pix2pixhd: --perceptual '",
                       o.perceptual, "' is not vgg19 or mobilenet_v2");
  require<value_error>(o.no_vgg_loss || o.perceptual != "vgg19" || !o.vgg_weights.empty(),
                       "pix2pixhd: the VGG loss (on by default, as in the reference) needs --vgg_weights FILE "
                       "(torchvision vgg19 features as safetensors); pass --perceptual mobilenet_v2 with "
                       "--mobilenet_v2_weights FILE for the installable substitute, or --no_vgg_loss to train "
                       "without it");
  require<value_error>(o.no_vgg_loss || o.perceptual != "mobilenet_v2" || !o.mobilenet_v2_weights.empty(),
                       "pix2pixhd: --perceptual mobilenet_v2 needs --mobilenet_v2_weights FILE (made by "
                       "cmake/fetch_mobilenet_v2.sh)");
}

/// The configuration key of a set of options (what try_dispatch matches on).
inline config_key config_key_of(const train_options& o) {
  return {o.preset, o.local(), o.label_channels(), o.instance_feat};
}

/// try_dispatch (models/pix2pixhd/config.hpp) on the configuration that `o` names.
template <class... Presets, int... L, class F>
bool try_dispatch(const train_options& o, label_channel_list<L...> labels, F&& f) {
  return try_dispatch<Presets...>(config_key_of(o), labels, std::forward<F>(f));
}

/// The error for options no compiled configuration matches; `compiled` lists what the program has.
inline value_error no_configuration(const train_options& o, const std::string& compiled) {
  return value_error(i2i::detail::concat(
      "pix2pixhd: no compiled configuration for preset '", o.preset, "' with ", o.label_channels(),
      " label channels (label_nc ", o.data.label_nc, o.data.no_instance ? ", no instance map" : " + 1 boundary map",
      "); this program has ", compiled,
      ". Network sizes are template parameters: add it to the CMake cache variable I2I_PIX2PIXHD_CONFIGS ("
      "examples/pix2pixhd/train/CMakeLists.txt) and rebuild"));
}

}  // namespace i2i::pix2pixhd
