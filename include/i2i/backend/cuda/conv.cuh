#pragma once
// cuDNN convolutions: conv2d and conv_transpose2d forward, input gradient and parameter gradients, with
// the exact semantics of cpu::conv2d / cpu::conv_transpose2d (read their top comments).
//
// API: the legacy cudnnConvolution* calls (still in cuDNN 9, much less code than the graph API for
// three fixed ops). Tensors are NCHW fp32 and weights in PyTorch's layouts; what cuDNN sees is each
// operand in the compute type and in the problem's layout (backend/conv_layout.hpp): NCHW, or NHWC with
// KRSC filters and channels padded to whole 16-byte vectors, written by the same pass that casts (16-bit
// compute is NHWC by default). In NHWC the cast back to fp32 NCHW also adds the bias. Every cuDNN problem is "a forward conv
// from an input `c` x h x w to an output `k` x oh x ow with a k x c x r x s filter"; the three passes
// are that conv's forward, data gradient and filter gradient:
//
//   conv2d                      forward = fwd(x, w)        dgrad = bwd_data(w, dy)     wgrad = bwd_filter(x, dy)
//   conv_transpose2d (x: Cin)   forward = bwd_data(w, x)   dgrad = fwd(dy, w)         wgrad = bwd_filter(dy, x)
//                               (the problem's "input" is the transposed conv's output, k = Cin)
//
// Groups (conv2d only): cudnnSetConvolutionGroupCount on the convolution descriptor, the filter
// descriptor k x c/groups x r x s (PyTorch's grouped weight layout); groups == 1 sets nothing.
//
// Padding: cuDNN pads symmetrically. Asymmetric zero padding (TF SAME) pads the input explicitly with a
// small window-copy kernel and runs the problem unpadded; its data gradient is cropped back by the same
// kernel. A transposed conv's crop {top, bottom} maps onto cuDNN's padding when top >= 0 and
// 0 <= top - bottom < stride (PyTorch's padding/output_padding); anything else (TF SAME with K < 2s+..,
// negative crops) computes the full (H-1)*s+K output and windows it, which is exact and rare.
//
// Algorithms: chosen once per problem (shapes, strides, padding, dtype, math mode, device) and cached.
// By default from cuDNN's heuristics (cudnnGet*Algorithm_v7); with set_cudnn_benchmark(true) (PyTorch's
// cudnn.benchmark, which pix2pixHD turns on) by timing them (cudnnFind*AlgorithmEx) on the first call.
// Candidates are tried in order: one whose workspace cannot be allocated or that reports "not supported"
// at execution gives way to the next. Workspaces come from the caching allocator.
//
// Math: fp32 data uses TF32 tensor cores unless the policy is fp32_strict (CUDNN_FMA_MATH, and only FMA
// algorithms); bf16/fp16 data always accumulates in fp32 (convolution compute type CUDNN_DATA_FLOAT).
//
// Parameter gradients are ADDED into dw/db, as on the CPU.
#include <cudnn.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <map>
#include <mutex>
#include <type_traits>
#include <vector>

#include "i2i/backend/checks/conv.hpp"
#include "i2i/backend/cuda/allocator.cuh"
#include "i2i/backend/cuda/conv_layout.cuh"
#include "i2i/backend/cuda/memory.cuh"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/cuda/precision.cuh"
#include "i2i/backend/cuda/runtime.cuh"
#include "i2i/backend/cuda/stream.cuh"
#include "i2i/core/padding.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/backend/op_args.hpp"

