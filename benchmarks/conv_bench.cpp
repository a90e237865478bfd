// Convolution benchmark: i2i's CPU conv2d / conv_transpose2d against the machine's peak and, when built
// with -DI2I_BENCH_LIBTORCH=ON, against libtorch on the same shapes in the same run.
//
//   conv_bench [--threads 2] [--peak 225] [--reps 10] [--warmup 3] [--json FILE] [--filter TEXT]
//              [--wait-quiet SECONDS] [--measure-peak] [--no-torch]
//
// --measure-peak replaces --peak by an FMA loop run on every thread (AVX-512 or AVX2 zmm/ymm FMAs with
// 12 independent accumulators): use it on a machine whose peak you do not know.
//
// Every case is batch 1, float32. "fwd" is the forward pass with a bias; "fwd+bwd" is forward, input
// gradient, weight gradient and bias gradient (3x the forward FLOPs). "packed" keeps the weight packed
// between calls (what a model does, see conv2d.hpp); "unpacked" packs it inside every call.
// Times are wall clock per call: min / median / max over the timed repetitions; GFLOP/s at the median.
// "cpus" is process CPU time / wall time during the reps: well below the thread count means the threads
// waited (for each other, or for another job on a shared machine); libtorch's OpenMP threads spin, so
// its value is always near the thread count.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <time.h>
#include <vector>

#include "i2i/backend/cpu/conv2d.hpp"
#include "i2i/backend/cpu/conv_transpose2d.hpp"
#include "program_options.hpp"

#ifdef I2I_BENCH_LIBTORCH
#include <torch/torch.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

using namespace i2i;

namespace {

struct options {
  int threads = 2;
  double peak = 225.0;  // GFLOP/s of the 2-core Zen 4 machine this was written on (research/cpu_baseline.md)
  int reps = 10;
  int warmup = 3;
  std::string json;
  std::string filter;
  int wait_quiet = 0;
  bool torch = true;
  bool measure_peak = false;
};

struct timing {
  double min_ms = 0, med_ms = 0, max_ms = 0;
  double cpu_util = 0;  // process CPU time / wall time over the timed reps (threads busy, incl. spinning)
};

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

timing time_it(const std::function<void()>& f, const options& o) {
  for (int i = 0; i < o.warmup; ++i) f();
  std::vector<double> t;
  const double cpu0 = process_cpu_seconds();
  const auto w0 = std::chrono::steady_clock::now();
  for (int i = 0; i < o.reps; ++i) {
    const auto a = std::chrono::steady_clock::now();
    f();
    const auto b = std::chrono::steady_clock::now();
    t.push_back(std::chrono::duration<double, std::milli>(b - a).count());
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  const double util = (process_cpu_seconds() - cpu0) / wall;
  std::sort(t.begin(), t.end());
  const std::size_t n = t.size();
  return {t.front(), n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]), t.back(), util};
}

/// Waits up to max_s seconds for 3 consecutive 1-second samples with the machine >= 90% idle (other
/// jobs on a shared 2-core VM make 2-thread timings 2-4x slower). Returns the last busy percentage.
int wait_quiet(int max_s) {
  auto sample = [] {
    std::ifstream f("/proc/stat");
    std::string cpu;
    long long v[8] = {};
    f >> cpu;
    for (auto& x : v) f >> x;
    long long total = 0;
    for (auto x : v) total += x;
    return std::pair<long long, long long>(total, v[3] + v[4]);
  };
  int ok = 0, busy = 100;
  for (int i = 0; i < max_s && ok < 3; ++i) {
    const auto a = sample();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const auto b = sample();
    const long long dt = b.first - a.first, di = b.second - a.second;
    busy = dt > 0 ? int(100 - 100 * di / dt) : 100;
    ok = busy <= 10 ? ok + 1 : 0;
  }
  return busy;
}

