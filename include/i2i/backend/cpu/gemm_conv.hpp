#pragma once
// Implicit-GEMM drivers shared by conv2d and conv_transpose2d (BLIS-style loops around the
// micro-kernels of gemm_kernels.hpp):
//   conv_gemm_forward: Y[m, out(p)] (+)= sum_k A[m, k] * patch(k, p)   (forward, dgrad phases)
//   conv_gemm_wgrad:   dW[m, k]     +=  sum_p G[m, p] * patch(k, p)    (weight gradients)
//   transposed_forward: a transposed convolution as s_h*s_w stride-1 "phase" convolutions.
//
// Parallelisation: output tiles (column chunks x row chunks) are tasks on the i2i pool; each task packs
// its own B block, so threads never share a write. Splitting rows (channels) re-packs B per row chunk,
// which is cheap next to the GEMM and is what keeps both cores busy on 8x8 maps with 1024 channels.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "i2i/backend/cpu/gemm_pack.hpp"

namespace i2i::cpu {

/// Where the columns of conv_gemm_forward go: column p = (b, gy, gx) of the source's grid is written at
/// data + b*batch_stride + (r0 + gy*rstep)*row + c0 + gx*cstep, row m of A at + m*plane.
template <class T>
struct out_map {
  T* data = nullptr;
  std::int64_t batch_stride = 0, plane = 0, row = 0;
  std::int64_t r0 = 0, rstep = 1, c0 = 0, cstep = 1;
  std::int64_t offset(std::int64_t b, std::int64_t gy, std::int64_t gx) const {
    return b * batch_stride + (r0 + gy * rstep) * row + c0 + gx * cstep;
  }
};

namespace gemm_detail {

/// Task grid for an m x n output: column chunks of whole NR panels and row chunks of whole MR panels.
struct task_grid {
  std::int64_t n_chunks = 1, m_chunks = 1, np_total = 0, mp_total = 0;
};

inline task_grid plan_tasks(std::int64_t m, std::int64_t n, std::int64_t k, int mr, int nr, std::int64_t max_panels) {
  task_grid g;
  g.np_total = ceil_div(n, nr);
  g.mp_total = ceil_div(m, mr);
  const int threads = num_threads();
  const double flops = 2.0 * double(m) * double(n) * double(k);
  if (threads <= 1 || flops < 2e6) {
    g.n_chunks = ceil_div(g.np_total, max_panels);
    return g;
  }
  const std::int64_t want = 4 * std::int64_t(threads);
  g.n_chunks = ceil_div(g.np_total, max_panels);
  if (g.n_chunks < want) {
    // Too few column chunks: split the rows as well, keeping at least 4 panels (32 channels) per chunk.
    g.m_chunks = std::clamp<std::int64_t>(ceil_div(want, g.n_chunks), 1, std::max<std::int64_t>(1, g.mp_total / 4));
    if (g.n_chunks * g.m_chunks < want) g.n_chunks = std::min(g.np_total, ceil_div(want, g.m_chunks));
  }
  // Equal shares for every thread: round the column chunks up to a multiple of the thread count.
  if (g.n_chunks * g.m_chunks > 1 && g.n_chunks < g.np_total) {
    const std::int64_t total = g.n_chunks * g.m_chunks;
    const std::int64_t rounded = ceil_div(total, threads) * threads;
    if (rounded != total && rounded % g.m_chunks == 0) g.n_chunks = std::min(g.np_total, rounded / g.m_chunks);
  }
  return g;
}

struct panel_info {
  std::int64_t p0;
  int nv, run_begin, run_end;
  bool contiguous;
  std::int64_t off0;
};

}  // namespace gemm_detail

/// Y (+)= A * patches. With accumulate == false the first reduction block overwrites Y (adding bias[m]
/// when bias != nullptr); later blocks always accumulate.
template <class T>
void conv_gemm_forward(const packed_matrix<T>& A, const patch_source<T>& src, const out_map<T>& out, const T* bias,
                       bool accumulate) {
  using namespace gemm_detail;
  require<error>(A.k == src.rows(), "conv_gemm_forward: packed weight has ", A.k, " columns, patches have ",
                 src.rows(), " rows");
  const kernel_set<T> ks = A.ks;
  const int MR = ks.mr, NR = ks.nr;
  const std::int64_t M = A.m, K = A.k, N = src.cols(), KC = A.kc;
  if (M == 0 || N == 0) return;
  const std::int64_t max_panels = std::max<std::int64_t>(1, 256 / NR);
  const task_grid g = plan_tasks(M, N, K, MR, NR, max_panels);
  const std::int64_t ghw = src.gh * src.gw;

  parallel_tasks(g.n_chunks * g.m_chunks, [&](std::int64_t task) {
    const std::int64_t ni = task / g.m_chunks, mi = task % g.m_chunks;
    const std::int64_t pa = g.np_total * ni / g.n_chunks, pb = g.np_total * (ni + 1) / g.n_chunks;
    const std::int64_t ma = g.mp_total * mi / g.m_chunks, mb = g.mp_total * (mi + 1) / g.m_chunks;
    const std::int64_t npan = pb - pa;
    if (npan <= 0 || mb <= ma) return;

    T* bbuf = scratch<T>(0, std::size_t(KC * NR * npan));
    col_run* runs = scratch<col_run>(1, std::size_t(NR * npan));
    std::int64_t* coffs = scratch<std::int64_t>(2, std::size_t(NR * npan));
    panel_info* info = scratch<panel_info>(3, std::size_t(npan));

    int nruns = 0;
    for (std::int64_t q = 0; q < npan; ++q) {
      panel_info& pi = info[q];
      pi.p0 = (pa + q) * NR;
      pi.nv = int(std::min<std::int64_t>(NR, N - pi.p0));
      pi.run_begin = nruns;
      nruns += make_runs(src, pi.p0, pi.nv, runs + nruns);
      pi.run_end = nruns;
      std::int64_t* co = coffs + q * NR;
      for (int j = 0; j < pi.nv; ++j) {
        const std::int64_t p = pi.p0 + j, b = p / ghw, r = p % ghw;
        co[j] = out.offset(b, r / src.gw, r % src.gw);
      }
      pi.contiguous = true;
      for (int j = 1; j < pi.nv; ++j) pi.contiguous = pi.contiguous && co[j] == co[0] + j;
      pi.off0 = co[0];
    }
    panel_runs* prs = scratch<panel_runs>(0, std::size_t(npan));
    for (std::int64_t q = 0; q < npan; ++q)
      prs[q] = {runs + info[q].run_begin, info[q].run_end - info[q].run_begin, info[q].nv};

    for (std::int64_t k0 = 0; k0 < K; k0 += KC) {
      const std::int64_t kcb = std::min(KC, K - k0);
      pack_patch_block(src, k0, kcb, prs, npan, NR, bbuf);
      const int mode = (k0 == 0 && !accumulate) ? store_overwrite : store_accumulate;
      for (std::int64_t mp = ma; mp < mb; ++mp) {
        const std::int64_t m0 = mp * MR;
        const int mv = int(std::min<std::int64_t>(MR, M - m0));
        const T* a = A.panel(k0, mp);
        const T* bm = (mode == store_overwrite && bias) ? bias + m0 : nullptr;
        T* cbase = out.data + m0 * out.plane;
        for (std::int64_t q = 0; q < npan; ++q) {
          const panel_info& pi = info[q];
          if (pi.contiguous)
            ks.fn(kcb, a, bbuf + q * kcb * NR, cbase + pi.off0, out.plane, nullptr, mv, pi.nv, mode, bm);
          else
            ks.fn(kcb, a, bbuf + q * kcb * NR, cbase, out.plane, coffs + q * NR, mv, pi.nv, mode, bm);
        }
      }
    }
  });
}

/// dW[m*ldw + k] += sum_p G[m, p] * patch(k, p), where G is an nb x M x gh x gw tensor over the
/// source's grid (the output gradient of a conv). Implemented as the outer-product kernel with
/// A = G^T packed once (shared) and B = patch^T packed per task (im2col rows, then a transpose).
template <class T>
void conv_gemm_wgrad(const patch_source<T>& src, const T* G, std::int64_t M, T* dw, std::int64_t ldw,
                     const kernel_set<T>& ks) {
  using namespace gemm_detail;
  const int MR = ks.mr, NR = ks.nr;
  const std::int64_t P = src.cols(), K = src.rows();
  if (M == 0 || K == 0 || P == 0) return;
  const std::int64_t KC = 256;
  const std::int64_t ghw = src.gh * src.gw;
  const std::int64_t mp_total = ceil_div(M, MR), mpad = mp_total * MR;
  const std::int64_t pb_total = ceil_div(P, KC);

  // A = G^T in kernel layout: for each p block, for each MR-row panel, kcb x MR.
  auto ap = tensor<T>::empty(shape{mpad * P});
  T* apd = ap.data();
  parallel_for(pb_total * mp_total, 4, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t job = b; job < e; ++job) {
      const std::int64_t pb = job / mp_total, mp = job % mp_total;
      const std::int64_t p0 = pb * KC, kcb = std::min(KC, P - p0), m0 = mp * MR;
      T* dst = apd + p0 * mpad + mp * MR * kcb;
      for (int i = 0; i < MR; ++i) {
        const std::int64_t m = m0 + i;
        if (m >= M) {
          for (std::int64_t kk = 0; kk < kcb; ++kk) dst[kk * MR + i] = T(0);
          continue;
        }
        std::int64_t p = p0;
        while (p < p0 + kcb) {  // runs inside one image of the batch are contiguous in G
          const std::int64_t bi = p / ghw, q = p % ghw, len = std::min(p0 + kcb - p, ghw - q);
          const T* g = G + (bi * M + m) * ghw + q;
          T* d = dst + (p - p0) * MR + i;
          for (std::int64_t j = 0; j < len; ++j) d[j * MR] = g[j];
          p += len;
        }
      }
    }
  });

  const std::int64_t max_panels = std::max<std::int64_t>(1, 256 / NR);
  const task_grid g = plan_tasks(M, K, P, MR, NR, max_panels);
  parallel_tasks(g.n_chunks * g.m_chunks, [&](std::int64_t task) {
    const std::int64_t ni = task / g.m_chunks, mi = task % g.m_chunks;
    const std::int64_t pa = g.np_total * ni / g.n_chunks, pe = g.np_total * (ni + 1) / g.n_chunks;
    const std::int64_t ma = g.mp_total * mi / g.m_chunks, mb = g.mp_total * (mi + 1) / g.m_chunks;
    const std::int64_t npan = pe - pa;
    if (npan <= 0 || mb <= ma) return;
    T* bbuf = scratch<T>(0, std::size_t(KC * NR * npan));
    T* rows = scratch<T>(1, std::size_t(KC * NR));
    col_run* runs = scratch<col_run>(2, std::size_t(KC));
    for (std::int64_t pb = 0; pb < pb_total; ++pb) {
      const std::int64_t p0 = pb * KC, kcb = std::min(KC, P - p0);
      const int nruns = make_runs(src, p0, kcb, runs);
      for (std::int64_t q = 0; q < npan; ++q) {
        const std::int64_t k0 = (pa + q) * NR, nk = std::min<std::int64_t>(NR, K - k0);
        pack_patch_rows(src, k0, nk, runs, nruns, kcb, kcb, rows);
        std::fill(rows + nk * kcb, rows + NR * kcb, T(0));  // rows past K: zero columns of the panel
        transpose_block(rows, kcb, bbuf + q * kcb * NR, NR, NR, kcb, ks.isa);
      }
      for (std::int64_t mp = ma; mp < mb; ++mp) {
        const std::int64_t m0 = mp * MR;
        const int mv = int(std::min<std::int64_t>(MR, M - m0));
        const T* a = apd + p0 * mpad + mp * MR * kcb;
        for (std::int64_t q = 0; q < npan; ++q) {
          const std::int64_t k0 = (pa + q) * NR;
          const int nv = int(std::min<std::int64_t>(NR, K - k0));
          ks.fn(kcb, a, bbuf + q * kcb * NR, dw + m0 * ldw + k0, ldw, nullptr, mv, nv,
                gemm_detail::store_accumulate, nullptr);
        }
      }
    }
  });
}

