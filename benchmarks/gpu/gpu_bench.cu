// GPU benchmark: the conv shapes of benchmarks/conv_bench.cpp (forward, data and weight gradient), the
// pix2pixHD training step (pix2pixhd_step.hpp) and a generator forward, in fp32 with TF32 tensor cores
// and in bf16 mixed precision. Prints and writes (--json) ms (median of --reps after --warmup untimed
// iterations), TFLOP/s, % of a measured peak (a large cuBLAS GEMM in the same precision, timed here),
// peak device memory from the caching allocator, and the CPU backend's time for one 256x256 step.
// benchmarks/peers/pix2pixhd_step.py is the PyTorch peer (same row ids); benchmarks/gpu/run_all.sh runs
// both and prints the ratios.
//
// Rows (--list prints them; --rows picks some: comma-separated ids, a prefix or a glob with '*'):
//   conv_tf32, conv_bf16        the conv shapes, 3 passes each
//   step_g256_{tf32,bf16}       global G (ngf 64) + 2-scale D, training step at 256x256
//   step_g512_{tf32,bf16}       the same at 512x1024 (pix2pixHD's 512p)
//   step_l1024_{tf32,bf16}      local enhancer (ngf 32, G1 at 64) + 2-scale D at 1024x2048 (the 1024p)
//   fwd_g1024_{tf32,bf16}       global G forward only (inference mode) at 1024x2048: an embedder's call
//   nchw_conv_bf16, nchw_step_g512_bf16
//                               ablations: bf16 with the convolutions in NCHW instead of channels-last
//                               (backend/conv_layout.hpp), to show what the layout buys in the same run
//   graph_step_g256_bf16, graph_step_g512_{bf16,tf32}, graph_fwd_g1024_bf16
//                               the same work replayed as CUDA graphs (graphed_step.cuh, graphed_forward.cuh);
//                               a row whose capture is refused says why and times the eager fallback
//
//   gpu_bench [--json FILE] [--reps N] [--warmup N] [--rows LIST] [--quick] [--no-cpu] [--no-conv]
//             [--profile] [--list] [--probe]
// --profile: for each chosen step/forward row, warm up and run ONE iteration between cudaProfilerStart
// and cudaProfilerStop (for nsys --capture-range=cudaProfilerApi or ncu --profile-from-start off); no
// timing. --probe: device and cuDNN check only (exit 1 when the loaded cuDNN cannot serve this build).
//
// Every row is tried on its own: a row that throws (out of memory, say) is recorded with its error and
// the next one runs; the JSON file is rewritten after every row, so a run cut short leaves what it did.
#include <cuda_profiler_api.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "i2i/backend/cuda/backend.cuh"
#include "i2i/backend/cuda/graphed_forward.cuh"
#include "i2i/backend/cuda/graphed_step.cuh"
#include "pix2pixhd_step.hpp"
#include "program_options.hpp"

namespace i2i::bench {
double cpu_step_ms(std::int64_t h, std::int64_t w);  // cpu_step.cpp
}

