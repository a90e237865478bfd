// The foundation's main job: train a small pix2pixHD-style translator on real MNIST digits to draw
// their boundary maps, on the CPU, and show that it learned.
//
//   mnist_edges --data data/mnist --out out/mnist_edges [--steps 1200] [--batch 32] [--threads N]
//
// Prints the test L1 error before and after training next to the "always background" baseline, and
// writes samples.png (rows of input | translation | target for 12 test digits) and metrics.json.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "edge_translator.hpp"
#include "i2i/core/threads.hpp"
#include "i2i/io/image.hpp"
#include "i2i/model/checkpoint.hpp"

namespace {

void usage() {
  std::cerr << "usage: mnist_edges --data DIR --out DIR [--steps N] [--batch N] [--lr X] [--threads N] [--seed N]\n"
               "  DIR holds the MNIST IDX files (cmake/fetch_mnist.sh puts them in data/mnist)\n";
}

}  // namespace

int main(int argc, char** argv) try {
  std::string data = "data/mnist", out = "out/mnist_edges";
  mnist_edges::train_options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw i2i::value_error("mnist_edges: " + a + " needs a value");
      return argv[++i];
    };
    if (a == "--data") data = next();
    else if (a == "--out") out = next();
    else if (a == "--steps") opt.steps = std::stoi(next());
    else if (a == "--batch") opt.batch = std::stoi(next());
    else if (a == "--lr") opt.lr = std::stod(next());
    else if (a == "--seed") opt.seed = std::uint32_t(std::stoul(next()));
    else if (a == "--threads") i2i::set_num_threads(std::stoi(next()));
    else if (a == "-h" || a == "--help") return usage(), 0;
    else return usage(), 2;
  }
  std::filesystem::create_directories(out);

  const auto train = i2i::io::read_idx(data + "/train-images-idx3-ubyte", std::vector<std::uint32_t>{28, 28});
  const auto test = i2i::io::read_idx(data + "/t10k-images-idx3-ubyte", std::vector<std::uint32_t>{28, 28});
  std::printf("MNIST: %zu training and %zu test digits from %s; %d CPU threads\n", train.count(), test.count(),
              data.c_str(), i2i::num_threads());

  mnist_edges::translator net(opt.seed);
  const std::size_t n_eval = std::min<std::size_t>(1000, test.count());
  const double baseline = mnist_edges::constant_baseline_l1(test, 0, n_eval);
  const double before = mnist_edges::evaluate_l1(net, test, 0, n_eval);
  std::printf("test L1 on %zu digits: untrained %.4f, always-background baseline %.4f\n", n_eval, before, baseline);

  const auto t0 = std::chrono::steady_clock::now();
  mnist_edges::train(net, train, opt, [&](int step, double loss) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("step %5d  train L1 %.4f  (%.1f s)\n", step, loss, s);
    std::fflush(stdout);
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double after = mnist_edges::evaluate_l1(net, test, 0, n_eval);
  std::printf("test L1 after %d steps of batch %d: %.4f (untrained %.4f, baseline %.4f), %.1f s of training\n",
              opt.steps, opt.batch, after, before, baseline, seconds);

  // Input | translation | target, one row per test digit.
  auto x = i2i::io::idx_images(test, 0, 12);
  auto y = net(x);
  auto t = mnist_edges::edge_target(x);
  std::vector<i2i::io::image> tiles;
  for (std::int64_t n = 0; n < x.n(); ++n)
    for (const auto* b : {&x, &y, &t}) tiles.push_back(i2i::io::to_image(*b, n));
  i2i::io::write_png(out + "/samples.png", i2i::io::make_grid(tiles, 3 * 4, 2, 128));

  // snippet-begin: save-load
  i2i::save_model(net, out + "/generator.safetensors", {{"steps", std::to_string(opt.steps)}});
  mnist_edges::translator reloaded(opt.seed + 1);               // different initial weights
  i2i::load_model(reloaded, out + "/generator.safetensors");    // strict: every key, same shapes
  // snippet-end
  const double reloaded_l1 = mnist_edges::evaluate_l1(reloaded, test, 0, n_eval);
  std::printf("saved %s/generator.safetensors; the reloaded generator scores %.4f\n", out.c_str(), reloaded_l1);
  if (reloaded_l1 != after) {
    std::fprintf(stderr, "the reloaded generator differs from the trained one\n");
    return 1;
  }

  std::ofstream(out + "/metrics.json") << "{\"steps\": " << opt.steps << ", \"batch\": " << opt.batch
                                       << ", \"test_l1_untrained\": " << before << ", \"test_l1_trained\": " << after
                                       << ", \"test_l1_background_baseline\": " << baseline
                                       << ", \"train_seconds\": " << seconds << ", \"threads\": " << i2i::num_threads()
                                       << "}\n";
  std::printf("wrote %s/samples.png (input | translation | target) and %s/metrics.json\n", out.c_str(), out.c_str());
  if (!(after < baseline)) {
    std::fprintf(stderr, "the translator did not beat the always-background baseline\n");
    return 1;
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "mnist_edges: %s\n", e.what());
  return 1;
}
