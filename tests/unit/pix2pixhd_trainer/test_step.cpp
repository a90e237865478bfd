// pix2pixHD trainer, one iteration on the tiny preset: losses finite and named as the reference's,
// every parameter of G, D (and E with --instance_feat) moved by the step, the VGG term wired in.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>
#include <string>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/recipes/pix2pixhd/trainer.hpp"
#include "support/gradcheck.hpp"
#include "tiny_data.hpp"

using namespace i2i;
namespace p = i2i::pix2pixhd;

namespace {

using tiny_global = p::config<p::tiny_preset, false, 4, false>;
using tiny_feat = p::config<p::tiny_preset, false, 4, true>;

template <class Model>
std::map<std::string, tensor<float>> snapshot(const Model& m) {
  std::map<std::string, tensor<float>> s;
  for (const auto& q : m.all_parameters()) s[q->name] = q->value.clone();
  return s;
}

/// Names of parameters whose values did not change at all.
template <class Model>
std::vector<std::string> unchanged(const Model& m, const std::map<std::string, tensor<float>>& before) {
  std::vector<std::string> r;
  for (const auto& q : m.all_parameters())
    if (test::max_abs_diff(q->value, before.at(q->name)) == 0) r.push_back(q->name);
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pix2pixhd_trainer)

BOOST_AUTO_TEST_CASE(one_step_updates_every_parameter_with_finite_losses) {
  p2p_test::temp_dir tmp("p2phd_step");
  p2p_test::write_tiny_set(tmp.str() + "/data", 2, 32, 16);
  auto o = p2p_test::tiny_options(tmp.str() + "/data", tmp.str() + "/ck");
  p::trainer<tiny_global> t(o);
  data::aligned_dataset ds(t.options().data);
  data::batch_loader loader(ds, {.batch_size = 2, .seed = 1});
  const auto g0 = snapshot(t.G());
  const auto d0 = snapshot(t.D());
  const auto rec = t.step(loader.load(1, 0));
  for (const char* k : {"G_GAN", "G_GAN_Feat", "D_real", "D_fake", "G", "D"}) {
    BOOST_TEST_INFO(k);
    BOOST_TEST(std::isfinite(rec[k]));
  }
  BOOST_TEST(!rec.contains("G_VGG"));
  BOOST_TEST(rec["G_GAN_Feat"] > 0);
  BOOST_TEST(rec["D"] == 0.5 * (rec["D_real"] + rec["D_fake"]), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(rec["G"] == rec["G_GAN"] + rec["G_GAN_Feat"], boost::test_tools::tolerance(1e-12));
  const auto ug = unchanged(t.G(), g0), ud = unchanged(t.D(), d0);
  for (const auto& n : ug) BOOST_ERROR("G parameter " << n << " did not change");
  for (const auto& n : ud) BOOST_ERROR("D parameter " << n << " did not change");
  BOOST_TEST(t.epoch_iter() == 1);
  BOOST_TEST(t.total_iterations() == 1);
  BOOST_TEST(t.g_optimizer().steps() == 1);
  BOOST_TEST(t.d_optimizer().steps() == 1);
  BOOST_TEST(t.lr() == 2e-4);
}

// set_step_runner: how pix2pixhd_train --cuda_graphs hands the step to cuda::graphed_step. The runner
// gets the trainer's gan_step and exactly what the trainer would pass it, so a runner that makes the
// plain call trains bit for bit as no runner; an empty runner restores the plain call.
BOOST_AUTO_TEST_CASE(a_step_runner_takes_every_step_with_the_trainer_s_arguments) {
  p2p_test::temp_dir tmp("p2phd_runner");
  p2p_test::write_tiny_set(tmp.str() + "/data", 2, 32, 16);
  const auto o = p2p_test::tiny_options(tmp.str() + "/data", tmp.str() + "/ck");
  p::trainer<tiny_global> plain(o), run(o);
  int calls = 0;
  run.set_step_runner([&](auto& step, const tensor<float>& in, const tensor<float>& real, const tensor<float>& cond) {
    ++calls;
    BOOST_TEST(&step == &run.gan_step());
    BOOST_TEST(cond.c() == tiny_global::label_channels);
    BOOST_TEST(in.c() == cond.c());  // no features: G's input is D's condition
    return step.step(in, real, cond);
  });
  data::aligned_dataset ds(plain.options().data);
  data::batch_loader loader(ds, {.batch_size = 2, .seed = 1});
  for (std::int64_t k = 0; k < 2; ++k) {
    const auto want = plain.step(loader.load(std::uint64_t(1 + k), 0));
    const auto got = run.step(loader.load(std::uint64_t(1 + k), 0));
    for (const auto& [name, v] : want.items()) BOOST_TEST(got[name] == v, name);
  }
  BOOST_TEST(calls == 2);
  for (const auto& q : plain.G().all_parameters())
    BOOST_TEST(test::max_abs_diff(q->value, run.G().parameter_named(q->name).value) == 0.0, q->name);
  run.set_step_runner({});
  (void)run.step(loader.load(1, 0));
  BOOST_TEST(calls == 2);
}

BOOST_AUTO_TEST_CASE(instance_features_train_the_encoder_and_no_ganfeat_drops_the_term) {
  p2p_test::temp_dir tmp("p2phd_feat");
  p2p_test::write_tiny_set(tmp.str() + "/data", 2, 32, 16);
  auto o = p2p_test::tiny_options(tmp.str() + "/data", tmp.str() + "/ck");
  o.instance_feat = true;
  o.no_ganFeat_loss = true;
  p::trainer<tiny_feat> t(o);
  BOOST_REQUIRE(t.E() != nullptr);
  data::aligned_dataset ds(t.options().data);
  data::batch_loader loader(ds, {.batch_size = 1, .seed = 1});
  const auto e0 = snapshot(*t.E());
  const auto g0 = snapshot(t.G());
  const auto rec = t.step(loader.load(1, 0));
  BOOST_TEST(!rec.contains("G_GAN_Feat"));
  BOOST_TEST(std::isfinite(rec["G_GAN"]));
  for (const auto& n : unchanged(*t.E(), e0)) BOOST_ERROR("E parameter " << n << " did not change");
  for (const auto& n : unchanged(t.G(), g0)) BOOST_ERROR("G parameter " << n << " did not change");
  // G's optimizer holds G's and E's parameters (the reference's params += netE.parameters()).
  BOOST_TEST(t.g_optimizer().params().size() == t.G().parameters().size() + t.E()->parameters().size());
}

BOOST_AUTO_TEST_CASE(vgg_loss_from_a_weights_file_and_a_missing_file_is_named) {
  p2p_test::temp_dir tmp("p2phd_vgg");
  p2p_test::write_tiny_set(tmp.str() + "/data", 1, 32, 16);
  {
    model<models::vgg19, cpu_backend<float>> vgg;
    initialize(vgg, init_policy::pix2pixhd(), 3);
    save_model(vgg, tmp.str() + "/vgg19.safetensors");
  }
  auto o = p2p_test::tiny_options(tmp.str() + "/data", tmp.str() + "/ck");
  o.no_vgg_loss = false;
  test::expect_error<value_error>([&] { p::trainer<tiny_global> t(o); }, {"--vgg_weights", "--no_vgg_loss"});
  o.vgg_weights = tmp.str() + "/nope.safetensors";
  test::expect_error<io_error>([&] { p::trainer<tiny_global> t(o); }, {"nope.safetensors"});
  o.vgg_weights = tmp.str() + "/vgg19.safetensors";
  p::trainer<tiny_global> t(o);
  data::aligned_dataset ds(t.options().data);
  data::batch_loader loader(ds, {.batch_size = 1, .seed = 1});
  const auto rec = t.step(loader.load(1, 0));
  BOOST_TEST(rec["G_VGG"] > 0);
  BOOST_TEST(rec["G"] == rec["G_GAN"] + rec["G_GAN_Feat"] + rec["G_VGG"], boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(perceptual_mobilenet_v2_replaces_vgg19_and_is_recorded) {
  p2p_test::temp_dir tmp("p2phd_mnv2");
  p2p_test::write_tiny_set(tmp.str() + "/data", 1, 32, 16);
  {
    model<models::mobilenet_v2, cpu_backend<float>> net;  // random weights: the wiring, not the values
    initialize(net, init_policy::pix2pixhd(), 3);
    save_model(net, tmp.str() + "/mobilenet_v2.safetensors");
  }
  auto o = p2p_test::tiny_options(tmp.str() + "/data", tmp.str() + "/ck");
  o.no_vgg_loss = false;
  o.perceptual = "mobilenet_v2";
  test::expect_error<value_error>([&] { p::trainer<tiny_global> t(o); }, {"--mobilenet_v2_weights", "fetch_mobilenet_v2.sh"});
  o.perceptual = "alexnet";
  test::expect_error<value_error>([&] { p::trainer<tiny_global> t(o); }, {"--perceptual", "alexnet"});
  o.perceptual = "mobilenet_v2";
  o.mobilenet_v2_weights = tmp.str() + "/mobilenet_v2.safetensors";
  p::trainer<tiny_global> t(o);
  BOOST_TEST(t.metadata().at("perceptual") == "mobilenet_v2");
  data::aligned_dataset ds(t.options().data);
  data::batch_loader loader(ds, {.batch_size = 1, .seed = 1});
  const auto rec = t.step(loader.load(1, 0));
  BOOST_TEST(!rec.contains("G_VGG"));
  BOOST_TEST(rec["G_MobileNetV2"] > 0);
  BOOST_TEST(rec["G"] == rec["G_GAN"] + rec["G_GAN_Feat"] + rec["G_MobileNetV2"], boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(options_that_the_preset_was_not_compiled_with_are_rejected) {
  p2p_test::temp_dir tmp("p2phd_opts");
  p2p_test::write_tiny_set(tmp.str() + "/data", 1, 32, 16);
  auto o = p2p_test::tiny_options(tmp.str() + "/data", tmp.str() + "/ck");
  o.ngf = 64;
  test::expect_error<value_error>([&] { p::trainer<tiny_global> t(o); }, {"--ngf 64", "tiny", "8"});
  o.ngf = -1;
  o.data.label_nc = 5;
  test::expect_error<value_error>([&] { p::trainer<tiny_global> t(o); }, {"6 label channels"});
  // The programs' dispatcher names what is compiled.
  o.preset = "cpu";
  const bool found = p::try_dispatch<p::tiny_preset>(o, p::label_channel_list<4>{}, []<class Cfg>() {});
  BOOST_TEST(!found);
  o.preset = "tiny";
  o.data.label_nc = 3;
  int hits = 0;
  BOOST_TEST(p::try_dispatch<p::tiny_preset>(o, p::label_channel_list<4>{}, [&]<class Cfg>() {
    hits += std::is_same_v<Cfg, tiny_global>;
  }));
  BOOST_TEST(hits == 1);
}

BOOST_AUTO_TEST_SUITE_END()