namespace {

using namespace i2i;

struct options {
  std::string json, rows = "all";
  int reps = 20, warmup = 3;
  bool cpu = true, conv = true, profile = false;
};

// ---- row selection --------------------------------------------------------------------------------

/// One selectable row (or group of rows: conv_*): its id, kind and what it is.
struct row_spec {
  std::string id, kind, what;
};

const std::vector<row_spec>& catalogue() {
  static const std::vector<row_spec> rows = [] {
    std::vector<row_spec> r;
    for (const char* p : {"tf32", "bf16"}) r.push_back({std::string("conv_") + p, "conv", "conv shapes, 3 passes each"});
    const std::pair<const char*, const char*> steps[] = {
        {"step_g256", "global G ngf 64 + 2-scale D, training step, 256x256"},
        {"step_g512", "global G ngf 64 + 2-scale D, training step, 512x1024"},
        {"step_l1024", "local enhancer ngf 32 + 2-scale D, training step, 1024x2048"},
        {"fwd_g1024", "global G ngf 64, forward only (inference), 1024x2048"}};
    for (const auto& [id, what] : steps)
      for (const char* p : {"tf32", "bf16"})
        r.push_back({std::string(id) + "_" + p, std::string(id).rfind("fwd", 0) == 0 ? "forward" : "step", what});
    // Ablations: bf16 with the convolutions forced to NCHW (I2I_CUDA_CONV_LAYOUT=nchw), what channels-last
    // buys on the same machine in the same run (bench_report.py compares them with PyTorch's bf16 rows).
    r.push_back({"nchw_conv_bf16", "conv", "conv shapes, 3 passes each, bf16 in NCHW"});
    r.push_back({"nchw_step_g512_bf16", "step", "step_g512 in bf16 with NCHW convolutions"});
    // The same steps and forward replayed as CUDA graphs (cuda/graphed_step.cuh, graphed_forward.cuh).
    for (const char* id : {"graph_step_g256_bf16", "graph_step_g512_bf16", "graph_step_g512_tf32"})
      r.push_back({id, "step", "the step without the prefix, captured once and replayed as a CUDA graph"});
    r.push_back({"graph_fwd_g1024_bf16", "forward", "fwd_g1024_bf16 replayed as a CUDA graph"});
    return r;
  }();
  return rows;
}

/// '*' matches any run of characters; everything else itself.
bool glob_match(const char* p, const char* s) {
  if (*p == '\0') return *s == '\0';
  if (*p == '*') return glob_match(p + 1, s) || (*s != '\0' && glob_match(p, s + 1));
  return *s != '\0' && *p == *s && glob_match(p + 1, s + 1);
}

/// `list`: comma-separated patterns; "all" matches every row, a pattern with '*' is a glob, any other
/// pattern a prefix of the id (step_g512 picks both precisions).
bool selected(const std::string& list, const std::string& id) {
  std::stringstream ss(list);
  for (std::string p; std::getline(ss, p, ',');) {
    if (p.empty()) continue;
    if (p == "all") return true;
    if (p.find('*') != std::string::npos ? glob_match(p.c_str(), id.c_str()) : id.rfind(p, 0) == 0) return true;
  }
  return false;
}

// ---- timing -----------------------------------------------------------------------------------------

struct timing {
  double median = 0, min = 0, max = 0;
};

/// Times `fn` on the current stream: `warmup` untimed calls, then `reps` timed ones (CUDA events).
template <class F>
timing time_ms(F&& fn, int warmup, int reps) {
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
  const std::size_t n = ms.size();
  return {n % 2 ? ms[n / 2] : 0.5 * (double(ms[n / 2 - 1]) + double(ms[n / 2])), ms.front(), ms.back()};
}

/// Warm-up, then one iteration between cudaProfilerStart and cudaProfilerStop (the profilers' capture
/// range), nothing timed.
template <class F>
void profile_one(F&& fn, int warmup) {
  for (int i = 0; i < warmup; ++i) fn();
  I2I_CUDA_CHECK(cudaDeviceSynchronize());
  I2I_CUDA_CHECK(cudaProfilerStart());
  fn();
  I2I_CUDA_CHECK(cudaDeviceSynchronize());
  I2I_CUDA_CHECK(cudaProfilerStop());
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
                          cuda::linear_detail::gemm<H, Strict>(CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, pa, n, pb, n,
                                                                c.data(), n, 0.0f);
                        },
                        2, 10)
                        .median;
  return 2.0 * double(n) * n * n / (ms * 1e-3) * 1e-12;
}

// ---- results ------------------------------------------------------------------------------------------

struct row {
  std::string kind, id, name, model, precision, pass, status = "ok", error;
  std::int64_t h = 0, w = 0;
  int reps = 0;
  double ms = 0, ms_min = 0, ms_max = 0, gflop = 0, tflops = 0, pct = 0, peak_mib = 0, steady_peak_mib = 0,
         reserved_mib = 0;
};