namespace i2i::cuda {

using i2i::conv2d_args;
using i2i::conv_transpose2d_args;

/// Time the candidate algorithms on the first call of each problem (slower first iteration, faster
/// steady state) instead of trusting cuDNN's heuristics. Process-wide; affects problems not yet cached.
inline bool& cudnn_benchmark_flag() {
  static bool on = false;
  return on;
}
inline void set_cudnn_benchmark(bool on) { cudnn_benchmark_flag() = on; }

namespace conv_detail {

// ---------------------------------------------------------------------------------------------------
// Handles and descriptors.

/// This thread's cuDNN handle for its current device, bound to its current stream. Handles live as long
/// as the thread (destroying one after the CUDA context is gone at exit would crash).
inline cudnnHandle_t handle() {
  thread_local std::array<cudnnHandle_t, max_devices> handles{};
  const int dev = current_device();
  cudnnHandle_t& h = handles[std::size_t(dev)];
  if (!h) I2I_CUDNN_CHECK(cudnnCreate(&h));
  I2I_CUDNN_CHECK(cudnnSetStream(h, current_stream()));
  return h;
}

struct tensor_desc {
  cudnnTensorDescriptor_t d = nullptr;
  tensor_desc() { I2I_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d)); }
  tensor_desc(cudnnDataType_t t, int n, int c, int h, int w, cudnnTensorFormat_t f = CUDNN_TENSOR_NCHW)
      : tensor_desc() {
    I2I_CUDNN_CHECK(cudnnSetTensor4dDescriptor(d, f, t, n, c, h, w));
  }
  ~tensor_desc() { (void)cudnnDestroyTensorDescriptor(d); }
  tensor_desc(const tensor_desc&) = delete;
  tensor_desc& operator=(const tensor_desc&) = delete;
};
struct filter_desc {
  cudnnFilterDescriptor_t d = nullptr;
  filter_desc(cudnnDataType_t t, int k, int c, int r, int s, cudnnTensorFormat_t f) {
    I2I_CUDNN_CHECK(cudnnCreateFilterDescriptor(&d));
    I2I_CUDNN_CHECK(cudnnSetFilter4dDescriptor(d, t, f, k, c, r, s));
  }
  ~filter_desc() { (void)cudnnDestroyFilterDescriptor(d); }
  filter_desc(const filter_desc&) = delete;
  filter_desc& operator=(const filter_desc&) = delete;
};
struct convolution_desc {
  cudnnConvolutionDescriptor_t d = nullptr;
  convolution_desc(int ph, int pw, int sh, int sw, int groups) {
    I2I_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&d));
    // Compute type float for every data type: fp32 accumulation for bf16/fp16 too.
    I2I_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(d, ph, pw, sh, sw, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    if (groups != 1) I2I_CUDNN_CHECK(cudnnSetConvolutionGroupCount(d, groups));
  }
  ~convolution_desc() { (void)cudnnDestroyConvolutionDescriptor(d); }
  convolution_desc(const convolution_desc&) = delete;
  convolution_desc& operator=(const convolution_desc&) = delete;
};

inline int to_int(const char* op, std::int64_t v, const char* what) {
  require<value_error>(v >= 0 && v <= INT_MAX, op, ": ", what, " ", v, " exceeds cuDNN's int range");
  return int(v);
}

// ---------------------------------------------------------------------------------------------------
// One cuDNN problem (a forward conv) and its three passes.

enum class pass : int { fwd = 0, dgrad = 1, wgrad = 2 };
inline const char* pass_name(pass p) {
  return p == pass::fwd ? "forward" : p == pass::dgrad ? "backward data" : "backward filter";
}

struct problem {
  int n = 0, c = 0, h = 0, w = 0;  // input of the forward conv
  int k = 0, r = 0, s = 0;         // filter k x c x r x s
  int pad_h = 0, pad_w = 0, stride_h = 1, stride_w = 1;
  int oh = 0, ow = 0;              // output of the forward conv
  int groups = 1;                  // the filter is k x c/groups x r x s
  cudnnDataType_t dtype = CUDNN_DATA_FLOAT;
  bool strict = false;             // FMA math only (no TF32)
  bool nhwc = false;               // NHWC operands, KRSC filter; c and k are then the padded counts

  cudnnTensorFormat_t format() const { return nhwc ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW; }
  std::array<int, 17> key(pass p, int device) const {
    return {int(p), device, n, c, h, w, k, r, s, pad_h, pad_w, stride_h, stride_w, int(dtype), int(strict), groups,
            int(nhwc)};
  }
};

/// Output size of a forward conv along one axis (cuDNN's formula, dilation 1).
inline std::int64_t out_size(std::int64_t in, std::int64_t pad, std::int64_t k, std::int64_t stride) {
  const std::int64_t span = in + 2 * pad - k;
  return span < 0 ? 0 : span / stride + 1;
}

struct algo_choice {
  int algo = 0;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
  std::size_t workspace = 0;
};

struct algo_cache {
  std::mutex mutex;
  std::map<std::array<int, 17>, algo_choice> chosen;
  static algo_cache& instance() {
    static algo_cache* c = new algo_cache();  // never destroyed, like the allocator
    return *c;
  }
};

/// Number of cached algorithm choices (for tests and the benchmark).
inline std::size_t cached_algorithms() {
  auto& c = algo_cache::instance();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.chosen.size();
}

// Per-pass glue over the three families of cuDNN calls. `a`, `b` are the two inputs and `out` the
// output of the pass: fwd (x, w -> y), dgrad (w, dy -> dx), wgrad (x, dy -> dw).
struct descs {
  tensor_desc x, y;
  filter_desc w;
  convolution_desc conv;
  explicit descs(const problem& p)
      : x(p.dtype, p.n, p.c, p.h, p.w, p.format()), y(p.dtype, p.n, p.k, p.oh, p.ow, p.format()),
        w(p.dtype, p.k, p.c / p.groups, p.r, p.s, p.format()),
        conv(p.pad_h, p.pad_w, p.stride_h, p.stride_w, p.groups) {}
};

struct perf_entry {
  int algo;
  cudnnStatus_t status;
  std::size_t memory;
  cudnnMathType_t math;
};

template <class Perf>
perf_entry to_entry(const Perf& p) {
  return {int(p.algo), p.status, p.memory, p.mathType};
}

