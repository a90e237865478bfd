// models::mobilenet_v2: Keras's names and shapes, the taps' shapes, backward through the frozen trunk,
// the loader's errors (which need no weights), and the taps against TensorFlow.js's own outputs of the
// same model (fixtures/taps.json, made by fixtures/make_taps.js) within 1e-4 when the weights from
// cmake/fetch_mobilenet_v2.sh are present in $I2I_DATA_DIR/mobilenet_v2 (skipped otherwise).
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "i2i/backend/counting_backend.hpp"
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/io/checkpoint.hpp"
#include "i2i/loss/types/vgg_perceptual.hpp"
#include "i2i/models/mobilenet_v2.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
namespace fs = std::filesystem;

namespace {

using net_type = model<models::mobilenet_v2, cpu_backend<float>>;

fs::path weights_path() {
  const char* env = std::getenv("I2I_DATA_DIR");
  return fs::path(env ? env : I2I_DEFAULT_DATA_DIR) / "mobilenet_v2" / "mobilenet_v2.safetensors";
}

struct weights_present {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    boost::test_tools::assertion_result r(fs::exists(weights_path()));
    r.message() << "MobileNetV2 weights not found at " << weights_path().string()
                << " (run cmake/fetch_mobilenet_v2.sh)";
    return r;
  }
};

template <class M>
std::string shape_of(const M& m, const std::string& key) {
  for (const auto& p : m.all_parameters())
    if (p->name == key) {
      std::ostringstream os;
      os << p->value.shape();
      return os.str();
    }
  return "(no " + key + ")";
}

/// The fixture's images: integer patterns v in [0, 255] as v / 127.5 - 1 (pattern() in make_taps.js).
int pattern(int n, int c, int y, int x) {
  if (n == 0) return (4 * y + 3 * x + 85 * c) % 256;
  if (n == 1) return (y * y + 3 * x * x + 7 * x * y * (c + 1) + 31 * c) % 256;
  const int odd = ((y >> 3) + (x >> 3)) % 2;
  return (odd ? 230 - 40 * c : 20 + 50 * c) + ((x + 2 * y) % 7);
}

tensor<float> fixture_images(int n, int h, int w) {
  auto x = tensor<float>::empty(shape::nchw(n, 3, h, w));
  for (int b = 0; b < n; ++b)
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < h; ++y)
        for (int i = 0; i < w; ++i) x.data()[((b * 3 + c) * h + y) * w + i] = float(pattern(b, c, y, i) / 127.5 - 1.0);
  return x;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mobilenet_v2)

BOOST_AUTO_TEST_CASE(keras_names_shapes_and_taps) {
  model<models::mobilenet_v2, counting_backend<>> M;
  BOOST_TEST(M.all_parameters().size() == 161u);  // the converted file's tensors up to block_10_project
  BOOST_TEST(M.parameter_count() == 305792);  // 316,736 values with the batch norms' running statistics
  BOOST_TEST(shape_of(M, "Conv1.weight") == "32x3x3x3");
  BOOST_TEST(shape_of(M, "bn_Conv1.running_var") == "32");
  BOOST_TEST(shape_of(M, "expanded_conv_depthwise.weight") == "32x1x3x3");
  BOOST_TEST(shape_of(M, "expanded_conv_project_BN.weight") == "16");
  BOOST_TEST(shape_of(M, "block_1_expand.weight") == "96x16x1x1");
  BOOST_TEST(shape_of(M, "block_2_depthwise.weight") == "144x1x3x3");
  BOOST_TEST(shape_of(M, "block_9_project_BN.running_mean") == "64");
  BOOST_TEST(shape_of(M, "block_10_project.weight") == "96x384x1x1");
  BOOST_TEST(shape_of(M, "block_10_project_BN.weight") == "(no block_10_project_BN.weight)");
  // Keras's padding rounds odd sizes down: 65 -> 32 -> 16 -> 8 -> 4.
  BOOST_TEST(M.output_shape(shape::nchw(2, 3, 64, 48)) == shape::nchw(2, 96, 4, 3));
  BOOST_TEST(M.output_shape(shape::nchw(1, 3, 65, 65)) == shape::nchw(1, 96, 4, 4));
  BOOST_TEST(M.output_shape(shape::nchw(1, 3, 224, 224)) == shape::nchw(1, 96, 14, 14));
}

