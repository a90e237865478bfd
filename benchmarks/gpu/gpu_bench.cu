// GPU benchmark: the conv shapes of benchmarks/conv_bench.cpp (forward, data and weight gradient) and a
// pix2pixHD training step (pix2pixhd_step.hpp) at 256x256 and 512x1024, in fp32 with TF32 tensor cores
// and in bf16 mixed precision. Prints ms (median), TFLOP/s, % of a measured peak (a large cuBLAS GEMM in
// the same precision, timed here), peak device memory from the caching allocator, and the CPU backend's
// time for one 256x256 step. benchmarks/peers/pix2pixhd_step.py prints the same for PyTorch;
// benchmarks/gpu/run_all.sh runs both and prints the ratios.
//
//   gpu_bench [--json FILE] [--reps N] [--quick (256x256 only)] [--no-cpu] [--no-conv]
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "i2i/backend/cuda/backend.cuh"
#include "pix2pixhd_step.hpp"
#include "program_options.hpp"

namespace i2i::bench {
double cpu_step_ms(std::int64_t h, std::int64_t w);  // cpu_step.cpp
}

namespace {

using namespace i2i;

struct options {
  std::string json;
  int reps = 10;
  bool quick = false, cpu = true, conv = true;
};

/// Times `fn` on the current stream: `warmup` untimed calls, then the median of `reps` timed ones (ms).
template <class F>
double time_ms(F&& fn, int warmup, int reps) {
  for (int i = 0; i < warmup; ++i) fn();
  cudaEvent_t a, b;
  I2I_CUDA_CHECK(cudaEventCreate(&a));
  I2I_CUDA_CHECK(cudaEventCreate(&b));
  std::vector<float> ms;
  for (int i = 0; i < reps; ++i) {
    I2I_CUDA_CHECK(cudaEventRecord(a, cuda::current_stream()));
    fn();
    I2I_CUDA_CHECK(cudaEventRecord(b, cuda::current_stream()));
    I2I_CUDA_CHECK(cudaEventSynchronize(b));
    float t = 0;
    I2I_CUDA_CHECK(cudaEventElapsedTime(&t, a, b));
    ms.push_back(t);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

tensor<float> random_device(const shape& s, std::uint64_t seed, float scale = 1.0f) {
  auto h = tensor<float>::empty(s);
  std::uint64_t z = seed * 6364136223846793005ull + 1442695040888963407ull;
  for (std::int64_t i = 0; i < h.numel(); ++i) {
    z = z * 6364136223846793005ull + 1442695040888963407ull;
    h[i] = scale * (float((z >> 40) & 0xFFFFFF) / float(0x1000000) * 2.0f - 1.0f);
  }
  return cuda::to_device(h, cuda::current_device());
}

/// Measured peak: a 8192^3 cuBLAS GEMM with the policy's inputs and fp32 accumulation (TFLOP/s).
template <class H, bool Strict>
double gemm_peak() {
  const int n = 8192;
  auto a = random_device(shape{n, n}, 1), b = random_device(shape{n, n}, 2);
  auto c = cuda::device_empty<float>(shape{n, n}, cuda::current_device());
  cuda::scratch ah(std::size_t(n) * n * sizeof(H)), bh(std::size_t(n) * n * sizeof(H));
  const void *pa = a.data(), *pb = b.data();
  if constexpr (!std::is_same_v<H, float>) {
    cuda::cast_down<H>(a.data(), ah.as<H>(), a.numel());
    cuda::cast_down<H>(b.data(), bh.as<H>(), b.numel());
    pa = ah.get();
    pb = bh.get();
  }
  const double ms = time_ms(
      [&] {
        cuda::linear_detail::gemm<H, Strict>(CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, pa, n, pb, n, c.data(), n, 0.0f);
      },
      2, 10);
  return 2.0 * double(n) * n * n / (ms * 1e-3) * 1e-12;
}

struct row {
  std::string kind, name, precision, pass;
  double ms = 0, tflops = 0, pct = 0, peak_mib = 0, reserved_mib = 0;
};

std::string json_escape(const std::string& s) {
  std::string r;
  for (char c : s) r += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return r;
}

struct conv_case {
  const char* name;
  std::int64_t cin, cout, k, h, w, stride, pad, out_pad;
  bool transposed;
};

template <class P>
void bench_convs(std::vector<row>& rows, double peak, int reps) {
  using H = typename P::compute_type;
  constexpr bool strict = !P::allow_tf32;
  const conv_case cases[] = {
      {"conv3x3 256->256 @64x64", 256, 256, 3, 64, 64, 1, 1, 0, false},
      {"conv3x3 1024->1024 @16x16", 1024, 1024, 3, 16, 16, 1, 1, 0, false},
      {"conv3x3 1024->1024 @8x8", 1024, 1024, 3, 8, 8, 1, 1, 0, false},
      {"conv7x7 36->64 @256x256", 36, 64, 7, 256, 256, 1, 3, 0, false},
      {"convT3x3 s2 128->64 128->256", 128, 64, 3, 128, 128, 2, 1, 1, true},
  };
  for (const auto& c : cases) {
    auto x = random_device(shape{1, c.cin, c.h, c.w}, 3);
    const shape ws = c.transposed ? shape{c.cin, c.cout, c.k, c.k} : shape{c.cout, c.cin, c.k, c.k};
    auto w = random_device(ws, 4, 0.05f), dw = cuda::device_zeros<float>(ws, cuda::current_device());
    tensor<float> y;
    std::map<std::string, double> ms;
    if (!c.transposed) {
      const auto a = cuda::conv2d_args::make(c.stride, c.pad);
      y = cuda::conv2d<H, strict>(x, w, nullptr, a);
      auto dy = random_device(y.shape(), 5);
      ms["forward"] = time_ms([&] { (void)cuda::conv2d<H, strict>(x, w, nullptr, a); }, 3, reps);
      ms["dgrad"] = time_ms([&] { (void)cuda::conv2d_backward_input<H, strict>(dy, w, x.shape(), a); }, 3, reps);
      ms["wgrad"] = time_ms([&] { cuda::conv2d_backward_params<H, strict>(x, dy, dw, nullptr, a); }, 3, reps);
    } else {
      const auto a = cuda::conv_transpose2d_args::pytorch(c.stride, c.pad, c.out_pad);
      y = cuda::conv_transpose2d<H, strict>(x, w, nullptr, a);
      auto dy = random_device(y.shape(), 5);
      ms["forward"] = time_ms([&] { (void)cuda::conv_transpose2d<H, strict>(x, w, nullptr, a); }, 3, reps);
      ms["dgrad"] =
          time_ms([&] { (void)cuda::conv_transpose2d_backward_input<H, strict>(dy, w, x.shape(), a); }, 3, reps);
      ms["wgrad"] = time_ms([&] { cuda::conv_transpose2d_backward_params<H, strict>(x, dy, dw, nullptr, a); }, 3, reps);
    }
    const double pixels = c.transposed ? double(c.h * c.w) : double(y.h() * y.w());
    const double flop = 2.0 * double(c.cin) * double(c.cout) * double(c.k * c.k) * pixels;
    for (const char* pass : {"forward", "dgrad", "wgrad"}) {
      row r{"conv", c.name, P::name, pass, ms[pass]};
      r.tflops = flop / (r.ms * 1e-3) * 1e-12;
      r.pct = 100.0 * r.tflops / peak;
      std::printf("%-30s %-11s %-8s %9.3f ms %8.1f TFLOP/s %6.1f %%peak\n", c.name, P::name, pass, r.ms, r.tflops,
                  r.pct);
      rows.push_back(r);
    }
  }
}

template <class P>
void bench_step(std::vector<row>& rows, std::int64_t h, std::int64_t w, double peak, int reps) {
  using B = cuda_backend<float, P>;
  cuda::release_cached();
  cuda::reset_peak_memory();
  bench::p2p_trainer<B> t(1);
  const auto x = random_device(shape::nchw(1, 36, h, w), 7), real = random_device(shape::nchw(1, 3, h, w), 8, 0.9f);
  const double flop = bench::step_flops(t.G, t.D, x.shape());
  train::step_record last;
  const double ms = time_ms([&] { last = t.step(x, real); }, 3, reps);
  const auto st = cuda::memory_stats();
  row r{"step", "pix2pixHD " + std::to_string(h) + "x" + std::to_string(w), P::name, "train step", ms};
  r.tflops = flop / (ms * 1e-3) * 1e-12;
  r.pct = 100.0 * r.tflops / peak;
  r.peak_mib = double(st.peak_in_use) / (1 << 20);
  r.reserved_mib = double(st.peak_reserved) / (1 << 20);
  std::printf("%-30s %-11s %9.2f ms %8.1f TFLOP/s %6.1f %%peak  peak memory %8.0f MiB (reserved %8.0f MiB)  "
              "[%.1f GFLOP/step; losses:", r.name.c_str(), P::name, r.ms, r.tflops, r.pct, r.peak_mib,
              r.reserved_mib, flop * 1e-9);
  for (const char* k : {"G_GAN", "G_GAN_Feat", "D_real", "D_fake"}) std::printf(" %s %.4f", k, last[k]);
  std::printf("]\n");
  rows.push_back(r);
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  examples::command_line cli{"gpu_bench", "Times pix2pixHD training steps and convolutions on CUDA device 0"};
  cli.add_option("--json", o.json, "also write the results here");
  examples::add_number(cli, "--reps", o.reps, 1, 1 << 20, "timed repetitions");
  cli.add_flag("--quick", o.quick, "fewer cases");
  bool no_cpu = false, no_conv = false;
  cli.add_flag("--no-cpu", no_cpu, "skip the CPU backend's step time");
  cli.add_flag("--no-conv", no_conv, "skip the convolution cases");
  if (const auto status = cli.parse(argc, argv)) return *status;
  o.cpu = !no_cpu;
  o.conv = !no_conv;
  try {
    cuda::set_device(0);  // throws device_error without a device: no CPU fallback
    cudaDeviceProp prop{};
    I2I_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
    cuda::set_cudnn_benchmark(true);  // pix2pixHD's train.py sets torch.backends.cudnn.benchmark = True
    const double peak_tf32 = gemm_peak<float, false>(), peak_bf16 = gemm_peak<__nv_bfloat16, false>();
    std::printf("# gpu_bench: %s (%d SMs), cuDNN %zu, measured peak (8192^3 cuBLAS GEMM): TF32 %.0f TFLOP/s, "
                "bf16 %.0f TFLOP/s; median of %d reps\n",
                prop.name, prop.multiProcessorCount, cuda::cudnn_loaded_version(), peak_tf32, peak_bf16, o.reps);
    std::vector<row> rows;
    if (o.conv) {
      bench_convs<cuda::fp32_tf32>(rows, peak_tf32, o.reps);
      bench_convs<cuda::bf16_mixed>(rows, peak_bf16, o.reps);
    }
    std::vector<std::pair<std::int64_t, std::int64_t>> sizes{{256, 256}};
    if (!o.quick) sizes.push_back({512, 1024});
    for (auto [h, w] : sizes) {
      bench_step<cuda::fp32_tf32>(rows, h, w, peak_tf32, o.reps);
      bench_step<cuda::bf16_mixed>(rows, h, w, peak_bf16, o.reps);
    }
    double cpu_ms = -1;
    if (o.cpu) {
      cpu_ms = i2i::bench::cpu_step_ms(256, 256);
      std::printf("%-30s %-11s %9.1f ms   (CPU backend, ONE iteration, not a median)\n", "pix2pixHD 256x256", "cpu fp32",
                  cpu_ms);
    }
    if (!o.json.empty()) {
      std::ofstream f(o.json);
      char date[32];
      const std::time_t now = std::time(nullptr);
      std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", std::localtime(&now));
      f << "{\n  \"tool\": \"i2i gpu_bench\",\n  \"date\": \"" << date << "\",\n  \"device\": \""
        << json_escape(prop.name) << "\",\n  \"cudnn\": " << cuda::cudnn_loaded_version()
        << ",\n  \"peak_tflops\": {\"fp32_tf32\": " << peak_tf32 << ", \"bf16_mixed\": " << peak_bf16
        << "},\n  \"cpu_step_256_ms_one_iteration\": " << cpu_ms << ",\n  \"rows\": [\n";
      for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        f << "    {\"kind\": \"" << r.kind << "\", \"name\": \"" << json_escape(r.name) << "\", \"precision\": \""
          << r.precision << "\", \"pass\": \"" << r.pass << "\", \"ms\": " << r.ms << ", \"tflops\": " << r.tflops
          << ", \"pct_peak\": " << r.pct << ", \"peak_mib\": " << r.peak_mib << ", \"reserved_mib\": " << r.reserved_mib
          << "}" << (i + 1 < rows.size() ? "," : "") << "\n";
      }
      f << "  ]\n}\n";
      std::printf("# wrote %s\n", o.json.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
