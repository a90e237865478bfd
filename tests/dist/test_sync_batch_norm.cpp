// Synchronised batch norm under mpirun -np 2 (dist::sync_batch_norm): the segmentation oracle's U-Net
// (batch norm after every conv) with batch 1 per rank trains as one process with batch 2 — losses within
// 1e-5 relative, weights, averaged gradients and the running statistics within 1e-5 — where per-rank
// statistics (the default, DDP's) already differ in the first loss.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ddp_compare.hpp"
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/dist/data_parallel.hpp"
#include "i2i/dist/sync_batch_norm.hpp"
#include "i2i/models/segmentation/unet.hpp"
#include "i2i/recipes/segmentation/trainer.hpp"

using namespace i2i;
using ddp_test::job;
using ddp_test::require_same;

namespace {

using net = segmentation::unet<3, 4, 4, 2>;
using trainer = segmentation::trainer<net, cpu_backend<float>>;

/// Batch `b` of 2 samples (3 x 16 x 16 images, 4 classes): the same on every rank.
std::pair<tensor<float>, tensor<float>> batch(int b) {
  std::mt19937 r(17u + unsigned(b));
  auto images = tensor<float>::empty(shape::nchw(2, 3, 16, 16));
  auto labels = tensor<float>::empty(shape::nchw(2, 1, 16, 16));
  for (std::int64_t i = 0; i < images.numel(); ++i) images.data()[i] = float(int(r() % 2001u) - 1000) / 1000.0f;
  for (std::int64_t i = 0; i < labels.numel(); ++i) labels.data()[i] = float(r() % 4u);
  return {images, labels};
}

/// Sample k of a batch, as a batch of 1.
tensor<float> sample(const tensor<float>& t, int k) {
  const std::int64_t per = t.numel() / t.n();
  auto s = tensor<float>::empty(shape::nchw(1, t.c(), t.h(), t.w()));
  std::copy_n(t.data() + k * per, per, s.data());
  return s;
}

double ranks_mean(double v) {
  job()->all_reduce(std::span<double>(&v, 1), dist::reduce_op::average);
  return v;
}

/// The batch norm buffers whose name contains `which` ("running_" for both), as parameters whose
/// "gradient" is their value, for require_same.
std::vector<optim::param_ref<float>> running_statistics(const trainer& t, const std::string& which) {
  std::vector<optim::param_ref<float>> r;
  for (const auto& p : t.net().all_parameters())
    if (!p->trainable() && p->name.find(which) != std::string::npos) r.push_back({p->name, p->value, p->value});
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dist_sync_batch_norm)

BOOST_AUTO_TEST_CASE(unet_two_ranks_of_batch_1_with_sync_bn_equal_one_process_of_batch_2) {
  const auto c = job();
  const int rank = c->rank();
  trainer synced, per_rank, reference;
  auto dp = std::make_shared<dist::data_parallel>(c);
  dp->attach(synced, synced.net());
  dist::sync_batch_norm(synced.net(), c);
  BOOST_TEST(synced.net().batch_norm_synchronised());
  dist::data_parallel dp_per_rank(c);
  dp_per_rank.attach(per_rank, per_rank.net());
  for (int b = 0; b < 3; ++b) {
    const auto [images, labels] = batch(b);
    const double mine = ranks_mean(synced.step(sample(images, rank), sample(labels, rank)).loss);
    const double apart = ranks_mean(per_rank.step(sample(images, rank), sample(labels, rank)).loss);
    const double whole = reference.step(images, labels).loss;
    BOOST_TEST_MESSAGE("rank " << rank << " step " << b << ": one process " << whole << ", 2 ranks with sync BN "
                               << mine << " (relative difference " << std::abs(mine - whole) / std::abs(whole)
                               << "), per-rank BN " << apart);
    BOOST_TEST(std::abs(mine - whole) <= 1e-5 * std::abs(whole));
    if (b == 0) {
      BOOST_TEST(std::abs(apart - whole) > 1e-4 * std::abs(whole));  // what sync BN is for
      // After one forward from the same weights: the job's statistics are the batch's.
      require_same("running statistics after step 1", rank, running_statistics(synced, "running_"),
                   running_statistics(reference, "running_"));
    }
  }
  BOOST_TEST(dp->buckets_started_in_backward() > 0);
  require_same("U-Net", rank, synced.optimizer().params(), reference.optimizer().params(), true,
               synced.optimizer().options().lr * 3);  // Adam, 3 steps (ddp_compare.hpp)
  // Later running means carry the bias of the conv before each batch norm: a zero-true-gradient
  // parameter that Adam moves by ~lr on rounding noise, differently in the two runs (ddp_compare.hpp).
  require_same("running variances", rank, running_statistics(synced, "running_var"),
               running_statistics(reference, "running_var"));
}

BOOST_AUTO_TEST_SUITE_END()