BOOST_AUTO_TEST_CASE(taps_and_backward_to_the_input) {
  net_type M;
  initialize(M, init_policy::pytorch(), 3);
  M.freeze("");
  const auto x = test::random_tensor<float>(shape::nchw(2, 3, 32, 40));
  auto ctx = M.forward(x);
  const shape shapes[] = {shape::nchw(2, 96, 16, 20), shape::nchw(2, 144, 8, 10), shape::nchw(2, 192, 4, 5),
                          shape::nchw(2, 96, 2, 2)};  // 5 columns -> 2: Keras's bottom/right padding
  BOOST_REQUIRE(ctx.taps.size() == 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    BOOST_TEST(ctx.taps.items()[i].first == std::string(models::mobilenet_v2::taps[i]));
    BOOST_TEST(ctx.taps.items()[i].second.shape() == shapes[i]);
  }
  for (std::size_t i = 0; i < 3; ++i) {  // ReLU6 outputs
    const auto& v = ctx.taps.items()[i].second.values();
    BOOST_TEST(*std::min_element(v.begin(), v.end()) >= 0.f);
    BOOST_TEST(*std::max_element(v.begin(), v.end()) <= 6.f);
  }
  tap_list<float> g;
  g.put("block_1_expand_relu", test::random_tensor<float>(shapes[0]));
  g.put("block_6_expand_relu", test::random_tensor<float>(shapes[2]));
  auto dx = M.backward(ctx, test::random_tensor<float>(shapes[3]), g, true);
  BOOST_TEST(dx.shape() == x.shape());
  double s = 0, frozen = 0;
  for (auto v : dx.values()) s += std::abs(v);
  for (const auto& p : M.all_parameters())
    if (p->grad.defined())  // buffers (running statistics) have none
      for (auto v : p->grad.values()) frozen += std::abs(v);
  BOOST_TEST(std::isfinite(s));
  BOOST_TEST(s > 0);
  BOOST_TEST(frozen == 0.0);

  // As the feature network of the VGG-form perceptual loss.
  loss::vgg_perceptual perceptual(M, 10, loss::mobilenet_v2_taps(1. / 8, 1. / 4, 1. / 2, 1.), "mobilenet_v2_perceptual");
  const auto y = test::random_tensor<float>(x.shape());
  const auto r = perceptual(x, y);
  BOOST_TEST(r.value > 0);
  BOOST_TEST(r.grad.shape() == x.shape());
}

