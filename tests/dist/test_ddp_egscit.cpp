// Data-parallel EGSC-IT stage 2 under mpirun -np 2 (the smallest backbone of the trainer parity tests,
// config<1, 4, 1>, 16 x 16 RGB): three iterations (each 1 D + 2 G steps) with batch 1 per rank give the
// same losses (rank-averaged) and weights as one process with batch 2. The draws are deterministic
// (noise and augmentation off: with them each rank draws its own stream, which one process cannot
// reproduce), the feature-mask networks F are random but the same on every rank (seeded, and loaded
// from stage 1's files in a real run), and rank 1's trainable weights are disturbed before the start-up
// broadcast, which must replace them by rank 0's. (The seed itself must be the same on every rank: it
// seeds the per-epoch permutation that the ranks share.) The gradient buckets start during the steps'
// backward calls from each list's second step on, with the same result as after backward.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <utility>

#include "ddp_compare.hpp"
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/dist/data_parallel.hpp"
#include "i2i/recipes/egscit/cyclegan.hpp"
#include "i2i/recipes/egscit/munit.hpp"
#include "i2i/recipes/egscit/trainer.hpp"

using namespace i2i;

namespace {

using cfg = egscit::config<1, 4, 1>;
using dis = egscit::discriminator<3, 4, 2>;
using stage2 = egscit::stage2_trainer<cfg, cpu_backend<float>, dis>;

egscit::image_source images(std::size_t n, unsigned salt) {
  return {n, [salt](std::size_t i) {
            io::image img(16, 16, 3);
            std::mt19937 g(unsigned(i) * 7919u + salt);
            for (auto& p : img.pixels) p = std::uint8_t(g() % 256);
            return img;
          }};
}

egscit::train_options options(int batch, std::uint64_t seed) {
  egscit::train_options o;
  o.batch = batch;
  o.iterations = 10;
  o.g_updates = 2;
  o.seed = seed;
  o.transfer.eps = 1e-5;
  o.log_every = 0;
  o.noise_train = false;
  o.augment = false;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dist_ddp_egscit)

BOOST_AUTO_TEST_CASE(stage2_two_ranks_of_batch_1_equal_one_process_of_batch_2) {
  const auto c = ddp_test::job();
  const int rank = c->rank(), world = c->world_size();
  const auto quiet = [](const std::string&) {};
  const auto a = images(8, 11), b = images(8, 23);
  stage2 dp_trainer(options(1, 5), quiet);
  dp_trainer.allow_untrained_feature_masks();
  stage2 reference(options(world, 5), quiet);
  reference.allow_untrained_feature_masks();
  if (rank != 0)
    for (const auto* o : {&dp_trainer.generator_optimizer(), &dp_trainer.discriminator_optimizer()})
      for (const auto& p : o->params())
        for (float& v : p.value.values()) v = 1.5f * v + 0.01f;
  dp_trainer.set_data_parallel(std::make_shared<dist::data_parallel>(c));
  for (int it = 0; it < 3; ++it) {
    const auto r = dp_trainer.step(a, b);
    const auto ref = reference.step(a, b);
    double mine[3] = {r.d, r.g, r.recon};
    c->all_reduce(std::span<double>(mine), dist::reduce_op::average);
    BOOST_TEST_CONTEXT("iteration " << it) {
      BOOST_TEST(std::abs(mine[0] - ref.d) <= 1e-5 * std::max(std::abs(ref.d), 1e-3));
      BOOST_TEST(std::abs(mine[1] - ref.g) <= 1e-5 * std::max(std::abs(ref.g), 1e-3));
      BOOST_TEST(std::abs(mine[2] - ref.recon) <= 1e-5 * std::max(std::abs(ref.recon), 1e-3));
    }
  }
  ddp_test::require_same("stage 2 G", rank, dp_trainer.generator_optimizer().params(),
                         reference.generator_optimizer().params());
  ddp_test::require_same("stage 2 D", rank, dp_trainer.discriminator_optimizer().params(),
                         reference.discriminator_optimizer().params(), /*compare_gradients=*/false);
}

/// Each D and G step runs many backward calls through the trainer's models (EGSC-IT: E_A, E_B, S with
/// the shared blocks, G_A, G_B and both D's); the loop announces its list before the first
/// (expect_step), the first step of each list counts the calls, and from the next one every bucket
/// starts inside a backward call. The weights equal the after-backward path's bit for bit (the same
/// gradients, summed over two ranks: a + b either way). `make(o)` builds a trainer.
template <class Make>
void check_buckets_start_during_backward(const char* what, const egscit::train_options& o, Make&& make) {
  const auto c = ddp_test::job();
  const auto a = images(8, 11), b = images(8, 23);
  auto overlapped = make(o), after = make(o);
  auto dp = std::make_shared<dist::data_parallel>(c, dist::data_parallel_options{.bucket_bytes = 2048});
  overlapped->set_data_parallel(dp);
  after->set_data_parallel(std::make_shared<dist::data_parallel>(
      c, dist::data_parallel_options{.bucket_bytes = 2048, .overlap_with_backward = false}));
  // Iteration 1: D's first step and G's first step count; G's second step overlaps.
  overlapped->step(a, b);
  after->step(a, b);
  const auto counted = dp->buckets_reduced(), started = dp->buckets_started_in_backward();
  BOOST_TEST(started > 0, what);
  for (int it = 1; it < 3; ++it) {
    overlapped->step(a, b);
    after->step(a, b);
  }
  // Iterations 2 and 3: every bucket started during a backward call.
  BOOST_TEST(dp->buckets_started_in_backward() - started == dp->buckets_reduced() - counted, what);
  BOOST_TEST_MESSAGE("rank " << c->rank() << ": " << what << ": " << dp->buckets_reduced() - counted
                             << " buckets in iterations 2-3, " << dp->buckets_started_in_backward() - started
                             << " started during backward");
  for (auto [x, y] : {std::pair{&overlapped->generator_optimizer(), &after->generator_optimizer()},
                      std::pair{&overlapped->discriminator_optimizer(), &after->discriminator_optimizer()}}) {
    const auto px = x->params(), py = y->params();
    BOOST_REQUIRE_EQUAL(px.size(), py.size());
    for (std::size_t k = 0; k < px.size(); ++k) {
      const auto vx = px[k].value.values(), vy = py[k].value.values();
      BOOST_TEST_CONTEXT(what << " " << px[k].name) { BOOST_TEST(std::equal(vx.begin(), vx.end(), vy.begin())); }
    }
  }
}

BOOST_AUTO_TEST_CASE(stage2_buckets_start_during_backward_from_the_second_step) {
  check_buckets_start_during_backward("EGSC-IT stage 2", options(1, 5), [](const egscit::train_options& o) {
    auto t = std::make_unique<stage2>(o, [](const std::string&) {});
    t->allow_untrained_feature_masks();
    return t;
  });
}

BOOST_AUTO_TEST_CASE(stage1_and_baselines_buckets_start_during_backward_from_the_second_step) {
  // The same loop with the other trainers' models: stage 1's VAE-GAN parts, CycleGAN's two generators,
  // MUNIT's encoders, MLP and decoder (networks of several models, watched through for_each_model).
  const auto quiet = [](const std::string&) {};
  check_buckets_start_during_backward("EGSC-IT stage 1", options(1, 5), [&](const egscit::train_options& o) {
    return std::make_unique<egscit::stage1_trainer<cfg, cpu_backend<float>, dis>>(o, quiet);
  });
  check_buckets_start_during_backward("CycleGAN", egscit::with_model(options(1, 5), egscit::model_kind::cyclegan),
                                      [&](const egscit::train_options& o) {
                                        return std::make_unique<egscit::cyclegan_trainer<cfg, cpu_backend<float>, dis>>(o, quiet);
                                      });
  check_buckets_start_during_backward("MUNIT", egscit::with_model(options(1, 5), egscit::model_kind::munit),
                                      [&](const egscit::train_options& o) {
                                        return std::make_unique<egscit::munit_trainer<cfg, cpu_backend<float>, dis, 8, 4>>(o, quiet);
                                      });
}

BOOST_AUTO_TEST_CASE(stage2_logged_losses_are_the_ranks_mean) {
  // At a logged iteration every rank's step() returns the mean over the ranks, which is what one process
  // with the whole batch reports: no averaging by the caller.
  const auto c = ddp_test::job();
  const auto quiet = [](const std::string&) {};
  const auto a = images(8, 11), b = images(8, 23);
  auto per_rank = options(1, 9), whole = options(c->world_size(), 9);
  per_rank.log_every = whole.log_every = 1;
  stage2 dp_trainer(per_rank, quiet);
  dp_trainer.allow_untrained_feature_masks();
  stage2 reference(whole, quiet);
  reference.allow_untrained_feature_masks();
  dp_trainer.set_data_parallel(std::make_shared<dist::data_parallel>(c));
  for (int it = 0; it < 2; ++it) {
    const auto r = dp_trainer.step(a, b);
    const auto ref = reference.step(a, b);
    BOOST_TEST_CONTEXT("rank " << c->rank() << ", iteration " << it) {
      BOOST_TEST(std::abs(r.d - ref.d) <= 1e-5 * std::max(std::abs(ref.d), 1e-3));
      BOOST_TEST(std::abs(r.g - ref.g) <= 1e-5 * std::max(std::abs(ref.g), 1e-3));
      BOOST_TEST(std::abs(r.recon - ref.recon) <= 1e-5 * std::max(std::abs(ref.recon), 1e-3));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
