// CPU time of seq's layer fusion (compose/fuse.hpp): pix2pixHD's global generator (full preset: ngf 64,
// 4 downsamplings, 9 residual blocks; 36 label channels) forward + backward, fused against the same
// network with fusion turned off (the CPU backend with fuse_layers = false), interleaved in one process;
// and the op alone, instance_norm -> relu -> reflection_pad2d(1) against instance_norm_pad, forward and
// backward. Prints the median of --reps rounds of G (10 --reps rounds of the op) of each and one JSON line.
//
//   fused_layers [--height 256 --width 512 --reps 3 --threads 2]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/core/threads.hpp"
#include "i2i/model/init.hpp"
#include "i2i/models/pix2pixhd/global_generator.hpp"
#include "program_options.hpp"

namespace {

using fused_cpu = i2i::cpu_backend<float>;
struct unfused_cpu : i2i::cpu_backend<float> {
  static constexpr bool fuse_layers = false;
};
using generator = i2i::pix2pixhd::global_generator<36, 3, 64, 4, 9>;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <class F>
double seconds(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// One forward + backward of G (gradients zeroed first, as a training step does).
template <class M>
double step(M& g, const i2i::tensor<float>& x, const i2i::tensor<float>& dy) {
  return seconds([&] {
    g.zero_grad();
    auto ctx = g.forward(x);
    (void)g.backward(ctx, dy, {}, false);
  });
}

}  // namespace

int main(int argc, char** argv) {
  int h = 256, w = 512, reps = 3, threads = 2;
  examples::command_line cli{"fused_layers", "CPU time of fused instance_norm + activation + reflection pad"};
  examples::add_number(cli, "--height", h, 16, 1 << 14, "input height (a multiple of 16)");
  examples::add_number(cli, "--width", w, 16, 1 << 14, "input width (a multiple of 16)");
  examples::add_number(cli, "--reps", reps, 1, 1000, "interleaved rounds");
  examples::add_number(cli, "--threads", threads, 1, 1024, "CPU threads");
  if (const auto status = cli.parse(argc, argv)) return *status;
  i2i::set_num_threads(threads);
  using namespace i2i;

  // The op alone, on a residual block's activation at this resolution (256 channels at 1/4 size).
  const auto xo = [&] {
    auto t = tensor<float>::empty(shape::nchw(1, 256, h / 4, w / 4));
    for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = float((i * 7919) % 1000) / 500.0f - 1.0f;
    return t;
  }();
  const auto p = padding2d::uniform(1);
  const auto dyo = fused_cpu::reflection_pad2d(xo, p);
  std::vector<double> op_chain, op_fused;
  // A few milliseconds each: many rounds, the first two (the allocator's cache filling) not counted.
  for (int r = 0; r < 2 + 10 * reps; ++r) {
    if (r == 2) op_chain.clear(), op_fused.clear();
    op_chain.push_back(seconds([&] {
      const auto n = fused_cpu::instance_norm(xo, {}, {}, 1e-5, activation{});
      const auto a = fused_cpu::activate(n.y, activation::relu());
      const auto y = fused_cpu::reflection_pad2d(a, p);
      const auto da = fused_cpu::activation_backward(fused_cpu::reflection_pad2d_backward(dyo, a.shape(), p), a,
                                                     activation::relu());
      (void)fused_cpu::instance_norm_backward(da, xo, n, {}, {}, {});
    }));
    op_fused.push_back(seconds([&] {
      const auto f = fused_cpu::instance_norm_pad(xo, {}, {}, 1e-5, activation::relu(), p);
      (void)fused_cpu::instance_norm_pad_backward(dyo, xo, f, {}, {}, {});
    }));
  }

  model<generator, fused_cpu> gf;
  model<generator, unfused_cpu> gu;
  initialize(gf, init_policy::pix2pixhd(), 1);
  initialize(gu, init_policy::pix2pixhd(), 1);
  auto x = tensor<float>::zeros(shape::nchw(1, 36, h, w));
  for (int yy = 0; yy < h; ++yy)  // a one-hot label map, one pseudo-random class per 64 x 64 block
    for (int xx = 0; xx < w; ++xx)
      x.at(0, int((std::uint32_t(yy / 64) * 40503u + std::uint32_t(xx / 64) * 2654435761u) % 35u), yy, xx) = 1.0f;
  auto dy = tensor<float>::filled(shape::nchw(1, 3, h, w), 1e-3f);
  (void)step(gf, x, dy);  // warm-up: the allocator's cache and packed weights
  (void)step(gu, x, dy);
  std::vector<double> unfused, fused;
  for (int r = 0; r < reps; ++r) {
    unfused.push_back(step(gu, x, dy));
    fused.push_back(step(gf, x, dy));
  }
  const double mu = median(unfused), mf = median(fused), oc = median(op_chain), of = median(op_fused);
  std::printf("op 1x256x%dx%d IN+ReLU+pad1 fwd+bwd: chain %.2f ms, fused %.2f ms (%.2fx)\n", h / 4, w / 4, oc * 1e3,
              of * 1e3, oc / of);
  std::printf("global G (ngf 64, 4 down, 9 blocks) 1x36x%dx%d fwd+bwd, %d threads: unfused %.3f s, fused %.3f s (%.1f %% less)\n",
              h, w, threads, mu, mf, 100.0 * (mu - mf) / mu);
  std::printf("{\"bench\": \"fused_layers\", \"height\": %d, \"width\": %d, \"threads\": %d, \"reps\": %d, "
              "\"op_chain_ms\": %.3f, \"op_fused_ms\": %.3f, \"g_unfused_s\": %.4f, \"g_fused_s\": %.4f}\n",
              h, w, threads, reps, oc * 1e3, of * 1e3, mu, mf);
  return 0;
}