#if defined(__x86_64__) && defined(__GNUC__)
/// FLOPs per second of one thread running independent FMA chains for about `seconds`.
__attribute__((target("avx512f,fma"))) double fma_rate_avx512(double seconds) {
  __m512 acc[12];
  const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(float(i));
  long iters = 0;
  const auto t0 = std::chrono::steady_clock::now();
  double el = 0;
  while (el < seconds) {
    for (int k = 0; k < 100000; ++k) {
#pragma GCC unroll 12
      for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], m, c);
    }
    iters += 100000;
    el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  alignas(64) float t[16];
  float sink = 0;
  for (int i = 0; i < 12; ++i) {
    _mm512_store_ps(t, acc[i]);
    sink += t[0];
  }
  volatile float keep = sink;
  (void)keep;
  return 12.0 * 16 * 2 * double(iters) / el;
}
__attribute__((target("avx2,fma"))) double fma_rate_avx2(double seconds) {
  __m256 acc[12];
  const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(float(i));
  long iters = 0;
  const auto t0 = std::chrono::steady_clock::now();
  double el = 0;
  while (el < seconds) {
    for (int k = 0; k < 100000; ++k) {
#pragma GCC unroll 12
      for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], m, c);
    }
    iters += 100000;
    el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  alignas(32) float t[8];
  float sink = 0;
  for (int i = 0; i < 12; ++i) {
    _mm256_store_ps(t, acc[i]);
    sink += t[0];
  }
  volatile float keep = sink;
  (void)keep;
  return 12.0 * 8 * 2 * double(iters) / el;
}
#endif

/// Peak FP32 GFLOP/s of `threads` threads, measured (best of 3 short runs).
double measure_peak(int threads) {
#if defined(__x86_64__) && defined(__GNUC__)
  const bool zmm = cpu::gemm_isa_supported(cpu::gemm_isa::avx512);
  if (!zmm && !cpu::gemm_isa_supported(cpu::gemm_isa::avx2)) return 0;
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<double> rate(static_cast<std::size_t>(threads));
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] { rate[std::size_t(t)] = zmm ? fma_rate_avx512(0.3) : fma_rate_avx2(0.3); });
    for (auto& th : pool) th.join();
    double sum = 0;
    for (double r : rate) sum += r;
    best = std::max(best, sum * 1e-9);
  }
  return best;
#else
  (void)threads;
  return 0;
#endif
}

struct result {
  std::string name, pass, impl;
  timing t;
  double gflop = 0;
  double gflops() const { return gflop / (t.med_ms * 1e-3); }
};

std::vector<result> results;

void report(const result& r, const options& o, const result* peer) {
  std::printf("%-30s %-8s %-13s %8.2f %8.2f %8.2f  %7.1f  %5.1f%%  %4.2f", r.name.c_str(), r.pass.c_str(),
              r.impl.c_str(), r.t.min_ms, r.t.med_ms, r.t.max_ms, r.gflops(), 100.0 * r.gflops() / o.peak,
              r.t.cpu_util);
  if (peer) std::printf("  x%.2f vs %s", r.gflops() / peer->gflops(), peer->impl.c_str());
  std::printf("\n");
  std::fflush(stdout);
  results.push_back(r);
}

tensor<float> random_tensor(const shape& s, float scale = 1.0f) {
  static std::mt19937 g(1);
  std::uniform_real_distribution<float> u(-scale, scale);
  auto t = tensor<float>::empty(s);
  for (auto& v : t.values()) v = u(g);
  return t;
}

struct conv_case {
  std::string name;
  std::int64_t cin, cout, k, h, w, stride, pad, out_pad;
  bool transposed;
};

double forward_gflop(const conv_case& c, std::int64_t oh, std::int64_t ow) {
  // A transposed conv does Cin*Cout*K*K MACs per input pixel; a conv per output pixel.
  const double pixels = c.transposed ? double(c.h * c.w) : double(oh * ow);
  return 2.0 * double(c.cin) * double(c.cout) * double(c.k * c.k) * pixels * 1e-9;
}

#ifdef I2I_BENCH_LIBTORCH
torch::Tensor to_torch(const tensor<float>& t) {
  const auto& s = t.shape();
  std::vector<int64_t> dims;
  for (int i = 0; i < s.rank(); ++i) dims.push_back(s[i]);
  return torch::from_blob(t.data(), dims, torch::kFloat32).clone();
}
#endif

