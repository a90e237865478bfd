// ONNX export, C++ side: every case builds a small network with random weights, exports it, and writes
// its inputs and our CPU forward's outputs as .npy next to the .onnx file, listed in manifest.txt.
// check_onnx.py (the test onnx_runtime) then checks each file with onnx.checker and runs it in OpenCV
// DNN against those outputs. This side also checks what needs no runtime: the op types and attributes,
// the initializer names (state_dict keys), and the errors.
//
// Cases are written to $I2I_ONNX_CASE_DIR (default ./onnx_cases).
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/io/npy.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/recipes/egscit/trainer_common.hpp"
#include "i2i/models/egscit/transfer.hpp"
#include "i2i/models/mobilenet_v2.hpp"
#include "i2i/models/pix2pixhd/networks.hpp"
#include "i2i/recipes/pix2pixhd/options.hpp"
#include "i2i/onnx/egscit_translator.hpp"
#include "i2i/onnx/export.hpp"

namespace {

using namespace i2i;
namespace fs = std::filesystem;
using B = cpu_backend<float>;

fs::path case_dir() {
  const char* d = std::getenv("I2I_ONNX_CASE_DIR");
  fs::path p = d && *d ? d : "onnx_cases";
  fs::create_directories(p);
  return p;
}

/// Appends a case to the manifest: the .onnx file, its inputs and the expected outputs.
struct manifest_case {
  std::string name;
  std::vector<std::pair<std::string, tensor<float>>> inputs, outputs;
  /// "run": OpenCV and the numpy reference; "cli": the same, on a file that i2i_export writes (test
  /// onnx_export_cli); "reference": the numpy reference only (OpenCV 4.6 runs this graph wrongly)
  std::string mode = "run";

  void write() const {
    const fs::path dir = case_dir();
    std::ofstream m(dir / "manifest.txt", std::ios::app);
    m << "case " << name << " " << name << ".onnx " << mode << "\n";
    for (const auto& [n, t] : inputs) {
      io::write_npy((dir / (name + ".in." + n + ".npy")).string(), t);
      m << "input " << n << " " << name << ".in." << n << ".npy\n";
    }
    for (const auto& [n, t] : outputs) {
      io::write_npy((dir / (name + ".out." + n + ".npy")).string(), t);
      m << "output " << n << " " << name << ".out." << n << ".npy\n";
    }
  }
};

tensor<float> random_tensor(const shape& s, std::mt19937_64& rng, float lo = -1, float hi = 1) {
  auto t = tensor<float>::empty(s);
  std::uniform_real_distribution<float> u(lo, hi);
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = u(rng);
  return t;
}

/// Weights ~ U(-1, 1) / sqrt(fan_in) keep activations of order one; norm scales near 1, running
/// variances positive.
template <class Model>
void randomise(const Model& m, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (const auto& p : m.all_parameters()) {
    const std::string& n = p->name;
    const bool is_var = n.size() >= 11 && n.compare(n.size() - 11, 11, "running_var") == 0;
    const double scale = p->fan_in > 0 ? 1.0 / std::sqrt(double(p->fan_in)) : 1.0;
    std::uniform_real_distribution<double> u(-1, 1);
    for (std::int64_t i = 0; i < p->value.numel(); ++i) {
      double v = u(rng);
      if (is_var) v = 0.75 + 0.5 * std::abs(v);
      else if (p->role == param_role::norm_weight) v = 1 + 0.2 * v;
      else if (p->role == param_role::conv_bias || p->role == param_role::linear_bias || p->role == param_role::norm_bias ||
               p->role == param_role::buffer)
        v = 0.1 * v;
      else v *= scale;
      p->value[i] = float(v);
    }
  }
}

/// The ONNX file of a case, parsed back.
::i2i_onnx_pb::ModelProto read_back(const std::string& name) {
  ::i2i_onnx_pb::ModelProto m;
  std::ifstream f(case_dir() / (name + ".onnx"), std::ios::binary);
  BOOST_REQUIRE(m.ParseFromIstream(&f));
  return m;
}

std::multiset<std::string> op_types(const ::i2i_onnx_pb::ModelProto& m) {
  std::multiset<std::string> r;
  for (const auto& n : m.graph().node()) r.insert(n.op_type());
  return r;
}

const ::i2i_onnx_pb::NodeProto& first_node(const ::i2i_onnx_pb::ModelProto& m, const std::string& op) {
  for (const auto& n : m.graph().node())
    if (n.op_type() == op) return n;
  BOOST_FAIL("no " << op << " node");
  return m.graph().node(0);
}

std::vector<std::int64_t> ints_attribute(const ::i2i_onnx_pb::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return {a.ints().begin(), a.ints().end()};
  return {};
}
std::int64_t int_attribute(const ::i2i_onnx_pb::NodeProto& n, const std::string& name, std::int64_t def) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return a.i();
  return def;
}

