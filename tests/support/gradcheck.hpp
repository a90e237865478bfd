#pragma once
// Finite-difference gradient checks in float64, shared by every gradcheck test.
//
// The pattern: pick a random projection r of the op's output, so that L(x) = sum(r * f(x)) is a scalar
// whose gradient is exactly what backward(x, dy = r) returns. Then compare that analytic gradient with
// central differences of L, element by element (all elements for small tensors, a random subset of
// `max_checks` otherwise). Inputs are perturbed in place: tensors share storage, so `loss` sees them.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <random>
#include <string>

#include "i2i/core/tensor.hpp"

namespace i2i::test {

inline std::mt19937& rng() {
  static std::mt19937 g(20261122);
  return g;
}

/// Uniform random host tensor in [lo, hi).
template <class T = double>
tensor<T> random_tensor(const shape& s, T lo = -1, T hi = 1) {
  std::uniform_real_distribution<double> u(lo, hi);
  auto t = tensor<T>::empty(s);
  for (auto& v : t.values()) v = T(u(rng()));
  return t;
}

/// Random tensor whose elements stay at least `margin` away from every point in `kinks` (for ReLU,
/// LeakyReLU, max pooling, |x|: finite differences across a kink are meaningless).
inline tensor<double> random_tensor_away_from(const shape& s, std::initializer_list<double> kinks, double margin = 0.05,
                                              double lo = -1, double hi = 1) {
  auto t = random_tensor<double>(s, lo, hi);
  for (auto& v : t.values())
    for (double k : kinks)
      if (std::abs(v - k) < margin) v = k + (v < k ? -margin : margin) * 2;
  return t;
}

/// sum(a * b) over all elements.
template <class T>
double dot(const tensor<T>& a, const tensor<T>& b) {
  BOOST_REQUIRE_EQUAL(a.numel(), b.numel());
  double s = 0;
  for (std::int64_t i = 0; i < a.numel(); ++i) s += double(a[i]) * double(b[i]);
  return s;
}

/// Checks that `analytic` is the gradient of `loss` with respect to `x`, by central differences.
inline void expect_gradient(const std::string& what, const tensor<double>& x, const std::function<double()>& loss,
                            const tensor<double>& analytic, double step = 1e-6, double atol = 1e-7,
                            double rtol = 1e-5, std::int64_t max_checks = 400) {
  BOOST_TEST_CONTEXT(what) {
    BOOST_REQUIRE_MESSAGE(analytic.shape() == x.shape(), what << ": gradient shape " << analytic.shape()
                                                               << " differs from input shape " << x.shape());
    std::vector<std::int64_t> idx(std::size_t(x.numel()));
    std::iota(idx.begin(), idx.end(), 0);
    if (std::int64_t(idx.size()) > max_checks) {
      std::shuffle(idx.begin(), idx.end(), rng());
      idx.resize(std::size_t(max_checks));
    }
    int failures = 0;
    for (std::int64_t i : idx) {
      const double saved = x[i];
      x[i] = saved + step;
      const double up = loss();
      x[i] = saved - step;
      const double down = loss();
      x[i] = saved;
      const double numeric = (up - down) / (2 * step);
      const double a = analytic[i];
      if (std::abs(a - numeric) > atol + rtol * std::abs(numeric)) {
        if (++failures <= 5)
          BOOST_ERROR(what << ": element " << i << " analytic " << a << " vs finite difference " << numeric);
      }
    }
    BOOST_TEST(failures == 0, what << ": " << failures << " of " << idx.size() << " elements differ");
  }
}

/// Largest absolute difference between two tensors of the same shape.
template <class T, class U>
double max_abs_diff(const tensor<T>& a, const tensor<U>& b) {
  BOOST_REQUIRE_MESSAGE(a.shape() == b.shape(), "shapes differ: " << a.shape() << " vs " << b.shape());
  double m = 0;
  for (std::int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::abs(double(a[i]) - double(b[i])));
  return m;
}

/// Runs `f` and checks that it throws an i2i error whose message contains every string in `parts`.
template <class E = i2i::error, class F>
void expect_error(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) BOOST_TEST(msg.find(p) != std::string::npos, "message \"" << msg << "\" lacks \"" << p << "\"");
    return;
  } catch (const std::exception& e) {
    BOOST_ERROR("threw the wrong exception type: " << e.what());
    return;
  }
  BOOST_ERROR("expected an exception mentioning " << *parts.begin());
}

}  // namespace i2i::test
