#pragma once
// Accurate and fast sums for normalisation statistics (instance_norm.hpp, batch_norm.hpp).
//
// Why blocks: accumulating every float in double is accurate but about 10x slower, because Eigen does
// not vectorise float -> double casts. Summing blocks of 1024 elements in T (vectorised, so each SIMD
// lane adds only a few dozen terms) and the block results in double keeps the error of a float sum at
// the level of a double accumulation of the rounded block sums.
// Why shifts: the statistics are the corrected two-pass algorithm (Chan, Golub & LeVeque): a rough
// mean from sums of (x - x0), then moments of (x - m) with m that rough mean rounded to T, then
//   mean = m + s/n,   var = ss/n - (s/n)^2.
// Every summed term is of the order of the standard deviation, not of the offset, so data with mean
// 1000 and std 1 in float still normalise to unit variance.
#include <algorithm>
#include <cstdint>

#include <Eigen/Core>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
// GCC 12 reports false "may be used uninitialized" warnings from its own AVX-512 intrinsics inside
// Eigen's vectorised reductions; they are not about this code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace i2i::cpu::detail {

inline constexpr std::int64_t moment_block = 1024;

/// Running sums of (x - shift) and (x - shift)^2 over any number of ranges.
struct shifted_moments {
  double s = 0, ss = 0;
  std::int64_t count = 0;

  template <class T>
  void add(const T* x, std::int64_t n, T shift) {
    using A = Eigen::Array<T, Eigen::Dynamic, 1>;
    for (std::int64_t b = 0; b < n; b += moment_block) {
      Eigen::Map<const A> xb(x + b, std::min(moment_block, n - b));
      s += double((xb - shift).sum());
      ss += double((xb - shift).square().sum());
    }
    count += n;
  }
};

/// Sum of (x - shift) over a range, for the rough first-pass mean.
template <class T>
double shifted_sum(const T* x, std::int64_t n, T shift) {
  using A = Eigen::Array<T, Eigen::Dynamic, 1>;
  double s = 0;
  for (std::int64_t b = 0; b < n; b += moment_block)
    s += double((Eigen::Map<const A>(x + b, std::min(moment_block, n - b)) - shift).sum());
  return s;
}

/// Adds sum(g) and sum(g * (x - shift)) over a range to s_g and s_gx (the two reductions of a norm's
/// backward pass).
template <class T>
void add_gradient_sums(const T* g, const T* x, std::int64_t n, T shift, double& s_g, double& s_gx) {
  using A = Eigen::Array<T, Eigen::Dynamic, 1>;
  for (std::int64_t b = 0; b < n; b += moment_block) {
    const std::int64_t len = std::min(moment_block, n - b);
    Eigen::Map<const A> gb(g + b, len), xb(x + b, len);
    s_g += double(gb.sum());
    s_gx += double((gb * (xb - shift)).sum());
  }
}

/// Mean and biased variance of `planes` ranges of `n` elements each, plane(i) giving the i-th start.
template <class T, class Plane>
void mean_and_variance(std::int64_t planes, std::int64_t n, Plane plane, double& mean, double& var) {
  const T x0 = plane(0)[0];
  double s0 = 0;
  for (std::int64_t i = 0; i < planes; ++i) s0 += shifted_sum(plane(i), n, x0);
  const T m = T(double(x0) + s0 / double(planes * n));
  shifted_moments mo;
  for (std::int64_t i = 0; i < planes; ++i) mo.add(plane(i), n, m);
  const double d = mo.s / double(mo.count);
  mean = double(m) + d;
  var = std::max(mo.ss / double(mo.count) - d * d, 0.0);
}

}  // namespace i2i::cpu::detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
