#pragma once
// Bit-exact ports of the two random generators the EGSC-IT data scripts call, so that our MNIST-Single
// and MNIST-Multiple hold the same digits, colours and layouts as the authors' files (egscit.md §8):
//
//   * numpy's legacy RandomState (np.random.seed(int), uniform, rand, shuffle, permutation), used by
//     datasets/prepare_data_mnist*_BW.py;
//   * Python's random module (random.seed(int), random.random) with Python 2's random.shuffle, used by
//     datasets/convert_mnist_BW.py to pair the training records.
//
// Both are MT19937 (Matsumoto & Nishimura's reference algorithm); they differ only in seeding. std::mt19937
// matches init_genrand but has no init_by_array, hence our own state. Doubles are genrand_res53: two
// draws, 27 + 26 bits, exact in double. Checked against numpy 1.24 and CPython 3.11 in
// tests/unit/data_mnist (values printed by those libraries).
#include <algorithm>
#include <array>
#include <cstdint>
#include <numeric>
#include <span>
#include <utility>
#include <vector>

#include "i2i/core/error.hpp"

namespace i2i::data {

namespace detail {
/// a * b stored before use, so that the compiler cannot fuse it with a following sum into an FMA:
/// Python and numpy round the product and the sum separately, and one ulp can flip a rounding.
inline double unfused_mul(double a, double b) {
  volatile double p = a * b;
  return p;
}
}  // namespace detail

/// The MT19937 state with both reference seedings.
class mt19937_state {
 public:
  static constexpr int n = 624;

  /// init_genrand(seed): numpy's RandomState.seed(int) (numpy's mt19937_seed is this loop).
  explicit mt19937_state(std::uint32_t seed = 5489u) { init_genrand(seed); }

  /// init_by_array(key): Python's random.seed(int) with the integer's 32-bit words, lowest first.
  static mt19937_state from_key(std::span<const std::uint32_t> key) {
    mt19937_state s(19650218u);
    const int len = int(key.size());
    int i = 1, j = 0;
    for (int k = std::max(n, len); k > 0; --k) {
      s.mt_[i] = (s.mt_[i] ^ ((s.mt_[i - 1] ^ (s.mt_[i - 1] >> 30)) * 1664525u)) + (len ? key[j] : 0u) + std::uint32_t(j);
      ++i;
      ++j;
      if (i >= n) {
        s.mt_[0] = s.mt_[n - 1];
        i = 1;
      }
      if (j >= len) j = 0;
    }
    for (int k = n - 1; k > 0; --k) {
      s.mt_[i] = (s.mt_[i] ^ ((s.mt_[i - 1] ^ (s.mt_[i - 1] >> 30)) * 1566083941u)) - std::uint32_t(i);
      ++i;
      if (i >= n) {
        s.mt_[0] = s.mt_[n - 1];
        i = 1;
      }
    }
    s.mt_[0] = 0x80000000u;
    s.pos_ = n;
    return s;
  }

  std::uint32_t next_u32() {
    if (pos_ >= n) regenerate();
    std::uint32_t y = mt_[pos_++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
  }

  /// genrand_res53: uniform on [0, 1) with 53 random bits (numpy random_sample, Python random()).
  double next_double() {
    const std::uint32_t a = next_u32() >> 5, b = next_u32() >> 6;
    return (double(a) * 67108864.0 + double(b)) / 9007199254740992.0;
  }

 private:
  void init_genrand(std::uint32_t s) {
    mt_[0] = s;
    for (int i = 1; i < n; ++i) mt_[i] = 1812433253u * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + std::uint32_t(i);
    pos_ = n;
  }

  void regenerate() {
    constexpr int m = 397;
    constexpr std::uint32_t upper = 0x80000000u, lower = 0x7fffffffu, matrix = 0x9908b0dfu;
    for (int k = 0; k < n; ++k) {
      const std::uint32_t y = (mt_[k] & upper) | (mt_[(k + 1) % n] & lower);
      mt_[k] = mt_[(k + m) % n] ^ (y >> 1) ^ ((y & 1u) ? matrix : 0u);
    }
    pos_ = 0;
  }

  std::array<std::uint32_t, n> mt_{};
  int pos_ = n;
};

/// numpy.random.RandomState's legacy stream, for the calls the EGSC-IT scripts make. Every method
/// consumes exactly the draws numpy consumes, so calls can be interleaved as in the scripts.
class numpy_random_state {
 public:
  /// np.random.seed(seed).
  explicit numpy_random_state(std::uint32_t seed) : mt_(seed) {}

