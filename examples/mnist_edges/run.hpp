#pragma once
// The mnist_edges program over the backend: train, evaluate against the baseline, write samples.png,
// save and reload, metrics.json. main.cpp runs it on the CPU backend; run_gpu.cu (an nvcc TU) on
// cuda_backend<float> for --gpu. Free of backend headers (translator.hpp).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "i2i/core/threads.hpp"
#include "i2i/io/image.hpp"
#include "i2i/io/parse_json.hpp"
#include "i2i/model/checkpoint.hpp"
#include "translator.hpp"

namespace mnist_edges {

struct run_options {
  std::string data = "data/mnist", out = "out/mnist_edges";
  train_options train;
};

/// The whole program on backend B; `runs_on` ends the first line ("2 CPU threads", "CUDA device 0").
/// Returns the exit status.
template <class B>
int run(const run_options& r, const std::string& runs_on) {
  const auto& opt = r.train;
  const std::string& data = r.data;
  const std::string& out = r.out;
  std::filesystem::create_directories(out);

  const auto train = i2i::io::read_idx(data + "/train-images-idx3-ubyte", std::vector<std::uint32_t>{28, 28});
  const auto test = i2i::io::read_idx(data + "/t10k-images-idx3-ubyte", std::vector<std::uint32_t>{28, 28});
  std::printf("MNIST: %zu training and %zu test digits from %s; %s\n", train.count(), test.count(), data.c_str(),
              runs_on.c_str());

  basic_translator<B> net(opt.seed);
  const std::size_t n_eval = std::min<std::size_t>(1000, test.count());
  const double baseline = constant_baseline_l1<B>(test, 0, n_eval);
  const double before = evaluate_l1(net, test, 0, n_eval);
  std::printf("test L1 on %zu digits: untrained %.4f, always-background baseline %.4f\n", n_eval, before, baseline);

  const auto t0 = std::chrono::steady_clock::now();
  mnist_edges::train(net, train, opt, [&](int step, double loss) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("step %5d  train L1 %.4f  (%.1f s)\n", step, loss, s);
    std::fflush(stdout);
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double after = evaluate_l1(net, test, 0, n_eval);
  std::printf("test L1 after %d steps of batch %d: %.4f (untrained %.4f, baseline %.4f), %.1f s of training\n",
              opt.steps, opt.batch, after, before, baseline, seconds);

  // Input | translation | target, one row per test digit.
  auto x = i2i::io::idx_images(test, 0, 12);
  auto y = B::to_host(net(B::to_backend(x)));
  auto t = B::to_host(edge_target<B>(x));
  std::vector<i2i::io::image> tiles;
  for (std::int64_t n = 0; n < x.n(); ++n)
    for (const auto* b : {&x, &y, &t}) tiles.push_back(i2i::io::to_image(*b, n));
  i2i::io::write_png(out + "/samples.png", i2i::io::make_grid(tiles, 3 * 4, 2, 128));

  // snippet-begin: save-load
  i2i::save_model(net, out + "/generator.safetensors", {{"steps", std::to_string(opt.steps)}});
  basic_translator<B> reloaded(opt.seed + 1);                   // different initial weights
  i2i::load_model(reloaded, out + "/generator.safetensors");    // strict: every key, same shapes
  // snippet-end
  const double reloaded_l1 = evaluate_l1(reloaded, test, 0, n_eval);
  std::printf("saved %s/generator.safetensors; the reloaded generator scores %.4f\n", out.c_str(), reloaded_l1);
  if (reloaded_l1 != after) {
    std::fprintf(stderr, "the reloaded generator differs from the trained one\n");
    return 1;
  }

  const i2i::io::json metrics = {{"steps", opt.steps},
                                 {"batch", opt.batch},
                                 {"test_l1_untrained", before},
                                 {"test_l1_trained", after},
                                 {"test_l1_background_baseline", baseline},
                                 {"train_seconds", seconds},
                                 {"threads", i2i::num_threads()}};
  std::ofstream(out + "/metrics.json") << metrics.dump() << "\n";
  std::printf("wrote %s/samples.png (input | translation | target) and %s/metrics.json\n", out.c_str(), out.c_str());
  if (!(after < baseline)) {
    std::fprintf(stderr, "the translator did not beat the always-background baseline\n");
    return 1;
  }
  return 0;
}

}  // namespace mnist_edges
