#pragma once
// Comparisons of GPU results with CPU references for the parity tests (.cpp side).
//
// expect_close: |gpu - cpu| <= rtol * (|cpu| + s) element-wise, with s the mean |cpu| of the tensor, so
// elements near zero are judged against the tensor's typical magnitude instead of their own; NaN must
// meet NaN and Inf the same Inf. expect_equal: bit-for-bit (NaN equals NaN), for ops whose GPU kernel
// performs the CPU op's very arithmetic (copies, single roundings, gathers in the CPU's order).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <type_traits>

#include "i2i/backend/cpu/activation.hpp"
#include "i2i/core/tensor.hpp"
#include "parity_api.hpp"

namespace i2i::parity {

/// Boost.Test precondition: the case runs only when a CUDA device is visible, else it is "skipped".
struct device_present {
  // A data member: copying an empty functor into boost::function trips a false -Wuninitialized in g++ 12.
  int unused = 0;
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    const std::string why = device_missing();
    if (why.empty()) return true;
    boost::test_tools::assertion_result r(false);
    r.message() << why;
    return r;
  }
};

/// Parity tolerance of an op in T whose GPU and CPU arithmetic differ in order (float ~1e-5).
template <class T>
constexpr double tol() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-11;
}

inline cpu::activation cpu_act(act_arg a) { return {cpu::activation_kind(a.kind), a.slope}; }

inline const act_arg all_acts[] = {{0, 0}, {1, 0}, {2, 0.2}, {3, 0}, {4, 0}, {5, 0}};
inline const char* act_name(act_arg a) {
  static const char* names[] = {"identity", "relu", "leaky_relu", "tanh", "sigmoid", "relu6"};
  return names[a.kind];
}

template <class T>
void expect_close(const std::string& what, const tensor<T>& gpu, const tensor<T>& cpu, double rtol) {
  BOOST_TEST_REQUIRE(gpu.defined() == cpu.defined(), what << ": one side is undefined");
  if (!cpu.defined()) return;
  BOOST_TEST_REQUIRE(gpu.shape() == cpu.shape(), what << ": gpu shape " << gpu.shape() << ", cpu shape " << cpu.shape());
  const std::int64_t n = cpu.numel();
  double scale = 0;
  std::int64_t finite = 0;
  for (std::int64_t i = 0; i < n; ++i)
    if (std::isfinite(double(cpu[i]))) {
      scale += std::abs(double(cpu[i]));
      ++finite;
    }
  scale = finite ? scale / double(finite) : 0.0;
  std::int64_t bad = 0, worst = -1;
  double worst_ratio = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double g = double(gpu[i]), c = double(cpu[i]);
    if (std::isnan(c) || std::isnan(g) || std::isinf(c) || std::isinf(g)) {
      const bool same = (std::isnan(c) && std::isnan(g)) || g == c;
      if (!same) {
        ++bad;
        if (worst_ratio < 1e300) worst = i, worst_ratio = 1e300;
      }
      continue;
    }
    const double err = std::abs(g - c), lim = rtol * (std::abs(c) + scale);
    if (err > lim) {
      ++bad;
      const double ratio = lim > 0 ? err / lim : 1e300;
      if (ratio > worst_ratio) worst = i, worst_ratio = ratio;
    }
  }
  BOOST_TEST(bad == 0, what << ": " << bad << " of " << n << " elements differ beyond rtol " << rtol << " (scale "
                            << scale << "); worst at " << worst << ": gpu "
                            << (worst >= 0 ? double(gpu[worst]) : 0.0) << ", cpu "
                            << (worst >= 0 ? double(cpu[worst]) : 0.0));
}

template <class T>
void expect_equal(const std::string& what, const tensor<T>& gpu, const tensor<T>& cpu) {
  BOOST_TEST_REQUIRE(gpu.shape() == cpu.shape(), what << ": gpu shape " << gpu.shape() << ", cpu shape " << cpu.shape());
  std::int64_t bad = 0, first = -1;
  for (std::int64_t i = 0; i < cpu.numel(); ++i) {
    const bool both_nan = std::isnan(double(gpu[i])) && std::isnan(double(cpu[i]));
    if (!both_nan && std::memcmp(&gpu[i], &cpu[i], sizeof(T)) != 0) {
      if (first < 0) first = i;
      ++bad;
    }
  }
  BOOST_TEST(bad == 0, what << ": " << bad << " of " << cpu.numel() << " elements differ; first at " << first
                            << ": gpu " << (first >= 0 ? double(gpu[first]) : 0.0) << ", cpu "
                            << (first >= 0 ? double(cpu[first]) : 0.0));
}

inline void expect_close_value(const std::string& what, double gpu, double cpu, double rtol) {
  BOOST_TEST(std::abs(gpu - cpu) <= rtol * std::abs(cpu) + 1e-300,
             what << ": gpu " << gpu << ", cpu " << cpu << " (rtol " << rtol << ")");
}

/// The message of the E that f throws ("no exception" / "wrong exception: ..." otherwise).
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("wrong exception: ") + e.what();
  }
  return "no exception";
}

/// Both calls throw E with the same message.
template <class E, class F, class G>
void expect_same_error(const std::string& what, F&& cpu_call, G&& gpu_call) {
  const std::string a = message_of<E>(cpu_call), b = message_of<E>(gpu_call);
  BOOST_TEST(a != "no exception", what << ": the CPU op did not throw");
  BOOST_TEST(a == b, what << ": cpu says \"" << a << "\", gpu says \"" << b << "\"");
}

inline std::mt19937& parity_rng() {
  static std::mt19937 g(20240611);
  return g;
}

/// Uniform random host tensor in [lo, hi).
template <class T>
tensor<T> random(const shape& s, double lo = -1, double hi = 1) {
  std::uniform_real_distribution<double> d(lo, hi);
  auto t = tensor<T>::empty(s);
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = T(d(parity_rng()));
  return t;
}

/// Random integers in [0, k) stored as T (label and instance maps).
template <class T>
tensor<T> random_ints(const shape& s, int k) {
  std::uniform_int_distribution<int> d(0, k - 1);
  auto t = tensor<T>::empty(s);
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = T(d(parity_rng()));
  return t;
}

}  // namespace i2i::parity