std::string json_escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == '"' || c == '\\') r += std::string("\\") + c;
    else if (c == '\n') r += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20) r += ' ';
    else r += c;
  }
  return r;
}

struct report {
  options o;
  std::string device, cudnn_check = "ok", fatal;  // fatal: what stopped the whole run
  std::size_t cudnn_loaded = 0;
  double peak_tf32 = 0, peak_bf16 = 0, cpu_ms = -1;
  std::vector<row> rows;
  bool complete = false;

  double peak(const std::string& precision) const { return precision == "bf16_mixed" ? peak_bf16 : peak_tf32; }

  void add(row r) {
    if (r.status == "ok" && r.ms > 0 && r.gflop > 0) {
      r.tflops = r.gflop * 1e9 / (r.ms * 1e-3) * 1e-12;
      r.pct = peak(r.precision) > 0 ? 100.0 * r.tflops / peak(r.precision) : 0;
    }
    if (r.status != "ok")
      std::printf("%-16s %-30s %-11s FAILED: %s\n", r.id.c_str(), r.name.c_str(), r.precision.c_str(),
                  r.error.c_str());
    else if (r.kind == "conv")
      std::printf("%-30s %-11s %-8s %9.3f ms %8.1f TFLOP/s %6.1f %%peak\n", r.name.c_str(), r.precision.c_str(),
                  r.pass.c_str(), r.ms, r.tflops, r.pct);
    else if (r.pass == "profiled")
      std::printf("%-16s %-30s %-11s profiled one iteration\n", r.id.c_str(), r.name.c_str(), r.precision.c_str());
    else
      std::printf("%-16s %-30s %-11s %9.2f ms (min %.2f, max %.2f) %8.1f TFLOP/s %6.1f %%peak  peak memory %8.0f MiB, "
                  "timed iterations %8.0f MiB (reserved %8.0f MiB)  [%.1f GFLOP]\n",
                  r.id.c_str(), r.name.c_str(), r.precision.c_str(), r.ms, r.ms_min, r.ms_max, r.tflops, r.pct,
                  r.peak_mib, r.steady_peak_mib, r.reserved_mib, r.gflop);
    std::fflush(stdout);
    rows.push_back(std::move(r));
    write();
  }

  /// The whole file, rewritten after every row (`complete` false until the end).
  void write() const {
    if (o.json.empty()) return;
    const std::string tmp = o.json + ".tmp";
    {
      std::ofstream f(tmp);
      char date[32];
      const std::time_t now = std::time(nullptr);
      std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", std::localtime(&now));
      f << "{\n  \"tool\": \"i2i gpu_bench\",\n  \"date\": \"" << date << "\",\n  \"device\": \""
        << json_escape(device) << "\",\n  \"cudnn\": " << cudnn_loaded
        << ",\n  \"cudnn_compiled\": " << cuda::cudnn_compiled_version() << ",\n  \"cudnn_check\": \""
        << json_escape(cudnn_check) << "\",\n  \"reps\": " << o.reps << ",\n  \"warmup\": " << o.warmup
        << ",\n  \"rows_filter\": \"" << json_escape(o.rows) << "\",\n  \"complete\": " << (complete ? "true" : "false")
        << ",\n  \"error\": \"" << json_escape(fatal) << "\""
        << ",\n  \"peak_tflops\": {\"fp32_tf32\": " << peak_tf32 << ", \"bf16_mixed\": " << peak_bf16
        << "},\n  \"cpu_step_256_ms_one_iteration\": " << cpu_ms << ",\n  \"rows\": [\n";
      for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        f << "    {\"kind\": \"" << r.kind << "\", \"id\": \"" << r.id << "\", \"name\": \"" << json_escape(r.name)
          << "\", \"model\": \"" << r.model << "\", \"h\": " << r.h << ", \"w\": " << r.w << ", \"precision\": \""
          << r.precision << "\", \"pass\": \"" << r.pass << "\", \"status\": \"" << r.status << "\", \"error\": \""
          << json_escape(r.error) << "\", \"reps\": " << r.reps << ", \"ms\": " << r.ms << ", \"ms_min\": " << r.ms_min
          << ", \"ms_max\": " << r.ms_max << ", \"gflop\": " << r.gflop << ", \"tflops\": " << r.tflops
          << ", \"pct_peak\": " << r.pct << ", \"peak_mib\": " << r.peak_mib
          << ", \"steady_peak_mib\": " << r.steady_peak_mib << ", \"reserved_mib\": " << r.reserved_mib
          << "}" << (i + 1 < rows.size() ? "," : "") << "\n";
      }
      f << "  ]\n}\n";
    }
    std::rename(tmp.c_str(), o.json.c_str());
  }
};