// ----------------------------------------------------------------------------------------------------
// Transposed convolution by phases.
//
// A transposed conv with stride s scatters input pixel i to outputs i*s + k - crop. Output o therefore
// receives only the taps k = (o + crop) mod s + s*t: per output phase it is an ordinary stride-1 conv of
// the input with a flipped sub-kernel of ceil((K - r)/s) taps. Running the s*s phases as implicit GEMMs
// does exactly the useful FLOPs (no zero insertion, no col2im scatter-add buffer).

struct phase_1d {
  std::int64_t taps = 0;   // sub-kernel length
  std::int64_t o0 = 0;     // first output position of the phase; then every s-th
  std::int64_t count = 0;  // number of output positions
  std::int64_t off = 0;    // input index read by tap 0 for the first position (before padding)
};

struct phase_plan_1d {
  std::vector<phase_1d> ph;  // index r = (o + crop) mod s
  std::int64_t pad_before = 0, padded = 0;
};

inline phase_plan_1d plan_phases(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t crop, std::int64_t out) {
  phase_plan_1d p;
  p.ph.resize(std::size_t(s));
  std::int64_t pb = 0, pa = 0;
  for (std::int64_t r = 0; r < s; ++r) {
    phase_1d& f = p.ph[std::size_t(r)];
    f.taps = r < k ? (k - r + s - 1) / s : 0;
    f.o0 = (((r - crop) % s) + s) % s;
    f.count = f.o0 < out ? (out - f.o0 + s - 1) / s : 0;
    const std::int64_t u0 = (f.o0 + crop - r) / s;  // exact: o0 + crop == r (mod s)
    f.off = u0 - f.taps + 1;
    if (f.count > 0 && f.taps > 0) {
      pb = std::max(pb, -f.off);
      pa = std::max(pa, f.off + f.count - 1 + f.taps - 1 - (in - 1));
    }
  }
  p.pad_before = pb;
  p.padded = pb + in + pa;
  return p;
}

