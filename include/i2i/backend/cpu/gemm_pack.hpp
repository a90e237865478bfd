#pragma once
// Packing for the implicit-GEMM convolutions: weights into the micro-kernel's A layout, image patches
// (im2col fused into the packing) into its B layout, and zero-padded windows of images.
//
// Why im2col is fused into the B packing: a 3x3 256->256 conv at 64x64 would write a 36 MB im2col
// matrix per call; packing only a kc x 256 block of it at a time keeps the patches in L2, and the
// packing is needed anyway to give the micro-kernel a contiguous, aligned panel.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

#include "i2i/backend/cpu/gemm_kernels.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/core/threads.hpp"

namespace i2i::cpu {
namespace gemm_detail {

/// Per-thread scratch buffers that only grow (packing panels, run tables): no allocation per call once
/// the largest shape has been seen. `slot` separates buffers that are live at the same time.
struct scratch_block {
  void* p = nullptr;
  std::size_t bytes = 0;
  ~scratch_block() { std::free(p); }
};
template <class U>
U* scratch(int slot, std::size_t n) {
  thread_local scratch_block blocks[4];
  scratch_block& b = blocks[slot];
  const std::size_t need = std::max<std::size_t>(64, (n * sizeof(U) + 63) / 64 * 64);
  if (need > b.bytes) {
    std::free(b.p);
    b.p = std::aligned_alloc(64, need);
    b.bytes = b.p ? need : 0;
    if (!b.p) throw std::bad_alloc();
  }
  return static_cast<U*>(b.p);
}

inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

}  // namespace gemm_detail

/// A matrix A (m x k) packed for one kernel_set: for each block of kc reduction steps, for each panel
/// of MR rows, kcb x MR values (zero rows pad the last panel).
template <class T>
struct packed_matrix {
  tensor<T> buf;
  std::int64_t m = 0, k = 0, kc = 256;
  kernel_set<T> ks;

  std::int64_t mpad() const { return gemm_detail::ceil_div(m, ks.mr) * ks.mr; }
  /// The panel of rows [mp*MR, mp*MR + MR) for the block starting at k0 (a multiple of kc).
  const T* panel(std::int64_t k0, std::int64_t mp) const {
    const std::int64_t kcb = std::min(kc, k - k0);
    return buf.data() + k0 * mpad() + mp * ks.mr * kcb;
  }
  bool empty() const { return m == 0 || k == 0; }
};

/// Packs A[m][c*taps + t] = base[m*m_stride + c*c_stride + toff[t]] (m < M, c < C, t < taps). This one
/// strided form covers conv weights (Cout x Cin*KH*KW), their transposes and the flipped sub-kernels of
/// a transposed conv's phases.
template <class T>
packed_matrix<T> pack_matrix(const T* base, std::int64_t M, std::int64_t C, std::int64_t taps, std::int64_t m_stride,
                             std::int64_t c_stride, const std::int64_t* toff, const kernel_set<T>& ks,
                             std::int64_t kc = 256) {
  packed_matrix<T> p;
  p.m = M;
  p.k = C * taps;
  p.kc = kc;
  p.ks = ks;
  if (p.empty()) return p;
  const int MR = ks.mr;
  const std::int64_t mp_total = gemm_detail::ceil_div(M, MR);
  const std::int64_t kb_total = gemm_detail::ceil_div(p.k, kc);
  p.buf = tensor<T>::empty(shape{p.mpad() * p.k});
  T* out = p.buf.data();
  const std::int64_t K = p.k;
  parallel_for(kb_total * mp_total, 16, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t job = b; job < e; ++job) {
      const std::int64_t kb = job / mp_total, mp = job % mp_total;
      const std::int64_t k0 = kb * kc, kcb = std::min(kc, K - k0);
      T* dst = out + k0 * p.mpad() + mp * MR * kcb;
      const std::int64_t m0 = mp * MR;
      std::int64_t c = k0 / taps, t = k0 % taps;
      for (std::int64_t kk = 0; kk < kcb; ++kk) {
        const T* src = base + c * c_stride + toff[t];
        for (int i = 0; i < MR; ++i) dst[kk * MR + i] = (m0 + i < M) ? src[(m0 + i) * m_stride] : T(0);
        if (++t == taps) t = 0, ++c;
      }
    }
  });
  return p;
}

/// Where the columns of an implicit GEMM come from: column p = (b, gy, gx) of a gh x gw output grid,
/// row k = (c, t) reads data[b*batch_stride + c*plane + toff[t] + gy*sh*row + gx*sw]. `data` is an
/// already zero-padded image, so no bounds checks are needed while packing.
template <class T>
struct patch_source {
  const T* data = nullptr;
  std::int64_t batch_stride = 0, plane = 0, row = 0;
  std::int64_t channels = 0, taps = 0;
  const std::int64_t* toff = nullptr;
  std::int64_t sh = 1, sw = 1;
  std::int64_t gh = 0, gw = 0, nb = 0;

