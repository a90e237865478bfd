// Peak memory (RSS) and time of one pix2pixHD generator forward on the CPU, full preset (the paper's
// networks: global ngf 64, 4 downsamplings, 9 blocks; local enhancer ngf 32 around that G1 at ngf 64),
// 36 input channels (Cityscapes: 35 labels + boundary map), random pix2pixHD init. One configuration
// per process, so that ru_maxrss is that forward's peak; benchmarks/inference_memory/run.sh runs them
// all with the PyTorch peer (benchmarks/peers/pix2pixhd_inference_memory.py) in one go.
//
//   inference_memory --net global|local --mode infer|train [--height 1024 --width 2048 --threads 2]
//                    [--cache off]
//
// --cache off: host_allocator's cache limit 0, so freed tensors go back to the system at once and the
// peak RSS is the live tensors' peak (the default cache keeps every block size the forward ever used).
//
// infer: what the translator runs: G.drop_gradients() and G(x) (no gradient buffers, no backward
// state). train: G.forward(x) with gradient buffers, keeping every layer's context for a backward pass.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/core/host_allocator.hpp"
#include "i2i/core/threads.hpp"
#include "i2i/model/init.hpp"
#include "i2i/models/pix2pixhd/config.hpp"
#include "program_options.hpp"

namespace {

double rss_mib() {  // resident now
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}
double peak_rss_mib() {  // high-water mark since the last reset_peak_rss()
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return -1;
}
void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }  // Linux >= 4.0: VmHWM = VmRSS

template <class Cfg>
int run(const std::string& net, bool infer, int h, int w, int threads, bool cache) {
  using B = i2i::cpu_backend<float>;
  i2i::model<typename Cfg::generator, B> G;
  i2i::initialize(G, i2i::init_policy::pix2pixhd(), 1);
  G.eval();
  if (infer) {  // as the translator does: an inference-only model keeps no gradient buffers
    G.drop_gradients();
    i2i::host_allocator::instance().release_cached();
  }
  auto x = i2i::tensor<float>::zeros(i2i::shape::nchw(1, Cfg::g_in, h, w));
  for (int y = 0; y < h; ++y)  // a one-hot label map, one pseudo-random class per 64 x 64 block
    for (int xx = 0; xx < w; ++xx) {
      const int c = int((std::uint32_t(y / 64) * 40503u + std::uint32_t(xx / 64) * 2654435761u) % 35u);
      x.at(0, c, y, xx) = 1.0f;
    }
  const double weights_mib = double(G.parameter_count()) * 4.0 / (1024.0 * 1024.0);
  if (!cache) i2i::host_allocator::instance().set_cache_limit(0);
  const double before = rss_mib(), peak_before = peak_rss_mib();
  reset_peak_rss();  // the forward's own peak, not initialisation's
  const auto t0 = std::chrono::steady_clock::now();
  double out_sum = 0;
  if (infer) {
    const auto y = G(x);
    out_sum = double(y[0]);
  } else {
    const auto ctx = G.forward(x);
    out_sum = double(ctx.output[0]);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "{\"impl\": \"i2i\", \"net\": \"%s\", \"mode\": \"%s%s\", \"height\": %d, \"width\": %d, \"threads\": %d, "
      "\"weights_mib\": %.1f, \"rss_before_forward_mib\": %.1f, \"peak_rss_before_forward_mib\": %.1f, "
      "\"peak_rss_mib\": %.1f, \"forward_growth_mib\": %.1f, \"seconds\": %.2f, \"out0\": %g}\n",
      net.c_str(), infer ? "infer" : "train", cache ? "" : ", cache off", h, w, threads, weights_mib, before,
      peak_before, peak_rss_mib(), peak_rss_mib() - before, secs, out_sum);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string net = "global", mode = "infer", cache_text = "on";
  int h = 1024, w = 2048, threads = 2;
  examples::command_line cli{"inference_memory", "Peak memory of one pix2pixHD generator forward"};
  cli.add_option("--net", net, "the generator")->check(CLI::IsMember({"global", "local"}));
  cli.add_option("--mode", mode, "inference mode or training mode")->check(CLI::IsMember({"infer", "train"}));
  examples::add_number(cli, "--height", h, 16, 1 << 16, "input height");
  examples::add_number(cli, "--width", w, 16, 1 << 16, "input width");
  examples::add_number(cli, "--threads", threads, 1, 1024, "CPU threads");
  cli.add_option("--cache", cache_text, "the host allocator's cache")->check(CLI::IsMember({"on", "off"}));
  if (const auto status = cli.parse(argc, argv)) return *status;
  const bool cache = cache_text != "off";
  i2i::set_num_threads(threads);
  namespace p = i2i::pix2pixhd;
  const bool infer = mode == "infer";
  if (net == "global") return run<p::config<p::full_preset, false, 36, false>>(net, infer, h, w, threads, cache);
  if (net == "local") return run<p::config<p::full_preset, true, 36, false>>(net, infer, h, w, threads, cache);
  return 2;  // unreachable: --net is checked by the parser
}