/// The s_h*s_w phase sub-kernels of a transposed-conv weight w[c*in_stride + m*out_stride + kh*KW + kw]
/// (c: input channel, m: output channel), packed for one kernel set. Index ry*sw + rx.
template <class T>
struct phase_weights {
  std::vector<packed_matrix<T>> w;
  std::int64_t in_ch = 0, out_ch = 0, kh = 0, kw = 0, sh = 1, sw = 1;
  kernel_set<T> ks;
};

template <class T>
phase_weights<T> pack_phases(const T* w, std::int64_t in_ch, std::int64_t out_ch, std::int64_t kh, std::int64_t kw,
                             std::int64_t in_stride, std::int64_t out_stride, std::int64_t sh, std::int64_t sw,
                             const kernel_set<T>& ks) {
  phase_weights<T> pw;
  pw.in_ch = in_ch, pw.out_ch = out_ch, pw.kh = kh, pw.kw = kw, pw.sh = sh, pw.sw = sw, pw.ks = ks;
  for (std::int64_t ry = 0; ry < sh; ++ry)
    for (std::int64_t rx = 0; rx < sw; ++rx) {
      const std::int64_t ty = ry < kh ? (kh - ry + sh - 1) / sh : 0, tx = rx < kw ? (kw - rx + sw - 1) / sw : 0;
      std::vector<std::int64_t> toff(std::size_t(std::max<std::int64_t>(1, ty * tx)));
      for (std::int64_t a = 0; a < ty; ++a)
        for (std::int64_t b = 0; b < tx; ++b)
          toff[std::size_t(a * tx + b)] = (ry + sh * (ty - 1 - a)) * kw + (rx + sw * (tx - 1 - b));
      if (ty * tx == 0) {
        packed_matrix<T> none;
        none.m = out_ch;
        none.ks = ks;
        pw.w.push_back(none);
      } else {
        pw.w.push_back(pack_matrix(w, out_ch, in_ch, ty * tx, out_stride, in_stride, toff.data(), ks));
      }
    }
  return pw;
}

