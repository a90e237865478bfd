// The parts of data-parallel training that need no second process: the distributed sampler's
// properties (through batch_loader), the bucket plan, and that world size 1 changes nothing.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "i2i/data/distributed_sampler.hpp"
#include "i2i/dist/data_parallel.hpp"
#include "i2i/dist/launch.hpp"

using namespace i2i;

BOOST_AUTO_TEST_SUITE(dist_sampler)

BOOST_AUTO_TEST_CASE(every_sample_is_seen_once_per_epoch_across_ranks_with_equal_counts) {
  for (std::size_t n : {1u, 2u, 7u, 10u, 33u}) {
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::reverse(order.begin(), order.end());  // any order: a shuffle's
    for (int world : {1, 2, 3, 4, 8}) {
      BOOST_TEST_CONTEXT("n " << n << ", world " << world) {
        std::multiset<std::size_t> seen;
        std::vector<std::size_t> padded;  // rank-strided parts interleaved back: the padded order
        std::vector<std::vector<std::size_t>> parts;
        for (int r = 0; r < world; ++r) {
          parts.push_back(data::shard(order, world, r));
          BOOST_TEST(parts.back().size() == data::shard_size(n, world));  // equal counts: no rank waits
          seen.insert(parts.back().begin(), parts.back().end());
        }
        for (std::size_t k = 0; k < n; ++k) BOOST_TEST(seen.count(k) >= 1u);  // every sample
        BOOST_TEST(seen.size() - n < std::size_t(world));                     // padding < world
        for (std::size_t k = 0; k < data::shard_size(n, world); ++k)
          for (int r = 0; r < world; ++r) padded.push_back(parts[std::size_t(r)][k]);
        // The padded order is the order followed by its head (PyTorch's DistributedSampler).
        for (std::size_t p = 0; p < padded.size(); ++p) BOOST_REQUIRE(padded[p] == order[p % n]);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(world_size_1_is_the_order_itself_and_bad_ranks_are_errors) {
  const std::vector<std::size_t> order{4, 2, 0, 3, 1};
  BOOST_TEST((data::shard(order, 1, 0) == order));
  BOOST_CHECK_THROW(data::shard(order, 2, 2), value_error);
  BOOST_CHECK_THROW(data::shard(order, 0, 0), value_error);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(dist_buckets)

BOOST_AUTO_TEST_CASE(buckets_fill_in_reverse_order_up_to_the_cap_and_a_large_parameter_is_alone) {
  // bytes of parameters 0..4; cap 100
  const auto plan = dist::plan_buckets({40, 30, 250, 50, 60}, 100);
  const std::vector<std::vector<std::size_t>> expected{{4}, {3}, {2}, {1, 0}};
  BOOST_TEST((plan == expected));
  const auto one = dist::plan_buckets({40, 30, 250, 50, 60}, std::size_t(25) << 20);
  BOOST_TEST(one.size() == 1u);
  BOOST_TEST(one[0] == (std::vector<std::size_t>{4, 3, 2, 1, 0}), boost::test_tools::per_element());
  BOOST_TEST(dist::plan_buckets({}, 100).empty());
  // Every parameter exactly once, whatever the cap.
  for (std::size_t cap : {1u, 39u, 100u, 1000u}) {
    std::vector<std::size_t> all;
    for (const auto& b : dist::plan_buckets({40, 30, 250, 50, 60}, cap)) all.insert(all.end(), b.begin(), b.end());
    std::sort(all.begin(), all.end());
    BOOST_TEST(all == (std::vector<std::size_t>{0, 1, 2, 3, 4}), boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(alone_every_call_is_a_no_op) {
  auto comm = std::make_shared<dist::single_process>();
  dist::data_parallel dp(comm);
  BOOST_TEST(!dp.active());
  auto g = tensor<float>::filled(shape{5}, 3.0f);
  std::vector<optim::param_ref<float>> ps{{"w", tensor<float>::zeros(shape{5}), g}};
  dp.reduce_gradients(ps);
  for (float x : g.values()) BOOST_TEST(x == 3.0f);
  BOOST_TEST(dp.buckets_reduced() == 0);
  train::step_record r;
  r.set("G", 0.25);
  BOOST_TEST(dp.average(r)["G"] == 0.25);
  BOOST_TEST(dist::rank_seed(42, 0) == 42u);
  BOOST_TEST(dist::rank_seed(42, 1) != 42u);
  BOOST_TEST(dist::describe(*comm) == "distributed: world size 1 (single process), rank 0, local rank 0");
}

BOOST_AUTO_TEST_SUITE_END()
