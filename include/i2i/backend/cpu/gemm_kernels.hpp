#pragma once
// Register-blocked GEMM micro-kernels and their run-time selection.
//
// A micro-kernel computes one MR x NR tile C = A_panel * B_panel over kc steps of the reduction:
//   A_panel: kc x MR values, k-major (a[k*MR + i]), broadcast one at a time;
//   B_panel: kc x NR values, k-major (b[k*NR + j]), loaded as NR/lanes vectors.
// C columns are the vector direction, so for a convolution they are output pixels (NCHW stores stay
// contiguous) and rows are output channels.
//
// Why run-time selection with target attributes instead of relying on -march: the library is
// header-only and most users compile without -march=native; the AVX-512 and AVX2 kernels are compiled
// for their ISA regardless of the user's flags and picked once with __builtin_cpu_supports.
// On Zen 4 a zmm FMA occupies both 256-bit FMA pipes, so AVX-512 gives no more FLOP/cycle than AVX2,
// but its 32 registers hold a 8x32 tile (16 accumulators, 10 loads per 16 FMAs), which keeps the load
// ports and the front end far from their limits.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <type_traits>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define I2I_GEMM_X86 1
#include <immintrin.h>
#else
#define I2I_GEMM_X86 0
#endif

#include "i2i/core/error.hpp"

namespace i2i::cpu {

/// Instruction sets the GEMM micro-kernels exist for.
enum class gemm_isa : int { portable = 0, avx2 = 1, avx512 = 2 };

inline std::string_view name(gemm_isa i) {
  switch (i) {
    case gemm_isa::portable: return "portable";
    case gemm_isa::avx2: return "avx2";
    case gemm_isa::avx512: return "avx512";
  }
  return "?";
}

namespace gemm_detail {

// Store modes of a micro-kernel's tile.
inline constexpr int store_overwrite = 0;   // C = acc (+ bias[i] when bias != nullptr)
inline constexpr int store_accumulate = 1;  // C += acc

/// One micro-kernel call. `c` points at row 0 of the tile; row i starts at c + i*ldc. Column j is at
/// c + j when `coff` is null, otherwise at c + coff[j] (scattered outputs of a transposed conv's phase).
/// Only the first mv rows and nv columns are stored; the packed panels are zero-padded to MR x NR.
template <class T>
using ukernel_fn = void (*)(std::int64_t kc, const T* a, const T* b, T* c, std::int64_t ldc, const std::int64_t* coff,
                            int mv, int nv, int mode, const T* bias);

/// Stores a finished tile held in `tile` (MR x NR row-major) for the partial and scattered cases.
template <class T>
inline void store_tile_generic(const T* tile, int nr, T* c, std::int64_t ldc, const std::int64_t* coff, int mv, int nv,
                               int mode, const T* bias) {
  for (int i = 0; i < mv; ++i) {
    T* ci = c + i * ldc;
    const T* ti = tile + i * nr;
    if (mode == store_accumulate) {
      if (coff)
        for (int j = 0; j < nv; ++j) ci[coff[j]] += ti[j];
      else
        for (int j = 0; j < nv; ++j) ci[j] += ti[j];
    } else {
      const T b = bias ? bias[i] : T(0);
      if (coff)
        for (int j = 0; j < nv; ++j) ci[coff[j]] = ti[j] + b;
      else
        for (int j = 0; j < nv; ++j) ci[j] = ti[j] + b;
    }
  }
}

/// Plain C++ kernel: any ISA, float and double. The compiler vectorises the j loop where it can.
template <class T, int MR, int NR>
void ukernel_portable(std::int64_t kc, const T* __restrict a, const T* __restrict b, T* c, std::int64_t ldc,
                      const std::int64_t* coff, int mv, int nv, int mode, const T* bias) {
  alignas(64) T acc[MR * NR] = {};
  for (std::int64_t k = 0; k < kc; ++k) {
    const T* ak = a + k * MR;
    const T* bk = b + k * NR;
    for (int i = 0; i < MR; ++i) {
      const T ai = ak[i];
      for (int j = 0; j < NR; ++j) acc[i * NR + j] += ai * bk[j];
    }
  }
  store_tile_generic(acc, NR, c, ldc, coff, mv, nv, mode, bias);
}

#if I2I_GEMM_X86

/// AVX-512 float kernel: MR x 32 (two zmm per row).
template <int MR>
__attribute__((target("avx512f,avx512vl,fma"))) void ukernel_avx512_f32(std::int64_t kc, const float* __restrict a,
                                                                         const float* __restrict b, float* c,
                                                                         std::int64_t ldc, const std::int64_t* coff,
                                                                         int mv, int nv, int mode, const float* bias) {
  __m512 acc0[MR], acc1[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) acc0[i] = acc1[i] = _mm512_setzero_ps();
  for (std::int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
    }
    a += MR;
    b += 32;
  }
  if (mv == MR && nv == 32 && !coff) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      float* ci = c + i * ldc;
      __m512 r0 = acc0[i], r1 = acc1[i];
      if (mode == store_accumulate) {
        r0 = _mm512_add_ps(r0, _mm512_loadu_ps(ci));
        r1 = _mm512_add_ps(r1, _mm512_loadu_ps(ci + 16));
      } else if (bias) {
        const __m512 bi = _mm512_set1_ps(bias[i]);
        r0 = _mm512_add_ps(r0, bi);
        r1 = _mm512_add_ps(r1, bi);
      }
      _mm512_storeu_ps(ci, r0);
      _mm512_storeu_ps(ci + 16, r1);
    }
    return;
  }
  alignas(64) float tile[MR * 32];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    _mm512_store_ps(tile + i * 32, acc0[i]);
    _mm512_store_ps(tile + i * 32 + 16, acc1[i]);
  }
  store_tile_generic(tile, 32, c, ldc, coff, mv, nv, mode, bias);
}

