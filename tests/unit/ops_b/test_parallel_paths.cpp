#include <boost/test/unit_test.hpp>

#include "i2i/backend/cpu/adain.hpp"
#include "i2i/backend/cpu/concat.hpp"
#include "i2i/backend/cpu/label_maps.hpp"
#include "i2i/backend/cpu/pointwise.hpp"
#include "i2i/backend/cpu/segment_mean.hpp"
#include "i2i/core/threads.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

// The ops split work over planes and chunks; with several threads the results must be bit-identical to
// one thread (each output element is computed by exactly one task, in the same order). The shapes are
// large enough to pass the ops' parallel grain.
BOOST_AUTO_TEST_SUITE(ops_b_parallel)

BOOST_AUTO_TEST_CASE(multithreaded_results_equal_single_threaded) {
  const int saved = num_threads();
  const shape s{2, 16, 48, 45};
  auto x = test::random_tensor<float>(s), b = test::random_tensor<float>(s), dy = test::random_tensor<float>(s);
  auto fe = test::random_tensor<float>({2, 16, 20, 20});
  auto bias = test::random_tensor<float>({16});
  auto ids = tensor<float>::empty({2, 1, 48, 45});
  for (std::int64_t i = 0; i < ids.numel(); ++i) ids[i] = float((i / 7) % 5 + (i / 500) % 3);

  auto run = [&] {
    std::vector<tensor<float>> out;
    out.push_back(cpu::add(x, b));
    out.push_back(cpu::mul(x, b));
    out.push_back(cpu::add_channel_bias(x, bias));
    auto a = cpu::adain_from_style(x, fe);
    out.push_back(a.adain.y);
    auto ag = cpu::adain_from_style_backward(x, fe, a, dy);
    out.push_back(ag.dx);
    out.push_back(ag.dstyle);
    auto e = cpu::adain_egscit_from_exemplar(x, fe);
    out.push_back(e.adain.y);
    auto eg = cpu::adain_egscit_from_exemplar_backward(x, fe, e, dy);
    out.push_back(eg.dx);
    out.push_back(eg.dexemplar);
    out.push_back(cpu::segment_mean(x, ids));
    out.push_back(cpu::one_hot(ids, 8));
    out.push_back(cpu::boundary_map(ids));
    out.push_back(cpu::concat_channels({x, b}));
    return out;
  };
  set_num_threads(1);
  auto serial = run();
  set_num_threads(4);
  auto parallel = run();
  set_num_threads(saved);
  BOOST_REQUIRE_EQUAL(serial.size(), parallel.size());
  for (std::size_t i = 0; i < serial.size(); ++i) BOOST_TEST(test::max_abs_diff(serial[i], parallel[i]) == 0.0, "output " << i);
}

BOOST_AUTO_TEST_SUITE_END()