BOOST_AUTO_TEST_CASE(loader_names_missing_and_malformed_tensors) {
  net_type M;
  initialize(M, init_policy::pytorch(), 4);
  const fs::path dir = fs::temp_directory_path() / ("i2i_mobilenet_v2_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  test::expect_error<io_error>([&] { models::load_mobilenet_v2(M, (dir / "absent.safetensors").string()); },
                               {"absent.safetensors", "fetch_mobilenet_v2.sh"});

  // A file without block_3_expand.weight and with a mis-shaped block_10_project.weight.
  state_dict<float> sd;
  for (const auto& p : M.all_parameters()) {
    if (p->name == "block_3_expand.weight") continue;
    if (p->name == "block_10_project.weight") sd.push_back({p->name, tensor<float>::zeros(shape{96, 320, 1, 1})});
    else sd.push_back({p->name, p->value});
  }
  sd.push_back({"Logits.weight", tensor<float>::zeros(shape{5, 1280})});  // later layers are ignored
  const std::string bad = (dir / "bad.safetensors").string();
  io::save_state_dict(sd, bad);
  test::expect_error<io_error>([&] { models::load_mobilenet_v2(M, bad); },
                               {"bad.safetensors", "block_3_expand.weight", "block_10_project.weight", "96x320x1x1"});

  // A complete file with a NaN.
  state_dict<float> nan_sd;
  for (const auto& p : M.all_parameters()) nan_sd.push_back({p->name, p->value.clone()});
  nan_sd[5].value.data()[0] = std::nanf("");
  const std::string with_nan = (dir / "nan.safetensors").string();
  io::save_state_dict(nan_sd, with_nan);
  test::expect_error<io_error>([&] { models::load_mobilenet_v2(M, with_nan); }, {"nan.safetensors", nan_sd[5].name, "non-finite"});
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(taps_match_tensorflow_js, *boost::unit_test::precondition(weights_present())) {
  std::ifstream in(fs::path(__FILE__).parent_path() / "fixtures" / "taps.json");
  BOOST_REQUIRE(in);
  const auto fixture = nlohmann::json::parse(in);
  const int n = fixture["input"]["n"], h = fixture["input"]["h"], w = fixture["input"]["w"];

  net_type M;
  const auto report = models::load_mobilenet_v2(M, weights_path().string());
  BOOST_TEST(report.loaded.size() == 161u);
  auto ctx = M.forward(fixture_images(n, h, w));

  const double tol = 1e-4;
  for (const auto name : models::mobilenet_v2::taps) {
    BOOST_TEST_CONTEXT("tap " << name) {
      const auto& ref = fixture["taps"][std::string(name)];
      const tensor<float>& t = ctx.tap(std::string(name));
      const auto s = ref["shape"].get<std::vector<std::int64_t>>();
      BOOST_REQUIRE(t.shape() == shape::nchw(s[0], s[1], s[2], s[3]));
      const std::int64_t C = s[1], plane = s[2] * s[3];
      double worst_mean = 0, worst_sample = 0, worst_full = 0;
      for (std::int64_t b = 0; b < s[0]; ++b)
        for (std::int64_t c = 0; c < C; ++c) {
          double sum = 0;
          for (std::int64_t i = 0; i < plane; ++i) sum += t.data()[(b * C + c) * plane + i];
          worst_mean = std::max(worst_mean, std::abs(sum / double(plane) - ref["channel_mean"][b][c].get<double>()));
        }
      for (const auto& e : ref["samples"]) {
        const std::int64_t b = e[0], c = e[1], y = e[2], x = e[3];
        worst_sample = std::max(worst_sample, std::abs(double(t.data()[((b * C + c) * s[2] + y) * s[3] + x]) - e[4].get<double>()));
      }
      if (ref.contains("full")) {
        const auto& full = ref["full"];
        BOOST_REQUIRE(std::int64_t(full.size()) == t.numel());
        for (std::int64_t i = 0; i < t.numel(); ++i)
          worst_full = std::max(worst_full, std::abs(double(t.data()[i]) - full[std::size_t(i)].get<double>()));
      }
      BOOST_TEST_MESSAGE(name << ": largest difference to TF.js: channel means " << worst_mean << ", samples "
                              << worst_sample << ", whole map " << worst_full);
      BOOST_TEST(worst_mean <= tol);
      BOOST_TEST(worst_sample <= tol);
      BOOST_TEST(worst_full <= tol);
    }
  }
}

BOOST_AUTO_TEST_CASE(perceptual_loss_with_the_real_weights, *boost::unit_test::precondition(weights_present())) {
  const auto fake = fixture_images(2, 48, 40), real = test::random_tensor<float>(fake.shape());
  // snippet-begin: mobilenet-v2-perceptual
  model<models::mobilenet_v2, cpu_backend<float>> net;
  models::load_mobilenet_v2(net, weights_path().string());  // frozen after loading
  loss::vgg_perceptual perceptual(net, 10, loss::mobilenet_v2_taps(1. / 8, 1. / 4, 1. / 2, 1.));
  auto r = perceptual(fake, real);  // r.value; r.grad = d value / d fake
  // snippet-end
  BOOST_TEST(r.value > 0);
  BOOST_TEST(r.grad.shape() == fake.shape());
  BOOST_TEST(perceptual(real, real).value == 0.0);
}

BOOST_AUTO_TEST_SUITE_END()