  /// np.random.random_sample() / np.random.rand(): one double on [0, 1).
  double random_sample() { return mt_.next_double(); }

  /// np.random.rand(count).
  std::vector<double> rand(std::size_t count) {
    std::vector<double> v(count);
    for (auto& x : v) x = random_sample();
    return v;
  }

  /// np.random.uniform(low, high): low + (high - low) * random_sample(), rounded as numpy rounds it.
  double uniform(double low, double high) { return low + detail::unfused_mul(high - low, random_sample()); }

  /// np.random.uniform(low, high, count).
  std::vector<double> uniform(double low, double high, std::size_t count) {
    std::vector<double> v(count);
    for (auto& x : v) x = uniform(low, high);
    return v;
  }

  /// numpy's random_interval(max): uniform on [0, max] by masked rejection (legacy bounded integers).
  std::uint64_t random_interval(std::uint64_t max) {
    if (max == 0) return 0;
    std::uint64_t mask = max;
    for (int s = 1; s <= 32; s *= 2) mask |= mask >> s;
    std::uint64_t value;
    if (max <= 0xffffffffull) {
      while ((value = (mt_.next_u32() & mask)) > max) {
      }
    } else {
      while ((value = (((std::uint64_t(mt_.next_u32()) << 32) | mt_.next_u32()) & mask)) > max) {
      }
    }
    return value;
  }

  /// np.random.shuffle(x) for a 1-d array or a list: Fisher-Yates from the end.
  template <class T>
  void shuffle(std::span<T> x) {
    for (std::size_t i = x.size(); i-- > 1;) {
      const std::size_t j = std::size_t(random_interval(i));
      std::swap(x[i], x[j]);
    }
  }

  /// np.random.permutation(count): arange(count), shuffled.
  std::vector<std::int64_t> permutation(std::int64_t count) {
    require<value_error>(count >= 0, "numpy_random_state::permutation: negative count ", count);
    std::vector<std::int64_t> v(std::size_t(count), 0);
    std::iota(v.begin(), v.end(), std::int64_t(0));
    shuffle(std::span<std::int64_t>(v));
    return v;
  }

  /// np.random.permutation(list): a shuffled copy.
  template <class T>
  std::vector<T> permutation(std::span<const T> items) {
    std::vector<T> v(items.begin(), items.end());
    shuffle(std::span<T>(v));
    return v;
  }

 private:
  mt19937_state mt_;
};

/// Python's random module: random.seed(int) and random.random(), plus Python 2.7's random.shuffle
/// (j = int(random() * (i + 1))), which the authors ran; Python 3's shuffle draws differently.
class python_random {
 public:
  /// random.seed(seed) for a non-negative integer below 2^64.
  explicit python_random(std::uint64_t seed) : mt_(seeded(seed)) {}

  double random() { return mt_.next_double(); }

  template <class T>
  void shuffle_py2(std::span<T> x) {
    for (std::size_t i = x.size(); i-- > 1;) {
      const auto j = std::size_t(random() * double(i + 1));
      std::swap(x[i], x[j]);
    }
  }

 private:
  static mt19937_state seeded(std::uint64_t seed) {
    // The integer's 32-bit words, least significant first; 0 is the one word {0}.
    std::vector<std::uint32_t> key{std::uint32_t(seed)};
    if (seed >> 32) key.push_back(std::uint32_t(seed >> 32));
    return mt19937_state::from_key(key);
  }

  mt19937_state mt_;
};

}  // namespace i2i::data
