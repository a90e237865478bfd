#pragma once
// Helpers shared by the model tests: shape-only models (no parameter memory) and comparisons against
// the research tables, which print GFLOP rounded to a fixed number of decimals.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>

#include "i2i/backend/counting_backend.hpp"

namespace i2i::test {

using counting = counting_backend<>;

/// ours (FLOPs) equals ref (GFLOP as printed with `decimals` decimals).
inline void expect_gflop(const std::string& what, double flops, double ref, int decimals) {
  const double g = flops / 1e9, half_ulp = 0.5 * std::pow(10.0, -decimals) + 1e-9;
  BOOST_TEST(std::abs(g - ref) <= half_ulp, what << ": " << g << " GFLOP, the research table says " << ref);
}

/// The shape of the parameter named `key` ("" when there is none).
template <class M>
std::string shape_of(const M& m, const std::string& key) {
  for (const auto& p : m.all_parameters())
    if (p->name == key) return p->value.shape().str();
  return "";
}

}  // namespace i2i::test
