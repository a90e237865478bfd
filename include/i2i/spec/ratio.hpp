#pragma once
// Real-valued layer constants (a leaky ReLU's slope, a norm's epsilon and momentum) are std::ratio types,
// not `double` template parameters: clang before 18 rejects floating-point non-type template parameters
// (Debian 12 ships clang 14-16). The value is num / den in double; IEEE division of two exactly
// representable integers is correctly rounded, so std::ratio<1, 5> is bit for bit the literal 0.2 and
// std::ratio<1, 100000> the literal 1e-5 (checked below).
#include <cstdint>
#include <ratio>

namespace i2i {
namespace spec_detail {
template <class R>
inline constexpr bool is_ratio = false;
template <std::intmax_t Num, std::intmax_t Den>
inline constexpr bool is_ratio<std::ratio<Num, Den>> = true;

/// Integers up to 2^53 convert to double exactly, which the correct rounding above relies on.
inline constexpr std::intmax_t exact_in_double = std::intmax_t(1) << 53;
}  // namespace spec_detail

/// A std::ratio whose numerator and denominator are exact in double: std::ratio<1, 5>, std::milli.
template <class R>
concept real_constant = spec_detail::is_ratio<R> && R::num <= spec_detail::exact_in_double &&
                        -R::num <= spec_detail::exact_in_double && R::den <= spec_detail::exact_in_double;

/// The double a real_constant stands for.
template <real_constant R>
inline constexpr double ratio_value = double(R::num) / double(R::den);

static_assert(ratio_value<std::ratio<1, 5>> == 0.2);
static_assert(ratio_value<std::ratio<1, 10>> == 0.1);
static_assert(ratio_value<std::milli> == 1e-3);
static_assert(ratio_value<std::ratio<1, 100000>> == 1e-5);

}  // namespace i2i
