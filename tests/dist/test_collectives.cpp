// dist::mpi_communicator under mpirun -np 2 (tests/dist/CMakeLists.txt): all-reduce and broadcast of one
// and of several tensors (one packed collective), the average, barrier, and that bucketed gradient
// averaging equals a one-shot all-reduce for any bucket size, including a parameter larger than a bucket;
// the same with the buckets started during backward (overlapped), whatever order a rank's gradients
// become final in, and that every rank starts the same buckets in the same order.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/compose/seq.hpp"
#include "i2i/dist/data_parallel.hpp"
#include "i2i/dist/launch.hpp"
#include "i2i/model/init.hpp"
#include "i2i/model/model.hpp"
#include "i2i/spec/activation.hpp"
#include "i2i/spec/conv.hpp"

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

/// Parameters of these sizes (values zero), gradient k filled_by_rank(sizes[k], rank, k + salt).
std::vector<optim::param_ref<float>> params_by_rank(const std::vector<std::int64_t>& sizes, int rank, float salt) {
  std::vector<optim::param_ref<float>> ps;
  for (std::size_t k = 0; k < sizes.size(); ++k)
    ps.push_back({"p" + std::to_string(k), tensor<float>::zeros(shape{sizes[k]}),
                  filled_by_rank(sizes[k], rank, float(k) + salt)});
  return ps;
}

