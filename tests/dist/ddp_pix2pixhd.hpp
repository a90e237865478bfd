#pragma once
// pix2pixHD's data-parallel equivalence on any backend: three iterations with batch 1 per rank (each rank
// its shard of the shuffled data set) give the same weights and (rank-averaged) losses as one process with
// batch = world size, within 1e-5 relative. Instance norm is per sample, so the mean gradient over the
// ranks is the full batch's. Every rank also runs the single-process reference itself, so nothing
// crosses files. Rank 1 initialises from another seed: the start-up broadcast must replace its weights
// by rank 0's. dist_ddp_equivalence runs it on the CPU over MPI, gpu_nccl_ranks on CUDA over NCCL.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "../unit/pix2pixhd_trainer/tiny_data.hpp"
#include "ddp_compare.hpp"
#include "i2i/dist/data_parallel.hpp"
#include "i2i/recipes/pix2pixhd/trainer.hpp"

namespace ddp_test {

/// Host copies of an optimizer's parameters (the tensors themselves on the CPU backend).
template <class B>
std::vector<optim::param_ref<float>> on_host(const std::vector<optim::param_ref<float>>& ps) {
  std::vector<optim::param_ref<float>> h;
  for (const auto& p : ps) h.push_back({p.name, B::to_host(p.value), B::to_host(p.grad)});
  return h;
}

/// The check above for configuration Cfg on backend B, over communicator `c` (a job of two or more ranks);
/// `tag` names this run's scratch folder.
template <class Cfg, class B>
void check_pix2pixhd_equivalence(const std::shared_ptr<dist::communicator>& c, const std::string& tag) {
  namespace p = i2i::pix2pixhd;
  const int world = c->world_size(), rank = c->rank();
  p2p_test::temp_dir tmp(tag + "_" + std::to_string(rank));  // same content on every rank (same seed)
  p2p_test::write_tiny_set(tmp.str() + "/data", 8, 32, 16);
  auto o = p2p_test::tiny_options(tmp.str() + "/data", tmp.str() + "/ck");
  o.batch_size = 1;
  o.instance_feat = Cfg::feat;
  auto o_rank = o;
  o_rank.seed = o.seed + std::uint64_t(rank) * 17;  // rank 1 starts from other weights
  p::trainer<Cfg, B> dp_trainer(o_rank);
  dp_trainer.set_data_parallel(std::make_shared<dist::data_parallel>(c));
  p::trainer<Cfg, B> reference(o);

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
  const double travel = o.lr * 3;  // Adam, 3 steps at the constant lr (ddp_compare.hpp)
  require_same(Cfg::feat ? "G + E" : "G", rank, on_host<B>(dp_trainer.g_optimizer().params()),
               on_host<B>(reference.g_optimizer().params()), true, travel);
  require_same("D", rank, on_host<B>(dp_trainer.d_optimizer().params()), on_host<B>(reference.d_optimizer().params()),
               true, travel);
}

}  // namespace ddp_test