/// Exports a single-input network, records input and output, and returns the file parsed back.
template <class Spec>
::i2i_onnx_pb::ModelProto single(const std::string& name, const shape& in, std::uint64_t seed,
                                 const onnx::export_options& o = {}, const std::string& mode = "run",
                                 float amplitude = 1) {
  model<Spec, B> m;
  randomise(m, seed);
  m.eval();
  std::mt19937_64 rng(seed + 1);
  const auto x = random_tensor(in, rng, -amplitude, amplitude);
  onnx::export_model(m, in, (case_dir() / (name + ".onnx")).string(), o);
  manifest_case c{name, {{o.input_name, x}}, {{o.output_name, m(x)}}, mode};
  c.write();
  return read_back(name);
}

/// A case whose .onnx file i2i_export writes (test onnx_export_cli); check_onnx.py skips it when the
/// file is missing (examples not built).
void expect_cli_output(const std::string& name, std::vector<std::pair<std::string, tensor<float>>> inputs,
                       const tensor<float>& output) {
  manifest_case{name, std::move(inputs), {{"output", output}}, "cli"}.write();
}

/// A fresh manifest for every run of the executable.
struct fresh_manifest {
  fresh_manifest() { fs::remove(case_dir() / "manifest.txt"); }
};

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(fresh_manifest);

BOOST_AUTO_TEST_SUITE(onnx_export)

// ---- one op at a time ----

BOOST_AUTO_TEST_CASE(reflect_pad_is_pad_reflect) {
  auto m = single<seq<channels<3>, reflect_pad<2>>>("op_reflect_pad", shape::nchw(2, 3, 7, 9), 1);
  const auto& n = first_node(m, "Pad");
  BOOST_TEST(n.attribute(0).s() == "reflect");
  single<seq<channels<3>, zero_pad<1>>>("op_zero_pad", shape::nchw(1, 3, 5, 4), 2);
}

BOOST_AUTO_TEST_CASE(reflect_pad_too_small_names_the_layer) {
  model<seq<channels<2>, conv<2, 1>, reflect_pad<3>>, B> m;
  BOOST_CHECK_EXCEPTION(onnx::export_model(m, shape::nchw(1, 2, 3, 8), (case_dir() / "unused.onnx").string()),
                        shape_error, [](const shape_error& e) {
                          return std::string(e.what()).find("1: input") != std::string::npos;  // path "1"
                        });
}

BOOST_AUTO_TEST_CASE(convolutions) {
  auto m = single<seq<channels<3>, conv<4, 3, 2, 1>>>("op_conv", shape::nchw(1, 3, 9, 8), 3);
  BOOST_TEST(m.graph().initializer_size() == 2);
  BOOST_TEST(m.graph().initializer(0).name() == "0.weight");
  BOOST_TEST(m.graph().initializer(1).name() == "0.bias");
  // TF SAME on odd sizes pads one more after than before.
  m = single<seq<channels<3>, conv<4, 4, 2, tf_same>>>("op_conv_tf_same", shape::nchw(1, 3, 9, 8), 4);
  BOOST_TEST(ints_attribute(first_node(m, "Conv"), "pads") == (std::vector<std::int64_t>{1, 1, 2, 1}),
             boost::test_tools::per_element());
  single<seq<channels<3>, conv<5, 3, 1, 0, false>>>("op_conv_no_bias", shape::nchw(1, 3, 6, 6), 5);
}

