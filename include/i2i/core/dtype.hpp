#pragma once
// Element types. The CPU backend computes in float (training) and double (gradient checks);
// f16/bf16 are storage types reserved for the CUDA backend's mixed precision.
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace i2i {

enum class dtype : std::uint8_t { f32, f64, f16, bf16 };

constexpr std::string_view name(dtype t) {
  switch (t) {
    case dtype::f32: return "float32";
    case dtype::f64: return "float64";
    case dtype::f16: return "float16";
    case dtype::bf16: return "bfloat16";
  }
  return "?";
}

constexpr std::size_t size_of(dtype t) { return (t == dtype::f32) ? 4 : (t == dtype::f64) ? 8 : 2; }

template <class T>
struct dtype_of;
template <>
struct dtype_of<float> : std::integral_constant<dtype, dtype::f32> {};
template <>
struct dtype_of<double> : std::integral_constant<dtype, dtype::f64> {};

template <class T>
inline constexpr dtype dtype_of_v = dtype_of<T>::value;

/// Element types the CPU op library is instantiated for.
template <class T>
concept cpu_scalar = std::is_same_v<T, float> || std::is_same_v<T, double>;

}  // namespace i2i
