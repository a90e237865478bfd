#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <span>
#include <tuple>
#include <vector>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/backend/multi_tensor_plan.hpp"
#include "i2i/optim/adam.hpp"
#include "i2i/optim/sgd.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

BOOST_AUTO_TEST_SUITE(optimizers)

// The multi-tensor Adam's launches (CUDA's adam_update_many): every element of every tensor in exactly
// one block, tensors in order, each launch within its tensor and block limits, a tensor whose chunks do
// not fit going on in the next launch, empty tensors skipped.
BOOST_AUTO_TEST_CASE(multi_tensor_plan_covers_every_element_once_within_the_limits) {
  const std::vector<std::int64_t> sizes{5, 0, 64, 65, 1, 0, 300, 7, 128, 3, 2, 1000, 1};
  for (const auto& [chunk, max_tensors, max_blocks] :
       {std::tuple{std::int64_t(16), std::size_t(3), std::size_t(4)}, std::tuple{std::int64_t(64), std::size_t(48), std::size_t(320)},
        std::tuple{std::int64_t(1), std::size_t(1), std::size_t(1)}, std::tuple{std::int64_t(1000), std::size_t(2), std::size_t(5)}}) {
    BOOST_TEST_CONTEXT("chunk " << chunk << ", " << max_tensors << " tensors, " << max_blocks << " blocks") {
      std::vector<std::vector<int>> seen(sizes.size());
      for (std::size_t t = 0; t < sizes.size(); ++t) seen[t].assign(std::size_t(sizes[t]), 0);
      std::size_t last_tensor = 0;
      std::int64_t last_chunk = -1;
      const auto launches = plan_multi_tensor(sizes, chunk, max_tensors, max_blocks);
      for (const auto& l : launches) {
        BOOST_TEST(!l.blocks.empty());
        BOOST_TEST(l.tensors.size() <= max_tensors);
        BOOST_TEST(l.blocks.size() <= max_blocks);
        for (const auto& b : l.blocks) {
          BOOST_REQUIRE(b.slot < l.tensors.size());
          const std::size_t t = l.tensors[b.slot];
          BOOST_REQUIRE(sizes[t] > 0);
          // Blocks in list order: the next chunk of the same tensor, or chunk 0 of a later one.
          BOOST_TEST((t == last_tensor ? b.chunk == last_chunk + 1 : (t > last_tensor && b.chunk == 0)));
          last_tensor = t;
          last_chunk = b.chunk;
          for (std::int64_t i = b.chunk * chunk; i < std::min(sizes[t], (b.chunk + 1) * chunk); ++i) ++seen[t][std::size_t(i)];
        }
      }
      for (std::size_t t = 0; t < sizes.size(); ++t)
        BOOST_TEST(std::all_of(seen[t].begin(), seen[t].end(), [](int n) { return n == 1; }), "tensor " << t);
    }
  }
  // One launch while everything fits; the tensor limit and the block limit each start a new one.
  BOOST_TEST(plan_multi_tensor(sizes, 1000, 48, 320).size() == 1u);
  BOOST_TEST(plan_multi_tensor(std::vector<std::int64_t>{1, 1, 1}, 10, 2, 320).size() == 2u);
  BOOST_TEST(plan_multi_tensor(std::vector<std::int64_t>{25}, 10, 48, 2).size() == 2u);
  BOOST_TEST(plan_multi_tensor(std::vector<std::int64_t>{0, 0}, 10, 48, 320).empty());
  test::expect_error<value_error>([] { plan_multi_tensor(std::vector<std::int64_t>{1}, 0, 48, 320); }, {"chunk 0"});
  test::expect_error<value_error>([] { plan_multi_tensor(std::vector<std::int64_t>{4, -1}, 8, 48, 320); },
                                  {"tensor 1 has -1 elements"});
}