inline std::vector<perf_entry> heuristics(pass ps, cudnnHandle_t h, const descs& d) {
  std::vector<perf_entry> r;
  int returned = 0;
  if (ps == pass::fwd) {
    std::array<cudnnConvolutionFwdAlgoPerf_t, CUDNN_CONVOLUTION_FWD_ALGO_COUNT> perf{};
    I2I_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(h, d.x.d, d.w.d, d.conv.d, d.y.d, int(perf.size()),
                                                           &returned, perf.data()));
    for (int i = 0; i < returned; ++i) r.push_back(to_entry(perf[std::size_t(i)]));
  } else if (ps == pass::dgrad) {
    std::array<cudnnConvolutionBwdDataAlgoPerf_t, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT> perf{};
    I2I_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w.d, d.y.d, d.conv.d, d.x.d, int(perf.size()),
                                                                &returned, perf.data()));
    for (int i = 0; i < returned; ++i) r.push_back(to_entry(perf[std::size_t(i)]));
  } else {
    std::array<cudnnConvolutionBwdFilterAlgoPerf_t, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT> perf{};
    I2I_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x.d, d.y.d, d.conv.d, d.w.d, int(perf.size()),
                                                                  &returned, perf.data()));
    for (int i = 0; i < returned; ++i) r.push_back(to_entry(perf[std::size_t(i)]));
  }
  return r;
}

/// Times the candidates on real buffers (cudnnFind*AlgorithmEx). `out` is overwritten; callers pass a
/// scratch output where the real pass accumulates.
inline std::vector<perf_entry> measure(pass ps, cudnnHandle_t h, const descs& d, const void* a, const void* b,
                                       void* out, void* ws, std::size_t ws_bytes) {
  std::vector<perf_entry> r;
  int returned = 0;
  if (ps == pass::fwd) {
    std::array<cudnnConvolutionFwdAlgoPerf_t, CUDNN_CONVOLUTION_FWD_ALGO_COUNT> perf{};
    I2I_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(h, d.x.d, a, d.w.d, b, d.conv.d, d.y.d, out,
                                                           int(perf.size()), &returned, perf.data(), ws, ws_bytes));
    for (int i = 0; i < returned; ++i) r.push_back(to_entry(perf[std::size_t(i)]));
  } else if (ps == pass::dgrad) {
    std::array<cudnnConvolutionBwdDataAlgoPerf_t, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT> perf{};
    I2I_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(h, d.w.d, a, d.y.d, b, d.conv.d, d.x.d, out,
                                                                int(perf.size()), &returned, perf.data(), ws,
                                                                ws_bytes));
    for (int i = 0; i < returned; ++i) r.push_back(to_entry(perf[std::size_t(i)]));
  } else {
    std::array<cudnnConvolutionBwdFilterAlgoPerf_t, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT> perf{};
    I2I_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(h, d.x.d, a, d.y.d, b, d.conv.d, d.w.d, out,
                                                                  int(perf.size()), &returned, perf.data(), ws,
                                                                  ws_bytes));
    for (int i = 0; i < returned; ++i) r.push_back(to_entry(perf[std::size_t(i)]));
  }
  return r;
}

inline cudnnStatus_t workspace_size(pass ps, cudnnHandle_t h, const descs& d, int algo, std::size_t& bytes) {
  if (ps == pass::fwd)
    return cudnnGetConvolutionForwardWorkspaceSize(h, d.x.d, d.w.d, d.conv.d, d.y.d, cudnnConvolutionFwdAlgo_t(algo),
                                                   &bytes);
  if (ps == pass::dgrad)
    return cudnnGetConvolutionBackwardDataWorkspaceSize(h, d.w.d, d.y.d, d.conv.d, d.x.d,
                                                        cudnnConvolutionBwdDataAlgo_t(algo), &bytes);
  return cudnnGetConvolutionBackwardFilterWorkspaceSize(h, d.x.d, d.y.d, d.conv.d, d.w.d,
                                                        cudnnConvolutionBwdFilterAlgo_t(algo), &bytes);
}

inline cudnnStatus_t execute(pass ps, cudnnHandle_t h, const descs& d, int algo, const void* a, const void* b,
                             void* out, float beta, void* ws, std::size_t ws_bytes) {
  const float alpha = 1.0f;
  if (ps == pass::fwd)
    return cudnnConvolutionForward(h, &alpha, d.x.d, a, d.w.d, b, d.conv.d, cudnnConvolutionFwdAlgo_t(algo), ws,
                                   ws_bytes, &beta, d.y.d, out);
  if (ps == pass::dgrad)
    return cudnnConvolutionBackwardData(h, &alpha, d.w.d, a, d.y.d, b, d.conv.d, cudnnConvolutionBwdDataAlgo_t(algo),
                                        ws, ws_bytes, &beta, d.x.d, out);
  return cudnnConvolutionBackwardFilter(h, &alpha, d.x.d, a, d.y.d, b, d.conv.d, cudnnConvolutionBwdFilterAlgo_t(algo),
                                        ws, ws_bytes, &beta, d.w.d, out);
}