/// Runs one row's body; an exception becomes a failed row (and the device's cache is released so that
/// the next row starts clean).
void guarded(report& rep, row r, const std::function<void(row&)>& body) {
  try {
    body(r);
  } catch (const std::exception& e) {
    r.status = "failed";
    r.error = e.what();
    (void)cudaGetLastError();
    try {
      cuda::release_cached();
    } catch (...) {
    }
  }
  rep.add(std::move(r));
}

/// `warmup` untimed calls, then `reps` timed ones, with the allocator's peaks: over the whole row (since
/// its reset_peak_memory, models and warm-up included: r.peak_mib) and over the timed calls alone
/// (r.steady_peak_mib, what a long run keeps needing).
template <class F>
void time_row(row& r, F&& fn, int warmup, int reps) {
  for (int i = 0; i < warmup; ++i) fn();
  I2I_CUDA_CHECK(cudaDeviceSynchronize());
  const auto warm = cuda::memory_stats();
  cuda::reset_peak_memory();
  const timing tm = time_ms(fn, 0, reps);
  const auto st = cuda::memory_stats();
  constexpr double mib = 1 << 20;
  r.ms = tm.median;
  r.ms_min = tm.min;
  r.ms_max = tm.max;
  r.peak_mib = double(std::max(warm.peak_in_use, st.peak_in_use)) / mib;
  r.steady_peak_mib = double(st.peak_in_use) / mib;
  r.reserved_mib = double(std::max(warm.peak_reserved, st.peak_reserved)) / mib;
}

// ---- the rows -----------------------------------------------------------------------------------------

struct conv_case {
  const char* name;
  std::int64_t cin, cout, k, h, w, stride, pad, out_pad;
  bool transposed;
};

template <class P>
void bench_convs(report& rep, const std::string& id) {
  using H = typename P::compute_type;
  constexpr bool strict = !P::allow_tf32;
  const int reps = rep.o.reps;
  const conv_case cases[] = {
      {"conv3x3 256->256 @64x64", 256, 256, 3, 64, 64, 1, 1, 0, false},
      {"conv3x3 1024->1024 @16x16", 1024, 1024, 3, 16, 16, 1, 1, 0, false},
      {"conv3x3 1024->1024 @8x8", 1024, 1024, 3, 8, 8, 1, 1, 0, false},
      {"conv7x7 36->64 @256x256", 36, 64, 7, 256, 256, 1, 3, 0, false},
      {"convT3x3 s2 128->64 128->256", 128, 64, 3, 128, 128, 2, 1, 1, true},
  };
  for (const auto& c : cases) {
    std::map<std::string, timing> ms;
    double flop = 0;
    row base{"conv", id, c.name, "conv", P::name};
    base.h = c.h;
    base.w = c.w;
    base.reps = reps;
    try {
      auto x = random_device(shape{1, c.cin, c.h, c.w}, 3);
      const shape ws = c.transposed ? shape{c.cin, c.cout, c.k, c.k} : shape{c.cout, c.cin, c.k, c.k};
      auto w = random_device(ws, 4, 0.05f), dw = cuda::device_zeros<float>(ws, cuda::current_device());
      tensor<float> y;
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
        ms["wgrad"] =
            time_ms([&] { cuda::conv_transpose2d_backward_params<H, strict>(x, dy, dw, nullptr, a); }, 3, reps);
      }
      const double pixels = c.transposed ? double(c.h * c.w) : double(y.h() * y.w());
      flop = 2.0 * double(c.cin) * double(c.cout) * double(c.k * c.k) * pixels;
    } catch (const std::exception& e) {
      base.status = "failed";
      base.error = e.what();
      (void)cudaGetLastError();
      rep.add(base);
      continue;
    }
    for (const char* pass : {"forward", "dgrad", "wgrad"}) {
      row r = base;
      r.pass = pass;
      r.ms = ms[pass].median;
      r.ms_min = ms[pass].min;
      r.ms_max = ms[pass].max;
      r.gflop = flop * 1e-9;
      rep.add(r);
    }
  }
}

