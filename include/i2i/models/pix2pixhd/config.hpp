#pragma once
// pix2pixHD's compiled network configurations (presets x global/local x label channels x features),
// which the trainer, the example programs and the translator library choose from at run time.
//
// Why presets: network widths, depths and channel counts are template parameters (DESIGN §1: shapes
// known at compile time are checked at compile time, and the ops are specialised for them). A program
// cannot take `--ngf 48` and build that network on the fly; every configuration it can run is compiled
// in, and each costs compile time (a trainer instantiation with G, D, E and VGG is ~20-40 s of g++). So
// the architecture options come in named presets, and the command line options that the reference
// exposes (--ngf, --n_downsample_global, ...) are *checked* against the preset instead of being free:
//
//   preset  netG global                      netG local (G1 = the global G, ngf doubled per enhancer)
//   tiny    ngf 8, n_down 2, 1 block          ngf 4, 1 enhancer, 1 local block   (tests; 32x64 crops)
//           D ndf 8, n_layers 2, num_D 2      num_D 2
//   cpu     ngf 32, n_down 3, 6 blocks        ngf 16, 1 enhancer, 3 local blocks (128x256 on a CPU)
//           D ndf 32, n_layers 3, num_D 2     num_D 3
//   full    ngf 64, n_down 4, 9 blocks        ngf 32, 1 enhancer, 3 local blocks (the paper's 512p/1024p)
//           D ndf 64, n_layers 3, num_D 2     num_D 3
//   E (instance_feat): nef 16, feat_num 3, n_downsample_E 4 (tiny: 2).
//
// The other compile-time quantity is G's input width: label channels (label_nc, or 3 for label_nc 0,
// plus 1 for the boundary map unless --no_instance) plus 3 with --instance_feat. The programs are built
// for the label-channel counts of the data sets this project makes (digit scenes 11 + 1, photo scenes
// 12 + 1) and Cityscapes (35 + 1); add one with the CMake cache variable I2I_PIX2PIXHD_CONFIGS (examples/pix2pixhd/train/CMakeLists.txt).
//
// No training options here (recipes/pix2pixhd/options.hpp), and no data loader: a network's
// configuration needs neither.
#include <algorithm>
#include <string>
#include <type_traits>

#include "i2i/models/pix2pixhd/networks.hpp"

namespace i2i::pix2pixhd {

/// The architecture of one preset (global and local variants).
template <int NgfGlobal, int NDown, int NBlocks, int NLocal, int NBlocksLocal, int Ndf, int NLayersD, int NumDGlobal,
          int NumDLocal, int NDownE>
struct arch {
  static constexpr int ngf_global = NgfGlobal;  ///< --ngf of a global G; a local G's G1 width
  static constexpr int n_downsample_global = NDown;
  static constexpr int n_blocks_global = NBlocks;
  static constexpr int n_local_enhancers = NLocal;
  static constexpr int ngf_local = NgfGlobal >> NLocal;  ///< --ngf of a local G (G1 gets ngf * 2^K)
  static constexpr int n_blocks_local = NBlocksLocal;
  static constexpr int ndf = Ndf;
  static constexpr int n_layers_D = NLayersD;
  static constexpr int num_D_global = NumDGlobal;
  static constexpr int num_D_local = NumDLocal;
  static constexpr int nef = 16;
  static constexpr int feat_num = 3;
  static constexpr int n_downsample_E = NDownE;
  static_assert((NgfGlobal >> NLocal) << NLocal == NgfGlobal, "pix2pixhd::arch: ngf must divide by 2^n_local_enhancers");
};

struct tiny_preset : arch<8, 2, 1, 1, 1, 8, 2, 2, 2, 2> {
  static constexpr const char* name = "tiny";
};
struct cpu_preset : arch<32, 3, 6, 1, 3, 32, 3, 2, 3, 4> {
  static constexpr const char* name = "cpu";
};
struct full_preset : arch<64, 4, 9, 1, 3, 64, 3, 2, 3, 4> {
  static constexpr const char* name = "full";
};

/// One compiled configuration: a preset, global or local G, G's label channels and whether features
/// are appended. Models are bound to cpu_backend<float> by the trainer.
template <class Preset, bool Local, int LabelChannels, bool Feat>
struct config {
  using preset = Preset;
  static constexpr bool local = Local;
  static constexpr bool feat = Feat;
  static constexpr int label_channels = LabelChannels;  ///< one-hot (or RGB) + boundary map
  static constexpr int feat_nc = Feat ? Preset::feat_num : 0;
  static constexpr int g_in = LabelChannels + feat_nc;
  static constexpr int d_in = LabelChannels + 3;  ///< D sees labels | image, never the features (§2.1)
  static constexpr int num_D = Local ? Preset::num_D_local : Preset::num_D_global;
  static constexpr int n_local_enhancers = Local ? Preset::n_local_enhancers : 0;
  static constexpr int ngf = Local ? Preset::ngf_local : Preset::ngf_global;

  using generator = std::conditional_t<
      Local,
      local_enhancer<g_in, 3, Preset::ngf_local, Preset::n_downsample_global, Preset::n_blocks_global,
                     Preset::n_local_enhancers, Preset::n_blocks_local>,
      global_generator<g_in, 3, Preset::ngf_global, Preset::n_downsample_global, Preset::n_blocks_global>>;
  using discriminator = multiscale_discriminator<d_in, num_D, Preset::ndf, Preset::n_layers_D>;
  using feature_encoder = encoder<3, Preset::feat_num, Preset::nef, Preset::n_downsample_E>;

  /// Sides must be multiples of this: 2^(n_downsample_global + n_local_enhancers), and E's 2^n_down.
  static constexpr int size_multiple =
      std::max(1 << (Preset::n_downsample_global + n_local_enhancers), Feat ? 1 << Preset::n_downsample_E : 1);
};

/// Compile-time list of label-channel counts.
template <int... L>
struct label_channel_list {};

/// G's label channels: label_nc one-hot channels (3 for label_nc 0, the RGB input) + 1 boundary map
/// when the data has instance maps.
constexpr int label_channels_of(int label_nc, bool instance_maps) {
  return (label_nc > 0 ? label_nc : 3) + (instance_maps ? 1 : 0);
}

/// What selects one compiled configuration at run time (a checkpoint's metadata, a program's options).
struct config_key {
  std::string preset;      ///< tiny, cpu or full
  bool local = false;      ///< netG local (else global)
  int label_channels = 0;  ///< label_nc (3 for label_nc 0) + 1 boundary channel unless no_instance
  bool feat = false;       ///< instance_feat
};

/// Calls f.template operator()<Cfg>() for the configuration of `k` among Presets x {global, local} x
/// Labels x {features off, on} and returns true, or returns false when none matches. Programs combine
/// several calls (full preset with fewer label counts) and end with an error naming what they have.
template <class... Presets, int... L, class F>
bool try_dispatch(const config_key& k, label_channel_list<L...>, F&& f) {
  bool done = false;
  auto try_one = [&]<class P, int LC>() {
    if (done || k.preset != P::name || k.label_channels != LC) return;
    done = true;
    if (k.local && k.feat) f.template operator()<config<P, true, LC, true>>();
    else if (k.local) f.template operator()<config<P, true, LC, false>>();
    else if (k.feat) f.template operator()<config<P, false, LC, true>>();
    else f.template operator()<config<P, false, LC, false>>();
  };
  (
      [&]<class P>() {
        (try_one.template operator()<P, L>(), ...);
      }.template operator()<Presets>(),
      ...);
  return done;
}

}  // namespace i2i::pix2pixhd