  std::int64_t cols() const { return nb * gh * gw; }
  std::int64_t rows() const { return channels * taps; }
};

namespace gemm_detail {

/// A run of columns that reads consecutive (stride sw) elements of one image row.
struct col_run {
  std::int32_t j, len;
  std::int64_t src;
};

/// Splits columns [p0, p0 + n) into runs; returns the number written to `out` (at most n).
template <class T>
int make_runs(const patch_source<T>& s, std::int64_t p0, std::int64_t n, col_run* out) {
  int count = 0;
  const std::int64_t ghw = s.gh * s.gw;
  std::int64_t p = p0;
  const std::int64_t end = p0 + n;
  while (p < end) {
    const std::int64_t b = p / ghw, q = p % ghw, gy = q / s.gw, gx = q % s.gw;
    const std::int64_t len = std::min(end - p, s.gw - gx);
    out[count++] = {std::int32_t(p - p0), std::int32_t(len), b * s.batch_stride + gy * s.sh * s.row + gx * s.sw};
    p += len;
  }
  return count;
}

/// o[j] = s[j*sw] for j < len. Runs are short (one panel row, <= 32 elements): fixed-size chunks keep
/// the copy inline instead of a libc memmove call per run.
template <class T>
inline void copy_run(T* __restrict o, const T* __restrict s, int len, std::int64_t sw) {
  if (sw == 1) {
    int j = 0;
    for (; j + 16 <= len; j += 16) std::memcpy(o + j, s + j, 16 * sizeof(T));
    for (; j + 4 <= len; j += 4) std::memcpy(o + j, s + j, 4 * sizeof(T));
    for (; j < len; ++j) o[j] = s[j];
  } else {
    for (int j = 0; j < len; ++j) o[j] = s[j * sw];
  }
}

/// One panel of a packed B block: its runs, its number of real columns and where it starts in `dst`.
struct panel_runs {
  const col_run* runs;
  int nruns;
  int nv;
};

/// For kk < kc and every panel q: dst[q*kc*ld + kk*ld + j] = patch(k0 + kk, column j of panel q), with
/// the columns [nv, ld) zeroed. The reduction row is the outer loop so that consecutive copies read
/// neighbouring pixels of one image row (the panels of a block are adjacent columns).
template <class T>
void pack_patch_block(const patch_source<T>& s, std::int64_t k0, std::int64_t kc, const panel_runs* panels,
                      std::int64_t npan, std::int64_t ld, T* dst) {
  std::int64_t c = k0 / s.taps, t = k0 % s.taps;
  const std::int64_t sw = s.sw;
  for (std::int64_t kk = 0; kk < kc; ++kk) {
    const T* base = s.data + c * s.plane + s.toff[t];
    // The next channel's plane is far away (no hardware prefetcher follows it): fetch the row this
    // tap will read there while the current one is copied.
    const T* ahead = base + s.plane;
    for (std::int64_t q = 0; q < npan; ++q) {
      const panel_runs& pr = panels[q];
      for (int r = 0; r < pr.nruns; ++r) {
        const T* a = ahead + pr.runs[r].src;
        __builtin_prefetch(a);
        __builtin_prefetch(a + pr.runs[r].len * sw - 1);
      }
      T* d = dst + (q * kc + kk) * ld;
      for (int r = 0; r < pr.nruns; ++r) copy_run(d + pr.runs[r].j, base + pr.runs[r].src, pr.runs[r].len, sw);
      for (std::int64_t j = pr.nv; j < ld; ++j) d[j] = T(0);
    }
    if (++t == s.taps) t = 0, ++c;
  }
}

/// dst[kk*ld + j] = patch(k0 + kk, p0 + j) for kk < kc and the columns described by `runs`; the columns
/// [n, ld) of each row are zeroed (n = number of real columns).
template <class T>
void pack_patch_rows(const patch_source<T>& s, std::int64_t k0, std::int64_t kc, const col_run* runs, int nruns,
                     std::int64_t n, std::int64_t ld, T* dst) {
  const panel_runs one{runs, nruns, int(n)};
  pack_patch_block(s, k0, kc, &one, 1, ld, dst);
}

/// dst[p*ldd + j] = src[j*lds + p] for j < rows, p < cols: the im2col rows of a weight-gradient block
/// turned into the k-major B panel layout.
template <class T>
void transpose_scalar(const T* src, std::int64_t lds, T* dst, std::int64_t ldd, std::int64_t rows, std::int64_t cols) {
  for (std::int64_t p = 0; p < cols; ++p)
    for (std::int64_t j = 0; j < rows; ++j) dst[p * ldd + j] = src[j * lds + p];
}

#if I2I_GEMM_X86
// GCC 12's unpack/shuffle intrinsics start from _mm512_undefined_ps() and warn about it under -Wall
// (GCC PR 105593, fixed in 13).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
/// 16x16 float transpose in registers (unpack, then two 128-bit lane shuffles).
__attribute__((target("avx512f"))) inline void transpose16x16(const float* src, std::int64_t lds, float* dst,
                                                              std::int64_t ldd) {
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * lds);
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {
    const __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
    const __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
    r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  // r[4i + e], 128-bit lane L: column 4L + e of rows 4i..4i+3.
  for (int e = 0; e < 4; ++e) {
    t[e] = _mm512_shuffle_f32x4(r[e], r[4 + e], 0x88);
    t[e + 4] = _mm512_shuffle_f32x4(r[e], r[4 + e], 0xdd);
    t[e + 8] = _mm512_shuffle_f32x4(r[8 + e], r[12 + e], 0x88);
    t[e + 12] = _mm512_shuffle_f32x4(r[8 + e], r[12 + e], 0xdd);
  }
  for (int e = 0; e < 4; ++e) {
    _mm512_storeu_ps(dst + e * ldd, _mm512_shuffle_f32x4(t[e], t[e + 8], 0x88));
    _mm512_storeu_ps(dst + (8 + e) * ldd, _mm512_shuffle_f32x4(t[e], t[e + 8], 0xdd));
    _mm512_storeu_ps(dst + (4 + e) * ldd, _mm512_shuffle_f32x4(t[e + 4], t[e + 12], 0x88));
    _mm512_storeu_ps(dst + (12 + e) * ldd, _mm512_shuffle_f32x4(t[e + 4], t[e + 12], 0xdd));
  }
}
#pragma GCC diagnostic pop
#endif

/// transpose_scalar, with 16x16 register blocks where the AVX-512 kernels are in use.
template <class T>
void transpose_block(const T* src, std::int64_t lds, T* dst, std::int64_t ldd, std::int64_t rows, std::int64_t cols,
                     gemm_isa isa) {
#if I2I_GEMM_X86
  if constexpr (std::is_same_v<T, float>) {
    if (isa == gemm_isa::avx512) {
      const std::int64_t r16 = rows / 16 * 16, c16 = cols / 16 * 16;
      for (std::int64_t j = 0; j < r16; j += 16)
        for (std::int64_t p = 0; p < c16; p += 16) transpose16x16(src + j * lds + p, lds, dst + p * ldd + j, ldd);
      if (c16 < cols) transpose_scalar(src + c16, lds, dst + c16 * ldd, ldd, rows, cols - c16);
      if (r16 < rows) transpose_scalar(src + r16 * lds, lds, dst + r16, ldd, rows - r16, c16);
      return;
    }
  }
#endif
  transpose_scalar(src, lds, dst, ldd, rows, cols);
}

}  // namespace gemm_detail