/// A row of a model at h x w in precision P: "<name> <h>x<w>", one repetition when profiling.
template <class P>
row sized_row(const report& rep, const char* kind, const std::string& id, const std::string& name,
              const std::string& model_name, const char* pass, std::int64_t h, std::int64_t w) {
  row r{kind, id, name + " " + std::to_string(h) + "x" + std::to_string(w), model_name, P::name,
        rep.o.profile ? "profiled" : pass};
  r.h = h;
  r.w = w;
  r.reps = rep.o.profile ? 1 : rep.o.reps;
  return r;
}

/// One training step of GSpec + the 2-scale D (pix2pixhd_step.hpp) at h x w, its convolutions in `layout`,
/// replayed as a CUDA graph when `graphed`.
template <class P, class GSpec>
void bench_step(report& rep, const std::string& id, const std::string& model_name, std::int64_t h, std::int64_t w,
                conv_layout_choice layout = conv_layout_choice::automatic, bool graphed = false) {
  std::string suffix = layout == conv_layout_choice::automatic ? "" : std::string(", ") + to_string(layout) + " convs";
  if (graphed) suffix += ", CUDA graph";
  row r = sized_row<P>(rep, "step", id, "pix2pixHD " + model_name + suffix, model_name, "train step", h, w);
  guarded(rep, r, [&](row& r) {
    std::optional<cuda::conv_layout_scope> scope;  // automatic: leave the setting (I2I_CUDA_CONV_LAYOUT) alone
    if (layout != conv_layout_choice::automatic) scope.emplace(layout);
    using B = cuda_backend<float, P>;
    cuda::release_cached();
    cuda::reset_peak_memory();
    bench::p2p_trainer<B, GSpec> t(1);
    const auto x = random_device(shape::nchw(1, bench::p2p_input_channels, h, w), 7);
    const auto real = random_device(shape::nchw(1, 3, h, w), 8, 0.9f);
    r.gflop = t.flops(x.shape()) * 1e-9;
    train::step_record last;
    cuda::graphed_step<decltype(t.gan)> graph(t.gan);
    auto one = [&] { last = graphed ? graph.step(x, real) : t.step(x, real); };
    if (rep.o.profile) {
      profile_one(one, rep.o.warmup);
      return;
    }
    time_row(r, one, rep.o.warmup, rep.o.reps);
    if (graphed && !graph.graphed()) r.error = "no graph: " + graph.fallback_reason();
    std::printf("%-16s losses:", id.c_str());
    for (const char* k : {"G_GAN", "G_GAN_Feat", "D_real", "D_fake"}) std::printf(" %s %.4f", k, last[k]);
    std::printf("\n");
  });
}