/// y = transposed conv of x (nb x in_ch x H x W) cropped by (crop_top, crop_left) to y's size; y is
/// preallocated (nb x out_ch x OH x OW). bias may be null.
template <class T>
void transposed_forward(const tensor<T>& x, const phase_weights<T>& pw, std::int64_t crop_top, std::int64_t crop_left,
                        tensor<T>& y, const T* bias) {
  const std::int64_t nb = x.n(), H = x.h(), W = x.w(), OH = y.h(), OW = y.w();
  const phase_plan_1d py = plan_phases(H, pw.kh, pw.sh, crop_top, OH);
  const phase_plan_1d px = plan_phases(W, pw.kw, pw.sw, crop_left, OW);
  bool uncovered = false;  // an output phase no tap reaches (stride > kernel): it only gets the bias
  for (const auto& a : py.ph)
    for (const auto& b : px.ph)
      if (a.count > 0 && b.count > 0 && (a.taps == 0 || b.taps == 0)) uncovered = true;
  if (uncovered) {
    const std::int64_t hw = OH * OW;
    parallel_for(nb * pw.out_ch, 8, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t pl = b; pl < e; ++pl)
        std::fill_n(y.data() + pl * hw, hw, bias ? bias[pl % pw.out_ch] : T(0));
    });
  }
  const tensor<T> xp = padded_window(x, py.pad_before, px.pad_before, py.padded, px.padded);
  const std::int64_t Hp = py.padded, Wp = px.padded;
  for (std::int64_t ry = 0; ry < pw.sh; ++ry)
    for (std::int64_t rx = 0; rx < pw.sw; ++rx) {
      const phase_1d& a = py.ph[std::size_t(ry)];
      const phase_1d& b = px.ph[std::size_t(rx)];
      if (a.count == 0 || b.count == 0 || a.taps == 0 || b.taps == 0) continue;
      std::vector<std::int64_t> toff(std::size_t(a.taps * b.taps));
      for (std::int64_t ty = 0; ty < a.taps; ++ty)
        for (std::int64_t tx = 0; tx < b.taps; ++tx)
          toff[std::size_t(ty * b.taps + tx)] = (a.off + py.pad_before + ty) * Wp + (b.off + px.pad_before + tx);
      patch_source<T> src;
      src.data = xp.data();
      src.batch_stride = pw.in_ch * Hp * Wp;
      src.plane = Hp * Wp;
      src.row = Wp;
      src.channels = pw.in_ch;
      src.taps = a.taps * b.taps;
      src.toff = toff.data();
      src.gh = a.count;
      src.gw = b.count;
      src.nb = nb;
      out_map<T> out;
      out.data = y.data();
      out.batch_stride = pw.out_ch * OH * OW;
      out.plane = OH * OW;
      out.row = OW;
      out.r0 = a.o0;
      out.rstep = pw.sh;
      out.c0 = b.o0;
      out.cstep = pw.sw;
      conv_gemm_forward(pw.w[std::size_t(ry * pw.sw + rx)], src, out, bias, uncovered);
    }
}