/// cuDNN 9 groups status codes by thousands: 3xxx are "not supported" variants.
inline bool not_supported(cudnnStatus_t s) { return int(s) / 1000 == int(CUDNN_STATUS_NOT_SUPPORTED) / 1000; }

inline bool tensor_op(cudnnMathType_t m) {
  return m == CUDNN_TENSOR_OP_MATH || m == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

inline std::size_t out_bytes(pass ps, const problem& p) {
  const std::size_t e = p.dtype == CUDNN_DATA_FLOAT ? 4 : p.dtype == CUDNN_DATA_DOUBLE ? 8 : 2;
  if (ps == pass::fwd) return e * std::size_t(p.n) * p.k * p.oh * p.ow;
  if (ps == pass::dgrad) return e * std::size_t(p.n) * p.c * p.h * p.w;
  return e * std::size_t(p.k) * (p.c / p.groups) * p.r * p.s;
}

/// Runs one pass of problem `p`: out = pass(a, b) + beta * out.
inline void run(pass ps, const problem& p, const void* a, const void* b, void* out, float beta) {
  const int dev = current_device();
  cudnnHandle_t h = handle();
  descs d(p);
  // The math type the candidates are asked for; each candidate then runs with its own (or FMA when strict).
  I2I_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.d, p.strict ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH));

  auto& cache = algo_cache::instance();
  const auto key = p.key(ps, dev);
  {
    algo_choice c;
    bool hit = false;
    {
      std::lock_guard<std::mutex> lock(cache.mutex);
      auto it = cache.chosen.find(key);
      if (it != cache.chosen.end()) hit = true, c = it->second;
    }
    if (hit) {
      I2I_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.d, c.math));
      scratch ws(c.workspace);
      I2I_CUDNN_CHECK(execute(ps, h, d, c.algo, a, b, out, beta, ws.get(), c.workspace));
      return;
    }
  }

  std::vector<perf_entry> candidates = heuristics(ps, h, d);
  if (cudnn_benchmark_flag()) {
    // Workspace for the timing run: the largest any successful heuristic candidate asks for, up to 1 GiB.
    std::size_t want = 0;
    for (const auto& e : candidates)
      if (e.status == CUDNN_STATUS_SUCCESS && e.memory <= (std::size_t(1) << 30)) want = std::max(want, e.memory);
    scratch ws;
    try {
      ws = scratch(want);
    } catch (const device_error&) {
      want = 0;  // time only the algorithms that need no workspace
    }
    scratch tmp(ps == pass::wgrad ? out_bytes(ps, p) : 0);  // never disturb an accumulating dw
    void* target = ps == pass::wgrad ? tmp.get() : out;
    auto measured = measure(ps, h, d, a, b, target, ws.get(), want);
    if (!measured.empty()) candidates.insert(candidates.begin(), measured.begin(), measured.end());
  }

  std::string tried;
  for (const auto& e : candidates) {
    if (e.status != CUDNN_STATUS_SUCCESS) continue;
    if (p.strict && tensor_op(e.math)) continue;
    const cudnnMathType_t math = p.strict ? CUDNN_FMA_MATH : e.math;
    I2I_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.d, math));
    std::size_t ws_bytes = 0;
    if (workspace_size(ps, h, d, e.algo, ws_bytes) != CUDNN_STATUS_SUCCESS) continue;
    scratch ws;
    try {
      ws = scratch(ws_bytes);
    } catch (const device_error&) {
      tried += i2i::detail::concat(" algo ", e.algo, " (workspace ", ws_bytes, " B: out of memory)");
      continue;
    }
    const cudnnStatus_t st = execute(ps, h, d, e.algo, a, b, out, beta, ws.get(), ws_bytes);
    if (st == CUDNN_STATUS_SUCCESS) {
      std::lock_guard<std::mutex> lock(cache.mutex);
      cache.chosen[key] = algo_choice{e.algo, math, ws_bytes};
      return;
    }
    if (!not_supported(st)) check(st, "cudnnConvolution (first run of a cached problem)", __FILE__, __LINE__);
    tried += i2i::detail::concat(" algo ", e.algo, " (", cudnnGetErrorString(st), ")");
  }
  throw device_error(i2i::detail::concat(
      "cuDNN convolution ", pass_name(ps), ": no algorithm ran for input ", p.n, "x", p.c, "x", p.h, "x", p.w,
      ", filter ", p.k, "x", p.c / p.groups, "x", p.r, "x", p.s, ", groups ", p.groups, ", padding ", p.pad_h, "x",
      p.pad_w, ", stride ", p.stride_h, "x", p.stride_w, ", data type ", int(p.dtype), p.strict ? " (strict fp32)" : "",
      p.nhwc ? ", layout NHWC (channels padded; I2I_CUDA_CONV_LAYOUT=nchw avoids it)" : ", layout NCHW", "; tried:",
      tried.empty() ? std::string(" none") : tried));
}

// ---------------------------------------------------------------------------------------------------
// Small kernels: window copy (explicit padding / cropping) and bias add.