/// AVX-512 double kernel: MR x 16 (two zmm of 8 doubles per row); used by the gradient checks.
template <int MR>
__attribute__((target("avx512f,avx512vl,fma"))) void ukernel_avx512_f64(std::int64_t kc, const double* __restrict a,
                                                                         const double* __restrict b, double* c,
                                                                         std::int64_t ldc, const std::int64_t* coff,
                                                                         int mv, int nv, int mode, const double* bias) {
  __m512d acc0[MR], acc1[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) acc0[i] = acc1[i] = _mm512_setzero_pd();
  for (std::int64_t k = 0; k < kc; ++k) {
    const __m512d b0 = _mm512_load_pd(b);
    const __m512d b1 = _mm512_load_pd(b + 8);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const __m512d ai = _mm512_set1_pd(a[i]);
      acc0[i] = _mm512_fmadd_pd(ai, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_pd(ai, b1, acc1[i]);
    }
    a += MR;
    b += 16;
  }
  alignas(64) double tile[MR * 16];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    _mm512_store_pd(tile + i * 16, acc0[i]);
    _mm512_store_pd(tile + i * 16 + 8, acc1[i]);
  }
  store_tile_generic(tile, 16, c, ldc, coff, mv, nv, mode, bias);
}

/// AVX2 float kernel: 6 x 16 (two ymm per row, 12 accumulators of the 16 registers).
__attribute__((target("avx2,fma"))) inline void ukernel_avx2_f32(std::int64_t kc, const float* __restrict a,
                                                                 const float* __restrict b, float* c,
                                                                 std::int64_t ldc, const std::int64_t* coff, int mv,
                                                                 int nv, int mode, const float* bias) {
  constexpr int MR = 6;
  __m256 acc0[MR], acc1[MR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) acc0[i] = acc1[i] = _mm256_setzero_ps();
  for (std::int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      acc0[i] = _mm256_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm256_fmadd_ps(ai, b1, acc1[i]);
    }
    a += MR;
    b += 16;
  }
  if (mv == MR && nv == 16 && !coff) {
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      float* ci = c + i * ldc;
      __m256 r0 = acc0[i], r1 = acc1[i];
      if (mode == store_accumulate) {
        r0 = _mm256_add_ps(r0, _mm256_loadu_ps(ci));
        r1 = _mm256_add_ps(r1, _mm256_loadu_ps(ci + 8));
      } else if (bias) {
        const __m256 bi = _mm256_set1_ps(bias[i]);
        r0 = _mm256_add_ps(r0, bi);
        r1 = _mm256_add_ps(r1, bi);
      }
      _mm256_storeu_ps(ci, r0);
      _mm256_storeu_ps(ci + 8, r1);
    }
    return;
  }
  alignas(64) float tile[MR * 16];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    _mm256_store_ps(tile + i * 16, acc0[i]);
    _mm256_store_ps(tile + i * 16 + 8, acc1[i]);
  }
  store_tile_generic(tile, 16, c, ldc, coff, mv, nv, mode, bias);
}