// adam_update_many over a list equals one adam_update per tensor (what optim::adam did before).
BOOST_AUTO_TEST_CASE(adam_update_many_equals_one_update_per_tensor) {
  using B = cpu_backend<float>;
  std::vector<adam_operands<tensor<float>>> many, one;
  for (std::int64_t n : {3, 17, 1}) {
    auto make = [&](float salt, bool squared = false) {
      auto t = tensor<float>::empty(shape{n});
      for (std::int64_t i = 0; i < n; ++i) {
        const float x = std::sin(float(i + 1) * salt);
        t.data()[i] = squared ? x * x : x;
      }
      return t;
    };
    many.push_back({make(0.3f), make(0.7f), make(0.11f), make(0.05f, true)});
  }
  for (const auto& o : many) one.push_back({o.param.clone(), o.grad.clone(), o.exp_avg.clone(), o.exp_avg_sq.clone()});
  const auto a = adam_update_args::at_step(3, 1e-2, 0.9, 0.999, 1e-8, 0.01);
  B::adam_update_many(std::span<const adam_operands<tensor<float>>>(many), a);
  for (const auto& o : one) B::adam_update(o.param, o.grad, o.exp_avg, o.exp_avg_sq, a);
  for (std::size_t k = 0; k < many.size(); ++k)
    for (std::int64_t i = 0; i < many[k].param.numel(); ++i) {
      BOOST_TEST(many[k].param.data()[i] == one[k].param.data()[i]);
      BOOST_TEST(many[k].exp_avg_sq.data()[i] == one[k].exp_avg_sq.data()[i]);
    }
  test::expect_error<shape_error>(
      [&] {
        const std::vector<adam_operands<tensor<float>>> bad{many[0], {many[1].param, many[0].grad, many[1].exp_avg, many[1].exp_avg_sq}};
        B::adam_update_many(std::span<const adam_operands<tensor<float>>>(bad), a);
      },
      {"adam_update", "gradient"});
}

// With a constant gradient g, Adam's bias-corrected moments are exactly g and g^2, so every step moves
// the parameter by lr * g / (|g| + eps): a value computed by hand, independent of the implementation.
BOOST_AUTO_TEST_CASE(adam_constant_gradient_moves_by_lr) {
  auto p = tensor<double>::from({2}, {1.0, -2.0});
  auto g = tensor<double>::from({2}, {0.5, -0.25});
  optim::adam<cpu_backend<double>> opt({{"p", p, g}}, {.lr = 0.1, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8});
  for (int t = 1; t <= 3; ++t) {
    opt.step();
    BOOST_TEST(p[0] == 1.0 - t * 0.1 * 0.5 / (0.5 + 1e-8), boost::test_tools::tolerance(1e-12));
    BOOST_TEST(p[1] == -2.0 + t * 0.1 * 0.25 / (0.25 + 1e-8), boost::test_tools::tolerance(1e-12));
  }
  BOOST_TEST(opt.steps() == 3);
}

// A varying gradient and weight decay, against the update written out step by step as in PyTorch's docs.
BOOST_AUTO_TEST_CASE(adam_matches_hand_written_reference) {
  const double lr = 0.01, b1 = 0.5, b2 = 0.999, eps = 1e-8, wd = 0.1;
  auto p = tensor<float>::from({1}, {0.3f});
  auto g = tensor<float>::zeros({1});
  optim::adam<cpu_backend<float>> opt({{"p", p, g}}, {.lr = lr, .beta1 = b1, .beta2 = b2, .eps = eps, .weight_decay = wd});
  double ref = 0.3, m = 0, v = 0;
  const double grads[] = {0.7, -1.2, 0.05, 2.0, -0.3};
  for (int t = 1; t <= 5; ++t) {
    g[0] = float(grads[t - 1]);
    opt.step();
    const double gt = grads[t - 1] + wd * ref;
    m = b1 * m + (1 - b1) * gt;
    v = b2 * v + (1 - b2) * gt * gt;
    const double mhat = m / (1 - std::pow(b1, t)), vhat = v / (1 - std::pow(b2, t));
    ref -= lr * mhat / (std::sqrt(vhat) + eps);
    BOOST_TEST(p[0] == ref, boost::test_tools::tolerance(1e-5));
  }
}

