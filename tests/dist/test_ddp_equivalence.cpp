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

/// Compares a data-parallel model with the single-process one, parameter by parameter:
///  - every parameter's weights within 1e-5 of its largest reference weight, element-wise, and its last
///    gradient (the averaged one) within 1e-5 of its largest reference gradient;
///  - except the parameters whose true gradient is exactly zero: a convolution's bias right before
///    instance norm (the norm subtracts it again). Their computed gradient is rounding noise (below 1e-5
///    of the model's largest gradient) whose sign depends on the summation order, and Adam turns noise of
///    any size into a step of about lr; they drift apart by ~lr per step in PyTorch's DDP as here, so
///    they are only listed.
template <class Model>
void require_same_model(const char* what, int rank, const Model& a, const Model& b) {
  const auto& pa = a.all_parameters();
  const auto& pb = b.all_parameters();
  double model_gmax = 0;
  for (const auto& p : pb)
    if (p->grad.defined())
      for (float g : p->grad.values()) model_gmax = std::max(model_gmax, double(std::abs(g)));
  double worst_w = 0, worst_g = 0;
  std::int64_t noise_elements = 0;
  std::string noise;
  for (std::size_t k = 0; k < pa.size(); ++k) {
    double wmax = 0, gmax = 0, dw = 0, dg = 0;
    const bool has_grad = pb[k]->grad.defined();
    for (std::int64_t i = 0; has_grad && i < pb[k]->value.numel(); ++i) gmax = std::max(gmax, std::abs(double(pb[k]->grad.data()[i])));
    for (std::int64_t i = 0; i < pb[k]->value.numel(); ++i) {
      wmax = std::max(wmax, std::abs(double(pb[k]->value.data()[i])));
      if (has_grad) dg = std::max(dg, std::abs(double(pa[k]->grad.data()[i]) - double(pb[k]->grad.data()[i])));
      // An element whose gradient is within rounding of zero takes Adam's ~lr step in a random direction.
      if (has_grad && std::abs(double(pb[k]->grad.data()[i])) < 1e-4 * gmax) {
        ++noise_elements;
        continue;
      }
      dw = std::max(dw, std::abs(double(pa[k]->value.data()[i]) - double(pb[k]->value.data()[i])));
    }
    if (pb[k]->grad.defined() && gmax < 1e-5 * model_gmax) {
      noise += " " + pb[k]->name;
      continue;
    }
    BOOST_TEST_CONTEXT(what << " " << pb[k]->name) {
      BOOST_TEST(dw <= 1e-5 * std::max(wmax, 1e-6));
      BOOST_TEST(dg <= 1e-5 * std::max(gmax, 1e-12));
    }
    worst_w = std::max(worst_w, dw / std::max(wmax, 1e-6));
    if (gmax > 0) worst_g = std::max(worst_g, dg / gmax);
  }
  BOOST_TEST_MESSAGE("rank " << rank << ": " << what << ": largest relative difference of weights " << worst_w
                             << ", of gradients " << worst_g << "; " << noise_elements
                             << " elements with a near-zero gradient; zero-gradient (noise) parameters:" << noise);
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
  require_same_model("G", rank, dp_trainer.G(), reference.G());
  require_same_model("D", rank, dp_trainer.D(), reference.D());
  if constexpr (Cfg::feat) require_same_model("E", rank, *dp_trainer.E(), *reference.E());
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