/// dst[p, i, j] = src[p, i + off_h, j + off_w] where that lies inside src, else 0; p < planes.
template <int = 0>  // a template: header kernels must not be defined once per TU
__global__ void window_kernel(const float* __restrict__ src, float* __restrict__ dst, long long planes, int sh, int sw,
                              int dh, int dw, int off_h, int off_w) {
  const long long n = planes * dh * dw;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const int x = int(i % dw);
    const long long t = i / dw;
    const int y = int(t % dh);
    const long long pl = t / dh;
    const int sy = y + off_h, sx = x + off_w;
    dst[i] = (sy >= 0 && sy < sh && sx >= 0 && sx < sw) ? src[(pl * sh + sy) * sw + sx] : 0.0f;
  }
}

/// An N x C x dh x dw tensor that windows `src` (rows shifted by off_h, columns by off_w, zeros outside).
inline tensor<float> window(const tensor<float>& src, std::int64_t dh, std::int64_t dw, std::int64_t off_h,
                            std::int64_t off_w) {
  tensor<float> dst = device_empty<float>(shape{src.dim(0), src.dim(1), dh, dw}, current_device());
  const long long n = dst.numel();
  if (n == 0) return dst;
  constexpr unsigned block = 256;
  window_kernel<0><<<grid_for(n, block), block, 0, current_stream()>>>(
      src.data(), dst.data(), (long long)src.dim(0) * src.dim(1), int(src.dim(2)), int(src.dim(3)), int(dh), int(dw),
      int(off_h), int(off_w));
  I2I_CUDA_CHECK_LAUNCH("window_kernel");
  return dst;
}

/// y (N x C x H x W) += bias[c] through cudnnAddTensor (fp32).
inline void add_bias(const tensor<float>& y, const tensor<float>& bias) {
  tensor_desc bd(CUDNN_DATA_FLOAT, 1, int(bias.numel()), 1, 1);
  tensor_desc yd(CUDNN_DATA_FLOAT, int(y.dim(0)), int(y.dim(1)), int(y.dim(2)), int(y.dim(3)));
  const float one = 1.0f;
  I2I_CUDNN_CHECK(cudnnAddTensor(handle(), &one, bd.d, bias.data(), &one, yd.d, y.data()));
}

/// db (C) += sum over N, H, W of dy through cudnnConvolutionBackwardBias (fp32).
inline void add_bias_grad(const tensor<float>& dy, const tensor<float>& db) {
  tensor_desc yd(CUDNN_DATA_FLOAT, int(dy.dim(0)), int(dy.dim(1)), int(dy.dim(2)), int(dy.dim(3)));
  tensor_desc bd(CUDNN_DATA_FLOAT, 1, int(db.numel()), 1, 1);
  const float one = 1.0f;
  I2I_CUDNN_CHECK(cudnnConvolutionBackwardBias(handle(), &one, yd.d, dy.data(), &one, bd.d, db.data()));
}

// ---------------------------------------------------------------------------------------------------
// Precision plumbing: an fp32 tensor seen in the compute type H (aliased for float, cast otherwise),
// and an output buffer in H that lands in an fp32 tensor (copied or accumulated).

template <class H>
struct input_view {
  const void* ptr = nullptr;
  scratch own;
};
template <class H>
input_view<H> view_as(const tensor<float>& t) {
  input_view<H> v;
  if constexpr (std::is_same_v<H, float>) {
    v.ptr = t.data();
  } else {
    v.own = scratch(std::size_t(t.numel()) * sizeof(H));
    cast_down<H>(t.data(), v.own.template as<H>(), t.numel());
    v.ptr = v.own.get();
  }
  return v;
}

/// Which channel count of the problem an activation operand has: the forward conv's input side (c) or
/// its output side (k). A conv2d's x and dx are input side, its y and dy output side; a transposed conv
/// is the problem's data gradient, so its x and dx are output side.
enum class side { input, output };

/// A 4-d fp32 tensor (n x c x a x b) transposed and cast into a scratch NHWC buffer of n_padded rows
/// and cp channels, zeros in the padding.
template <class H>
input_view<H> channels_last_view(const tensor<float>& t, long long n_padded, int cp) {
  const long long hw = t.dim(2) * t.dim(3);
  input_view<H> v;
  v.own = scratch(std::size_t(n_padded * hw * cp) * sizeof(H));
  to_channels_last<H>(t.data(), t.dim(0), int(t.dim(1)), hw, n_padded, cp, v.own.template as<H>());
  v.ptr = v.own.get();
  return v;
}

/// An NCHW fp32 activation as problem `p` reads it: as view_as above when the problem is NCHW; in NHWC,
/// transposed and cast in one pass, its channels padded with zeros to the problem's count.
template <class H>
input_view<H> activation_view(const tensor<float>& t, const problem& p, side sd) {
  if (!p.nhwc) return view_as<H>(t);
  return channels_last_view<H>(t, t.dim(0), sd == side::input ? p.c : p.k);
}