/// A zero-padded window of an NCHW image: out[b][c][y][x] = x[b][c][y - top][x - left] when inside x,
/// else 0, for y < hp, x < wp. top/left may be negative (a crop). Returns x itself when the window is x.
template <class T>
tensor<T> padded_window(const tensor<T>& x, std::int64_t top, std::int64_t left, std::int64_t hp, std::int64_t wp) {
  const std::int64_t nb = x.n(), C = x.c(), H = x.h(), W = x.w();
  if (top == 0 && left == 0 && hp == H && wp == W) return x;
  auto out = tensor<T>::empty(shape{nb, C, hp, wp});
  const T* src = x.data();
  T* dst = out.data();
  // Destination columns that come from the source, and rows likewise.
  const std::int64_t x0 = std::clamp<std::int64_t>(left, 0, wp), x1 = std::clamp<std::int64_t>(left + W, 0, wp);
  const std::int64_t y0 = std::clamp<std::int64_t>(top, 0, hp), y1 = std::clamp<std::int64_t>(top + H, 0, hp);
  parallel_for(nb * C, std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(1, hp * wp)),
               [&](std::int64_t b, std::int64_t e) {
                 for (std::int64_t pl = b; pl < e; ++pl) {
                   const T* s = src + pl * H * W;
                   T* d = dst + pl * hp * wp;
                   std::fill(d, d + y0 * wp, T(0));
                   for (std::int64_t y = y0; y < y1; ++y) {
                     T* dr = d + y * wp;
                     std::fill(dr, dr + x0, T(0));
                     if (x1 > x0) std::copy_n(s + (y - top) * W + (x0 - left), x1 - x0, dr + x0);
                     std::fill(dr + std::max(x0, x1), dr + wp, T(0));
                   }
                   std::fill(d + y1 * wp, d + hp * wp, T(0));
                 }
               });
  return out;
}

}  // namespace i2i::cpu