void run_case(const conv_case& c, const options& o) {
  if (!o.filter.empty() && c.name.find(o.filter) == std::string::npos) return;
  if (o.wait_quiet > 0) {
    const int busy = wait_quiet(o.wait_quiet);
    if (busy > 10) std::printf("# machine still %d%% busy after %d s: the next numbers are noisy\n", busy, o.wait_quiet);
  }
  auto x = random_tensor(shape{1, c.cin, c.h, c.w});
  const shape ws = c.transposed ? shape{c.cin, c.cout, c.k, c.k} : shape{c.cout, c.cin, c.k, c.k};
  auto w = random_tensor(ws, 0.05f);
  auto b = random_tensor(shape{c.cout});
  auto dw = tensor<float>::zeros(ws);
  auto db = tensor<float>::zeros(shape{c.cout});

  if (!c.transposed) {
    const auto a = cpu::conv2d_args::make(c.stride, c.pad);
    cpu::packed_conv_weight<float> pw(w, a);
    auto y = cpu::conv2d(x, pw, &b, a);
    auto dy = random_tensor(y.shape());
    const double gf = forward_gflop(c, y.h(), y.w());
    result packed_fwd{c.name, "fwd", "i2i packed", time_it([&] { cpu::conv2d(x, pw, &b, a); }, o), gf};
    result unpacked_fwd{c.name, "fwd", "i2i unpacked", time_it([&] { cpu::conv2d(x, w, &b, a); }, o), gf};
    result packed_all{c.name, "fwd+bwd", "i2i packed", time_it([&] {
                                                        cpu::conv2d(x, pw, &b, a);
                                                        cpu::conv2d_backward_input(dy, pw, x.shape(), a);
                                                        cpu::conv2d_backward_params(x, dy, dw, &db, a);
                                                      }, o),
                      3 * gf};
    result unpacked_all{c.name, "fwd+bwd", "i2i unpacked", time_it([&] {
                                                            cpu::conv2d(x, w, &b, a);
                                                            cpu::conv2d_backward_input(dy, w, x.shape(), a);
                                                            cpu::conv2d_backward_params(x, dy, dw, &db, a);
                                                          }, o),
                        3 * gf};
#ifdef I2I_BENCH_LIBTORCH
    if (o.torch) {
      torch::NoGradGuard ng;
      auto tx = to_torch(x), tw = to_torch(w), tb = to_torch(b), tdy = to_torch(dy);
      result tf{c.name, "fwd", "libtorch", time_it([&] { torch::conv2d(tx, tw, tb, c.stride, c.pad); }, o), gf};
      report(packed_fwd, o, &tf);
      report(unpacked_fwd, o, &tf);
      report(tf, o, nullptr);
      torch::AutoGradMode on(true);
      auto gx = tx.clone().requires_grad_(true), gw = tw.clone().requires_grad_(true),
           gb = tb.clone().requires_grad_(true);
      result tfb{c.name, "fwd+bwd", "libtorch", time_it([&] {
                                                  auto ty = torch::conv2d(gx, gw, gb, c.stride, c.pad);
                                                  auto g = torch::autograd::grad({ty}, {gx, gw, gb}, {tdy});
                                                }, o),
                 3 * gf};
      report(packed_all, o, &tfb);
      report(unpacked_all, o, &tfb);
      report(tfb, o, nullptr);
      return;
    }
#endif
    report(packed_fwd, o, nullptr);
    report(unpacked_fwd, o, nullptr);
    report(packed_all, o, nullptr);
    report(unpacked_all, o, nullptr);
  } else {
    const auto a = cpu::conv_transpose2d_args::pytorch(c.stride, c.pad, c.out_pad);
    cpu::packed_conv_transpose_weight<float> pw(w, a);
    auto y = cpu::conv_transpose2d(x, pw, &b, a);
    auto dy = random_tensor(y.shape());
    const double gf = forward_gflop(c, y.h(), y.w());
    result packed_fwd{c.name, "fwd", "i2i packed", time_it([&] { cpu::conv_transpose2d(x, pw, &b, a); }, o), gf};
    result unpacked_fwd{c.name, "fwd", "i2i unpacked", time_it([&] { cpu::conv_transpose2d(x, w, &b, a); }, o), gf};
    result packed_all{c.name, "fwd+bwd", "i2i packed", time_it([&] {
                                                        cpu::conv_transpose2d(x, pw, &b, a);
                                                        cpu::conv_transpose2d_backward_input(dy, pw, x.shape(), a);
                                                        cpu::conv_transpose2d_backward_params(x, dy, dw, &db, a);
                                                      }, o),
                      3 * gf};
#ifdef I2I_BENCH_LIBTORCH
    if (o.torch) {
      torch::NoGradGuard ng;
      auto tx = to_torch(x), tw = to_torch(w), tb = to_torch(b), tdy = to_torch(dy);
      result tf{c.name, "fwd", "libtorch",
                time_it([&] { torch::conv_transpose2d(tx, tw, tb, c.stride, c.pad, c.out_pad); }, o), gf};
      report(packed_fwd, o, &tf);
      report(unpacked_fwd, o, &tf);
      report(tf, o, nullptr);
      torch::AutoGradMode on(true);
      auto gx = tx.clone().requires_grad_(true), gw = tw.clone().requires_grad_(true),
           gb = tb.clone().requires_grad_(true);
      result tfb{c.name, "fwd+bwd", "libtorch", time_it([&] {
                                                  auto ty = torch::conv_transpose2d(gx, gw, gb, c.stride, c.pad,
                                                                                    c.out_pad);
                                                  auto g = torch::autograd::grad({ty}, {gx, gw, gb}, {tdy});
                                                }, o),
                 3 * gf};
      report(packed_all, o, &tfb);
      report(tfb, o, nullptr);
      return;
    }
#endif
    report(packed_fwd, o, nullptr);
    report(unpacked_fwd, o, nullptr);
    report(packed_all, o, nullptr);
  }
}