/// A K x C x R x S fp32 filter (a transposed conv's Cin x Cout x R x S is the same: the problem's k x c)
/// as problem `p` reads it; in NHWC as KRSC with zero channels up to p.c and zero filters up to p.k.
template <class H>
input_view<H> filter_view(const tensor<float>& w, const problem& p) {
  if (!p.nhwc) return view_as<H>(w);
  return channels_last_view<H>(w, p.k, p.c);
}

/// Runs `ps` writing into fp32 NCHW tensor `dst` (overwrite, or add when `accumulate`), then adds
/// `bias[c]` when given (forward outputs only; in NHWC in the same pass that converts back).
template <class H>
void run_into(pass ps, const problem& p, const void* a, const void* b, const tensor<float>& dst, bool accumulate,
              const tensor<float>* bias = nullptr) {
  if (p.nhwc) {
    scratch out(out_bytes(ps, p));
    run(ps, p, a, b, out.get(), 0.0f);
    // The output's padded channel count: y has k, dx and the KRSC filter gradient c.
    const int cp = ps == pass::fwd ? p.k : p.c;
    from_channels_last<H>(out.template as<H>(), dst.dim(0), int(dst.dim(1)), dst.dim(2) * dst.dim(3), cp,
                          bias ? bias->data() : nullptr, accumulate, dst.data());
    return;
  }
  if constexpr (std::is_same_v<H, float>) {
    run(ps, p, a, b, dst.data(), accumulate ? 1.0f : 0.0f);
  } else {
    scratch out(std::size_t(dst.numel()) * sizeof(H));
    run(ps, p, a, b, out.get(), 0.0f);
    cast_up<H>(out.template as<H>(), dst.data(), dst.numel(), accumulate);
  }
  if (bias) add_bias(dst, *bias);
}

/// Sets the problem's layout from the process-wide choice (conv_layout_setting) and, for NHWC, pads its
/// channel counts. Called last by the plans, after the shapes are final.
template <class H>
void choose_layout(problem& p) {
  p.nhwc = resolve_conv_layout(conv_layout_setting(), sizeof(H), p.groups) == conv_layout::nhwc;
  if (!p.nhwc) return;
  p.c = int(channels_last_channels(p.c, sizeof(H)));
  p.k = int(channels_last_channels(p.k, sizeof(H)));
}

// ---------------------------------------------------------------------------------------------------
// Argument checks (messages as on the CPU).

inline void check_numel(const char* op, const char* arg, const shape& s) {
  require<value_error>(s.numel() <= INT_MAX, op, ": ", arg, " ", s, " has more than 2^31-1 elements, beyond "
                       "the legacy cuDNN API");
}

/// The legacy cuDNN API's int sizes, after the shared shape checks (checks/conv.hpp).
inline void check_numel(const char* op, const shape& xs, const shape& ws, const shape& ys, const conv2d_args& a) {
  check_numel(op, "input", xs);
  check_numel(op, "padded input", shape{xs[0], xs[1], xs[2] + a.pad.top + a.pad.bottom, xs[3] + a.pad.left + a.pad.right});
  check_numel(op, "output", ys);
}
inline void check_numel(const char* op, const shape& xs, const shape& ws, const shape& ys,
                        const conv_transpose2d_args& a) {
  check_numel(op, "input", xs);
  check_numel(op, "output", ys);
  check_numel(op, "uncropped output", shape{xs[0], ws[1], (xs[2] - 1) * a.stride_h + ws[2], (xs[3] - 1) * a.stride_w + ws[3]});
}

/// How a conv2d maps onto cuDNN: symmetric padding goes to cuDNN; otherwise the input is padded
/// explicitly to ph x pw and the problem is unpadded.
struct conv_plan {
  problem p;
  bool explicit_pad = false;
  std::int64_t ph = 0, pw = 0;  // padded input size when explicit_pad
};

template <class H>
conv_plan plan_conv(const shape& xs, const shape& ws, const conv2d_args& a, bool strict, const shape& ys) {
  conv_plan c;
  c.explicit_pad = a.pad.top != a.pad.bottom || a.pad.left != a.pad.right;
  c.ph = xs[2] + a.pad.top + a.pad.bottom;
  c.pw = xs[3] + a.pad.left + a.pad.right;
  problem& p = c.p;
  p.n = int(xs[0]), p.c = int(xs[1]), p.k = int(ws[0]), p.r = int(ws[2]), p.s = int(ws[3]);
  p.h = int(c.explicit_pad ? c.ph : xs[2]);
  p.w = int(c.explicit_pad ? c.pw : xs[3]);
  p.pad_h = c.explicit_pad ? 0 : int(a.pad.top);
  p.pad_w = c.explicit_pad ? 0 : int(a.pad.left);
  p.stride_h = to_int("conv2d", a.stride_h, "stride");
  p.stride_w = to_int("conv2d", a.stride_w, "stride");
  p.oh = int(ys[2]), p.ow = int(ys[3]);
  p.groups = to_int("conv2d", a.groups, "groups");
  p.dtype = cudnn_type<H>();
  p.strict = strict;
  require<device_error>(out_size(p.h, p.pad_h, p.r, p.stride_h) == p.oh && out_size(p.w, p.pad_w, p.s, p.stride_w) == p.ow,
                        "conv2d: internal error mapping onto cuDNN (output ", ys, ")");
  choose_layout<H>(p);
  return c;
}