/// y = conv of x (stride sh, sw; taps kh x kw; zero padding top/left, the window being hp x wp) into the
/// preallocated y (nb x Cout x OH x OW).
template <class T>
void direct_forward(const tensor<T>& x, const packed_matrix<T>& A, std::int64_t kh, std::int64_t kw, std::int64_t sh,
                    std::int64_t sw, std::int64_t top, std::int64_t left, tensor<T>& y, const T* bias) {
  const std::int64_t OH = y.h(), OW = y.w();
  const std::int64_t Hp = (OH - 1) * sh + kh, Wp = (OW - 1) * sw + kw;
  const tensor<T> xp = padded_window(x, top, left, Hp, Wp);
  std::vector<std::int64_t> toff(std::size_t(kh * kw));
  for (std::int64_t a = 0; a < kh; ++a)
    for (std::int64_t b = 0; b < kw; ++b) toff[std::size_t(a * kw + b)] = a * Wp + b;
  patch_source<T> src;
  src.data = xp.data();
  src.batch_stride = x.c() * Hp * Wp;
  src.plane = Hp * Wp;
  src.row = Wp;
  src.channels = x.c();
  src.taps = kh * kw;
  src.toff = toff.data();
  src.sh = sh;
  src.sw = sw;
  src.gh = OH;
  src.gw = OW;
  src.nb = x.n();
  out_map<T> out;
  out.data = y.data();
  out.batch_stride = y.c() * OH * OW;
  out.plane = OH * OW;
  out.row = OW;
  conv_gemm_forward(A, src, out, bias, false);
}

/// dW (M x C*kh*kw, row-major) += correlation of g (nb x M x GH x GW) with the zero-padded window of x.
template <class T>
void direct_wgrad(const tensor<T>& x, const tensor<T>& g, std::int64_t kh, std::int64_t kw, std::int64_t sh,
                  std::int64_t sw, std::int64_t top, std::int64_t left, T* dw, const kernel_set<T>& ks) {
  const std::int64_t GH = g.h(), GW = g.w();
  const std::int64_t Hp = (GH - 1) * sh + kh, Wp = (GW - 1) * sw + kw;
  const tensor<T> xp = padded_window(x, top, left, Hp, Wp);
  std::vector<std::int64_t> toff(std::size_t(kh * kw));
  for (std::int64_t a = 0; a < kh; ++a)
    for (std::int64_t b = 0; b < kw; ++b) toff[std::size_t(a * kw + b)] = a * Wp + b;
  patch_source<T> src;
  src.data = xp.data();
  src.batch_stride = x.c() * Hp * Wp;
  src.plane = Hp * Wp;
  src.row = Wp;
  src.channels = x.c();
  src.taps = kh * kw;
  src.toff = toff.data();
  src.sh = sh;
  src.sw = sw;
  src.gh = GH;
  src.gw = GW;
  src.nb = x.n();
  conv_gemm_wgrad(src, g.data(), g.c(), dw, x.c() * kh * kw, ks);
}

}  // namespace i2i::cpu
