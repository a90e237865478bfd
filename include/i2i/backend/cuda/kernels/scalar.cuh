#pragma once
// Element types of the CUDA kernels and the arithmetic they compute in.
//
// Storage types: float and double (parity with the CPU backend; double for fp64 checks) and the 16-bit
// types __half and __nv_bfloat16 of the mixed-precision path. 16-bit values are loaded into float, the
// arithmetic runs in float, and results are rounded once when stored (round to nearest even), so a chain
// of ops loses precision only at the stores. Reductions accumulate in double whatever the storage type:
// on the sm_90 target double adds cost nothing next to the memory traffic of these memory-bound kernels,
// and they keep large planes (512 x 1024) within the CPU backend's accuracy.
//
// Device math goes through the overloads in `dmath` rather than unqualified calls: namespace i2i::cuda
// declares tensor functions named tanh and sigmoid that would hide the scalar ones.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <type_traits>

namespace i2i::cuda {

template <class T>
concept device_scalar = std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, __half> ||
                        std::is_same_v<T, __nv_bfloat16>;

/// The full-precision types: ops that mirror the CPU backend's numerics exactly are defined for these.
template <class T>
concept device_real = std::is_same_v<T, float> || std::is_same_v<T, double>;

/// The type arithmetic on T is done in: T itself for float/double, float for the 16-bit types. It is
/// also the type of statistics and per-channel parameters that accompany a T tensor (norm weights).
template <class T>
using compute_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

template <class T>
__host__ __device__ __forceinline__ compute_t<T> to_compute(T v) {
  if constexpr (std::is_same_v<T, __half>)
    return __half2float(v);
  else if constexpr (std::is_same_v<T, __nv_bfloat16>)
    return __bfloat162float(v);
  else
    return v;
}

template <class T>
__host__ __device__ __forceinline__ T from_compute(compute_t<T> v) {
  if constexpr (std::is_same_v<T, __half>)
    return __float2half_rn(v);
  else if constexpr (std::is_same_v<T, __nv_bfloat16>)
    return __float2bfloat16_rn(v);
  else
    return v;
}

/// Conversion between any two storage types through float/double (exact where the target can hold it).
template <class To, class From>
__host__ __device__ __forceinline__ To convert(From v) {
  if constexpr (std::is_same_v<To, From>)
    return v;
  else if constexpr (std::is_same_v<From, double> && std::is_same_v<To, __half>)
    return __double2half(v);  // one rounding, not two through float
  else if constexpr (std::is_same_v<From, double> && std::is_same_v<To, __nv_bfloat16>)
    return __double2bfloat16(v);
  else if constexpr (std::is_same_v<To, double>)
    return double(to_compute(v));
  else
    return from_compute<To>(compute_t<To>(to_compute(v)));
}

namespace dmath {
__device__ __forceinline__ float exp(float x) { return ::expf(x); }
__device__ __forceinline__ double exp(double x) { return ::exp(x); }
__device__ __forceinline__ float tanh(float x) { return ::tanhf(x); }
__device__ __forceinline__ double tanh(double x) { return ::tanh(x); }
__device__ __forceinline__ float log1p(float x) { return ::log1pf(x); }
__device__ __forceinline__ double log1p(double x) { return ::log1p(x); }
__device__ __forceinline__ float sqrt(float x) { return ::sqrtf(x); }
__device__ __forceinline__ double sqrt(double x) { return ::sqrt(x); }
__device__ __forceinline__ float abs(float x) { return ::fabsf(x); }
__device__ __forceinline__ double abs(double x) { return ::fabs(x); }
__device__ __forceinline__ float floor(float x) { return ::floorf(x); }
__device__ __forceinline__ double floor(double x) { return ::floor(x); }
/// a * b rounded on its own: nvcc would otherwise contract "a * b - c" into one fma, which differs from
/// the CPU's rounding where the subtraction cancels (1 - y*y of tanh near saturation).
__device__ __forceinline__ float mul_rn(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ double mul_rn(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ float add_rn(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ double add_rn(double a, double b) { return __dadd_rn(a, b); }
/// Bit tests rather than isnan/isfinite overloads, whose host/device availability differs by toolkit.
__device__ __forceinline__ bool isfinite(float x) { return (__float_as_uint(x) & 0x7f800000u) != 0x7f800000u; }
__device__ __forceinline__ bool isfinite(double x) {
  return (static_cast<unsigned long long>(__double_as_longlong(x)) & 0x7ff0000000000000ull) != 0x7ff0000000000000ull;
}
template <class C>
__device__ __forceinline__ bool isnan(C x) { return x != x; }
/// -1, 0 or 1 (0 for +-0); NaN gives 0, as Eigen's sign does for float.
template <class C>
__device__ __forceinline__ C sign(C x) { return x > C(0) ? C(1) : (x < C(0) ? C(-1) : C(0)); }
}  // namespace dmath

/// atomicAdd for every storage type (native on sm_60+ for double, sm_70+ for __half, sm_80+ for bf16).
template <class T>
__device__ __forceinline__ void atomic_add(T* p, compute_t<T> v) {
  if constexpr (std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>)
    atomicAdd(p, from_compute<T>(v));
  else
    atomicAdd(p, v);
}

}  // namespace i2i::cuda