BOOST_AUTO_TEST_CASE(sgd_momentum_and_nesterov) {
  auto p = tensor<double>::from({1}, {1.0});
  auto g = tensor<double>::from({1}, {1.0});
  optim::sgd<cpu_backend<double>> opt({{"p", p, g}}, {.lr = 0.1, .momentum = 0.9});
  opt.step();  // b = 1
  BOOST_TEST(p[0] == 0.9, boost::test_tools::tolerance(1e-12));
  opt.step();  // b = 1.9
  BOOST_TEST(p[0] == 0.71, boost::test_tools::tolerance(1e-12));

  auto q = tensor<double>::from({1}, {1.0});
  auto h = tensor<double>::from({1}, {1.0});
  optim::sgd<cpu_backend<double>> nest({{"q", q, h}}, {.lr = 0.1, .momentum = 0.9, .nesterov = true});
  nest.step();  // b = 1, step = g + 0.9 b = 1.9
  BOOST_TEST(q[0] == 0.81, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(optimizers_reject_bad_parameters) {
  auto p = tensor<float>::zeros({2, 3});
  auto g = tensor<float>::zeros({3, 2});
  test::expect_error<shape_error>([&] { optim::adam<cpu_backend<float>>({{"G.w", p, g}}); }, {"adam", "G.w", "2x3", "3x2"});
  test::expect_error<value_error>([&] { optim::adam<cpu_backend<float>>({{"G.w", p, p}}, {.beta1 = 1.0}); }, {"adam", "betas"});
  test::expect_error<value_error>([&] { optim::sgd<cpu_backend<float>>({{"G.w", p, p}}, {.nesterov = true}); }, {"nesterov"});
}

BOOST_AUTO_TEST_SUITE_END()

// Parameter groups: each group moves with its own learning rate (constant gradient: exactly lr per step),
// set_lr reaches every group, and a parameter cannot be in two groups.
BOOST_AUTO_TEST_CASE(adam_parameter_groups) {
  auto a = tensor<double>::from({1}, {1.0});
  auto ga = tensor<double>::from({1}, {0.5});
  auto b = tensor<double>::from({1}, {1.0});
  auto gb = tensor<double>::from({1}, {0.5});
  optim::adam<cpu_backend<double>> opt({{"a", a, ga}}, {.lr = 0.1, .beta1 = 0.9, .beta2 = 0.999, .eps = 0});
  opt.add_param_group({{"b", b, gb}}, 0.01);
  BOOST_TEST(opt.group_count() == 2u);
  opt.step();
  BOOST_TEST(a[0] == 0.9, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(b[0] == 0.99, boost::test_tools::tolerance(1e-12));
  opt.set_group_lr(1, 0.05);
  opt.step();
  BOOST_TEST(b[0] == 0.94, boost::test_tools::tolerance(1e-12));
  opt.set_lr(0.2);
  BOOST_TEST(opt.group_lr(0) == 0.2);
  BOOST_TEST(opt.group_lr(1) == 0.2);
  test::expect_error<value_error>([&] { opt.add_param_group({{"again", a, ga}}, 0.1); }, {"again", "already", "'a'"});
}

// SGD's groups are Adam's: each group at its own rate, set_lr reaching all; without momentum a step is
// exactly lr * g.
BOOST_AUTO_TEST_CASE(sgd_parameter_groups_and_steps) {
  auto a = tensor<double>::from({1}, {1.0});
  auto ga = tensor<double>::from({1}, {0.5});
  auto b = tensor<double>::from({1}, {1.0});
  auto gb = tensor<double>::from({1}, {0.5});
  optim::sgd<cpu_backend<double>> opt({{"a", a, ga}}, {.lr = 0.1});
  opt.add_param_group({{"b", b, gb}}, 0.01);
  BOOST_TEST(opt.group_count() == 2u);
  opt.step();
  BOOST_TEST(a[0] == 0.95, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(b[0] == 0.995, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(opt.steps() == 1);
  opt.set_lr(0.2);
  BOOST_TEST(opt.group_lr(1) == 0.2);
  test::expect_error<value_error>([&] { opt.add_param_group({{"again", b, gb}}, 0.1); }, {"sgd", "again", "'b'"});
  opt.zero_grad();
  BOOST_TEST(ga[0] == 0.0);
  BOOST_TEST(gb[0] == 0.0);
}

// Dampening applies from the second step on (the first step's buffer is the gradient itself).
BOOST_AUTO_TEST_CASE(sgd_dampening_and_weight_decay) {
  auto p = tensor<double>::from({1}, {1.0});
  auto g = tensor<double>::from({1}, {1.0});
  optim::sgd<cpu_backend<double>> opt({{"p", p, g}}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5, .weight_decay = 0.1});
  opt.step();  // d = 1 + 0.1 = 1.1, b = 1.1, p = 1 - 0.11 = 0.89
  BOOST_TEST(p[0] == 0.89, boost::test_tools::tolerance(1e-12));
  opt.step();  // d = 1 + 0.089 = 1.089, b = 0.99 + 0.5 * 1.089 = 1.5345, p = 0.89 - 0.15345
  BOOST_TEST(p[0] == 0.89 - 0.15345, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(opt.momentum_buffers()[0][0] == 1.5345, boost::test_tools::tolerance(1e-12));
}

// The update ops check their operands (one check for every backend): shapes and memory are named.
BOOST_AUTO_TEST_CASE(update_ops_check_their_operands) {
  using B = cpu_backend<float>;
  auto p = tensor<float>::zeros({2, 3});
  auto q = tensor<float>::zeros({3, 2});
  const auto a = adam_update_args::at_step(1, 1e-3, 0.9, 0.999, 1e-8, 0);
  test::expect_error<shape_error>([&] { B::adam_update(p, p, q, p, a); }, {"adam_update", "exp_avg", "3x2", "2x3"});
  test::expect_error<value_error>([&] { B::adam_update(p, p, p, tensor<float>{}, a); },
                                  {"adam_update", "exp_avg_sq", "undefined"});
  sgd_update_args s;
  s.momentum = 0;
  B::sgd_update(p, p, tensor<float>{}, s);  // no momentum: no buffer needed
  s.momentum = 0.9;
  test::expect_error<value_error>([&] { B::sgd_update(p, p, tensor<float>{}, s); }, {"sgd_update", "momentum_buffer"});
}

// Live scalars (a step replayed by a CUDA graph reads its bias corrections from memory written before
// the replay): the same trajectory as scalars passed by value, bit for bit, through a learning-rate change
// and two groups; a raised skip flag leaves weights and moments untouched; step() before prepare_step()
// is an error.
BOOST_AUTO_TEST_CASE(adam_live_scalars_follow_the_schedule_and_the_skip_flag) {
  using F = cpu_backend<float>;
  auto make = [](std::vector<tensor<float>>& held) {
    held.clear();
    for (std::uint64_t k = 0; k < 2; ++k) {
      test::rng().seed(std::uint32_t(100 + k));
      held.push_back(test::random_tensor<float>({4, 5}));
      held.push_back(test::random_tensor<float>({4, 5}));  // its gradient
    }
    return std::vector<optim::param_ref<float>>{{"a", held[0], held[1]}, {"b", held[2], held[3]}};
  };
  std::vector<tensor<float>> h1, h2;
  auto p1 = make(h1);
  auto p2 = make(h2);
  optim::adam<F> plain({p1[0]}, {.lr = 0.01, .beta1 = 0.5});
  optim::adam<F> live({p2[0]}, {.lr = 0.01, .beta1 = 0.5});
  plain.add_param_group({p1[1]}, 0.003);
  live.add_param_group({p2[1]}, 0.003);
  auto flag = tensor<float>::zeros({1});
  live.use_live_scalars(flag);
  test::expect_error<value_error>([&] { live.step(); }, {"prepare_step"});
  for (int s = 0; s < 5; ++s) {
    if (s == 3) {
      plain.set_lr(0.02);
      live.set_lr(0.02);
    }
    plain.step();
    live.prepare_step();
    live.step();
    for (int k = 0; k < 4; k += 2) BOOST_TEST(test::max_abs_diff(h1[std::size_t(k)], h2[std::size_t(k)]) == 0.0);
  }
  BOOST_TEST(live.steps() == plain.steps());
  // The flag up: nothing moves, not even the moments.
  const auto w = h2[0].clone(), m = live.moments()[0].m.clone();
  flag[0] = 1;
  live.prepare_step();
  live.step();
  BOOST_TEST(test::max_abs_diff(h2[0], w) == 0.0);
  BOOST_TEST(test::max_abs_diff(live.moments()[0].m, m) == 0.0);
  // Back to host scalars: the flag no longer applies.
  live.use_host_scalars();
  live.step();
  BOOST_TEST(test::max_abs_diff(h2[0], w) > 0.0);
}