void write_json(const options& o) {
  std::ofstream f(o.json);
  f << "{\n  \"threads\": " << o.threads << ",\n  \"peak_gflops\": " << o.peak << ",\n  \"reps\": " << o.reps
    << ",\n  \"isa\": \"" << cpu::name(cpu::active_gemm_isa()) << "\",\n  \"results\": [\n";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    f << "    {\"case\": \"" << r.name << "\", \"pass\": \"" << r.pass << "\", \"impl\": \"" << r.impl
      << "\", \"gflop\": " << r.gflop << ", \"ms_min\": " << r.t.min_ms << ", \"ms_median\": " << r.t.med_ms
      << ", \"ms_max\": " << r.t.max_ms << ", \"gflops\": " << r.gflops()
      << ", \"pct_peak\": " << 100.0 * r.gflops() / o.peak << ", \"cpu_util\": " << r.t.cpu_util << "}" << (i + 1 < results.size() ? "," : "") << "\n";
  }
  f << "  ]\n}\n";
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  using examples::add_number;
  examples::command_line cli{"conv_bench", "Times i2i's CPU convolutions (and libtorch's, when built with it)"};
  add_number(cli, "--threads", o.threads, 1, 1024, "CPU threads");
  add_number(cli, "--peak", o.peak, 1e-3, 1e9, "the machine's FMA peak in GFLOP/s (for %peak)");
  add_number(cli, "--reps", o.reps, 1, 1 << 20, "timed repetitions");
  add_number(cli, "--warmup", o.warmup, 0, 1 << 20, "untimed repetitions first");
  cli.add_option("--json", o.json, "also write the results here");
  cli.add_option("--filter", o.filter, "only the cases whose name contains this");
  add_number(cli, "--wait-quiet", o.wait_quiet, 0, 86400, "wait up to this many seconds for an idle machine");
  cli.add_flag("--measure-peak", o.measure_peak, "measure the FMA peak instead of --peak");
  bool no_torch = false;
  cli.add_flag("--no-torch", no_torch, "skip libtorch");
  if (const auto status = cli.parse(argc, argv)) return *status;
  o.torch = !no_torch;
  set_num_threads(o.threads);
  if (o.measure_peak) {
    if (o.wait_quiet > 0) wait_quiet(o.wait_quiet);
    const double p = measure_peak(o.threads);
    if (p > 0) o.peak = p;
    std::printf("# measured FMA peak of %d threads: %.1f GFLOP/s\n", o.threads, p);
  }
#ifdef I2I_BENCH_LIBTORCH
  torch::set_num_threads(o.threads);  // Debian's build starts with 1 thread on this VM
  const char* torch_state = o.torch ? "on" : "off (--no-torch)";
#else
  const char* torch_state = "not built (cmake -DI2I_BENCH_LIBTORCH=ON)";
#endif
  std::printf("# conv_bench: %d threads, float32, batch 1, kernels %s, peak %.0f GFLOP/s, %d warm-up + %d reps, "
              "libtorch %s\n",
              o.threads, std::string(cpu::name(cpu::active_gemm_isa())).c_str(), o.peak, o.warmup, o.reps,
              torch_state);
  std::printf("%-30s %-8s %-13s %8s %8s %8s  %7s  %6s  %4s\n", "case", "pass", "impl", "ms min", "ms med",
              "ms max", "GFLOP/s", "%peak", "cpus");
  const std::vector<conv_case> cases = {
      {"conv3x3 256->256 @64x64", 256, 256, 3, 64, 64, 1, 1, 0, false},
      {"conv3x3 1024->1024 @16x16", 1024, 1024, 3, 16, 16, 1, 1, 0, false},
      {"conv3x3 1024->1024 @8x8", 1024, 1024, 3, 8, 8, 1, 1, 0, false},
      {"conv7x7 36->64 @256x256", 36, 64, 7, 256, 256, 1, 3, 0, false},
      {"convT3x3 s2 128->64 128->256", 128, 64, 3, 128, 128, 2, 1, 1, true},
  };
  for (const auto& c : cases) run_case(c, o);
  if (!o.json.empty()) {
    write_json(o);
    std::printf("# wrote %s\n", o.json.c_str());
  }
  return 0;
}
