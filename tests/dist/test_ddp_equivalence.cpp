// Data-parallel pix2pixHD under mpirun -np 2: three iterations with batch 1 per rank (each rank its
// shard of the shuffled data set) give the same weights and (rank-averaged) losses as one process with
// batch 2, within 1e-5 relative. Instance norm is per sample, so the mean gradient over the two ranks is
// the full batch's. Every rank also runs the single-process reference itself, so nothing crosses files.
// Rank 1 initialises from another seed: the start-up broadcast must replace its weights by rank 0's.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "../unit/pix2pixhd_trainer/tiny_data.hpp"
#include "ddp_compare.hpp"
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/dist/data_parallel.hpp"
#include "i2i/dist/launch.hpp"
#include "i2i/recipes/pix2pixhd/trainer.hpp"

using namespace i2i;
using ddp_test::job;
using ddp_test::require_same;
namespace p = i2i::pix2pixhd;

namespace {

template <class Cfg>
void check_equivalence() {
  const auto c = job();
  const int world = c->world_size(), rank = c->rank();
  p2p_test::temp_dir tmp("ddp_" + std::to_string(rank));  // same content on every rank (same seed)
  p2p_test::write_tiny_set(tmp.str() + "/data", 8, 32, 16);
  auto o = p2p_test::tiny_options(tmp.str() + "/data", tmp.str() + "/ck");
  o.batch_size = 1;
  o.instance_feat = Cfg::feat;
  auto o_rank = o;
  o_rank.seed = o.seed + std::uint64_t(rank) * 17;  // rank 1 starts from other weights
  p::trainer<Cfg> dp_trainer(o_rank);
  dp_trainer.set_data_parallel(std::make_shared<dist::data_parallel>(c));
  p::trainer<Cfg> reference(o);

  data::aligned_dataset ds(o.data);
  data::batch_loader mine(ds, {.batch_size = 1, .seed = 3, .world_size = world, .rank = rank});
  data::batch_loader whole(ds, {.batch_size = world, .seed = 3});
  for (std::size_t b = 0; b < 3; ++b) {
    const auto part = mine.load(1, b);
    const auto all = whole.load(1, b);
    BOOST_REQUIRE(part.indices.size() == 1);
    BOOST_REQUIRE(part.indices[0] == all.indices[std::size_t(rank)]);
    const auto rec = dp_trainer.data_parallel()->average(dp_trainer.step(part));
    const auto ref = reference.step(all);
    for (const auto& [k, v] : ref.items()) {
      BOOST_TEST_CONTEXT("iteration " << b << ", loss " << k) {
        BOOST_TEST(std::abs(rec[k] - v) <= 1e-5 * std::max(std::abs(v), 1e-3));
      }
    }
  }
  require_same(Cfg::feat ? "G + E" : "G", rank, dp_trainer.g_optimizer().params(), reference.g_optimizer().params());
  require_same("D", rank, dp_trainer.d_optimizer().params(), reference.d_optimizer().params());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dist_ddp_equivalence)

BOOST_AUTO_TEST_CASE(pix2pixhd_global_two_ranks_of_batch_1_equal_one_process_of_batch_2) {
  check_equivalence<p::config<p::tiny_preset, false, 4, false>>();
}

BOOST_AUTO_TEST_CASE(pix2pixhd_with_feature_encoder_two_ranks_equal_one_process) {
  check_equivalence<p::config<p::tiny_preset, false, 4, true>>();
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