/// How a conv_transpose2d maps onto cuDNN: the transposed conv's output is the problem's input. With
/// crop top >= 0 and 0 <= top - bottom < stride (and the same for left/right) cuDNN's padding `top`
/// reproduces the crop exactly; otherwise the problem covers the uncropped (H-1)*s+K output.
struct transpose_plan {
  problem p;
  bool windowed = false;
  std::int64_t fh = 0, fw = 0;  // uncropped output size when windowed
};

template <class H>
transpose_plan plan_transpose(const shape& xs, const shape& ws, const conv_transpose2d_args& a, bool strict,
                              const shape& ys) {
  transpose_plan t;
  const auto& c = a.crop;
  const bool fits_h = c.top >= 0 && c.top - c.bottom >= 0 && c.top - c.bottom < a.stride_h;
  const bool fits_w = c.left >= 0 && c.left - c.right >= 0 && c.left - c.right < a.stride_w;
  t.windowed = !(fits_h && fits_w);
  t.fh = (xs[2] - 1) * a.stride_h + ws[2];
  t.fw = (xs[3] - 1) * a.stride_w + ws[3];
  problem& p = t.p;
  p.n = int(xs[0]), p.c = int(ws[1]), p.k = int(ws[0]), p.r = int(ws[2]), p.s = int(ws[3]);
  p.h = int(t.windowed ? t.fh : ys[2]);
  p.w = int(t.windowed ? t.fw : ys[3]);
  p.pad_h = t.windowed ? 0 : to_int("conv_transpose2d", c.top, "crop");
  p.pad_w = t.windowed ? 0 : to_int("conv_transpose2d", c.left, "crop");
  p.stride_h = to_int("conv_transpose2d", a.stride_h, "stride");
  p.stride_w = to_int("conv_transpose2d", a.stride_w, "stride");
  p.oh = int(xs[2]), p.ow = int(xs[3]);
  p.dtype = cudnn_type<H>();
  p.strict = strict;
  require<device_error>(out_size(p.h, p.pad_h, p.r, p.stride_h) == p.oh && out_size(p.w, p.pad_w, p.s, p.stride_w) == p.ow,
                        "conv_transpose2d: internal error mapping onto cuDNN (input ", xs, ", output ", ys, ")");
  choose_layout<H>(p);
  return t;
}

}  // namespace conv_detail

// ---------------------------------------------------------------------------------------------------
// The ops. H is the compute type cuDNN sees (float, __nv_bfloat16 or __half); Strict forbids TF32.
// Tensors are fp32 on the current device.

template <class H = float, bool Strict = false>
tensor<float> conv2d(const tensor<float>& x, const tensor<float>& w, const tensor<float>* bias, const conv2d_args& a) {
  using namespace conv_detail;
  constexpr const char* op = "cuda::conv2d";
  checks::require_tensor<on_current_device>(op, "weight", w);
  const shape ys = checks::conv_forward<on_current_device>(op, x, w.shape(), bias, a);
  check_numel(op, x.shape(), w.shape(), ys, a);
  const conv_plan c = plan_conv<H>(x.shape(), w.shape(), a, Strict, ys);
  tensor<float> xin = c.explicit_pad ? window(x, c.ph, c.pw, -a.pad.top, -a.pad.left) : x;
  tensor<float> y = device_empty<float>(ys, current_device());
  auto xv = activation_view<H>(xin, c.p, side::input);
  auto wv = filter_view<H>(w, c.p);
  run_into<H>(pass::fwd, c.p, xv.ptr, wv.ptr, y, false, bias);
  return y;
}

template <class H = float, bool Strict = false>
tensor<float> conv2d_backward_input(const tensor<float>& dy, const tensor<float>& w, const shape& xs,
                                    const conv2d_args& a) {
  using namespace conv_detail;
  constexpr const char* op = "cuda::conv2d_backward_input";
  checks::require_tensor<on_current_device>(op, "weight", w);
  const shape ys = checks::conv_backward_input<on_current_device>(op, dy, w.shape(), xs, a);
  check_numel(op, xs, w.shape(), ys, a);
  const conv_plan c = plan_conv<H>(xs, w.shape(), a, Strict, ys);
  auto wv = filter_view<H>(w, c.p);
  auto dyv = activation_view<H>(dy, c.p, side::output);
  if (!c.explicit_pad) {
    tensor<float> dx = device_empty<float>(xs, current_device());
    run_into<H>(pass::dgrad, c.p, wv.ptr, dyv.ptr, dx, false);
    return dx;
  }
  tensor<float> dxp = device_empty<float>(shape{xs[0], xs[1], c.ph, c.pw}, current_device());
  run_into<H>(pass::dgrad, c.p, wv.ptr, dyv.ptr, dxp, false);
  return window(dxp, xs[2], xs[3], a.pad.top, a.pad.left);
}