BOOST_AUTO_TEST_CASE(conv_transpose_output_padding) {
  auto m = single<seq<channels<4>, conv_transpose<3, 3, 2, 1, 1>>>("op_conv_transpose_output_padding",
                                                                  shape::nchw(1, 4, 5, 6), 6);
  const auto& n = first_node(m, "ConvTranspose");
  BOOST_TEST(ints_attribute(n, "output_padding") == (std::vector<std::int64_t>{1, 1}), boost::test_tools::per_element());
  BOOST_TEST(ints_attribute(n, "pads") == (std::vector<std::int64_t>{1, 1, 1, 1}), boost::test_tools::per_element());
  // TF-SAME crops 0 before and 1 after: ConvTranspose then Slice.
  m = single<seq<channels<4>, conv_transpose<3, 3, 2, tf_same>>>("op_conv_transpose_tf_same", shape::nchw(1, 4, 5, 6), 7);
  BOOST_TEST(op_types(m).count("Slice") == 1u);
  single<seq<channels<4>, conv_transpose<2, 1, 1, tf_same>>>("op_conv_transpose_1x1", shape::nchw(1, 4, 3, 3), 8);
  single<seq<channels<4>, conv_transpose<2, 4, 2, 1>>>("op_conv_transpose_k4", shape::nchw(1, 4, 3, 5), 9);
}

BOOST_AUTO_TEST_CASE(pooling_count_include_pad) {
  auto m = single<seq<channels<3>, avg_pool<3, 2, 1, false>>>("op_avg_pool_exclude_pad", shape::nchw(1, 3, 9, 8), 10);
  BOOST_TEST(int_attribute(first_node(m, "AveragePool"), "count_include_pad", -1) == 0);
  // Counting the padding = zero-padding first (OpenCV 4.6 ignores count_include_pad = 1).
  m = single<seq<channels<3>, avg_pool<3, 2, 1, true>>>("op_avg_pool_include_pad", shape::nchw(1, 3, 9, 8), 11);
  BOOST_TEST(op_types(m).count("Pad") == 1u);
  BOOST_TEST(ints_attribute(first_node(m, "AveragePool"), "pads").empty());
  single<seq<channels<3>, max_pool<2, 2>>>("op_max_pool", shape::nchw(1, 3, 8, 6), 12);
  single<seq<channels<3>, max_pool<2, 2, tf_same>>>("op_max_pool_tf_same", shape::nchw(1, 3, 7, 5), 13);
}

