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
///  - the last gradient (the averaged one) within 1e-5 of the tensor's largest reference gradient;
///  - every weight within 1e-5 of the tensor's largest reference weight, plus, for a run of Adam
///    (adam_travel = lr x steps > 0), what that gradient tolerance becomes through Adam: its step is lr x
///    m / sqrt(v), which changes by about twice the gradient's relative change whatever the gradient's
///    size, so an element whose gradient g is small may differ by adam_travel x min(2, 2e-5 x gmax / |g|)
///    more (2 x adam_travel: opposite signs). Without that term, elements with gradients of 1e-3 to 1e-2
///    of their tensor's largest failed or passed with the compiler's summation order (built at -O2
///    instead of -O3: pix2pixHD's netE.model.7.weight moved 1.1e-5 of its largest weight in 3 steps);
///    with it, elements with large gradients are held to 1e-5 as before and the near-zero ones to a
///    bound instead of none.
///  - except tensors whose true gradient is exactly zero: a convolution's bias right before instance
///    norm (the norm subtracts it again), whose computed gradient (below 1e-5 of the largest gradient of
///    all) is rounding noise; they are listed.
/// compare_gradients false: the gradients left in the tensors are not the ones the last update used
/// (EGSC-IT's G steps backpropagate through D after D's update, into gradients nobody reads), so they
/// neither are compared nor bound the weights: every weight is compared within 1e-5.
inline void require_same(const std::string& what, int rank, const std::vector<optim::param_ref<float>>& pa,
                         const std::vector<optim::param_ref<float>>& pb, bool compare_gradients = true,
                         double adam_travel = 0) {
  BOOST_REQUIRE_EQUAL(pa.size(), pb.size());
  double all_gmax = 0;
  for (const auto& p : pb)
    for (float g : p.grad.values()) all_gmax = std::max(all_gmax, double(std::abs(g)));
  double worst_w = 0, worst_g = 0;
  std::int64_t adam_bound = 0;  // elements whose bound is mostly Adam's term
  std::string noise;
  for (std::size_t k = 0; k < pa.size(); ++k) {
    const float *va = pa[k].value.data(), *vb = pb[k].value.data(), *ga = pa[k].grad.data(), *gb = pb[k].grad.data();
    const std::int64_t n = pb[k].value.numel();
    double wmax = 0, gmax = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      gmax = std::max(gmax, std::abs(double(gb[i])));
      wmax = std::max(wmax, std::abs(double(vb[i])));
    }
    if (compare_gradients && gmax < 1e-5 * all_gmax) {
      noise += " " + pb[k].name;
      continue;
    }
    const double w_tol = 1e-5 * std::max(wmax, 1e-6);
    double dg = 0, worst = 0;  // worst: the largest weight difference over its element's bound
    for (std::int64_t i = 0; i < n; ++i) {
      double tol = w_tol;
      if (compare_gradients) {
        dg = std::max(dg, std::abs(double(ga[i]) - double(gb[i])));
        const double g = std::abs(double(gb[i]));
        const double adam = adam_travel * (g > 0 ? std::min(2.0, 2e-5 * gmax / g) : 2.0);
        adam_bound += adam > w_tol;
        tol += adam;
      }
      worst = std::max(worst, std::abs(double(va[i]) - double(vb[i])) / tol);
    }
    BOOST_TEST_CONTEXT(what << " " << pb[k].name) {
      BOOST_TEST(worst <= 1.0, "a weight differs by " << worst << " times its bound");
      if (compare_gradients) BOOST_TEST(dg <= 1e-5 * gmax);
    }
    worst_w = std::max(worst_w, worst);
    if (compare_gradients) worst_g = std::max(worst_g, dg / gmax);
  }
  BOOST_TEST_MESSAGE("rank " << rank << ": " << what << ": largest weight difference " << worst_w
                             << " of its bound, largest relative difference of averaged gradients " << worst_g << "; "
                             << adam_bound << " elements bound mostly by Adam's term (small gradients); zero-gradient "
                             << "(noise) tensors:" << noise);
}

}  // namespace ddp_test
