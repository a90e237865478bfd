// Builds EGSC-IT's MNIST-Single and/or MNIST-Multiple (egscit.md §8) from real MNIST or Fashion-MNIST
// into PNG folders laid out as the authors' code expects:
//
//   egscit_prepare_data [--dataset single|multiple|both] [--source mnist|fashion] [--split train|test|both]
//                       [--data DIR] [--out ROOT] [--count N] [--seed S] [--no-hold-out] [--no-stretch]
//                       [--force] [--threads N]
//
//   ROOT/mnist_BW/{trainA,trainB,testA,testB,testA2B,testB2A}/*.png          (28x28 RGB)
//   ROOT/mnist_multi_jitterColor_BW/{...}/*.png                              (112x112 RGB)
//   (fashion_mnist_BW/ and fashion_mnist_multi_jitterColor_BW/ for --source fashion)
//   ROOT/<dataset>/train_pairs.txt: "A-file B-file" per training record, in the authors' record order
//
// MNIST comes from $I2I_DATA_DIR/mnist (cmake/fetch_mnist.sh), Fashion-MNIST from Debian's
// dataset-fashion-mnist. --count N writes only images 0..N-1 of each split; they are identical to the
// first N of a full build. Prints counts, sizes and time per split.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "i2i/core/threads.hpp"
#include "i2i/recipes/egscit/egscit_folders.hpp"
#include "i2i/data/mnist_files.hpp"
#include "i2i/recipes/egscit/mnist_multiple.hpp"
#include "i2i/recipes/egscit/mnist_single.hpp"
#include "program_options.hpp"

namespace {

namespace fs = std::filesystem;
using namespace i2i::data;

std::string default_mnist_dir() {
  const char* env = std::getenv("I2I_DATA_DIR");
  return (fs::path(env ? env : I2I_DEFAULT_DATA_DIR) / "mnist").string();
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Removes the PNGs of the folders a split writes (only those: the folder may hold other files).
void clear_split(const fs::path& dataset_dir, split s) {
  const char* names[] = {"trainA", "trainB", "testA", "testB", "testA2B", "testB2A"};
  for (int k = s == split::train ? 0 : 2; k < (s == split::train ? 2 : 6); ++k) {
    const fs::path dir = dataset_dir / names[k];
    if (!fs::is_directory(dir)) continue;
    std::size_t removed = 0;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".png") removed += fs::remove(e.path());
    if (removed) std::printf("  --force: removed %zu PNGs from %s\n", removed, dir.string().c_str());
  }
}

template <class D>
void write_split(const D& d, const fs::path& dataset_dir, std::size_t count, bool force) {
  if (force) clear_split(dataset_dir, d.which());
  const auto t0 = std::chrono::steady_clock::now();
  const auto c = write_egscit_folders(d, dataset_dir, count);
  const double secs = seconds_since(t0);
  const bool test = d.which() == split::test;
  std::printf("  %-5s %s%c %zu, %s%c %zu", name(d.which()), test ? "test" : "train", 'A', c.a, test ? "test" : "train",
              'B', c.b);
  if (test) std::printf(", testA2B %zu, testB2A %zu", c.a2b, c.b2a);
  std::printf("  (%dx%d RGB PNG, %zu files, %.1f s)\n", d.width(), d.height(), c.total(), secs);
  if (!test) {
    // The authors' record order (convert_mnist*_BW.py), for trainers that want it.
    const auto pairs = d.record_pairs();
    std::ofstream f(dataset_dir / "train_pairs.txt");
    const std::size_t n = count ? std::min(count, pairs.size()) : pairs.size();
    std::size_t written = 0;
    for (const auto& [a, b] : pairs)
      if (a < n && b < n) {
        f << "trainA/" << d.a_name(a) << " trainB/" << d.b_name(b) << '\n';
        ++written;
      }
    std::printf("        train_pairs.txt: %zu records in the authors' order\n", written);
  }
}

}  // namespace

