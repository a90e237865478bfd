// The baselines of egscit.md §6.5 in EGSC-IT's backbone: UNIT (stage 2 without mask, AdaIN and
// perceptual loss) trains without the stage-1 F networks and its G optimizer holds E, S, G; CycleGAN
// shares nothing between its directions, learns, and resumes bit for bit; the checkpoint metadata
// rebuilds each model's options.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <random>
#include <set>
#include <string>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/recipes/egscit/cyclegan.hpp"
#include "i2i/recipes/egscit/trainer.hpp"
#include "support/egscit_fixtures.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
using namespace i2i::egscit;

namespace {

using test::egscit_fixtures::batch_of;
using test::egscit_fixtures::max_param_diff;
using test::egscit_fixtures::random_images;
std::filesystem::path temp_dir(const std::string& name) { return test::egscit_fixtures::temp_dir("egscit_baselines", name); }

using tiny = config<1, 4, 1>;
using tiny_dis = discriminator<3, 4, 2>;
using s2_t = stage2_trainer<tiny, cpu_backend<float>, tiny_dis>;
using cg_t = cyclegan_trainer<tiny, cpu_backend<float>, tiny_dis>;

train_options tiny_options(model_kind k) {
  train_options o;
  o.batch = 2;
  o.lr = 1e-3;
  o.iterations = 10;
  o.g_updates = 2;
  o.seed = 5;
  o.transfer.eps = 1e-5;
  o.config_name = "tiny";
  return with_model(o, k);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(egscit_baselines)

BOOST_AUTO_TEST_CASE(model_kind_options_and_names) {
  const auto unit = with_model(train_options{}, model_kind::unit);
  BOOST_TEST(!unit.transfer.use_mask);
  BOOST_TEST(!unit.transfer.use_adain);
  BOOST_TEST(!unit.perceptual);
  BOOST_TEST(ablation_name(unit) == "none");  // the switches are UNIT's, not an ablation
  const auto cg = with_model(train_options{}, model_kind::cyclegan);
  BOOST_TEST(!cg.noise_train);
  BOOST_TEST(!cg.noise_test);
  auto both = with_ablation(with_ablation(train_options{}, ablation::no_feature_mask), ablation::no_adain);
  BOOST_TEST(ablation_name(both) == "no_mask+no_adain");
  const auto back = with_ablation_name(train_options{}, "no_mask+no_adain");
  BOOST_TEST(!back.transfer.use_mask);
  BOOST_TEST(!back.transfer.use_adain);
  BOOST_TEST(back.perceptual);
  for (auto k : {model_kind::egscit, model_kind::unit, model_kind::cyclegan, model_kind::munit})
    BOOST_TEST((model_kind_from_string(to_string(k)) == k));
  test::expect_error<value_error>([] { model_kind_from_string("pix2pix"); }, {"pix2pix", "unknown model kind"});
  test::expect_error<value_error>([] { with_ablation_name(train_options{}, "no_mask+nope"); }, {"nope"});
  // The trainers refuse options of another kind.
  test::expect_error<value_error>([] { cg_t t(tiny_options(model_kind::unit)); }, {"cyclegan"});
  test::expect_error<value_error>([] { s2_t t(tiny_options(model_kind::cyclegan)); }, {"cyclegan"});
  auto half_unit = tiny_options(model_kind::unit);
  half_unit.transfer.use_adain = true;
  test::expect_error<value_error>([&] { s2_t t(half_unit); }, {"UNIT", "with_model"});
}

BOOST_AUTO_TEST_CASE(unit_needs_no_f_and_optimises_e_s_g) {
  const auto a = random_images(8, 1), b = random_images(8, 2);
  s2_t unit(tiny_options(model_kind::unit), [](const std::string&) {});
  BOOST_TEST(!unit.uses_feature_masks());
  BOOST_TEST(!unit.uses_perceptual());
  // G's Adam holds exactly E_A, E_B, S, G_A, G_B (shared blocks once): no F, no D.
  std::set<std::string> want;
  for (const auto& p : unit.net.generator_parameters()) want.insert(p.name);
  std::set<std::string> got;
  for (const auto& p : unit.generator_optimizer().params()) {
    got.insert(p.name);
    BOOST_TEST((p.name.rfind("F_", 0) != 0 && p.name.rfind("D_", 0) != 0), p.name);
  }
  BOOST_TEST((got == want));
  for (const char* prefix : {"E_A.", "E_B.", "G_A.", "G_B.", "enc_shared.", "gen_shared."}) {
    bool found = false;
    for (const auto& n : got) found = found || n.rfind(prefix, 0) == 0;
    BOOST_TEST(found, prefix);
  }
  // Trains without load_feature_masks (EGSC-IT still refuses).
  const auto before = unit.net.G_B.all_parameters()[0]->value.clone();
  unit.train(a, b, 2);
  BOOST_TEST(unit.iteration() == 2);
  BOOST_TEST(test::max_abs_diff(unit.net.G_B.all_parameters()[0]->value, before) > 0.0);
  s2_t eg(tiny_options(model_kind::egscit), [](const std::string&) {});
  BOOST_TEST(eg.uses_feature_masks());
  test::expect_error<value_error>([&] { eg.step(a, b); }, {"load_feature_masks"});
  // The exemplar has no influence on UNIT's translation.
  auto o = tiny_options(model_kind::unit);
  o.noise_test = false;
  s2_t quiet(o, [](const std::string&) {});
  const auto xa = batch_of(a, 0, 2);
  BOOST_TEST(test::max_abs_diff(quiet.translate(xa, domain::A, batch_of(b, 0, 2)),
                                quiet.translate(xa, domain::A, batch_of(b, 2, 2))) == 0.0);
  // Its checkpoint has no F and says what it is; load() needs no F.
  const auto dir = temp_dir("unit");
  unit.save(dir);
  BOOST_TEST(!std::filesystem::exists(dir / "F_A.safetensors"));
  const auto meta = file_metadata(dir / "E_A.safetensors");
  BOOST_TEST(meta.at("egscit.model") == "unit");
  BOOST_TEST(meta.at("egscit.config") == "tiny");
  BOOST_TEST(meta.at("egscit.ngf") == "4");
  const auto back = apply_checkpoint_metadata(train_options{}, meta, "E_A");
  BOOST_TEST((back.kind == model_kind::unit));
  BOOST_TEST(back.transfer.eps == 1e-5);
  BOOST_TEST(back.seed == 5u);
  s2_t loaded(back, [](const std::string&) {});
  loaded.load(dir, true);
  BOOST_TEST(loaded.iteration() == 2);
  BOOST_TEST(max_param_diff(loaded.net.G_B, unit.net.G_B) == 0.0);
  // A configuration with other numbers is refused by name.
  using other = config<1, 6, 1>;
  stage2_trainer<other, cpu_backend<float>, tiny_dis> wrong(back, [](const std::string&) {});
  test::expect_error<value_error>([&] { wrong.load(dir, false); }, {"egscit.ngf", "4"});
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(cyclegan_shares_nothing_between_directions) {
  cg_t t(tiny_options(model_kind::cyclegan), [](const std::string&) {});
  std::set<const void*> ab;
  std::set<std::string> names;
  for (const auto& p : t.G_AB.all_parameters()) {
    ab.insert(p.get());
    ab.insert(p->value.data());
    names.insert(p->name);
  }
  BOOST_TEST(t.G_AB.all_parameters().size() == t.G_BA.all_parameters().size());
  for (const auto& p : t.G_BA.all_parameters()) {
    BOOST_TEST(ab.count(p.get()) == 0u, p->name);
    BOOST_TEST(ab.count(p->value.data()) == 0u, p->name);
    BOOST_TEST(names.count(p->name) == 0u, p->name);
    BOOST_TEST(p->name.rfind("G_BA.", 0) == 0, p->name);
  }
  // G's Adam holds both generators' parameters and nothing else.
  BOOST_TEST(t.generator_optimizer().params().size() == t.G_AB.parameters().size() + t.G_BA.parameters().size());
  for (const auto& p : t.generator_optimizer().params()) BOOST_TEST(p.name.rfind("D_", 0) != 0, p.name);
  // Exactly EGSC-IT's translator's E and G layers per direction, the shared blocks as the direction's own.
  s2_t eg(tiny_options(model_kind::unit), [](const std::string&) {});
  std::int64_t per_direction = 0;
  for (const auto& p : t.G_AB.all_parameters()) per_direction += p->value.numel();
  std::int64_t e_and_g = 0;
  for (const auto* m : {&eg.net.E_A.all_parameters(), &eg.net.S.all_parameters(), &eg.net.G_B.all_parameters()})
    for (const auto& p : *m) e_and_g += p->value.numel();
  BOOST_TEST(per_direction == e_and_g);
  // Changing one direction leaves the other's output alone; the exemplar is ignored.
  const auto xa = batch_of(random_images(4, 1), 0, 2), xb = batch_of(random_images(4, 2), 0, 2);
  const auto y = t.translate(xa, domain::A, xb);
  for (const auto& p : t.G_BA.all_parameters()) p->value[0] += 0.5f;
  BOOST_TEST(test::max_abs_diff(t.translate(xa, domain::A, xa), y) == 0.0);
  BOOST_TEST(test::max_abs_diff(t.translate(xb, domain::B, xa), t.translate(xb, domain::B, xb)) == 0.0);
}

BOOST_AUTO_TEST_CASE(cyclegan_learns_its_cycle) {
  // A learning assertion: on a fixed small set, 150 iterations bring the cycle error of held images down.
  auto o = tiny_options(model_kind::cyclegan);
  o.iterations = 150;
  o.lr = 2e-3;
  o.augment = false;
  cg_t t(o, [](const std::string&) {});
  const image_source a{4, [](std::size_t i) {
                         io::image img(12, 12, 3);
                         for (int y = 0; y < 12; ++y)
                           for (int x = 0; x < 12; ++x)
                             for (int c = 0; c < 3; ++c) img.at(y, x, c) = std::uint8_t(30 + 15 * x + 5 * y * c + 20 * i);
                         return img;
                       }};
  const auto x = batch_of(a, 0, 4);
  const double before = cpu::l1_loss(t.cycle(x, domain::A), x).value;
  const auto r = t.train(a, a, 150);
  const double after = cpu::l1_loss(t.cycle(x, domain::A), x).value;
  BOOST_TEST_MESSAGE("cyclegan cycle L1 " << before << " -> " << after << " (last step: G " << r.g << ", D " << r.d << ")");
  BOOST_TEST(after < 0.5 * before);
  BOOST_TEST(r.lr == 2e-3 * std::pow(1 - 149.0 / 150, 0.9), boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(cyclegan_resume_equals_uninterrupted) {
  const auto a = random_images(16, 1), b = random_images(16, 2);
  const auto dir = temp_dir("cg_resume");
  const auto o = tiny_options(model_kind::cyclegan);
  cg_t full(o, [](const std::string&) {});
  full.train(a, b, 4);
  {
    cg_t half(o, [](const std::string&) {});
    half.train(a, b, 2);
    half.save(dir);
  }
  BOOST_TEST(file_metadata(dir / "G_AB.safetensors").at("egscit.model") == "cyclegan");
  cg_t resumed(o, [](const std::string&) {});
  resumed.load(dir);
  BOOST_TEST(resumed.iteration() == 2);
  resumed.train(a, b, 4);
  BOOST_TEST(max_param_diff(full.G_AB, resumed.G_AB) == 0.0);
  BOOST_TEST(max_param_diff(full.G_BA, resumed.G_BA) == 0.0);
  BOOST_TEST(max_param_diff(full.D_A, resumed.D_A) == 0.0);
  BOOST_TEST(max_param_diff(full.D_B, resumed.D_B) == 0.0);
  // ... and a run that skipped the resume differs (the check can fail).
  cg_t fresh(o, [](const std::string&) {});
  fresh.train(a, b, 2);
  BOOST_TEST(max_param_diff(full.G_AB, fresh.G_AB) > 0.0);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(unit_resume_equals_uninterrupted) {
  const auto a = random_images(16, 1), b = random_images(16, 2);
  const auto dir = temp_dir("unit_resume");
  const auto o = tiny_options(model_kind::unit);
  s2_t full(o, [](const std::string&) {});
  full.train(a, b, 3);
  {
    s2_t half(o, [](const std::string&) {});
    half.train(a, b, 1);
    half.save(dir);
  }
  s2_t resumed(o, [](const std::string&) {});
  resumed.load(dir);
  resumed.train(a, b, 3);
  BOOST_TEST(max_param_diff(full.net.E_A, resumed.net.E_A) == 0.0);
  BOOST_TEST(max_param_diff(full.net.S, resumed.net.S) == 0.0);
  BOOST_TEST(max_param_diff(full.net.G_B, resumed.net.G_B) == 0.0);
  BOOST_TEST(max_param_diff(full.D_B, resumed.D_B) == 0.0);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
