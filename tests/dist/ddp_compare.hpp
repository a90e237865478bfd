#pragma once
// What the data-parallel equivalence tests share: the job (dist::world(), made once) and the comparison
// of a data-parallel run's parameters with the single-process run's.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "i2i/dist/launch.hpp"
#include "i2i/optim/param.hpp"

namespace ddp_test {

using namespace i2i;

inline std::shared_ptr<dist::communicator> job() {
  static auto c = dist::world();
  return c;
}

/// Compares the parameters of a data-parallel optimizer with the single-process one's, tensor by tensor:
///  - the weights within 1e-5 of the tensor's largest reference weight, element-wise, and the last
///    gradient (the averaged one) within 1e-5 of the tensor's largest reference gradient;
///  - except what has an exactly zero true gradient: a convolution's bias right before instance norm
///    (the norm subtracts it again), and single elements whose gradient is below 1e-4 of their tensor's
///    largest. Their computed gradient is rounding noise whose sign depends on the summation order, and
///    Adam turns noise of any size into a step of about lr, so they drift apart by ~lr per step (in
///    PyTorch's DDP as here). Whole tensors of such noise (below 1e-5 of the largest gradient of all)
///    are listed; single elements counted.
/// compare_gradients false: the gradients left in the tensors are not the ones the last update used
/// (EGSC-IT's G steps backpropagate through D after D's update, into gradients nobody reads), so they
/// neither are compared nor say which elements are noise: every weight is compared.
inline void require_same(const std::string& what, int rank, const std::vector<optim::param_ref<float>>& pa,
                         const std::vector<optim::param_ref<float>>& pb, bool compare_gradients = true) {
  BOOST_REQUIRE_EQUAL(pa.size(), pb.size());
  double all_gmax = 0;
  for (const auto& p : pb)
    for (float g : p.grad.values()) all_gmax = std::max(all_gmax, double(std::abs(g)));
  double worst_w = 0, worst_g = 0;
  std::int64_t noise_elements = 0;
  std::string noise;
  for (std::size_t k = 0; k < pa.size(); ++k) {
    const float *va = pa[k].value.data(), *vb = pb[k].value.data(), *ga = pa[k].grad.data(), *gb = pb[k].grad.data();
    const std::int64_t n = pb[k].value.numel();
    double wmax = 0, gmax = 0, dw = 0, dg = 0;
    for (std::int64_t i = 0; i < n; ++i) gmax = std::max(gmax, std::abs(double(gb[i])));
    if (compare_gradients && gmax < 1e-5 * all_gmax) {
      noise += " " + pb[k].name;
      continue;
    }
    for (std::int64_t i = 0; i < n; ++i) {
      wmax = std::max(wmax, std::abs(double(vb[i])));
      dg = std::max(dg, std::abs(double(ga[i]) - double(gb[i])));
      if (compare_gradients && std::abs(double(gb[i])) < 1e-4 * gmax) {
        ++noise_elements;
        continue;
      }
      dw = std::max(dw, std::abs(double(va[i]) - double(vb[i])));
    }
    BOOST_TEST_CONTEXT(what << " " << pb[k].name) {
      BOOST_TEST(dw <= 1e-5 * std::max(wmax, 1e-6));
      if (compare_gradients) BOOST_TEST(dg <= 1e-5 * gmax);
    }
    worst_w = std::max(worst_w, dw / std::max(wmax, 1e-6));
    if (compare_gradients) worst_g = std::max(worst_g, dg / gmax);
  }
  BOOST_TEST_MESSAGE("rank " << rank << ": " << what << ": largest relative difference of weights " << worst_w
                             << ", of averaged gradients " << worst_g << "; " << noise_elements
                             << " elements with a near-zero gradient; zero-gradient (noise) tensors:" << noise);
}

}  // namespace ddp_test
