// pix2pixHD trainer over epochs: the lr schedule on both optimizers, global-then-local staged training
// (G1 loaded from a global run, frozen until niter_fix_global, then trained by a NEW optimizer at the
// schedule's lr), exact resume, and bad data named by file.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/recipes/pix2pixhd/trainer.hpp"
#include "support/gradcheck.hpp"
#include "tiny_data.hpp"

using namespace i2i;
namespace p = i2i::pix2pixhd;

namespace {

using tiny_global = p::config<p::tiny_preset, false, 4, false>;
using tiny_local = p::config<p::tiny_preset, true, 4, false>;

template <class Model>
std::map<std::string, tensor<float>> snapshot(const Model& m) {
  std::map<std::string, tensor<float>> s;
  for (const auto& q : m.all_parameters()) s[q->name] = q->value.clone();
  return s;
}

bool is_g1(const std::string& name) { return name.rfind("model.", 0) == 0; }

}  // namespace

BOOST_AUTO_TEST_SUITE(pix2pixhd_trainer)

BOOST_AUTO_TEST_CASE(lr_is_constant_for_niter_epochs_then_decays_linearly_on_both_optimizers) {
  p2p_test::temp_dir tmp("p2phd_lr");
  p2p_test::write_tiny_set(tmp.str() + "/data", 1, 32, 16);
  auto o = p2p_test::tiny_options(tmp.str() + "/data", tmp.str() + "/ck");
  o.niter = 2;
  o.niter_decay = 4;
  o.lr = 1e-3;
  p::trainer<tiny_global> t(o);
  const double expected[] = {1e-3, 1e-3, 1e-3, 0.75e-3, 0.5e-3, 0.25e-3};
  for (int e = 1; e <= 6; ++e) {
    BOOST_TEST_INFO("epoch " << e);
    BOOST_TEST(t.epoch() == e);
    BOOST_TEST(t.g_optimizer().lr() == expected[e - 1], boost::test_tools::tolerance(1e-12));
    BOOST_TEST(t.d_optimizer().lr() == expected[e - 1], boost::test_tools::tolerance(1e-12));
    t.end_epoch();
  }
  BOOST_TEST(t.finished());
}

