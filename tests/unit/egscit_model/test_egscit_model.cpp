// EGSC-IT's model around the networks: the mask/AdaIN routing table of egscit.md §4 checked on tiny
// random networks (each output equals the composition the table names, and only the images the table
// names influence it), stage 2 keeping F frozen, resume equal to an uninterrupted run (both stages), the
// poly learning rate, and the trainer saying when it has no VGG weights.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/recipes/egscit/trainer.hpp"
#include "support/egscit_fixtures.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
using namespace i2i::egscit;

namespace {

using test::egscit_fixtures::batch_of;
using test::egscit_fixtures::max_param_diff;
using test::egscit_fixtures::random_images;
std::filesystem::path temp_dir(const std::string& name) { return test::egscit_fixtures::temp_dir("egscit_model", name); }

using tiny = config<1, 4, 1>;  // latent 4 channels, one residual block per side
using tiny_dis = discriminator<3, 4, 2>;
using s1_t = stage1_trainer<tiny, cpu_backend<float>, tiny_dis>;
using s2_t = stage2_trainer<tiny, cpu_backend<float>, tiny_dis>;

// Deterministic random RGB images (12 x 12) by index; `salt` separates the domains.
train_options tiny_options() {
  train_options o;
  o.batch = 2;
  o.lr = 1e-3;
  o.iterations = 10;
  o.g_updates = 2;
  o.seed = 5;
  o.transfer.eps = 1e-5;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(egscit_model)

BOOST_AUTO_TEST_CASE(routing_table_matches_the_spec) {
  // Spec §4: mask from the content image's own domain original, stats from the exemplar, cycles reuse
  // the originals' masks and stats.
  BOOST_TEST(route_of("x_AB").mask_from == domain::A);
  BOOST_TEST(route_of("x_AB").stats_from == domain::B);
  BOOST_TEST(route_of("x_BA").mask_from == domain::B);
  BOOST_TEST(route_of("x_BA").stats_from == domain::A);
  BOOST_TEST(route_of("x_ABA").content_image == "x_AB");
  BOOST_TEST(route_of("x_ABA").mask_from == domain::A);
  BOOST_TEST(route_of("x_BAB").stats_from == domain::B);
}

BOOST_AUTO_TEST_CASE(forward_follows_the_routing_table) {
  auto o = tiny_options();
  o.noise_train = false;  // exact comparisons
  o.noise_test = false;
  s2_t t(o, [](const std::string&) {});
  const auto xa = batch_of(random_images(4, 1), 0, 2), xb = batch_of(random_images(4, 2), 0, 2);
  std::mt19937_64 rng(1);
  const auto p = t.forward(xa, xb, false, rng);
  const auto fa = t.features(domain::A, xa), fb = t.features(domain::B, xb);
  const auto code = [&](domain d, const tensor<float>& x) { return t.encode(d, x, false, rng).code(); };
  const auto of = [&](domain d) { return d == domain::A ? fa : fb; };
  const std::map<std::string, const tensor<float>*> got{{"x_AA", &p.AA.image()}, {"x_BA", &p.BA.image()},
                                                        {"x_AB", &p.AB.image()}, {"x_BB", &p.BB.image()},
                                                        {"x_ABA", &p.ABA.image()}, {"x_BAB", &p.BAB.image()}};
  const std::map<std::string, const tensor<float>*> images{
      {"x_A", &xa}, {"x_B", &xb}, {"x_AB", &p.AB.image()}, {"x_BA", &p.BA.image()}};
  for (const auto& r : transfer_routes) {
    const auto c = code(r.content, *images.at(std::string(r.content_image)));
    const auto want = t.decode(r.decoder, c, of(r.mask_from), of(r.stats_from)).image();
    BOOST_TEST(test::max_abs_diff(*got.at(std::string(r.output)), want) == 0.0, r.output);
    // And not the wrong routing: the other domain's stats give another output.
    const domain other = r.stats_from == domain::A ? domain::B : domain::A;
    const auto wrong = t.decode(r.decoder, c, of(r.mask_from), of(other)).image();
    BOOST_TEST(test::max_abs_diff(*got.at(std::string(r.output)), wrong) > 1e-4, r.output);
  }
  // The cycles use x_A's mask, not one recomputed from x_AB.
  const auto recomputed = t.decode(domain::A, code(domain::B, p.AB.image()), t.features(domain::B, p.AB.image()), fa);
  BOOST_TEST(test::max_abs_diff(p.ABA.image(), recomputed.image()) > 1e-4);
  // Sensitivity: a new exemplar x_B changes x_AB but not x_AA.
  const auto xb2 = batch_of(random_images(4, 3), 0, 2);
  const auto p2 = t.forward(xa, xb2, false, rng);
  BOOST_TEST(test::max_abs_diff(p2.AA.image(), p.AA.image()) == 0.0);
  BOOST_TEST(test::max_abs_diff(p2.AB.image(), p.AB.image()) > 1e-4);
  // translate() is x_AB.
  BOOST_TEST(test::max_abs_diff(t.translate(xa, domain::A, xb), p.AB.image()) < 1e-6);
}

BOOST_AUTO_TEST_CASE(ablation_switches_remove_mask_and_adain) {
  const auto xa = batch_of(random_images(4, 1), 0, 2), xb = batch_of(random_images(4, 2), 0, 2);
  auto o = tiny_options();
  o.noise_test = false;
  s2_t no_adain(with_ablation(o, ablation::no_adain), [](const std::string&) {});
  s2_t no_mask(with_ablation(o, ablation::no_feature_mask), [](const std::string&) {});
  // Without AdaIN the exemplar has no influence; without the mask the source's F does not.
  const auto xb2 = batch_of(random_images(4, 3), 0, 2);
  BOOST_TEST(test::max_abs_diff(no_adain.translate(xa, domain::A, xb), no_adain.translate(xa, domain::A, xb2)) == 0.0);
  BOOST_TEST(test::max_abs_diff(no_mask.translate(xa, domain::A, xb), no_mask.translate(xa, domain::A, xb2)) > 1e-4);
  s2_t no_perc(with_ablation(o, ablation::no_perceptual), [](const std::string&) {});
  BOOST_TEST(!no_perc.uses_perceptual());
}

BOOST_AUTO_TEST_CASE(no_vgg_file_is_said_and_substituted) {
  std::string said;
  auto o = tiny_options();
  o.vgg.vgg_weights = "/nonexistent/vgg19.safetensors";
  s2_t t(o, [&](const std::string& s) { said += s; });
  BOOST_TEST(t.uses_perceptual());
  BOOST_TEST(t.perceptual_features() == perceptual_source::feature_mask_nets);
  BOOST_TEST(said.find("no VGG19 weights") != std::string::npos, said);
  BOOST_TEST(said.find("/nonexistent/vgg19.safetensors") != std::string::npos, said);
  o.vgg.allow_substitute = false;
  test::expect_error<value_error>([&] { s2_t refuse(o, [](const std::string&) {}); }, {"no VGG19 weights", "substitute"});
  // The substitute loss is non-zero and reaches G.
  t.allow_untrained_feature_masks();
  std::mt19937_64 rng(3);
  const auto r = t.generator_gradients(batch_of(random_images(4, 1), 0, 2), batch_of(random_images(4, 2), 0, 2), rng);
  BOOST_TEST(r.content > 0);
  BOOST_TEST(r.style > 0);
}

BOOST_AUTO_TEST_CASE(mobilenet_v2_drives_the_perceptual_terms) {
  // --perceptual mobilenet_v2: the four MobileNetV2 taps (random weights in the file here), no
  // substitute when the file is missing, and the choice in the stage-2 checkpoint's metadata.
  const auto dir = temp_dir("mobilenet_v2");
  std::filesystem::create_directories(dir);
  const auto path = (dir / "mobilenet_v2.safetensors").string();
  {
    model<models::mobilenet_v2, cpu_backend<float>> net("");
    initialize(net, init_policy::pytorch(), 4);
    save_model(net, path);
  }
  auto o = tiny_options();
  o.vgg.network = perceptual_source::mobilenet_v2;
  o.vgg.mobilenet_v2_weights = (dir / "absent.safetensors").string();
  test::expect_error<io_error>([&] { s2_t missing(o, [](const std::string&) {}); }, {"absent.safetensors"});
  o.vgg.mobilenet_v2_weights = path;
  std::string said;
  s2_t t(o, [&](const std::string& s) { said += s; });
  BOOST_TEST(t.perceptual_features() == perceptual_source::mobilenet_v2);
  BOOST_TEST(said.find("MobileNetV2") != std::string::npos, said);
  BOOST_TEST(said.find("not VGG19") != std::string::npos, said);
  t.allow_untrained_feature_masks();
  std::mt19937_64 rng(3);
  // 16 x 16: MobileNetV2's four stride-2 layers need at least 16 pixels.
  const auto r = t.generator_gradients(batch_of(random_images(4, 1, 16), 0, 2), batch_of(random_images(4, 2, 16), 0, 2), rng);
  BOOST_TEST(r.content > 0);
  BOOST_TEST(r.style > 0);
  BOOST_TEST(std::isfinite(r.g));
  t.save(dir / "run");
  const auto meta = io::read_checkpoint_metadata((dir / "run" / "E_A.safetensors").string());
  BOOST_TEST(meta.at("egscit.perceptual") == "mobilenet_v2");
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(vgg_file_drives_the_perceptual_terms) {
  const auto dir = temp_dir("vgg");
  std::filesystem::create_directories(dir);
  const auto path = (dir / "vgg19.safetensors").string();
  {
    model<models::vgg19_tf_same, cpu_backend<float>> vgg("");
    initialize(vgg, init_policy::pytorch(), 4);
    save_model(vgg, path);
  }
  auto o = tiny_options();
  o.vgg.vgg_weights = path;
  o.vgg.normalisation = vgg_normalisation::imagenet;
  std::string said;
  s2_t t(o, [&](const std::string& s) { said += s; });
  BOOST_TEST(t.perceptual_features() == perceptual_source::vgg19);
  BOOST_TEST(said.find("VGG19 relu1_1..relu5_1") != std::string::npos, said);
  t.allow_untrained_feature_masks();
  std::mt19937_64 rng(3);
  const auto r = t.generator_gradients(batch_of(random_images(4, 1), 0, 2), batch_of(random_images(4, 2), 0, 2), rng);
  BOOST_TEST(r.content > 0);
  BOOST_TEST(std::isfinite(r.g));
  // A wrong file is an error naming it, not a silent fallback.
  save_model(t.net.F_A, path);
  test::expect_error<error>([&] { s2_t bad(o, [](const std::string&) {}); }, {"vgg19.safetensors"});
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(stage2_freezes_f_and_needs_stage1) {
  s2_t t(tiny_options(), [](const std::string&) {});
  const auto a = random_images(8, 1), b = random_images(8, 2);
  test::expect_error<value_error>([&] { t.step(a, b); }, {"feature-mask networks", "load_feature_masks"});
  // Stage 1 for one iteration, then its F into stage 2.
  s1_t s1(stage1_from(tiny_options()), [](const std::string&) {});
  s1.train(a, b, 1);
  const auto dir = temp_dir("freeze");
  s1.save_feature_masks(dir);
  t.load_feature_masks(dir);
  BOOST_TEST(max_param_diff(t.net.F_A, s1.net(domain::A).part1) == 0.0);
  // The G optimizer holds no F and no D parameter.
  for (const auto& p : t.generator_optimizer().params()) {
    BOOST_TEST(p.name.rfind("F_", 0) != 0, p.name);
    BOOST_TEST(p.name.rfind("D_", 0) != 0, p.name);
  }
  BOOST_TEST(t.generator_optimizer().params().size() == t.net.generator_parameters().size());
  std::vector<tensor<float>> before;
  for (const auto& p : t.net.F_A.all_parameters()) before.push_back(p->value.clone());
  for (const auto& p : t.net.F_B.all_parameters()) before.push_back(p->value.clone());
  std::vector<tensor<float>> e_before;
  for (const auto& p : t.net.E_A.all_parameters()) e_before.push_back(p->value.clone());
  t.train(a, b, 2);
  std::size_t k = 0;
  for (const auto& p : t.net.F_A.all_parameters()) BOOST_TEST(test::max_abs_diff(p->value, before[k++]) == 0.0, p->name);
  for (const auto& p : t.net.F_B.all_parameters()) BOOST_TEST(test::max_abs_diff(p->value, before[k++]) == 0.0, p->name);
  double moved = 0;
  k = 0;
  for (const auto& p : t.net.E_A.all_parameters()) moved = std::max(moved, test::max_abs_diff(p->value, e_before[k++]));
  BOOST_TEST(moved > 0.0);  // ... while E trains
  // F receives no gradient even though the substitute perceptual loss backpropagates through it.
  std::mt19937_64 rng(9);
  t.generator_gradients(a.at(0).empty() ? tensor<float>() : batch_of(a, 0, 2), batch_of(b, 0, 2), rng);
  for (const auto& p : t.net.F_A.all_parameters())
    if (p->grad.defined()) BOOST_TEST(test::max_abs_diff(p->grad, tensor<float>::zeros(p->grad.shape())) == 0.0);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(poly_learning_rate_per_iteration) {
  s1_t s1(stage1_from(tiny_options()), [](const std::string&) {});
  const auto a = random_images(8, 1), b = random_images(8, 2);
  const auto r0 = s1.step(a, b);
  const auto r1 = s1.step(a, b);
  BOOST_TEST(r0.lr == 1e-3, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r1.lr == 1e-3 * std::pow(1 - 1.0 / 10, 0.9), boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(resume_equals_uninterrupted) {
  const auto a = random_images(16, 1), b = random_images(16, 2);
  const auto dir1 = temp_dir("resume1"), dir2 = temp_dir("resume2");
  const auto o1 = stage1_from(tiny_options());
  // Stage 1: 4 iterations straight vs 2 + save + resume + 2.
  s1_t full1(o1, [](const std::string&) {});
  full1.train(a, b, 4);
  {
    s1_t half(o1, [](const std::string&) {});
    half.train(a, b, 2);
    half.save(dir1);
  }
  s1_t resumed1(o1, [](const std::string&) {});
  resumed1.resume(dir1);
  BOOST_TEST(resumed1.iteration() == 2);
  resumed1.train(a, b, 4);
  for (auto d : {domain::A, domain::B}) {
    BOOST_TEST(max_param_diff(full1.net(d).part1, resumed1.net(d).part1) == 0.0);
    BOOST_TEST(max_param_diff(full1.net(d).part4, resumed1.net(d).part4) == 0.0);
    BOOST_TEST(max_param_diff(full1.net(d).D, resumed1.net(d).D) == 0.0);
  }
  // Stage 2 likewise, from stage 1's F.
  full1.save_feature_masks(dir1);
  const auto o2 = tiny_options();
  s2_t full2(o2, [](const std::string&) {});
  full2.load_feature_masks(dir1);
  full2.train(a, b, 3);
  {
    s2_t half(o2, [](const std::string&) {});
    half.load_feature_masks(dir1);
    half.train(a, b, 1);
    half.save(dir2);
  }
  s2_t resumed2(o2, [](const std::string&) {});
  resumed2.load(dir2);
  BOOST_TEST(resumed2.iteration() == 1);
  resumed2.train(a, b, 3);
  BOOST_TEST(max_param_diff(full2.net.E_A, resumed2.net.E_A) == 0.0);
  BOOST_TEST(max_param_diff(full2.net.S, resumed2.net.S) == 0.0);
  BOOST_TEST(max_param_diff(full2.net.G_B, resumed2.net.G_B) == 0.0);
  BOOST_TEST(max_param_diff(full2.D_A, resumed2.D_A) == 0.0);
  // ... and differs from a run that skipped the resume (the check can fail).
  s2_t fresh(o2, [](const std::string&) {});
  fresh.load_feature_masks(dir1);
  fresh.train(a, b, 2);
  BOOST_TEST(max_param_diff(full2.net.G_B, fresh.net.G_B) > 0.0);
  std::filesystem::remove_all(dir1);
  std::filesystem::remove_all(dir2);
}

BOOST_AUTO_TEST_SUITE_END()