#endif  // I2I_GEMM_X86

}  // namespace gemm_detail

/// A micro-kernel with its tile shape. Packed operands are laid out for one kernel_set; a packed
/// weight remembers the set it was packed for.
template <class T>
struct kernel_set {
  gemm_isa isa = gemm_isa::portable;
  int mr = 4;
  int nr = 16;
  gemm_detail::ukernel_fn<T> fn = nullptr;
};

/// Whether this CPU (and this compiler) can run the kernels of `isa`.
inline bool gemm_isa_supported(gemm_isa isa) {
#if I2I_GEMM_X86
  __builtin_cpu_init();
  switch (isa) {
    case gemm_isa::portable: return true;
    case gemm_isa::avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case gemm_isa::avx512: return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
  }
  return false;
#else
  return isa == gemm_isa::portable;
#endif
}

namespace gemm_detail {
inline gemm_isa detect_isa() {
  gemm_isa best = gemm_isa::portable;
  if (gemm_isa_supported(gemm_isa::avx2)) best = gemm_isa::avx2;
  if (gemm_isa_supported(gemm_isa::avx512)) best = gemm_isa::avx512;
  // I2I_CPU_ISA=portable|avx2|avx512 caps the choice (for testing the fallbacks, or to avoid AVX-512
  // frequency drops on older Intel parts).
  if (const char* env = std::getenv("I2I_CPU_ISA")) {
    const std::string_view v(env);
    gemm_isa want = best;
    if (v == "portable") want = gemm_isa::portable;
    if (v == "avx2") want = gemm_isa::avx2;
    if (v == "avx512") want = gemm_isa::avx512;
    if (int(want) < int(best)) best = want;
  }
  return best;
}
inline gemm_isa& active_isa_ref() {
  static gemm_isa isa = detect_isa();
  return isa;
}
}  // namespace gemm_detail

/// The instruction set new packings and unpacked ops use.
inline gemm_isa active_gemm_isa() { return gemm_detail::active_isa_ref(); }

/// Forces an instruction set (tests compare the kernels; benchmarks measure them). Throws value_error
/// when this CPU cannot run it. Not thread-safe against ops running concurrently.
inline void set_gemm_isa(gemm_isa isa) {
  require<value_error>(gemm_isa_supported(isa), "set_gemm_isa: this CPU does not support ", name(isa));
  gemm_detail::active_isa_ref() = isa;
}

/// The kernel set for element type T on `isa` (double has no AVX2 kernel and uses the portable one).
template <class T>
kernel_set<T> kernels_for(gemm_isa isa) {
  using namespace gemm_detail;
#if I2I_GEMM_X86
  if constexpr (std::is_same_v<T, float>) {
    if (isa == gemm_isa::avx512) return {gemm_isa::avx512, 8, 32, &ukernel_avx512_f32<8>};
    if (isa == gemm_isa::avx2) return {gemm_isa::avx2, 6, 16, &ukernel_avx2_f32};
  } else {
    if (isa == gemm_isa::avx512) return {gemm_isa::avx512, 8, 16, &ukernel_avx512_f64<8>};
  }
#endif
  return {gemm_isa::portable, 4, 16, &ukernel_portable<T, 4, 16>};
}

template <class T>
kernel_set<T> active_kernels() {
  return kernels_for<T>(active_gemm_isa());
}

}  // namespace i2i::cpu
