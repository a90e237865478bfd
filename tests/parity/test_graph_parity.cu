// CUDA graphs (backend/cuda/graph.cuh, graphed_forward.cuh) against eager execution: a captured forward
// of pix2pixHD's global generator replays to the eager result for new inputs without allocating, a
// capture that reads to the host is refused with a reason and leaves the device usable, and emptying the
// allocator's cache does not free a live graph's memory. Skipped without a device.
#include <boost/test/unit_test.hpp>

#include <boost/mpl/list.hpp>

#include "i2i/backend/cuda/backend.cuh"
#include "i2i/backend/cuda/graphed_forward.cuh"
#include "parity_device.cuh"
#include "small_gan.hpp"

namespace {

using namespace i2i;
using namespace i2i::parity;

using policies = boost::mpl::list<cuda::fp32_tf32, cuda::bf16_mixed>;

template <class P>
using small_generator = model<small_g, cuda_backend<float, P>>;

template <class P>
void make_inference(small_generator<P>& G) {
  initialize(G, init_policy::pix2pixhd(), 5);
  G.eval();
  G.drop_gradients();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(graph_parity, *boost::unit_test::precondition(i2i::test::cuda_device_present()))

BOOST_AUTO_TEST_CASE_TEMPLATE(graphed_forward_replays_the_eager_forward, P, policies) {
  small_generator<P> G("G");
  make_inference<P>(G);
  cuda::graphed_forward<small_generator<P>> run(G);
  const shape xs{2, 3, 32, 48};
  for (std::uint64_t k = 0; k < 4; ++k) {
    BOOST_TEST_CONTEXT("call " << k + 1 << " [" << P::name << "]") {
      const auto x = dev(random_host(xs, 40 + k));
      const auto before = cuda::memory_stats();
      const auto y = host(run(x));
      const auto after = cuda::memory_stats();
      const auto ref = host(G(x));
      // Same kernels and algorithms on the same data: equal up to reduction order in cuDNN.
      I2I_PARITY_CHECK("graphed against eager", y, ref, 1e-6);
      BOOST_TEST(run.graphed() == (k >= 1));
      if (k >= 2) {
        // A replay allocates only the copy it hands back.
        BOOST_TEST(after.allocations - before.allocations == 1u);
        BOOST_TEST(after.device_mallocs == before.device_mallocs);
      }
    }
  }
  BOOST_TEST(run.fallback_reason().empty());
  BOOST_TEST(run.graph_bytes() > 0u);
  // Another shape is captured anew (eager first), and the old results stay right.
  const auto x2 = dev(random_host(shape{1, 3, 16, 16}, 50));
  I2I_PARITY_CHECK("new shape, eager call", host(run(x2)), host(G(x2)), 1e-6);
  BOOST_TEST(!run.graphed());
  I2I_PARITY_CHECK("new shape, captured", host(run(x2)), host(G(x2)), 1e-6);
  BOOST_TEST(run.graphed());
}

BOOST_AUTO_TEST_CASE(weights_changed_in_place_are_seen_by_the_next_replay) {
  small_generator<cuda::fp32_tf32> G("G");
  make_inference<cuda::fp32_tf32>(G);
  cuda::graphed_forward<small_generator<cuda::fp32_tf32>> run(G);
  const auto x = dev(random_host(shape{1, 3, 32, 32}, 60));
  (void)run(x);
  (void)run(x);
  BOOST_TEST_REQUIRE(run.graphed());
  for (const auto& p : G.all_parameters())
    cuda_backend<float>::assign_from_host(p->value, random_host(p->value.shape(), 61, -0.1f, 0.1f));
  I2I_PARITY_CHECK("after new weights", host(run(x)), host(G(x)), 1e-6);
}

BOOST_AUTO_TEST_CASE(a_capture_that_reads_to_the_host_is_refused_with_a_reason) {
  const auto x = dev(random_host(shape{1, 4, 8, 8}, 70));
  cuda::graph g;
  double s = 0;
  const bool ok = g.capture([&] { s = cuda_backend<float>::sum(cuda_backend<float>::scale(x, 2.0f)); });
  BOOST_TEST(!ok);
  BOOST_TEST(!g.ready());
  BOOST_TEST_MESSAGE("refused: " << g.reason());
  BOOST_TEST(!g.reason().empty());
  BOOST_CHECK_THROW(g.replay(), device_error);
  // The device and the stream are usable afterwards: the same op eagerly.
  const double eager = cuda_backend<float>::sum(cuda_backend<float>::scale(x, 2.0f));
  BOOST_TEST(eager == 2.0 * cuda_backend<float>::sum(x), boost::test_tools::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(emptying_the_cache_keeps_a_live_graph_s_memory) {
  const auto x = dev(random_host(shape{1, 8, 64, 64}, 80));
  tensor<float> y;
  cuda::graph g;
  BOOST_TEST_REQUIRE(g.capture([&] {
    const auto a = cuda_backend<float>::scale(x, 3.0f);        // a temporary: freed into the graph's pool
    y = cuda_backend<float>::activate(a, cuda::activation{});  // kept: the graph's output
  }), g.reason());
  const std::size_t bytes = g.pool_bytes();
  BOOST_TEST(bytes >= 2u * std::size_t(x.numel()) * sizeof(float));
  cuda::release_cached();
  BOOST_TEST(g.pool_bytes() == bytes);
  // Work on the caller's stream between replays takes other blocks: the temporary's block stays the graph's.
  const auto other = cuda_backend<float>::scale(x, -1.0f);
  g.replay();
  I2I_PARITY_CHECK("replay after release_cached", host(y), host(cuda_backend<float>::scale(x, 3.0f)), 1e-7);
  I2I_PARITY_CHECK("the other work is intact", host(other), host(cuda_backend<float>::scale(x, -1.0f)), 0.0);
  g.clear();
  BOOST_TEST(!g.ready());
}

BOOST_AUTO_TEST_SUITE_END()

// ---- a whole training step as a graph (cuda/graphed_step.cuh) ----------------------------------------

#include "i2i/backend/cuda/graphed_step.cuh"
#include "i2i/loss/types/all.hpp"
#include "i2i/models/pix2pixhd/discriminator.hpp"
#include "i2i/train/gan_step.hpp"

namespace {
using step_b = cuda_backend<float, cuda::fp32_tf32>;
using step_d = pix2pixhd::multiscale_discriminator<6, 2, 8, 2>;

struct step_pair {
  model<small_g, step_b> G{"G"};
  model<step_d, step_b> D{"D"};
  train::gan_step<model<small_g, step_b>, model<step_d, step_b>, loss::gan_loss<loss::lsgan>, loss::l1_term> step;
  step_pair() : step(G, D, train::gan_step_options{}, loss::l1_term{.weight = 10}) {
    initialize(G, init_policy::pix2pixhd(), 91);
    initialize(D, init_policy::pix2pixhd(), 92);
  }
};

template <class M>
double weights_rel_l2(const M& a, const M& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.all_parameters().size(); ++i)
    worst = std::max(worst, rel_l2(host(a.all_parameters()[i]->value), host(b.all_parameters()[i]->value)));
  return worst;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(graphed_step_parity, *boost::unit_test::precondition(i2i::test::cuda_device_present()))

// Graph on and off: the same losses and weights over five steps (the second captures, the rest replay)
// with a learning-rate change between replays; then a NaN batch is refused naming the loss, with the
// weights as they were.
BOOST_AUTO_TEST_CASE(a_graphed_step_equals_the_eager_step) {
  step_pair eager, graphed;
  cuda::graphed_step<decltype(graphed.step)> run(graphed.step);
  for (std::uint64_t k = 0; k < 5; ++k) {
    if (k == 3) {
      eager.step.generator_optimizer().set_lr(1e-4);
      graphed.step.generator_optimizer().set_lr(1e-4);
    }
    const auto x = dev(random_host(shape{2, 3, 32, 32}, 100 + k));
    const auto real = dev(random_host(shape{2, 3, 32, 32}, 200 + k, -0.9f, 0.9f));
    const auto want = eager.step.step(x, real);
    const auto got = run.step(x, real);
    BOOST_TEST_CONTEXT("step " << k + 1) {
      BOOST_TEST(run.graphed() == (k >= 1));
      BOOST_TEST_REQUIRE(got.items().size() == want.items().size());
      for (const auto& [name, v] : want.items())
        BOOST_TEST_CONTEXT(name) BOOST_TEST(got[name] == v, boost::test_tools::tolerance(1e-4));
      // cuDNN's weight-gradient algorithms may add in another order from run to run: not bit-equal.
      BOOST_TEST(weights_rel_l2(graphed.G, eager.G) < 1e-4);
      BOOST_TEST(weights_rel_l2(graphed.D, eager.D) < 1e-4);
    }
  }
  BOOST_TEST(run.fallback_reason().empty());
  BOOST_TEST(graphed.step.generator_optimizer().steps() == eager.step.generator_optimizer().steps());

  std::vector<tensor<float>> before;
  for (const auto& p : graphed.G.all_parameters()) before.push_back(host(p->value).clone());
  auto bad = random_host(shape{2, 3, 32, 32}, 300);
  bad[7] = std::nanf("");
  try {
    (void)run.step(dev(bad), dev(random_host(shape{2, 3, 32, 32}, 301)));
    BOOST_FAIL("a NaN batch was accepted");
  } catch (const value_error& e) {
    BOOST_TEST_MESSAGE(e.what());
    BOOST_TEST(std::string(e.what()).find("skipped") != std::string::npos, e.what());
  }
  for (std::size_t i = 0; i < before.size(); ++i)
    BOOST_TEST(rel_l2(host(graphed.G.all_parameters()[i]->value), before[i]) == 0.0);
}

// A step with a fake-image pool chooses on the host: it runs eagerly and says why.
BOOST_AUTO_TEST_CASE(a_step_with_an_image_pool_runs_eagerly_and_says_why) {
  model<small_g, step_b> G("G");
  model<step_d, step_b> D("D");
  initialize(G, init_policy::pix2pixhd(), 93);
  initialize(D, init_policy::pix2pixhd(), 94);
  train::gan_step step(G, D, train::gan_step_options{.pool_size = 2});
  cuda::graphed_step<decltype(step)> run(step);
  for (std::uint64_t k = 0; k < 3; ++k)
    (void)run.step(dev(random_host(shape{1, 3, 16, 16}, 400 + k)), dev(random_host(shape{1, 3, 16, 16}, 500 + k)));
  BOOST_TEST(!run.graphed());
  BOOST_TEST(run.fallback_reason().find("pool_size 2") != std::string::npos, run.fallback_reason());
}

BOOST_AUTO_TEST_SUITE_END()
