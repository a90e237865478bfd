#pragma once
// The random numbers of the data pipeline: crop origins, flips, shuffles and scene layouts.
//
// std::mt19937_64's output sequence is fixed by the standard, but std::uniform_int_distribution and
// friends are not (libstdc++ and libc++ give different numbers), so the draws are made here from the
// raw 64-bit outputs. Every item (a sample in an epoch, a scene of a dataset) gets its own stream,
// seeded from (seed, stream, index) through splitmix64: results do not depend on the order in which
// threads process items, and one item can be redrawn without replaying the others (exact resume).
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "i2i/core/error.hpp"

namespace i2i::data {

/// splitmix64's finaliser: a bijective mix of 64 bits (Steele, Lea, Flood 2014).
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

class rng {
 public:
  explicit rng(std::uint64_t seed = 0) : engine_(mix64(seed)) {}

  /// The independent stream of item `index` of stream `stream` (e.g. epoch) under `seed`.
  static rng for_item(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
    return rng(mix64(mix64(seed) ^ mix64(stream + 0x632BE59BD9B4E019ull)) ^ mix64(~index));
  }

  std::uint64_t next() { return engine_(); }

  /// Uniform integer in [lo, hi] (both included), unbiased (rejection sampling).
  std::int64_t uniform_int(std::int64_t lo, std::int64_t hi) {
    require<value_error>(lo <= hi, "rng::uniform_int: empty range [", lo, ", ", hi, "]");
    const std::uint64_t span = std::uint64_t(hi) - std::uint64_t(lo);
    if (span == ~0ull) return std::int64_t(next());
    const std::uint64_t n = span + 1, limit = ~0ull - (~0ull % n);
    std::uint64_t x;
    do x = next();
    while (x >= limit);
    return std::int64_t(std::uint64_t(lo) + x % n);
  }

  /// Uniform double in [0, 1) with 53 random bits.
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  bool bernoulli(double p) { return uniform() < p; }

  /// Fisher-Yates shuffle with this generator's draws.
  template <class Container>
  void shuffle(Container& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[std::size_t(uniform_int(0, std::int64_t(i - 1)))]);
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace i2i::data