/// Copies ref's gradients into ps's, then averages ref's over the ranks in one collective: what any bucketed
/// reduction of ps must give.
void load_and_average_in_one(dist::communicator& c, const std::vector<optim::param_ref<float>>& ps,
                             const std::vector<optim::param_ref<float>>& ref) {
  std::vector<tensor<float>> all;
  for (std::size_t k = 0; k < ps.size(); ++k) {
    std::copy_n(ref[k].grad.data(), ref[k].grad.numel(), ps[k].grad.data());
    all.push_back(ref[k].grad);
  }
  c.all_reduce(all, dist::reduce_op::average);
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
  auto make = [&] { return params_by_rank(sizes, r, 0.125f); };
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

BOOST_AUTO_TEST_CASE(overlapped_buckets_equal_a_one_shot_all_reduce_in_any_ready_order) {
  const auto c = job();
  const int r = c->rank();
  const std::vector<std::int64_t> sizes{7, 300, 1, 5000, 64, 2};
  auto make = [&](float step) { return params_by_rank(sizes, r, 0.125f + step); };
  for (std::size_t cap : {std::size_t(4), std::size_t(1200), std::size_t(8192)}) {
    BOOST_TEST_CONTEXT("bucket " << cap << " bytes") {
      dist::data_parallel dp(c, {.bucket_bytes = cap});
      auto ps = make(0.0f);  // the same tensors for two steps: the second reuses the plan
      for (int step = 0; step < 2; ++step) {
        auto ref = make(float(step));
        load_and_average_in_one(*c, ps, ref);
        dp.expect(ps);
        // Rank 0 finishes its gradients in backward order (last first), rank 1 in the opposite order:
        // the buckets must still start in the plan's order on both, or the sums would mix buckets.
        for (std::size_t i = 0; i < ps.size(); ++i) {
          const std::size_t k = r == 0 ? ps.size() - 1 - i : i;
          dp.gradient_ready(ps[k].grad.data());
        }
        const auto plan = dp.overlap_plan();
        BOOST_TEST(dp.buckets_started() == plan.size());  // every bucket in flight before the wait
        if (cap == 4) BOOST_TEST(plan.size() == sizes.size());
        dp.reduce_gradients(ps);
        for (std::size_t k = 0; k < ps.size(); ++k)
          for (std::int64_t i = 0; i < sizes[k]; ++i) BOOST_REQUIRE(ps[k].grad.data()[i] == ref[k].grad.data()[i]);
      }
      BOOST_TEST(dp.buckets_started_in_backward() == 2 * std::int64_t(dp.overlap_plan().size()));
    }
  }
}

BOOST_AUTO_TEST_CASE(buckets_are_rebuilt_in_the_order_backward_finished_them) {
  const auto c = job();
  const int r = c->rank();
  const std::vector<std::int64_t> sizes{40, 3, 100, 20, 7};  // floats: 160, 12, 400, 80, 28 bytes
  auto make = [&](float step) { return params_by_rank(sizes, r, step - 0.5f); };
  // Backward finishes them in the order 1, 3, 0, 4, 2 on rank 0 (a parameter used by a later call comes
  // last, as pix2pixHD's E); rank 1 reports in another order, and rank 0's order must win on both.
  const std::vector<std::size_t> rank0_order{1, 3, 0, 4, 2}, rank1_order{2, 4, 0, 3, 1};
  dist::data_parallel dp(c, {.bucket_bytes = 200});
  auto ps = make(0.0f);
  auto other = make(9.0f);  // a second list (D's optimizer beside G's) keeps a plan of its own
  for (int step = 0; step < 3; ++step) {
    BOOST_TEST_CONTEXT("step " << step) {
      auto ref = make(float(step));
      load_and_average_in_one(*c, ps, ref);
      dp.expect(ps);
      BOOST_TEST(dp.overlap_plan_rebuilt() == (step > 0));
      std::vector<std::size_t> started;
      for (std::size_t k : r == 0 ? rank0_order : rank1_order) {
        dp.gradient_ready(ps[k].grad.data());
        started.push_back(dp.buckets_started());
      }
      if (step == 0) {
        // Reverse order, 200 bytes: {4, 3} (108), {2} (400), {1, 0} (172): on rank 0 nothing can start
        // before p4 and p3 are in, and the p2 bucket holds back {1, 0} until the last report.
        BOOST_TEST((dp.overlap_plan() == std::vector<std::vector<std::size_t>>{{4, 3}, {2}, {1, 0}}));
        const std::vector<std::size_t> expected{0, 0, 0, 1, 3};
        if (r == 0) BOOST_TEST(started == expected, boost::test_tools::per_element());
      } else {
        // Rebuilt from rank 0's order: {1, 3, 0} (252 > 200: {1, 3} 92 then {0, 4} 188), {2}.
        BOOST_TEST((dp.overlap_plan() == std::vector<std::vector<std::size_t>>{{1, 3}, {0, 4}, {2}}));
        const std::vector<std::size_t> expected{0, 1, 1, 2, 3};
        if (r == 0) BOOST_TEST(started == expected, boost::test_tools::per_element());
      }
      dp.reduce_gradients(ps);
      for (std::size_t k = 0; k < ps.size(); ++k)
        for (std::int64_t i = 0; i < sizes[k]; ++i) BOOST_REQUIRE(ps[k].grad.data()[i] == ref[k].grad.data()[i]);
      // The other list: reverse order reported, so its rebuilt plan is its first one.
      dp.expect(other);
      BOOST_TEST(dp.overlap_plan_rebuilt() == (step > 0));
      for (std::size_t k = other.size(); k-- > 0;) dp.gradient_ready(other[k].grad.data());
      BOOST_TEST((dp.overlap_plan() == std::vector<std::vector<std::size_t>>{{4, 3}, {2}, {1, 0}}));
      dp.reduce_gradients(other);
    }
  }
  BOOST_CHECK_THROW(dist::plan_buckets_in_order({0, 0}, {4, 4}, 8), value_error);
  BOOST_CHECK_THROW(dist::plan_buckets_in_order({0}, {4, 4}, 8), value_error);
}

BOOST_AUTO_TEST_CASE(a_models_backward_starts_buckets_in_the_same_order_on_every_rank) {
  using net = seq<conv<6, 3, 1, 1>, relu, conv<6, 3, 1, 1>, relu, conv<5, 3, 1, 1>, relu, conv<2, 3, 1, 1>>;
  using M = model<net, cpu_backend<float>, 3>;
  const auto c = job();
  const int r = c->rank();
  auto x = tensor<float>::empty(shape::nchw(1, 3, 6, 5));
  for (std::int64_t i = 0; i < x.numel(); ++i) x.data()[i] = std::sin(float(i) * 0.37f + float(r));
  // Overlapped: the test's hook forwards to the data_parallel (as watch() does) and notes how many
  // buckets had started after each report.
  M overlapped, after;
  initialize(overlapped, init_policy::pytorch(), 5);
  initialize(after, init_policy::pytorch(), 5);
  dist::data_parallel dp(c, {.bucket_bytes = 400});
  std::vector<std::size_t> started;
  overlapped.set_gradients_ready_hook([&](const auto& params, bool) {
    for (const auto& p : params)
      if (p->grad.defined()) dp.gradient_ready(p->grad.data());
    started.push_back(dp.buckets_started());
  });
  const auto ctx = overlapped.forward(x);
  dp.expect(overlapped.parameters());
  overlapped.backward(ctx, tensor<float>::filled(ctx.output.shape(), 0.25f), {}, false);
  // One report per seq element with parameters (the convs, last first), then one for the whole model at
  // the end. The plan (reverse order, 400 bytes): {conv 6's bias and weight, conv 4's bias}, {conv 4's
  // weight}, {conv 2's bias}, {conv 2's weight}, {conv 0's bias}, {conv 0's weight}.
  BOOST_REQUIRE(dp.overlap_plan().size() == 6);
  const std::vector<std::size_t> expected{0, 2, 4, 6, 6};
  BOOST_TEST(started == expected, boost::test_tools::per_element());
  // 4 buckets in flight before backward reached the first layer
  BOOST_TEST(dp.buckets_started() == dp.overlap_plan().size());
  dp.reduce_gradients(overlapped.parameters());
  // After backward, the same buckets one by one (the fallback without a hook).
  dist::data_parallel dp_after(c, {.bucket_bytes = 400, .overlap_with_backward = false});
  const auto ctx_after = after.forward(x);
  after.backward(ctx_after, tensor<float>::filled(ctx_after.output.shape(), 0.25f), {}, false);
  dp_after.reduce_gradients(after.parameters());
  BOOST_TEST(dp_after.buckets_reduced() == dp.buckets_reduced());
  const auto a = overlapped.parameters(), b = after.parameters();
  for (std::size_t k = 0; k < a.size(); ++k)
    for (std::int64_t i = 0; i < a[k].grad.numel(); ++i) BOOST_REQUIRE(a[k].grad.data()[i] == b[k].grad.data()[i]);
  // Every rank: the same plan and the same buckets started after each report (rank 0's sent to all).
  std::vector<double> mine;
  for (const auto& bucket : dp.overlap_plan()) {
    mine.push_back(-1.0);
    for (std::size_t k : bucket) mine.push_back(double(k));
  }
  for (std::size_t n : started) mine.push_back(double(n));
  std::vector<double> roots = mine;
  c->broadcast(std::span<double>(roots), 0);
  BOOST_TEST(roots == mine, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_step_of_several_backward_calls_starts_each_bucket_after_its_last_call) {
  // expect_step: one list over two watched models, `twice` run backward twice per step (two losses
  // through one network, as EGSC-IT's shared blocks and decoders are), `once` in between. The first step
  // only counts the calls (nothing starts in backward); from the second on, once's bucket starts at the
  // end of its call, twice's only at the end of its SECOND call; the averages equal a one-shot
  // all-reduce; a step with one call more is refused (its bucket may already have been averaged).
  using net = seq<conv<4, 3, 1, 1>, relu, conv<3, 3, 1, 1>>;
  using M = model<net, cpu_backend<float>, 3>;
  const auto c = job();
  const int r = c->rank();
  M twice("twice"), once("once");
  initialize(twice, init_policy::pytorch(), 5);
  initialize(once, init_policy::pytorch(), 6);
  auto x = tensor<float>::empty(shape::nchw(1, 3, 5, 4));
  for (std::int64_t i = 0; i < x.numel(); ++i) x.data()[i] = std::cos(float(i) * 0.41f + float(r));
  // once's parameters last in the list: the first (reverse-order) plan puts them first.
  auto list = twice.parameters();
  for (const auto& p : once.parameters()) list.push_back(p);
  // Bucket cap: one model's parameters (4*3*9 + 4 + 3*4*9 + 3 = 223 floats) per bucket.
  dist::data_parallel dp(c, {.bucket_bytes = 223 * sizeof(float)});
  dp.watch(twice);
  dp.watch(once);
  const auto dy = [&](const M::context& ctx, float v) { return tensor<float>::filled(ctx.output.shape(), v); };
  for (int step = 0; step < 3; ++step) {
    BOOST_TEST_CONTEXT("step " << step) {
      twice.zero_grad();
      once.zero_grad();
      dp.expect_step(list);
      const auto c1 = twice.forward(x), c2 = once.forward(x), c3 = twice.forward(x);
      twice.backward(c1, dy(c1, 0.5f), {}, false);
      const std::size_t after_first = dp.buckets_started();
      once.backward(c2, dy(c2, -0.25f), {}, false);
      const std::size_t after_once = dp.buckets_started();
      twice.backward(c3, dy(c3, 0.125f + float(r)), {}, false);
      const std::size_t after_second = dp.buckets_started();
      // What a one-shot all-reduce gives, from the same local gradients.
      std::vector<tensor<float>> local;
      for (const auto& p : list) local.push_back(p.grad.clone());
      c->all_reduce(local, dist::reduce_op::average);
      dp.reduce_gradients(list);
      BOOST_TEST(dp.overlap_plan().size() == 2u);
      if (step == 0) {
        BOOST_TEST(after_second == 0u);  // counting
        BOOST_TEST(dp.overlap_plan_rebuilt());
      } else {
        // Rebuilt in the order the gradients became final: once's bucket first, then twice's.
        BOOST_TEST(dp.overlap_plan()[0].front() >= twice.parameters().size());
        BOOST_TEST(after_first == 0u);
        BOOST_TEST(after_once == 1u);
        BOOST_TEST(after_second == 2u);
      }
      for (std::size_t k = 0; k < list.size(); ++k)
        for (std::int64_t i = 0; i < list[k].grad.numel(); ++i)
          BOOST_REQUIRE(list[k].grad.data()[i] == local[k].data()[i]);
    }
  }
  twice.zero_grad();
  once.zero_grad();
  dp.expect_step(list);
  const auto c1 = twice.forward(x), c2 = twice.forward(x), c3 = twice.forward(x);
  twice.backward(c1, dy(c1, 1.0f), {}, false);
  twice.backward(c2, dy(c2, 1.0f), {}, false);
  BOOST_CHECK_EXCEPTION(twice.backward(c3, dy(c3, 1.0f), {}, false), dist::dist_error, [](const dist::dist_error& e) {
    return std::string(e.what()).find("reached by 3 backward calls in this step, 2 in the list's first step") !=
           std::string::npos;
  });
  dp.reduce_gradients(list);  // waits for the bucket the refused step had started, on both ranks
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