/// dw += dL/dw; db += dL/db when db is given (either may be accumulated into by several calls).
template <class H = float, bool Strict = false>
void conv2d_backward_params(const tensor<float>& x, const tensor<float>& dy, const tensor<float>& dw,
                            const tensor<float>* db, const conv2d_args& a) {
  using namespace conv_detail;
  constexpr const char* op = "cuda::conv2d_backward_params";
  const shape ys = checks::conv_backward_params<on_current_device>(op, x, dy, dw, db, a);
  check_numel(op, x.shape(), dw.shape(), ys, a);
  const conv_plan c = plan_conv<H>(x.shape(), dw.shape(), a, Strict, ys);
  tensor<float> xin = c.explicit_pad ? window(x, c.ph, c.pw, -a.pad.top, -a.pad.left) : x;
  auto xv = activation_view<H>(xin, c.p, side::input);
  auto dyv = activation_view<H>(dy, c.p, side::output);
  run_into<H>(pass::wgrad, c.p, xv.ptr, dyv.ptr, dw, true);
  if (db) add_bias_grad(dy, *db);
}

template <class H = float, bool Strict = false>
tensor<float> conv_transpose2d(const tensor<float>& x, const tensor<float>& w, const tensor<float>* bias,
                               const conv_transpose2d_args& a) {
  using namespace conv_detail;
  constexpr const char* op = "cuda::conv_transpose2d";
  checks::require_tensor<on_current_device>(op, "weight", w);
  const shape ys = checks::conv_forward<on_current_device>(op, x, w.shape(), bias, a);
  check_numel(op, x.shape(), w.shape(), ys, a);
  const transpose_plan t = plan_transpose<H>(x.shape(), w.shape(), a, Strict, ys);
  auto wv = filter_view<H>(w, t.p);
  auto xv = activation_view<H>(x, t.p, side::output);
  if (!t.windowed) {
    tensor<float> y = device_empty<float>(ys, current_device());
    run_into<H>(pass::dgrad, t.p, wv.ptr, xv.ptr, y, false, bias);
    return y;
  }
  // The bias goes on after the window: a negative crop's rows outside the full output are bias only.
  tensor<float> full = device_empty<float>(shape{ys[0], ys[1], t.fh, t.fw}, current_device());
  run_into<H>(pass::dgrad, t.p, wv.ptr, xv.ptr, full, false);
  tensor<float> y = window(full, ys[2], ys[3], a.crop.top, a.crop.left);
  if (bias) add_bias(y, *bias);
  return y;
}

template <class H = float, bool Strict = false>
tensor<float> conv_transpose2d_backward_input(const tensor<float>& dy, const tensor<float>& w, const shape& xs,
                                              const conv_transpose2d_args& a) {
  using namespace conv_detail;
  constexpr const char* op = "cuda::conv_transpose2d_backward_input";
  checks::require_tensor<on_current_device>(op, "weight", w);
  const shape ys = checks::conv_backward_input<on_current_device>(op, dy, w.shape(), xs, a);
  check_numel(op, xs, w.shape(), ys, a);
  const transpose_plan t = plan_transpose<H>(xs, w.shape(), a, Strict, ys);
  tensor<float> dyin = t.windowed ? window(dy, t.fh, t.fw, -a.crop.top, -a.crop.left) : dy;
  auto dyv = activation_view<H>(dyin, t.p, side::input);
  auto wv = filter_view<H>(w, t.p);
  tensor<float> dx = device_empty<float>(xs, current_device());
  run_into<H>(pass::fwd, t.p, dyv.ptr, wv.ptr, dx, false);
  return dx;
}

template <class H = float, bool Strict = false>
void conv_transpose2d_backward_params(const tensor<float>& x, const tensor<float>& dy, const tensor<float>& dw,
                                      const tensor<float>* db, const conv_transpose2d_args& a) {
  using namespace conv_detail;
  constexpr const char* op = "cuda::conv_transpose2d_backward_params";
  const shape ys = checks::conv_backward_params<on_current_device>(op, x, dy, dw, db, a);
  check_numel(op, x.shape(), dw.shape(), ys, a);
  const transpose_plan t = plan_transpose<H>(x.shape(), dw.shape(), a, Strict, ys);
  tensor<float> dyin = t.windowed ? window(dy, t.fh, t.fw, -a.crop.top, -a.crop.left) : dy;
  auto dyv = activation_view<H>(dyin, t.p, side::input);
  auto xv = activation_view<H>(x, t.p, side::output);
  // The problem's input is the transposed conv's output (dy), its output gradient is x.
  run_into<H>(pass::wgrad, t.p, dyv.ptr, xv.ptr, dw, true);
  if (db) add_bias_grad(dy, *db);
}

}  // namespace i2i::cuda