/// The global G's forward in inference mode (drop_gradients, G(x): no context kept), as an embedder
/// (i2i::translator) runs it; replayed as a CUDA graph when `graphed`.
template <class P>
void bench_forward(report& rep, const std::string& id, std::int64_t h, std::int64_t w, bool graphed = false) {
  row r = sized_row<P>(rep, "forward", id, std::string("pix2pixHD global G forward") + (graphed ? ", CUDA graph" : ""),
                       "global", "forward", h, w);
  guarded(rep, r, [&](row& r) {
    using B = cuda_backend<float, P>;
    cuda::release_cached();
    model<bench::p2p_generator, B> G("G");
    initialize(G, init_policy::pix2pixhd(), 1);
    G.eval();
    G.drop_gradients();
    const auto x = random_device(shape::nchw(1, bench::p2p_input_channels, h, w), 7);
    cuda::release_cached();
    cuda::reset_peak_memory();  // weights and input in use: what an embedder holds before the call
    r.gflop = G.flops(x.shape()) * 1e-9;
    tensor<float> y;
    cuda::graphed_forward<decltype(G)> graph(G);
    auto one = [&] { y = graphed ? graph(x) : G(x); };
    if (rep.o.profile) {
      profile_one(one, rep.o.warmup);
      return;
    }
    time_row(r, one, rep.o.warmup, rep.o.reps);
    if (graphed && !graph.graphed()) r.error = "no graph: " + graph.fallback_reason();
  });
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  examples::command_line cli{"gpu_bench", "Times pix2pixHD training steps, forwards and convolutions on CUDA device 0"};
  cli.add_option("--json", o.json, "also write the results here (rewritten after every row)");
  examples::add_number(cli, "--reps", o.reps, 1, 1 << 20, "timed repetitions (the median is reported)");
  examples::add_number(cli, "--warmup", o.warmup, 0, 1 << 20, "untimed iterations before timing");
  cli.add_option("--rows", o.rows, "rows to run: comma-separated ids, prefixes or globs ('all'; see --list)");
  bool quick = false, no_cpu = false, no_conv = false, list = false, probe = false;
  cli.add_flag("--quick", quick, "only the 256x256 steps and the conv shapes (when --rows is not given)");
  cli.add_flag("--no-cpu", no_cpu, "skip the CPU backend's step time");
  cli.add_flag("--no-conv", no_conv, "skip the convolution cases");
  cli.add_flag("--profile", o.profile, "one untimed iteration per row inside cudaProfilerStart/Stop");
  cli.add_flag("--list", list, "print the row ids and exit");
  cli.add_flag("--probe", probe, "check the device and the loaded cuDNN, then exit");
  if (const auto status = cli.parse(argc, argv)) return *status;
  if (quick && cli.count("--rows") == 0) o.rows = "conv,step_g256";
  o.cpu = !no_cpu && !o.profile;
  o.conv = !no_conv && !o.profile;
  if (list) {
    for (const auto& s : catalogue())
      std::printf("%-16s %-8s %s%s\n", s.id.c_str(), s.kind.c_str(), s.what.c_str(),
                  selected(o.rows, s.id) ? "" : "  (not selected)");
    return 0;
  }
  report rep;
  rep.o = o;
  try {
    cuda::set_device(0);  // throws device_error without a device: no CPU fallback
    cudaDeviceProp prop{};
    I2I_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
    rep.device = prop.name;
    rep.cudnn_loaded = cuda::cudnn_loaded_version();
    try {
      cuda::check_cudnn_version();
    } catch (const std::exception& e) {
      rep.cudnn_check = e.what();
    }
    std::printf("# gpu_bench: %s (%d SMs), cuDNN %zu loaded (compiled against %zu): %s\n", prop.name,
                prop.multiProcessorCount, rep.cudnn_loaded, std::size_t(cuda::cudnn_compiled_version()),
                rep.cudnn_check.c_str());
    if (probe) return rep.cudnn_check == "ok" ? 0 : 1;
    cuda::set_cudnn_benchmark(true);  // pix2pixHD's train.py sets torch.backends.cudnn.benchmark = True
    if (!o.profile) {
      rep.peak_tf32 = gemm_peak<float, false>();
      rep.peak_bf16 = gemm_peak<__nv_bfloat16, false>();
    }
    std::printf("# measured peak (8192^3 cuBLAS GEMM): TF32 %.0f TFLOP/s, bf16 %.0f TFLOP/s; median of %d reps after "
                "%d warm-up iterations; rows: %s\n",
                rep.peak_tf32, rep.peak_bf16, o.reps, o.warmup, o.rows.c_str());
    rep.write();
    auto want = [&](const std::string& id) { return selected(o.rows, id); };
    if (o.conv && want("conv_tf32")) bench_convs<cuda::fp32_tf32>(rep, "conv_tf32");
    if (o.conv && want("conv_bf16")) bench_convs<cuda::bf16_mixed>(rep, "conv_bf16");
    if (o.conv && want("nchw_conv_bf16")) {
      cuda::conv_layout_scope nchw(conv_layout_choice::nchw);
      bench_convs<cuda::bf16_mixed>(rep, "nchw_conv_bf16");
    }
    const std::pair<std::int64_t, std::int64_t> global_sizes[] = {{256, 256}, {512, 1024}};
    for (auto [h, w] : global_sizes) {
      const std::string id = h == 256 ? "step_g256" : "step_g512";
      if (want(id + "_tf32")) bench_step<cuda::fp32_tf32, bench::p2p_generator>(rep, id + "_tf32", "global", h, w);
      if (want(id + "_bf16")) bench_step<cuda::bf16_mixed, bench::p2p_generator>(rep, id + "_bf16", "global", h, w);
    }
    if (want("nchw_step_g512_bf16"))
      bench_step<cuda::bf16_mixed, bench::p2p_generator>(rep, "nchw_step_g512_bf16", "global", 512, 1024,
                                                         conv_layout_choice::nchw);
    if (want("graph_step_g256_bf16"))
      bench_step<cuda::bf16_mixed, bench::p2p_generator>(rep, "graph_step_g256_bf16", "global", 256, 256,
                                                         conv_layout_choice::automatic, true);
    if (want("graph_step_g512_bf16"))
      bench_step<cuda::bf16_mixed, bench::p2p_generator>(rep, "graph_step_g512_bf16", "global", 512, 1024,
                                                         conv_layout_choice::automatic, true);
    if (want("graph_step_g512_tf32"))
      bench_step<cuda::fp32_tf32, bench::p2p_generator>(rep, "graph_step_g512_tf32", "global", 512, 1024,
                                                        conv_layout_choice::automatic, true);
    if (want("graph_fwd_g1024_bf16")) bench_forward<cuda::bf16_mixed>(rep, "graph_fwd_g1024_bf16", 1024, 2048, true);
    if (want("step_l1024_tf32"))
      bench_step<cuda::fp32_tf32, bench::p2p_local_generator>(rep, "step_l1024_tf32", "local", 1024, 2048);
    if (want("step_l1024_bf16"))
      bench_step<cuda::bf16_mixed, bench::p2p_local_generator>(rep, "step_l1024_bf16", "local", 1024, 2048);
    if (want("fwd_g1024_tf32")) bench_forward<cuda::fp32_tf32>(rep, "fwd_g1024_tf32", 1024, 2048);
    if (want("fwd_g1024_bf16")) bench_forward<cuda::bf16_mixed>(rep, "fwd_g1024_bf16", 1024, 2048);
    if (o.cpu) {
      rep.cpu_ms = i2i::bench::cpu_step_ms(256, 256);
      std::printf("%-16s %-30s %-11s %9.1f ms   (CPU backend, ONE iteration, not a median)\n", "cpu_step_g256",
                  "pix2pixHD 256x256", "cpu fp32", rep.cpu_ms);
    }
    rep.complete = true;
    rep.write();
    if (!o.json.empty()) std::printf("# wrote %s\n", o.json.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_bench: %s\n", e.what());
    rep.fatal = e.what();
    rep.write();
    return 1;
  }
  const bool any_failed = std::any_of(rep.rows.begin(), rep.rows.end(), [](const row& r) { return r.status != "ok"; });
  return any_failed ? 3 : 0;
}
