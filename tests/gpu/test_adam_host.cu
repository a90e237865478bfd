// The multi-tensor Adam's launches (kernels/optimizer_updates.cuh) run on the host with the kernel's own
// per-thread code: the address tables and block maps built from plan_multi_tensor reach every element
// of every tensor exactly once, across several launches (more than 48 tensors, tensors longer than a
// chunk, an empty one), and each element gets Adam's update. No device needed (cuda_host, label cpu).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "i2i/backend/cuda/kernels/optimizer_updates.cuh"

BOOST_AUTO_TEST_SUITE(adam_host)

BOOST_AUTO_TEST_CASE(every_element_of_every_tensor_is_updated_once) {
  using namespace i2i;
  std::vector<std::int64_t> sizes;
  for (int t = 0; t < 60; ++t) sizes.push_back(t == 7 ? 0 : t % 9 == 0 ? 2 * 65536 + 3 + t : 17 * t + 1);
  std::vector<std::vector<float>> p, g, m, v, p0;
  for (std::size_t t = 0; t < sizes.size(); ++t) {
    const auto n = static_cast<std::size_t>(sizes[t]);
    std::vector<float> pt(n), gt(n), mt(n), vt(n);
    for (std::size_t i = 0; i < n; ++i) {
      pt[i] = float((i * 7 + t) % 13) / 13.0f - 0.5f;
      gt[i] = float((i * 5 + 3 * t) % 11) / 11.0f - 0.45f;
      mt[i] = 0.01f * float(i % 3);
      vt[i] = 0.001f * float(i % 5);
    }
    p.push_back(pt), g.push_back(gt), m.push_back(mt), v.push_back(vt);
  }
  p0 = p;
  const auto m0 = m, v0 = v;
  std::vector<float*> pp, mp, vp;
  std::vector<const float*> gp;
  for (std::size_t t = 0; t < sizes.size(); ++t) pp.push_back(p[t].data()), gp.push_back(g[t].data()), mp.push_back(m[t].data()), vp.push_back(v[t].data());
  const auto a = adam_update_args::at_step(3, 2e-4, 0.5, 0.999, 1e-8, 0.01);
  const auto launches = cuda::optimizer_detail::adam_launches<float>(
      sizes, [&](std::size_t i, float*& P, const float*& G, float*& M, float*& V) { P = pp[i], G = gp[i], M = mp[i], V = vp[i]; });
  BOOST_TEST(launches.size() >= 2u);  // 60 tensors: more than one launch's 48
  cuda::optimizer_detail::adam_many_on_host<float>(pp, gp, mp, vp, sizes, a, cuda::launch::threads);

  const float b1 = float(a.beta1), b2 = float(a.beta2), step = float(a.step_size), inv = float(a.inv_sqrt_bc2),
              eps = float(a.eps), wd = float(a.weight_decay);
  std::size_t wrong = 0, checked = 0;
  for (std::size_t t = 0; t < sizes.size(); ++t)
    for (std::size_t i = 0; i < p[t].size(); ++i) {
      const float gi = g[t][i] + wd * p0[t][i];
      const float mi = b1 * m0[t][i] + (1 - b1) * gi;
      const float vi = b2 * v0[t][i] + (1 - b2) * (gi * gi);
      const float pi = p0[t][i] - step * mi / (std::sqrt(vi) * inv + eps);
      const auto off = [](float x, float y) { return std::abs(x - y) > 1e-6f * (1 + std::abs(y)); };
      wrong += off(m[t][i], mi) || off(v[t][i], vi) || off(p[t][i], pi);
      ++checked;
    }
  BOOST_TEST(wrong == 0u, wrong << " of " << checked << " elements not updated exactly once");
  BOOST_TEST(checked > 900000u);  // 944,524 elements in 60 tensors
}

BOOST_AUTO_TEST_SUITE_END()
