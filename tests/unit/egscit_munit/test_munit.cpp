// The MUNIT baseline around its networks: shapes and names in the EGSC-IT backbone (N1 = 1 and 3), the
// AdaIN-parameter layout, exemplar-guided translation (another exemplar changes the output, the content
// image's own domain style does not enter), a save/load round trip, resume equal to an uninterrupted run,
// the optimizers' parameter sets and a short learning run. A disabled case times one iteration at
// 28x28, batch 8 (run it by name: --run_test=egscit_munit/seconds_per_iteration).
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <ctime>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <unistd.h>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/recipes/egscit/load.hpp"
#include "i2i/recipes/egscit/munit.hpp"
#include "support/egscit_fixtures.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
using namespace i2i::egscit;

namespace {

using test::egscit_fixtures::batch_of;
using test::egscit_fixtures::max_param_diff;
using test::egscit_fixtures::random_images;
std::filesystem::path temp_dir(const std::string& name) { return test::egscit_fixtures::temp_dir("munit", name); }

using tiny = config<1, 4, 1>;
using tiny_dis = discriminator<3, 4, 2>;
using tiny_t = munit_trainer<tiny, cpu_backend<float>, tiny_dis, 8>;

void quiet(const std::string&) {}

train_options tiny_options() {
  train_options o;
  o.batch = 2;
  o.lr = 1e-3;
  o.iterations = 10;
  o.g_updates = 2;
  o.seed = 5;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(egscit_munit)

BOOST_AUTO_TEST_CASE(shapes_names_and_sizes) {
  tiny_t t(tiny_options(), quiet);
  const auto x = batch_of(random_images(3, 1), 0, 3);
  const auto e = t.encode(domain::A, x);
  BOOST_TEST(e.content().shape() == shape::nchw(3, 4, 12, 12));  // N1 = 1: latent at full resolution
  BOOST_TEST(e.style().shape() == shape::nchw(3, 8, 1, 1));
  using arch = tiny_t::arch;
  BOOST_TEST(arch::n_adain_params == 2 * 2 * 1 * 4);  // (mean, std) x 2 AdaIN per block x 1 block x 4 ch
  BOOST_TEST(arch::style_downs == 2);                  // the style sees 12 -> 6 -> 3 even at N1 = 1
  BOOST_TEST(t.gen_A.mlp(e.style()).shape() == shape::nchw(3, arch::n_adain_params, 1, 1));
  const auto y = batch_of(random_images(3, 2), 0, 3);
  BOOST_TEST(t.translate(x, domain::A, y).shape() == x.shape());
  BOOST_TEST(t.reconstruct(x, domain::B).shape() == x.shape());
  // Names as documented; MLP width and style dim from the template.
  for (const char* key : {"gen_A.enc_content.1.weight", "gen_A.enc_content.3.1.weight", "gen_A.enc_style.1.weight",
                          "gen_A.enc_style.4.weight", "gen_A.enc_style.7.weight", "gen_A.enc_style.10.weight", "gen_A.mlp.0.weight",
                          "gen_A.mlp.4.bias", "gen_A.dec.0.1.weight", "gen_A.dec.0.5.weight", "gen_A.dec_up.0.weight"}) {
    bool found = false;
    for (const auto& p : t.gen_A.all_parameters()) found |= p->name == key;
    BOOST_TEST(found, key);
  }
  BOOST_TEST(t.gen_A.mlp.parameter_named("gen_A.mlp.0.weight").value.shape() == shape({8, 8}));
  BOOST_TEST(t.gen_A.enc_style.parameter_named("gen_A.enc_style.10.weight").value.shape() == shape::nchw(8, 16, 1, 1));
  // N1 = 3 (every dataset but MNIST-Single): latent 4x smaller, up path of two deconvs, two style downs.
  munit_trainer<config<3, 4, 1>, cpu_backend<float>, tiny_dis, 8> t3(tiny_options(), quiet);
  const auto e3 = t3.encode(domain::B, x);
  BOOST_TEST(e3.content().shape() == shape::nchw(3, 16, 3, 3));
  BOOST_TEST(e3.style().shape() == shape::nchw(3, 8, 1, 1));
  BOOST_TEST(t3.translate(x, domain::B, y).shape() == x.shape());
  // A wrong batch pairing is an error that names both shapes.
  test::expect_error<shape_error>([&] { t.translate(x, domain::A, batch_of(random_images(2, 2), 0, 2)); },
                                  {"munit::translate", "3x3x12x12", "2x3x12x12"});
}

BOOST_AUTO_TEST_CASE(adain_parameter_layout) {
  // AdaIN layer l takes columns [2Cl, 2Cl + C) as its mean and [2Cl + C, 2C(l + 1)) as its std
  // (MUNIT's assign_adain_params). With every std 0, each block adds its last mean: x + mean2.
  using arch = tiny_t::arch;
  munit_decoder<arch, cpu_backend<float>> dec("gen_A");
  dec.init(init_policy::pytorch(), 1);
  const auto c = test::random_tensor<float>(shape::nchw(2, 4, 5, 5));
  auto params = tensor<float>::zeros(shape::nchw(2, arch::n_adain_params, 1, 1));
  const auto pv = params.values();
  for (std::size_t n = 0; n < 2; ++n)
    for (std::size_t ch = 0; ch < 4; ++ch) pv[n * 16 + 8 + ch] = float(0.5 + double(ch + n));  // layer 1 mean
  model<arch::up_path, cpu_backend<float>> up("gen_A");
  for (std::size_t i = 0; i < up.all_parameters().size(); ++i)
    up.all_parameters()[i]->value = dec.all_parameters()[4 + i]->value;  // after 2 convs' weight and bias
  auto shifted = c.clone();
  for (std::int64_t n = 0; n < 2; ++n)
    for (std::int64_t ch = 0; ch < 4; ++ch)
      for (std::int64_t i = 0; i < 25; ++i) shifted[(n * 4 + ch) * 25 + i] += float(0.5 + ch + n);
  BOOST_TEST(test::max_abs_diff(dec(c, params), up(shifted)) < 1e-5);
  // ... and non-zero stds of layers 0 and 1 (sample 0, channel 0) change the output.
  pv[4] = pv[12] = 1;
  BOOST_TEST(test::max_abs_diff(dec(c, params), up(shifted)) > 1e-4);
  test::expect_error<shape_error>([&] { dec(c, tensor<float>::zeros(shape::nchw(2, 15, 1, 1))); },
                                  {"AdaIN parameters", "2x15x1x1", "16"});
}

BOOST_AUTO_TEST_CASE(exemplar_guides_the_translation) {
  tiny_t t(tiny_options(), quiet);
  const auto xa = batch_of(random_images(4, 1), 0, 2), xb = batch_of(random_images(4, 2), 0, 2);
  const auto xb2 = batch_of(random_images(4, 3), 2, 2);
  const auto y = t.translate(xa, domain::A, xb);
  BOOST_TEST(test::max_abs_diff(y, t.translate(xa, domain::A, xb)) == 0.0);  // deterministic
  BOOST_TEST(test::max_abs_diff(y, t.translate(xa, domain::A, xb2)) > 1e-6);  // another exemplar, another output
  // translate = G_B(E^c_A(content), E^s_B(exemplar)).
  const auto want = t.decode(domain::B, t.gen_A.enc_content(xa), t.gen_B.enc_style(xb)).image();
  BOOST_TEST(test::max_abs_diff(y, want) == 0.0);
  // Exemplar i styles content i: swapping the exemplars swaps the outputs.
  auto xb_swapped = tensor<float>::empty(xb.shape());
  const std::int64_t per = xb.numel() / 2;
  std::copy(xb.data(), xb.data() + per, xb_swapped.data() + per);
  std::copy(xb.data() + per, xb.data() + 2 * per, xb_swapped.data());
  const auto ys = t.translate(xa, domain::A, xb_swapped);
  BOOST_TEST(test::max_abs_diff(ys, y) > 1e-6);
  // Random styles: a seed gives one output, another seed another.
  BOOST_TEST(test::max_abs_diff(t.translate_random(xa, domain::A, 1), t.translate_random(xa, domain::A, 1)) == 0.0);
  BOOST_TEST(test::max_abs_diff(t.translate_random(xa, domain::A, 1), t.translate_random(xa, domain::A, 2)) > 1e-6);
}

BOOST_AUTO_TEST_CASE(save_load_round_trip) {
  const auto a = random_images(8, 1), b = random_images(8, 2);
  const auto dir = temp_dir("roundtrip");
  tiny_t t(tiny_options(), quiet);
  t.train(a, b, 2);
  t.save(dir);
  for (const char* f : {"gen_A", "gen_B", "D_A", "D_B", "munit_adam_G", "munit_adam_D"})
    BOOST_TEST(std::filesystem::exists(dir / (std::string(f) + ".safetensors")), f);
  const auto meta = io::read_checkpoint_metadata((dir / "gen_A.safetensors").string());
  BOOST_TEST(meta.at("egscit.model") == "munit");
  BOOST_TEST(meta.at("iteration") == "2");
  // The whole checkpoint_metadata is there, so a program rebuilds the model from gen_A alone.
  BOOST_TEST(meta.at("egscit.n1") == std::to_string(tiny::n1));
  BOOST_TEST(meta.at("egscit.seed") == std::to_string(tiny_options().seed));
  const auto info = read_checkpoint_info(dir);
  BOOST_TEST(info.file.filename() == "gen_A.safetensors");
  BOOST_TEST(info.options.kind == model_kind::munit);
  BOOST_TEST(info.iteration == 2);
  // For translation only: another seed's weights are replaced, D and the iteration are not touched.
  auto o = tiny_options();
  o.seed = 77;
  tiny_t u(o, quiet);
  BOOST_TEST(max_param_diff(t.gen_A, u.gen_A) > 0.0);
  u.load(dir, false);
  BOOST_TEST(u.iteration() == 0);
  BOOST_TEST(max_param_diff(t.gen_A, u.gen_A) == 0.0);
  BOOST_TEST(max_param_diff(t.gen_B, u.gen_B) == 0.0);
  const auto xa = batch_of(a, 0, 2), xb = batch_of(b, 0, 2);
  BOOST_TEST(test::max_abs_diff(t.translate(xa, domain::A, xb), u.translate(xa, domain::A, xb)) == 0.0);
  BOOST_TEST(test::max_abs_diff(t.translate(xb, domain::B, xa), u.translate(xb, domain::B, xa)) == 0.0);
  u.load(dir);
  BOOST_TEST(u.iteration() == 2);
  // A directory without a MUNIT checkpoint (e.g. an EGSC-IT stage-2 one) is an error naming the file.
  const auto empty = temp_dir("empty");
  std::filesystem::create_directories(empty);
  test::expect_error<error>([&] { u.load(empty); }, {"gen_A.safetensors"});
  // Another MLP width does not load silently.
  munit_trainer<tiny, cpu_backend<float>, tiny_dis, 6> narrow(tiny_options(), quiet);
  test::expect_error<error>([&] { narrow.load(dir, false); }, {"gen_A.mlp.0.weight"});
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(empty);
}

BOOST_AUTO_TEST_CASE(resume_equals_uninterrupted) {
  const auto a = random_images(16, 1), b = random_images(16, 2);
  const auto dir = temp_dir("resume");
  munit_weights w;
  w.recon_x_cyc = 10;  // the cycle path too
  tiny_t full(tiny_options(), quiet, w);
  full.train(a, b, 3);
  {
    tiny_t half(tiny_options(), quiet, w);
    half.train(a, b, 1);
    half.save(dir);
  }
  tiny_t resumed(tiny_options(), quiet, w);
  resumed.load(dir);
  BOOST_TEST(resumed.iteration() == 1);
  resumed.train(a, b, 3);
  BOOST_TEST(max_param_diff(full.gen_A, resumed.gen_A) == 0.0);
  BOOST_TEST(max_param_diff(full.gen_B, resumed.gen_B) == 0.0);
  double d = 0;
  for (std::size_t i = 0; i < full.D_A.all_parameters().size(); ++i)
    d = std::max(d, test::max_abs_diff(full.D_A.all_parameters()[i]->value, resumed.D_A.all_parameters()[i]->value));
  BOOST_TEST(d == 0.0);
  // ... and differs from a run that skipped the resume (the check can fail).
  tiny_t fresh(tiny_options(), quiet, w);
  fresh.train(a, b, 2);
  BOOST_TEST(max_param_diff(full.gen_B, fresh.gen_B) > 0.0);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(optimizers_schedule_and_losses) {
  tiny_t t(tiny_options(), quiet);
  // G's Adam holds both generators (all four parts), D's both discriminators; nothing else.
  BOOST_TEST(t.generator_optimizer().params().size() == 2 * t.gen_A.all_parameters().size());
  for (const auto& p : t.generator_optimizer().params()) BOOST_TEST(p.name.rfind("gen_", 0) == 0, p.name);
  for (const auto& p : t.discriminator_optimizer().params()) BOOST_TEST(p.name.rfind("D_", 0) == 0, p.name);
  const auto a = random_images(8, 1), b = random_images(8, 2);
  const auto r0 = t.step(a, b), r1 = t.step(a, b);
  BOOST_TEST(r0.lr == 1e-3, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r1.lr == 1e-3 * std::pow(1 - 1.0 / 10, 0.9), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r1.d > 0);
  BOOST_TEST(r1.content > 0);
  BOOST_TEST(r1.style > 0);
  BOOST_TEST(r1.cycle == 0.0);  // recon_x_cyc_w 0 by default
  munit_weights bad;
  bad.recon_s = -1;
  test::expect_error<value_error>([&] { tiny_t x(tiny_options(), quiet, bad); }, {"munit_weights", "recon_s"});
}

BOOST_AUTO_TEST_CASE(learns_to_reconstruct) {
  // Smooth images a width-4 network can reconstruct; training must lower the self-reconstruction L1.
  const image_source a{4, [](std::size_t i) {
                         io::image img(8, 8, 3);
                         for (int y = 0; y < 8; ++y)
                           for (int x = 0; x < 8; ++x)
                             for (int c = 0; c < 3; ++c) img.at(y, x, c) = std::uint8_t(40 + 20 * x + 10 * y * c + 30 * i);
                         return img;
                       }};
  auto o = tiny_options();
  o.augment = false;
  o.lr = 2e-3;
  o.iterations = 60;
  o.g_updates = 1;
  tiny_t t(o, quiet);
  const auto x = batch_of(a, 0, 4);
  const double before = cpu::l1_loss(t.reconstruct(x, domain::A), x).value;
  t.train(a, a, 60);
  const double after = cpu::l1_loss(t.reconstruct(x, domain::A), x).value;
  BOOST_TEST(after < 0.6 * before, "L1 " << before << " -> " << after);
}

BOOST_AUTO_TEST_CASE(seconds_per_iteration, *boost::unit_test::disabled()) {
  // 28x28, batch 8, one iteration = 1 D step + 5 G steps, 2 threads; MLP width 256, style dim 8 (MUNIT).
  set_num_threads(2);
  const auto a = random_images(64, 1, 28), b = random_images(64, 2, 28);
  auto time = [&](auto& t, const char* what) {
    t.step(a, b);  // warm-up (allocations, packed weights)
    const int n = 3;
    const auto t0 = std::chrono::steady_clock::now();
    const auto c0 = std::clock();
    for (int i = 0; i < n; ++i) t.step(a, b);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / n;
    // CPU seconds (all threads) as well: on a machine shared with other jobs the wall time says little.
    const double cpu = double(std::clock() - c0) / CLOCKS_PER_SEC / n;
    std::cout << what << ": " << s << " s/iteration wall, " << cpu << " CPU s/iteration (" << t.gen_A.parameter_count()
              << " parameters per generator)" << std::endl;
  };
  train_options o;
  o.iterations = 1000;
  munit_trainer<config<1, 8, 1>> small(o, quiet);
  time(small, "munit config<1,8,1>");
  munit_trainer<config<1, 16, 2>> mid(o, quiet);
  time(mid, "munit config<1,16,2>");
}

BOOST_AUTO_TEST_SUITE_END()
