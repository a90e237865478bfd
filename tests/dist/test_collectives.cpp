// dist::mpi_communicator under mpirun -np 2 (tests/dist/CMakeLists.txt): all-reduce and broadcast of one
// and of several tensors (one packed collective), the average, barrier, and that bucketed gradient
// averaging equals a one-shot all-reduce for any bucket size, including a parameter larger than a bucket.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "i2i/dist/data_parallel.hpp"
#include "i2i/dist/launch.hpp"

using namespace i2i;

namespace {

std::shared_ptr<dist::communicator> job() {
  static auto c = dist::world();
  return c;
}

tensor<float> filled_by_rank(std::int64_t n, int rank, float salt) {
  auto t = tensor<float>::empty(shape{n});
  for (std::int64_t i = 0; i < n; ++i) t.data()[i] = float(rank + 1) * (salt + float(i % 97) * 0.25f);
  return t;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dist_collectives)

BOOST_AUTO_TEST_CASE(the_job_has_two_ranks) {
  const auto c = job();
  BOOST_TEST_MESSAGE(dist::describe(*c));
  BOOST_TEST(c->world_size() == 2);
  BOOST_TEST(c->name() == "mpi");
  BOOST_TEST((c->rank() == 0 || c->rank() == 1));
  BOOST_TEST(c->local_rank() == c->rank());  // one machine
  c->barrier();
}

BOOST_AUTO_TEST_CASE(all_reduce_sums_and_averages_one_and_several_tensors) {
  const auto c = job();
  const int r = c->rank();
  auto a = filled_by_rank(1000, r, 1.0f);
  c->all_reduce(a, dist::reduce_op::sum);
  for (std::int64_t i = 0; i < 1000; ++i) BOOST_REQUIRE(a.data()[i] == 3.0f * (1.0f + float(i % 97) * 0.25f));
  // Several tensors are one packed collective; sizes differ, one is empty.
  std::vector<tensor<float>> ts{filled_by_rank(5, r, 2.0f), tensor<float>::empty(shape{0}), filled_by_rank(70001, r, 3.0f)};
  c->all_reduce(ts, dist::reduce_op::average);
  for (std::int64_t i = 0; i < 5; ++i) BOOST_REQUIRE(ts[0].data()[i] == 1.5f * (2.0f + float(i % 97) * 0.25f));
  for (std::int64_t i = 0; i < 70001; ++i) BOOST_REQUIRE(ts[2].data()[i] == 1.5f * (3.0f + float(i % 97) * 0.25f));
  double v[2] = {double(r), 10.0};
  c->all_reduce(std::span<double>(v), dist::reduce_op::sum);
  BOOST_TEST(v[0] == 1.0);
  BOOST_TEST(v[1] == 20.0);
}

BOOST_AUTO_TEST_CASE(broadcast_gives_every_rank_the_roots_values) {
  const auto c = job();
  const int r = c->rank();
  for (int root : {0, 1}) {
    std::vector<tensor<double>> ts{tensor<double>::filled(shape{3}, double(r) + 0.5),
                                   tensor<double>::filled(shape{4097}, -double(r))};
    c->broadcast(ts, root);
    for (double x : ts[0].values()) BOOST_REQUIRE(x == double(root) + 0.5);
    for (double x : ts[1].values()) BOOST_REQUIRE(x == -double(root));
  }
}

BOOST_AUTO_TEST_CASE(bucketed_gradients_equal_a_one_shot_all_reduce_for_any_bucket_size) {
  const auto c = job();
  const int r = c->rank();
  const std::vector<std::int64_t> sizes{7, 300, 1, 5000, 64, 2};  // 5000 floats = 20000 bytes
  auto make = [&] {
    std::vector<optim::param_ref<float>> ps;
    for (std::size_t k = 0; k < sizes.size(); ++k)
      ps.push_back({"p" + std::to_string(k), tensor<float>::zeros(shape{sizes[k]}),
                    filled_by_rank(sizes[k], r, float(k) + 0.125f)});
    return ps;
  };
  // The reference: every gradient in one collective, averaged.
  auto ref = make();
  std::vector<tensor<float>> all;
  for (auto& p : ref) all.push_back(p.grad);
  c->all_reduce(all, dist::reduce_op::average);
  for (std::size_t cap : {std::size_t(4), std::size_t(1200), std::size_t(8192), std::size_t(25) << 20}) {
    BOOST_TEST_CONTEXT("bucket " << cap << " bytes") {
      auto ps = make();
      dist::data_parallel dp(c, {.bucket_bytes = cap});
      dp.reduce_gradients(ps);
      const auto plan = dist::plan_buckets({28, 1200, 4, 20000, 256, 8}, cap);
      BOOST_TEST(dp.buckets_reduced() == std::int64_t(plan.size()));
      for (std::size_t k = 0; k < ps.size(); ++k)
        for (std::int64_t i = 0; i < sizes[k]; ++i) BOOST_REQUIRE(ps[k].grad.data()[i] == ref[k].grad.data()[i]);
    }
  }
}

BOOST_AUTO_TEST_CASE(averaged_losses_are_the_mean_over_the_ranks) {
  const auto c = job();
  dist::data_parallel dp(c);
  const double mine = double(c->rank() + 1);
  auto averaged = dp.average([&] {
    train::step_record rec;
    rec.set("G", mine);
    rec.set("D", 2 * mine);
    return rec;
  }());
  BOOST_TEST(averaged["G"] == 1.5);
  BOOST_TEST(averaged["D"] == 3.0);
}

BOOST_AUTO_TEST_SUITE_END()
