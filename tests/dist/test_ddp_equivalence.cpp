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
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/dist/data_parallel.hpp"
#include "i2i/dist/launch.hpp"
#include "i2i/models/pix2pixhd/trainer.hpp"

using namespace i2i;
namespace p = i2i::pix2pixhd;

namespace {

std::shared_ptr<dist::communicator> job() {
  static auto c = dist::world();
  return c;
}

/// max over parameters of |a - b| / max(|b|_inf, 1e-3): a relative difference that tiny weights
/// (biases near 0) cannot inflate.
template <class Model>
double max_rel_diff(const Model& a, const Model& b, std::string& worst) {
  double m = 0;
  const auto& pa = a.all_parameters();
  const auto& pb = b.all_parameters();
  for (std::size_t k = 0; k < pa.size(); ++k) {
    double diff = 0, scale = 1e-3;
    for (std::int64_t i = 0; i < pa[k]->value.numel(); ++i) {
      diff = std::max(diff, std::abs(double(pa[k]->value.data()[i]) - double(pb[k]->value.data()[i])));
      scale = std::max(scale, std::abs(double(pb[k]->value.data()[i])));
    }
    if (diff / scale > m) {
      m = diff / scale;
      worst = pa[k]->name;
    }
  }
  return m;
}

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
  std::string worst;
  const double g = max_rel_diff(dp_trainer.G(), reference.G(), worst);
  BOOST_TEST_MESSAGE("rank " << rank << ": G max relative difference " << g << " (" << worst << ")");
  BOOST_TEST(g <= 1e-5);
  const double d = max_rel_diff(dp_trainer.D(), reference.D(), worst);
  BOOST_TEST_MESSAGE("rank " << rank << ": D max relative difference " << d << " (" << worst << ")");
  BOOST_TEST(d <= 1e-5);
  if constexpr (Cfg::feat) {
    const double e = max_rel_diff(*dp_trainer.E(), *reference.E(), worst);
    BOOST_TEST_MESSAGE("rank " << rank << ": E max relative difference " << e << " (" << worst << ")");
    BOOST_TEST(e <= 1e-5);
  }
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
