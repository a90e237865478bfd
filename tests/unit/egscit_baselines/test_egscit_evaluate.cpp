// egscit_evaluate's library (recipes/egscit/evaluate.hpp, load.hpp) on a tiny synthetic test folder:
// pairing by sorted rank (files written out of order, extra files beyond N), the imsave stretch and its
// switch, the reference rows, the per-batch noise seeds, the JSON, and a saved model rebuilt from its
// checkpoint metadata alone.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <random>
#include <string>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/io/png.hpp"
#include "i2i/recipes/egscit/evaluate.hpp"
#include "i2i/recipes/egscit/load.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
using namespace i2i::egscit;
namespace fs = std::filesystem;

namespace {

// Record i: a random 12 x 12 RGB image holding both 0 and 255 (so that the imsave stretch of a
// rescaled copy gives it back), seeded by (i, salt).
io::image record(std::size_t i, unsigned salt) {
  io::image img(12, 12, 3);
  std::mt19937 g(unsigned(i) * 131u + salt);
  for (auto& p : img.pixels) p = std::uint8_t(g() % 256);
  img.pixels[0] = 0;
  img.pixels[1] = 255;
  return img;
}

// testA2B[i] = testB[i] and testB2A[i] = testA[i]: a model that returns its exemplar is perfect, one
// that returns its source is not. Files are written in reverse order and 3 more than `n` exist.
fs::path synthetic_data(std::size_t n) {
  const auto root = fs::temp_directory_path() / ("i2i_egscit_evaluate_" + std::to_string(::getpid()));
  fs::remove_all(root);
  for (const char* d : {"testA", "testB", "testA2B", "testB2A"}) fs::create_directories(root / d);
  for (std::size_t k = n + 3; k-- > 0;) {
    char name[32];
    std::snprintf(name, sizeof name, "%06zu_x.png", k);
    io::write_png((root / "testA" / name).string(), record(k, 1));
    io::write_png((root / "testB" / name).string(), record(k, 2));
    io::write_png((root / "testA2B" / name).string(), record(k, 2));
    io::write_png((root / "testB2A" / name).string(), record(k, 1));
  }
  return root;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(egscit_evaluate)

BOOST_AUTO_TEST_CASE(pairs_by_sorted_rank_and_scores_the_exemplar_oracle) {
  const std::size_t n = 7;
  const auto root = synthetic_data(n);
  const auto ab = pair_test_folders(root, domain::A, n);
  BOOST_TEST(ab.size() == n);
  BOOST_TEST(fs::path(ab.sources[0]).filename() == "000000_x.png");
  BOOST_TEST(fs::path(ab.sources[6]).filename() == "000006_x.png");
  BOOST_TEST(fs::path(ab.truths[6]).parent_path().filename() == "testA2B");
  const auto ba = pair_test_folders(root, domain::B, n);
  BOOST_TEST(fs::path(ba.sources[0]).parent_path().filename() == "testB");
  BOOST_TEST(fs::path(ba.exemplars[0]).parent_path().filename() == "testA");
  BOOST_TEST(fs::path(ba.truths[0]).parent_path().filename() == "testB2A");
  test::expect_error<value_error>([&] { pair_test_folders(root, domain::A, n + 4); }, {"fewer than", "11"});
  // A later range (the validation split): ranks 3..7 of every folder, still paired by rank.
  const auto later = pair_test_folders(root, domain::B, 5, 3);
  BOOST_TEST(later.size() == 5u);
  BOOST_TEST(fs::path(later.sources[0]).filename() == "000003_x.png");
  BOOST_TEST(fs::path(later.exemplars[4]).filename() == "000007_x.png");
  BOOST_TEST(fs::path(later.truths[4]).filename() == "000007_x.png");
  test::expect_error<value_error>([&] { pair_test_folders(root, domain::A, 5, 6); }, {"fewer than", "11", "6..10"});

  // The exemplar at half contrast: the stretch restores it (SSIM ~ 1), the plain mapping does not.
  std::vector<std::uint64_t> seeds;
  const translate_fn half_exemplar = [&](const tensor<float>&, domain, const tensor<float>& e, std::uint64_t seed) {
    seeds.push_back(seed);
    auto y = e.clone();
    for (std::int64_t i = 0; i < y.numel(); ++i) y[i] *= 0.5f;
    return y;
  };
  evaluate_options o;
  o.count = n;
  o.batch = 3;
  o.reference = true;
  const auto r = evaluate_direction(half_exemplar, ab, o);
  BOOST_TEST(r.translated.n == n);
  BOOST_TEST(r.translated.mean > 0.999);
  BOOST_TEST(r.translated.std < 1e-3);
  BOOST_TEST((seeds == std::vector<std::uint64_t>{0, 1, 2}));  // batches of 3, 3, 1
  // Reference rows: the exemplar IS the ground truth here; the source is an unrelated image.
  BOOST_TEST(r.exemplar_vs_truth.mean == 1.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r.source_vs_truth.mean < 0.2);
  o.stretch = false;
  const auto plain = evaluate_direction(half_exemplar, ab, o);
  BOOST_TEST(plain.translated.mean < 0.95);
  // A model that returns its source scores like the source reference row.
  const translate_fn identity = [](const tensor<float>& c, domain, const tensor<float>&, std::uint64_t) { return c; };
  o.stretch = true;
  const auto id = evaluate_direction(identity, ba, o);
  BOOST_TEST(id.translated.mean == id.source_vs_truth.mean, boost::test_tools::tolerance(1e-9));
  // evaluation_image is scipy's imsave and, without the stretch, io::to_image.
  const auto t = test::random_tensor<float>(shape::nchw(2, 3, 5, 5), -0.3f, 0.4f);
  BOOST_TEST((evaluation_image(t, 1, true).pixels == data::imsave_image(t, 1).pixels));
  BOOST_TEST((evaluation_image(t, 1, false).pixels == io::to_image(t, 1).pixels));
  // summarise: population std.
  const auto s = summarise({1.0, 3.0});
  BOOST_TEST(s.mean == 2.0);
  BOOST_TEST(s.std == 1.0);
  // JSON.
  evaluation_report rep;
  rep.model = "unit";
  rep.config = "small";
  rep.options = o;
  rep.ab = r;
  rep.ba = id;
  const auto js = to_json(rep);
  const auto j = io::parse_json(js, "to_json");
  BOOST_TEST(j.at("model") == "unit", js);
  BOOST_TEST(j.at("ablation") == "none", js);
  BOOST_TEST(j.at("config") == "small", js);
  BOOST_TEST(j.at("n") == 7, js);
  BOOST_TEST(j.at("ab").at("ssim").at("mean").is_number(), js);
  for (const char* k : {"source_vs_gt", "exemplar_vs_gt"}) BOOST_TEST(j.at("ab").contains(k), k << " in " << js);
  BOOST_TEST(j.at("stretch") == true, js);
  fs::remove_all(root);
}

BOOST_AUTO_TEST_CASE(saved_models_rebuild_from_their_metadata) {
  const auto root = synthetic_data(4);
  const auto dir = fs::temp_directory_path() / ("i2i_egscit_load_" + std::to_string(::getpid()));
  const image_source a{8, [](std::size_t i) { return record(i, 1); }}, b{8, [](std::size_t i) { return record(i, 2); }};
  const auto x = io::to_tensor(record(0, 1)), e = io::to_tensor(record(0, 2));
  using small = named_configs::small;
  using small_dis = named_configs::small_dis;
  for (auto kind : {model_kind::unit, model_kind::cyclegan}) {
    fs::remove_all(dir);
    train_options o;
    o.batch = 2;
    o.iterations = 4;
    o.g_updates = 1;
    o.lr = 1e-3;
    o.seed = 9;
    o.config_name = "small";
    o = with_model(o, kind);
    tensor<float> want;
    if (kind == model_kind::unit) {
      stage2_trainer<small, cpu_backend<float>, small_dis> t(o, [](const std::string&) {});
      t.train(a, b, 1);
      t.save(dir);
      want = t.translate(x, domain::A, e, 3);
    } else {
      cyclegan_trainer<small, cpu_backend<float>, small_dis> t(o, [](const std::string&) {});
      t.train(a, b, 1);
      t.save(dir);
      want = t.translate(x, domain::A, e, 3);
    }
    const auto m = load_translator(dir);
    BOOST_TEST((m.info.options.kind == kind));
    BOOST_TEST(m.info.config == "small");
    BOOST_TEST(m.info.iteration == 1);
    BOOST_TEST(m.info.options.seed == 9u);
    // The same output, noise included (the noise is seeded from the saved seed).
    BOOST_TEST(test::max_abs_diff(m.translate(x, domain::A, e, 3), want) == 0.0, to_string(kind));
    // A wrong --config is refused by the metadata check, not by a shape error deep inside.
    load_overrides over;
    over.config = "medium";
    test::expect_error<value_error>([&] { load_translator(dir, over); }, {"egscit.ngf"});
    // And the whole evaluation runs on it.
    evaluate_options eo;
    eo.count = 4;
    const auto r = evaluate_direction(m.translate, pair_test_folders(root, domain::A, 4), eo);
    BOOST_TEST(r.translated.n == 4u);
    BOOST_TEST(std::isfinite(r.translated.mean));
  }
  test::expect_error<io_error>([&] { load_translator(root); }, {"no trained model"});
  fs::remove_all(dir);
  fs::remove_all(root);
}

// The held-out subset: digits 5..9 in a domain-B scheme other than R/G (MNIST-Single's training never
// shows them). A -> B takes the digit from the source and the scheme from the exemplar; B -> A both from
// the source. Names that are not MNIST-Single's give no subset.
BOOST_AUTO_TEST_CASE(named_configurations_are_compiled_in_as_listed) {
  // I2I_EGSCIT_CONFIGS's list is matched entry by entry (CI builds "mnist,small"; this build has all).
  static_assert(config_listed("mnist,small", "small") && config_listed("mnist,small", "mnist"));
  static_assert(!config_listed("mnist,small", "street") && !config_listed("mnist,smallish", "small") &&
                !config_listed("", "mnist") && !config_listed("mnist", "mnis"));
  const auto channels = [&](const std::string& name) {
    return with_named_config(name, []<class Cfg, class Dis>() { return Cfg::input_nc; });
  };
  for (const char* name : {"mnist", "street", "small", "medium"})
    if (named_config_built(name)) BOOST_TEST(channels(name) == 3);
  test::expect_error<value_error>([&] { channels("large"); }, {"unknown configuration 'large'"});
  test::expect_error<value_error>([&] { require_named_config("large"); }, {"unknown configuration 'large'"});
  require_named_config("small");
}

BOOST_AUTO_TEST_CASE(held_out_records_follow_the_mnist_single_names) {
  BOOST_TEST(parse_mnist_single_name("x/000123_7_R_G.png").label == 7);
  BOOST_TEST(parse_mnist_single_name("x/000123_7_R_G.png").scheme == "R_G");
  BOOST_TEST(parse_mnist_single_name("x/000004_x.png").label == -1);
  evaluation_pairs ab;
  ab.from = domain::A;
  ab.sources = {"000000_5_Black_Whilte.png", "000001_9_White_Black.png", "000002_4_Black_Whilte.png", "000003_6_Black_Whilte.png"};
  ab.exemplars = {"000000_1_G_B.png", "000001_3_R_G.png", "000002_8_B_R.png", "000003_6_R_B.png"};
  ab.truths = ab.sources;
  BOOST_TEST((held_out_records(ab) == std::vector<bool>{true, false, false, true}));
  evaluation_pairs ba = ab;
  ba.from = domain::B;
  ba.sources = {"000000_5_G_B.png", "000001_5_R_G.png", "000002_2_B_G.png", "000003_8_B_G.png"};
  ba.exemplars = ab.sources;
  BOOST_TEST((held_out_records(ba) == std::vector<bool>{true, false, false, true}));
  ab.sources[1] = "plain.png";
  BOOST_TEST(held_out_records(ab).empty());
}

BOOST_AUTO_TEST_SUITE_END()