BOOST_AUTO_TEST_CASE(local_enhancer_starts_from_a_global_run_with_g1_frozen_then_trains_all_of_g) {
  p2p_test::temp_dir tmp("p2phd_stage");
  p2p_test::write_tiny_set(tmp.str() + "/data", 1, 32, 16);
  // Stage 1: a global G, saved as 'latest'.
  auto og = p2p_test::tiny_options(tmp.str() + "/data", tmp.str() + "/ck");
  og.name = "global";
  std::map<std::string, tensor<float>> global_g;
  {
    p::trainer<tiny_global> g(og);
    data::aligned_dataset ds(g.options().data);
    data::batch_loader loader(ds, {.batch_size = 1, .seed = 1});
    g.step(loader.load(1, 0));
    g.save("latest");
    global_g = snapshot(g.G());
  }
  // Stage 2: local, niter_fix_global 3 with niter 2 + niter_decay 2, so the unfreezing happens in the
  // decay phase: the new optimizer must get lr_at(4) = lr0 / 2, not lr0 (the reference's bug).
  auto ol = og;
  ol.name = "local";
  ol.netG = "local";
  ol.niter = 2;
  ol.niter_decay = 2;
  ol.niter_fix_global = 3;
  p::trainer<tiny_local> t(ol);
  const std::string report = t.load_pretrain(tmp.str() + "/ck/global");
  BOOST_TEST_MESSAGE(report);
  BOOST_TEST(report.find("model.") != std::string::npos);  // the global's last conv is reported unexpected
  std::size_t g1 = 0;
  for (const auto& q : t.G().all_parameters())
    if (is_g1(q->name)) {
      ++g1;
      BOOST_TEST_INFO(q->name);
      BOOST_TEST(test::max_abs_diff(q->value, global_g.at(q->name)) == 0);
    }
  BOOST_TEST(g1 > 0);
  BOOST_TEST(t.global_fixed());
  for (const auto& q : t.g_optimizer().params()) BOOST_TEST(q.name.rfind("model1_", 0) == 0);

  data::aligned_dataset ds(t.options().data);
  data::batch_loader loader(ds, {.batch_size = 1, .seed = 1});
  for (int e = 1; e <= 3; ++e) {
    const auto before = snapshot(t.G());
    t.step(loader.load(std::uint64_t(e), 0));
    for (const auto& q : t.G().all_parameters()) {
      const bool moved = test::max_abs_diff(q->value, before.at(q->name)) > 0;
      BOOST_TEST_INFO("epoch " << e << " " << q->name);
      BOOST_TEST(moved == !is_g1(q->name));  // G1 untouched, every enhancer parameter updated
    }
    t.end_epoch();
  }
  // Epoch 4: all of G in a fresh optimizer at the scheduled rate.
  BOOST_TEST(!t.global_fixed());
  BOOST_TEST(t.g_optimizer().params().size() == t.G().all_parameters().size());
  BOOST_TEST(t.g_optimizer().steps() == 0);
  BOOST_TEST(t.g_optimizer().lr() == 1e-4, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(t.d_optimizer().lr() == 1e-4, boost::test_tools::tolerance(1e-12));
  const auto before = snapshot(t.G());
  t.step(loader.load(4, 0));
  for (const auto& q : t.G().all_parameters()) {
    BOOST_TEST_INFO("epoch 4 " << q->name);
    BOOST_TEST(test::max_abs_diff(q->value, before.at(q->name)) > 0);
  }
}

BOOST_AUTO_TEST_CASE(resume_continues_with_the_losses_of_an_uninterrupted_run) {
  p2p_test::temp_dir tmp("p2phd_resume");
  p2p_test::write_tiny_set(tmp.str() + "/data", 3, 32, 16);
  auto o = p2p_test::tiny_options(tmp.str() + "/data", tmp.str() + "/ck");
  o.pool_size = 2;  // the pool's images and generator state must survive the restart
  o.niter = 1;
  o.niter_decay = 2;  // lr changes at the epoch boundary crossed below
  o.batch_size = 1;
  data::dataset_options dopt = o.data;
  dopt.transform.n_downsample_global = 2;
  data::aligned_dataset ds(dopt);
  data::batch_loader loader(ds, {.batch_size = 1, .seed = o.seed});
  const int K = 8;  // 3 batches per epoch: the split at 4 is mid-epoch 2

  std::vector<double> straight;
  {
    auto oa = o;
    oa.name = "straight";
    oa.max_iterations = K;
    p::trainer<tiny_global> t(oa);
    t.run(loader, [&](const auto&, const train::step_record& r) { straight.push_back(r["G"] + 1000 * r["D"]); });
  }
  BOOST_REQUIRE(straight.size() == std::size_t(K));
  std::vector<double> split;
  auto ob = o;
  ob.name = "split";
  ob.max_iterations = K / 2;
  {
    p::trainer<tiny_global> t(ob);
    t.run(loader, [&](const auto&, const train::step_record& r) { split.push_back(r["G"] + 1000 * r["D"]); });
    BOOST_TEST(t.epoch() == 2);
    BOOST_TEST(t.pool().size() == 2);
    t.save("latest");
  }
  {
    ob.continue_train = true;
    p::trainer<tiny_global> t(ob);
    t.resume();
    BOOST_TEST(t.epoch() == 2);
    BOOST_TEST(t.epoch_iter() == 1);
    BOOST_TEST(t.total_iterations() == K / 2);
    t.run(loader, [&](const auto&, const train::step_record& r) { split.push_back(r["G"] + 1000 * r["D"]); });
  }
  BOOST_REQUIRE(split.size() == std::size_t(K));
  for (int i = 0; i < K; ++i) {
    BOOST_TEST_INFO("iteration " << i);
    BOOST_TEST(split[std::size_t(i)] == straight[std::size_t(i)], boost::test_tools::tolerance(1e-5));
  }
  // A resume with other options is refused by name.
  auto oc = ob;
  oc.seed = 99;
  p::trainer<tiny_global> other(oc);
  test::expect_error<value_error>([&] { other.resume(); }, {"seed", "5", "99"});
}

BOOST_AUTO_TEST_CASE(bad_data_is_named_by_file) {
  p2p_test::temp_dir tmp("p2phd_bad");
  p2p_test::write_tiny_set(tmp.str() + "/data", 2, 32, 16, 1, /*bad_label_at*/ 1);
  auto o = p2p_test::tiny_options(tmp.str() + "/data", tmp.str() + "/ck");
  p::trainer<tiny_global> t(o);
  data::aligned_dataset ds(t.options().data);
  data::batch_loader loader(ds, {.batch_size = 1, .shuffle = false, .seed = 1});
  // Through the trainer's own loop: the label out of range is named with its file, value and pixel.
  test::expect_error<value_error>([&] { t.run(loader); }, {"s101.png", "label 7", "label_nc = 3"});
  BOOST_TEST(t.total_iterations() == 1);  // the good first sample was trained on
  // A batch whose size the generator cannot keep (18 is not a multiple of 2^2) names its file.
  data::batch b;
  b.label = tensor<float>::zeros(shape::nchw(1, 1, 18, 32));
  b.inst = tensor<float>::zeros(shape::nchw(1, 1, 18, 32));
  b.image = tensor<float>::zeros(shape::nchw(1, 3, 18, 32));
  b.label_paths = {"odd_size.png"};
  test::expect_error<shape_error>([&] { t.step(b); }, {"odd_size.png", "18x32", "not divisible by 4"});
}

BOOST_AUTO_TEST_SUITE_END()