int main(int argc, char** argv) try {
  std::string dataset = "both", source = "mnist", which = "both", data_dir, out = "data/egscit";
  std::size_t count = 0;
  std::uint32_t seed = 0;
  bool no_hold_out = false, no_stretch = false, force = false;
  examples::command_line cli{"egscit_prepare_data", "Builds MNIST-Single and MNIST-Multiple (egscit.md) in "
                                                    "egscit_train's folder layout"};
  cli.add_option("--dataset", dataset, "which datasets")->check(CLI::IsMember({"single", "multiple", "both"}));
  cli.add_option("--source", source, "the digits")->check(CLI::IsMember({"mnist", "fashion"}));
  cli.add_option("--split", which, "which splits")->check(CLI::IsMember({"train", "test", "both"}));
  cli.add_option("--data", data_dir,
                 "folder of the IDX files: default $I2I_DATA_DIR/mnist (cmake/fetch_mnist.sh) for MNIST, "
                 "/usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist) for Fashion");
  cli.add_option("--out", out, "root of the dataset folders");
  examples::add_number(cli, "--count", count, 0, examples::unlimited<std::size_t>,
                       "write only images 0..N-1 of each split (0: all)");
  examples::add_seed(cli, seed,
                       "np.random.seed of the recipe (0 is the authors')");
  cli.add_flag("--no-hold-out", no_hold_out, "MNIST-Single: drop the training-only 'digits 5-9 are red on green' rule");
  cli.add_flag("--no-stretch", no_stretch,
               "MNIST-Multiple: skip the min-max stretch scipy's toimage gave the authors' files");
  cli.add_flag("--force", force, "delete existing PNGs in the split folders first");
  examples::add_threads(cli);
  if (const auto status = cli.parse(argc, argv)) return *status;
  const bool hold_out = !no_hold_out, stretch = !no_stretch;
  const grey_source src = source == "mnist" ? grey_source::mnist : grey_source::fashion_mnist;
  if (data_dir.empty()) data_dir = src == grey_source::mnist ? default_mnist_dir() : fashion_mnist_debian_dir;

  const auto t_all = std::chrono::steady_clock::now();
  std::printf("egscit_prepare_data: %s from %s, seed %u, %d threads -> %s\n", name(src), data_dir.c_str(), seed,
              i2i::num_threads(), out.c_str());
  for (split s : {split::train, split::test}) {
    if (which != "both" && which != name(s)) continue;
    auto t0 = std::chrono::steady_clock::now();
    const grey_set digits = load_grey_source(src, s, data_dir);
    std::printf("%s %s: %zu images %dx%d (%.1f s to read)\n", name(src), name(s), digits.size(), digits.width,
                digits.height, seconds_since(t0));
    if (s == split::test) {
      const auto fg = foreground_fraction_by_class(digits);
      std::printf("  foreground fraction per class (pixels >= 128):");
      for (double f : fg) std::printf(" %.3f", f);
      std::printf("\n");
    }
    if (dataset != "multiple") {
      mnist_single_options opt;
      opt.seed = seed;
      opt.hold_out = hold_out;
      const fs::path dir = fs::path(out) / egscit_folder_name(egscit_dataset::single, src);
      std::printf(" MNIST-Single%s -> %s\n", hold_out ? "" : " (no hold-out rule)", dir.string().c_str());
      write_split(mnist_single(digits, s, opt), dir, count, force);
    }
    if (dataset != "single") {
      mnist_multiple_options opt;
      opt.seed = seed;
      opt.imsave_stretch = stretch;
      const fs::path dir = fs::path(out) / egscit_folder_name(egscit_dataset::multiple, src);
      t0 = std::chrono::steady_clock::now();
      const mnist_multiple m(digits, s, opt);
      std::size_t nine = 0;
      for (std::size_t i = 0; i < m.size(); ++i) nine += m.a_layout(i).sources.size() < 10;
      std::printf(" MNIST-Multiple%s -> %s (plan %.1f s; %zu A canvases found only 9 classes)\n",
                  stretch ? "" : " (no stretch)", dir.string().c_str(), seconds_since(t0), nine);
      write_split(m, dir, count, force);
    }
  }
  std::printf("done in %.1f s\n", seconds_since(t_all));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "egscit_prepare_data: %s\n", e.what());
  return 1;
}
