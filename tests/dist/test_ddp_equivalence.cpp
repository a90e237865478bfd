// Data-parallel pix2pixHD under mpirun -np 2 on the CPU: two ranks of batch 1 equal one process of batch 2
// (ddp_pix2pixhd.hpp, which gpu_nccl_ranks runs on CUDA too), the overlapped reduction equals the
// after-backward one, and only rank 0 writes checkpoints.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "../unit/pix2pixhd_trainer/tiny_data.hpp"
#include "ddp_compare.hpp"
#include "ddp_pix2pixhd.hpp"
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/dist/data_parallel.hpp"
#include "i2i/dist/launch.hpp"
#include "i2i/recipes/pix2pixhd/trainer.hpp"

using namespace i2i;
using ddp_test::job;
namespace p = i2i::pix2pixhd;

BOOST_AUTO_TEST_SUITE(dist_ddp_equivalence)

BOOST_AUTO_TEST_CASE(pix2pixhd_global_two_ranks_of_batch_1_equal_one_process_of_batch_2) {
  ddp_test::check_pix2pixhd_equivalence<p::config<p::tiny_preset, false, 4, false>, cpu_backend<float>>(job(), "ddp");
}

BOOST_AUTO_TEST_CASE(pix2pixhd_with_feature_encoder_two_ranks_equal_one_process) {
  ddp_test::check_pix2pixhd_equivalence<p::config<p::tiny_preset, false, 4, true>, cpu_backend<float>>(job(), "ddp");
}

// The overlapped all-reduce (buckets started from G's and D's backward) against the after-backward one
// (overlap_with_backward = false): the same collectives over the same bytes, so the same weights and
// gradients bit for bit, with small buckets so that several are in flight.
template <class Cfg>
void check_overlap_is_the_after_backward_reduction() {
  const auto c = job();
  const int world = c->world_size(), rank = c->rank();
  p2p_test::temp_dir tmp("ddp_overlap_" + std::to_string(rank));
  p2p_test::write_tiny_set(tmp.str() + "/data", 4, 32, 16);
  auto o = p2p_test::tiny_options(tmp.str() + "/data", tmp.str() + "/ck");
  o.batch_size = 1;
  o.instance_feat = Cfg::feat;
  p::trainer<Cfg> overlapped(o), after(o);
  const std::size_t bucket = 16 << 10;
  auto dp = std::make_shared<dist::data_parallel>(c, dist::data_parallel_options{.bucket_bytes = bucket});
  overlapped.set_data_parallel(dp);
  after.set_data_parallel(std::make_shared<dist::data_parallel>(
      c, dist::data_parallel_options{.bucket_bytes = bucket, .overlap_with_backward = false}));
  data::aligned_dataset ds(o.data);
  data::batch_loader mine(ds, {.batch_size = 1, .seed = 3, .world_size = world, .rank = rank});
  for (std::size_t b = 0; b < 2; ++b) {
    const auto batch = mine.load(1, b);
    const auto ra = overlapped.step(batch), rb = after.step(batch);
    for (const auto& [k, v] : rb.items()) BOOST_TEST(ra[k] == v);
  }
  BOOST_TEST_MESSAGE("rank " << rank << ": " << dp->buckets_reduced() << " buckets, "
                             << dp->buckets_started_in_backward() << " started during backward");
  BOOST_TEST(dp->buckets_reduced() == after.data_parallel()->buckets_reduced());
  BOOST_TEST(dp->buckets_started_in_backward() > dp->buckets_reduced() / 2);
  auto same = [](const auto& pa, const auto& pb) {
    BOOST_REQUIRE_EQUAL(pa.size(), pb.size());
    for (std::size_t k = 0; k < pa.size(); ++k)
      BOOST_TEST_CONTEXT(pa[k].name) {
        BOOST_TEST(std::equal(pa[k].value.data(), pa[k].value.data() + pa[k].value.numel(), pb[k].value.data()));
        BOOST_TEST(std::equal(pa[k].grad.data(), pa[k].grad.data() + pa[k].grad.numel(), pb[k].grad.data()));
      }
  };
  same(overlapped.g_optimizer().params(), after.g_optimizer().params());
  same(overlapped.d_optimizer().params(), after.d_optimizer().params());
}

BOOST_AUTO_TEST_CASE(overlapped_all_reduce_equals_the_after_backward_one_bit_for_bit) {
  check_overlap_is_the_after_backward_reduction<p::config<p::tiny_preset, false, 4, false>>();
  check_overlap_is_the_after_backward_reduction<p::config<p::tiny_preset, false, 4, true>>();
}

BOOST_AUTO_TEST_CASE(only_rank_0_writes_checkpoints) {
  const auto c = job();
  p2p_test::temp_dir tmp("ddp_save_" + std::to_string(c->rank()));
  p2p_test::write_tiny_set(tmp.str() + "/data", 2, 32, 16);
  auto o = p2p_test::tiny_options(tmp.str() + "/data", tmp.str() + "/ck");
  p::trainer<p::config<p::tiny_preset, false, 4, false>> t(o);
  t.set_data_parallel(std::make_shared<dist::data_parallel>(c));
  t.save("latest");
  BOOST_TEST(std::filesystem::exists(t.path("latest", "net_G")) == c->is_root());
}

BOOST_AUTO_TEST_SUITE_END()
