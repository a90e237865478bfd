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