BOOST_AUTO_TEST_CASE(norms) {
  auto m = single<seq<channels<4>, instance_norm<>>>("op_instance_norm", shape::nchw(2, 4, 5, 6), 14);
  // not affine: scale 1 and bias 0 written out
  BOOST_TEST(m.graph().initializer_size() == 2);
  // OpenCV 4.6 applies an affine InstanceNormalization's scale and bias wrongly to samples after the
  // first, so its run uses one sample (docs/onnx.md, "OpenCV 4.6").
  single<seq<channels<4>, instance_norm<true>>>("op_instance_norm_affine", shape::nchw(1, 4, 5, 6), 15);
  single<seq<channels<4>, instance_norm<true>>>("op_instance_norm_affine_batch2", shape::nchw(2, 4, 5, 6), 15, {},
                                                "reference");
  m = single<seq<channels<4>, batch_norm<>>>("op_batch_norm", shape::nchw(2, 4, 5, 6), 16);
  std::set<std::string> names;
  for (const auto& t : m.graph().initializer()) names.insert(t.name());
  BOOST_TEST(names == (std::set<std::string>{"0.weight", "0.bias", "0.running_mean", "0.running_var"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(mobilenet_v2_ops) {
  // depthwise (group = channels) and grouped convolutions, Keras's bottom-right padding
  auto m = single<seq<channels<6>, depthwise_conv<3, 1, 1, false>>>("op_depthwise_conv", shape::nchw(1, 6, 7, 8), 25);
  BOOST_TEST(int_attribute(first_node(m, "Conv"), "group", 1) == 6);
  m = single<seq<channels<6>, conv<4, 3, 1, 1, true, 2>>>("op_grouped_conv", shape::nchw(2, 6, 5, 5), 26);
  BOOST_TEST(int_attribute(first_node(m, "Conv"), "group", 1) == 2);
  m = single<seq<channels<3>, conv<4, 3, 2, pad_bottom_right, false>>>("op_conv_pad_bottom_right",
                                                                       shape::nchw(1, 3, 8, 8), 27);
  BOOST_TEST(ints_attribute(first_node(m, "Conv"), "pads") == (std::vector<std::int64_t>{0, 0, 1, 1}),
             boost::test_tools::per_element());
  // frozen batch norm with and without its fused ReLU6 (the running statistics, whatever the mode)
  m = single<seq<channels<4>, frozen_batch_norm<std::milli, relu6>>>("op_frozen_batch_norm_relu6",
                                                                     shape::nchw(2, 4, 5, 6), 28, {}, "reference", 10);
  BOOST_TEST(op_types(m) == (std::multiset<std::string>{"BatchNormalization", "Clip"}),
             boost::test_tools::per_element());
  single<seq<channels<4>, frozen_batch_norm<>>>("op_frozen_batch_norm", shape::nchw(2, 4, 5, 6), 29);
}

BOOST_AUTO_TEST_CASE(mobilenet_v2_trunk) {
  // the perceptual network of issue 19 (Keras MobileNetV2 up to block_10_project), random weights
  auto m = single<models::mobilenet_v2>("mobilenet_v2", shape::nchw(1, 3, 64, 64), 30, {}, "reference");
  const auto ops = op_types(m);
  BOOST_TEST(ops.count("Conv") == 33u);
  BOOST_TEST(ops.count("BatchNormalization") == 32u);
  BOOST_TEST(ops.count("Clip") == 22u);
  BOOST_TEST(ops.count("Add") == 6u);
  int depthwise = 0, bottom_right = 0;
  for (const auto& n : m.graph().node()) {
    if (n.op_type() != "Conv") continue;
    depthwise += int_attribute(n, "group", 1) > 1;
    bottom_right += ints_attribute(n, "pads") == std::vector<std::int64_t>{0, 0, 1, 1};
  }
  BOOST_TEST(depthwise == 11);     // expanded_conv and blocks 1-10
  BOOST_TEST(bottom_right == 4);   // Conv1 and the stride-2 depthwise convs of blocks 1, 3, 6
}

BOOST_AUTO_TEST_CASE(activations_and_resampling) {
  single<seq<channels<3>, relu>>("op_relu", shape::nchw(1, 3, 4, 4), 17);
  auto m = single<seq<channels<3>, leaky_relu<std::ratio<1, 5>>>>("op_leaky_relu", shape::nchw(1, 3, 4, 4), 18);
  BOOST_TEST(first_node(m, "LeakyRelu").attribute(0).f() == 0.2f);
  // inputs in (-10, 10) so that both of ReLU6's bounds clip. OpenCV 4.6 reads only the opset-6 Clip
  // (bounds as attributes), so ReLU6 graphs run in the numpy reference (docs/onnx.md, "OpenCV 4.6").
  m = single<seq<channels<3>, relu6>>("op_relu6", shape::nchw(1, 3, 4, 4), 24, {}, "reference", 10);
  BOOST_TEST(op_types(m) == (std::multiset<std::string>{"Clip"}), boost::test_tools::per_element());
  single<seq<channels<3>, tanh_>>("op_tanh", shape::nchw(1, 3, 4, 4), 19);
  single<seq<channels<3>, sigmoid>>("op_sigmoid", shape::nchw(1, 3, 4, 4), 20);
  single<seq<channels<3>, upsample_nearest<2>>>("op_upsample_nearest", shape::nchw(1, 3, 4, 5), 21);
  single<seq<channels<6>, linear<5>>>("op_linear", shape::nchw(3, 6, 1, 1), 22);
}

BOOST_AUTO_TEST_CASE(merges) {
  auto m = single<seq<channels<3>, parallel<concat, named<"a", conv<2, 1>>, named<"b", conv<4, 3, 1, 1>>>>>(
      "op_concat", shape::nchw(1, 3, 5, 5), 23);
  BOOST_TEST(op_types(m).count("Concat") == 1u);
  m = single<seq<channels<3>, parallel<sum, named<"a", conv<2, 1>>, named<"b", conv<2, 3, 1, 1>>,
                                       named<"c", conv<2, 1, 1, 0, false>>>>>("op_sum", shape::nchw(1, 3, 5, 5), 24);
  BOOST_TEST(op_types(m).count("Add") == 2u);
  single<seq<channels<3>, residual<seq<conv<3, 3, 1, 1>, relu>>>>("op_residual", shape::nchw(1, 3, 5, 5), 25);
}

namespace {
/// A graph built by `emit(g, x, style)` from inputs "x" and "style", recorded with the expected output.
template <class Emit>
void style_case(const std::string& name, const tensor<float>& x, const tensor<float>& style, Emit&& emit,
                const tensor<float>& expected, const std::string& mode = "run") {
  onnx::graph_builder g;
  const auto vx = g.input("x", x.shape());
  const auto vs = g.input("style", style.shape());
  g.output("output", emit(g, vx, vs));
  g.save((case_dir() / (name + ".onnx")).string());
  manifest_case{name, {{"x", x}, {"style", style}}, {{"output", expected}}, mode}.write();
}
}  // namespace

BOOST_AUTO_TEST_CASE(adain_and_mask_as_standard_ops) {
  std::mt19937_64 rng(26);
  // One sample: OpenCV 4.6 cannot broadcast an N x C x 1 x 1 operand of Sub when N > 1 (docs/onnx.md).
  const auto x = random_tensor(shape::nchw(1, 3, 5, 6), rng), s = random_tensor(shape::nchw(1, 3, 4, 4), rng, 0.2f, 2);
  const auto egscit_form = [](onnx::graph_builder& g, const onnx::value& a, const onnx::value& b) {
    return onnx::adain_egscit(g, a, b, 1e-5);
  };
  style_case("op_adain_egscit", x, s, egscit_form, cpu::adain_egscit_from_exemplar(x, s, 1e-5).adain.y);
  style_case(
      "op_adain", x, s,
      [](onnx::graph_builder& g, const onnx::value& a, const onnx::value& b) { return onnx::adain_from_style(g, a, b, 1e-5); },
      cpu::adain_from_style(x, s).adain.y);
  // batches: the numpy reference only
  const auto x2 = random_tensor(shape::nchw(2, 3, 5, 6), rng), s2 = random_tensor(shape::nchw(2, 3, 4, 4), rng, 0.2f, 2);
  style_case("op_adain_egscit_batch2", x2, s2, egscit_form, cpu::adain_egscit_from_exemplar(x2, s2, 1e-5).adain.y,
             "reference");
  {
    onnx::graph_builder g;
    g.output("output", onnx::feature_mask(g, g.input("x", x.shape())));
    g.save((case_dir() / "op_feature_mask.onnx").string());
    manifest_case{"op_feature_mask", {{"x", x}}, {{"output", cpu::feature_mask(x)}}}.write();
  }
}

// ---- the papers' networks ----

BOOST_AUTO_TEST_CASE(pix2pixhd_global_generator) {
  using G = pix2pixhd::global_generator<12, 3, 8, 2, 2>;
  auto m = single<G>("pix2pixhd_global_generator", shape::nchw(1, 12, 32, 48), 30);
  // Initializers are the reference state_dict keys.
  model<G, B> ref;
  std::vector<std::string> expected, got;
  for (const auto& p : ref.all_parameters()) expected.push_back(p->name);
  for (const auto& t : m.graph().initializer())
    if (t.name().rfind("model.", 0) == 0) got.push_back(t.name());
  BOOST_TEST(got == expected, boost::test_tools::per_element());
  BOOST_TEST(got.front() == "model.1.weight");
}

BOOST_AUTO_TEST_CASE(pix2pixhd_global_generator_dynamic) {
  using G = pix2pixhd::global_generator<12, 3, 8, 2, 2>;
  model<G, B> m;
  randomise(m, 31);
  std::mt19937_64 rng(32);
  onnx::export_options o;
  o.dynamic_batch = o.dynamic_size = true;
  onnx::export_model(m, shape::nchw(1, 12, 32, 32), (case_dir() / "pix2pixhd_global_generator_dynamic.onnx").string(), o);
  // run at another size than the example's
  const auto x = random_tensor(shape::nchw(2, 12, 24, 40), rng);
  manifest_case{"pix2pixhd_global_generator_dynamic", {{"input", x}}, {{"output", m(x)}}}.write();
  const auto back = read_back("pix2pixhd_global_generator_dynamic");
  BOOST_TEST(back.graph().input(0).type().tensor_type().shape().dim(0).dim_param() == "N");
}

BOOST_AUTO_TEST_CASE(pix2pixhd_local_enhancer) {
  // G1 at Ngf 2^K = 8 with 2 downsamplings; one enhancer level: sides divisible by 2^(2+1).
  using G = pix2pixhd::local_enhancer<13, 3, 4, 2, 1, 1, 1>;
  auto m = single<G>("pix2pixhd_local_enhancer", shape::nchw(1, 13, 32, 40), 33);
  bool has_front = false;
  for (const auto& t : m.graph().initializer()) has_front = has_front || t.name() == "model1_1.1.weight";
  BOOST_TEST(has_front);
  BOOST_TEST(op_types(m).count("AveragePool") == 1u);
}

BOOST_AUTO_TEST_CASE(pix2pixhd_multiscale_discriminator) {
  using D = pix2pixhd::multiscale_discriminator<15, 3, 8, 2>;
  model<D, B> m;
  randomise(m, 34);
  std::mt19937_64 rng(35);
  const auto x = random_tensor(shape::nchw(1, 15, 32, 40), rng);
  onnx::export_options o;
  o.taps = {"scale2.layer1"};  // an intermediate feature map (feature matching) as an extra output
  onnx::export_model(m, x.shape(), (case_dir() / "pix2pixhd_multiscale_discriminator.onnx").string(), o);
  const auto c = m.forward(x);
  manifest_case{"pix2pixhd_multiscale_discriminator",
                {{"input", x}},
                {{"output", c.output},
                 {"scale0.out", c.tap("scale0.out")},
                 {"scale1.out", c.tap("scale1.out")},
                 {"scale2.out", c.tap("scale2.out")},
                 {"scale2.layer1", c.tap("scale2.layer1")}}}
      .write();
  const auto back = read_back("pix2pixhd_multiscale_discriminator");
  BOOST_TEST(back.graph().output_size() == 5);
  bool named = false;
  for (const auto& t : back.graph().initializer()) named = named || t.name() == "scale0_layer0.0.weight";
  BOOST_TEST(named);
}

BOOST_AUTO_TEST_CASE(pix2pixhd_encoder) {
  single<pix2pixhd::encoder<3, 3, 4, 2>>("pix2pixhd_encoder", shape::nchw(1, 3, 16, 20), 36);
}

namespace {
/// EGSC-IT's translator in the street configuration's shape (two stride-2 convs, TF-SAME deconvs) at
/// CPU-test widths, with exemplar and noise inputs; `batch` samples.
void translator_case(const std::string& name, std::int64_t batch, const std::string& mode) {
  using Cfg = egscit::config<3, 8, 1>;
  egscit::translator_networks<Cfg, B> net;
  for (const auto* m : {&net.E_A, &net.E_B}) randomise(*m, 40);
  randomise(net.S, 41);
  randomise(net.G_A, 42);
  randomise(net.G_B, 43);
  randomise(net.F_A, 44);
  randomise(net.F_B, 45);
  std::mt19937_64 rng(46);
  const auto content = random_tensor(shape::nchw(batch, 3, 32, 24), rng);
  const auto exemplar = random_tensor(shape::nchw(batch, 3, 24, 32), rng);
  egscit::transfer_options t;
  t.eps = 1e-5;
  onnx::translator_export_options o;
  o.latent_noise = true;
  const auto summary = onnx::export_translator(net, onnx::translation::a_to_b, t, content.shape(), exemplar.shape(),
                                               (case_dir() / (name + ".onnx")).string(), o);
  BOOST_TEST(summary.op_counts.at("ReduceMean") == 4);
  BOOST_TEST(summary.op_counts.at("Slice") == 2);  // the two TF-SAME deconvs
  // our forward: the trainer's encode/decode with the noise given
  auto latent = net.E_A(content);
  const auto noise = random_tensor(latent.shape(), rng);
  for (std::int64_t i = 0; i < latent.numel(); ++i) latent[i] += noise[i];
  const auto code = net.S(latent);
  const auto y = net.G_B(egscit::transfer_forward<cpu_backend<float>>(code, net.F_A(content), net.F_B(exemplar), t).y);
  manifest_case{name, {{"content", content}, {"exemplar", exemplar}, {"noise", noise}}, {{"output", y}}, mode}.write();
}
}  // namespace

BOOST_AUTO_TEST_CASE(egscit_translator_with_exemplar) {
  translator_case("egscit_translator", 1, "run");  // one sample: OpenCV 4.6 (see adain above)
  translator_case("egscit_translator_batch2", 2, "reference");
}

// ---- checkpoint folders for i2i_export (test onnx_export_cli) ----
// Written in the trainers' formats (the files and metadata pix2pixhd_train and egscit_train save) from
// random weights: CI has no time to train. The outputs expected from i2i_export's files are ours.

BOOST_AUTO_TEST_CASE(pix2pixhd_checkpoint_folder) {
  using Cfg = pix2pixhd::config<pix2pixhd::cpu_preset, false, 12, false>;  // digit scenes, global G
  const fs::path dir = case_dir() / "checkpoint_pix2pixhd";
  fs::create_directories(dir);
  model<Cfg::generator, B> G;
  model<Cfg::discriminator, B> D;
  randomise(G, 50);
  randomise(D, 51);
  const std::map<std::string, std::string> meta{
      {"i2i.model", "pix2pixhd"}, {"preset", "cpu"},     {"netG", "global"},   {"label_nc", "11"},
      {"no_instance", "0"},       {"instance_feat", "0"}, {"label_channels", "12"}, {"epoch", "1"},
      {"loadSize", "32"},         {"fineSize", "32"},    {"resize_or_crop", "none"}};
  save_model(G, (dir / "latest_net_G.safetensors").string(), meta);
  save_model(D, (dir / "latest_net_D.safetensors").string(), meta);
  std::mt19937_64 rng(52);
  const auto x = random_tensor(shape::nchw(1, 12, 32, 32), rng);
  expect_cli_output("cli_pix2pixhd_G", {{"input", x}}, G(x));
  const auto xd = random_tensor(shape::nchw(1, 15, 32, 32), rng);
  expect_cli_output("cli_pix2pixhd_D", {{"input", xd}}, D(xd));
}

BOOST_AUTO_TEST_CASE(egscit_checkpoint_folder) {
  using Cfg = egscit::config<1, 8, 1>;  // egscit::load's configuration "small"
  const fs::path dir = case_dir() / "checkpoint_egscit";
  fs::create_directories(dir);
  egscit::translator_networks<Cfg, B> net;
  randomise(net.E_A, 60);
  randomise(net.E_B, 60);
  randomise(net.S, 61);
  randomise(net.G_A, 62);
  randomise(net.G_B, 63);
  randomise(net.F_A, 64);
  randomise(net.F_B, 65);
  egscit::train_options o;
  o.config_name = "small";
  const auto meta = egscit::checkpoint_metadata<Cfg>(o, 6, "stage2");
  for (const auto& [m, file] : {std::pair{&net.E_A, "E_A"}, std::pair{&net.E_B, "E_B"}})
    save_model(*m, (dir / (std::string(file) + ".safetensors")).string(), meta);
  save_model(net.S, (dir / "S.safetensors").string(), meta);
  save_model(net.G_A, (dir / "G_A.safetensors").string(), meta);
  save_model(net.G_B, (dir / "G_B.safetensors").string(), meta);
  save_model(net.F_A, (dir / "F_A.safetensors").string(), meta);
  save_model(net.F_B, (dir / "F_B.safetensors").string(), meta);
  std::mt19937_64 rng(66);
  const auto content = random_tensor(shape::nchw(1, 3, 20, 24), rng), exemplar = random_tensor(shape::nchw(1, 3, 20, 24), rng);
  // b2a without latent noise (i2i_export --direction b2a --no-noise)
  const auto y = net.G_A(egscit::transfer_forward<cpu_backend<float>>(net.S(net.E_B(content)), net.F_B(content), net.F_A(exemplar), o.transfer).y);
  expect_cli_output("cli_egscit_b2a", {{"content", content}, {"exemplar", exemplar}}, y);
}

BOOST_AUTO_TEST_SUITE_END()
