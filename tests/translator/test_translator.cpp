// i2i::pix2pixhd::translator on the CPU: the same numbers as the network's own forward pass (inference
// keeps no backward state but computes the same), and the errors an embedder meets.
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <filesystem>
#include <string>

#include "fixture.hpp"
#include "i2i/data/map_tensor.hpp"
#include "i2i/data/encode.hpp"
#include "i2i/translator.hpp"

namespace {

namespace fs = std::filesystem;
namespace p = i2i::pix2pixhd;
using tiny_global = p::config<p::tiny_preset, false, 12, false>;
using tiny_local = p::config<p::tiny_preset, true, 12, false>;

struct scratch {
  fs::path dir = fs::temp_directory_path() / ("i2i_translator_" + std::to_string(::getpid()));
  scratch() {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~scratch() { fs::remove_all(dir); }
};

bool same_bits(const i2i::tensor<float>& a, const i2i::tensor<float>& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), std::size_t(a.numel()) * sizeof(float)) == 0;
}

template <class E>
std::string message_of(auto&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "(no " + std::string(typeid(E).name()) + " thrown)";
}

/// The translator against model::forward (the training path, which keeps its context) on the same file.
template <class Cfg>
void check_same_as_forward(const scratch& s, const char* name) {
  const auto file = translator_fixture::write_generator<Cfg>(s.dir / name, 11, 3);
  translator_fixture::write_maps(s.dir / name / "data", "m", 32, 16, 11, 5);
  const auto label = i2i::data::read_map((s.dir / name / "data/test_label/m.png").string());
  const auto inst = i2i::data::read_map((s.dir / name / "data/test_inst/m.png").string());

  const auto t = p::load_translator(file, i2i::device::cpu());
  BOOST_TEST(t.info().preset == "tiny");
  BOOST_TEST(t.info().netG == (Cfg::local ? "local" : "global"));
  BOOST_TEST(t.info().label_nc == 11);
  // what a caller's data loader rounds image sizes by (the studio's): the configuration's own numbers
  BOOST_TEST(t.info().n_downsample_global == Cfg::preset::n_downsample_global);
  BOOST_TEST(t.info().n_local_enhancers == Cfg::n_local_enhancers);
  const auto y = t.translate(i2i::data::map_to_tensor(label), i2i::data::map_to_tensor(inst));

  i2i::model<typename Cfg::generator, i2i::cpu_backend<float>> G;
  i2i::load_model(G, file.string());
  G.eval();
  const auto x = i2i::data::encode_input(i2i::data::map_to_tensor(label), i2i::data::map_to_tensor(inst), 11);
  BOOST_TEST(same_bits(y, G.forward(x).output));  // bit-identical to the path that keeps backward state
  BOOST_TEST(same_bits(y, G(x)));
  const auto img = t.translate(label, inst);  // the image API: the same tensor, as 8-bit RGB
  const auto expected = i2i::io::to_image(y);
  BOOST_TEST((img.pixels == expected.pixels));
}

}  // namespace

BOOST_AUTO_TEST_CASE(global_generator_translates_as_its_forward_pass) {
  scratch s;
  check_same_as_forward<tiny_global>(s, "global");
}

BOOST_AUTO_TEST_CASE(local_enhancer_translates_as_its_forward_pass) {
  scratch s;
  check_same_as_forward<tiny_local>(s, "local");
}

BOOST_AUTO_TEST_CASE(maps_convert_to_tensors_and_back) {
  i2i::io::image16 m(3, 2, 1);
  for (std::size_t i = 0; i < m.pixels.size(); ++i) m.pixels[i] = std::uint16_t(i * 1000);
  const auto t = i2i::data::map_to_tensor(m);
  BOOST_TEST(t.shape() == i2i::shape::nchw(1, 1, 2, 3));
  BOOST_TEST(t.at(0, 0, 1, 2) == 5000.0f);
  BOOST_TEST((i2i::data::tensor_to_map(t).pixels == m.pixels));
  auto bad = t;
  bad.at(0, 0, 0, 1) = 0.5f;
  BOOST_TEST(message_of<i2i::value_error>([&] { i2i::data::tensor_to_map(bad); }).find("(x=1, y=0)") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(devices_parse_and_bad_ones_are_errors) {
  BOOST_TEST(i2i::device::parse("cpu") == i2i::device::cpu());
  BOOST_TEST(i2i::device::parse("cuda") == i2i::device::cuda(0));
  BOOST_TEST(i2i::device::parse("cuda:3") == i2i::device::cuda(3));
  BOOST_TEST(i2i::device::parse("gpu:1") == i2i::device::cuda(1));
  for (const char* bad : {"tpu", "cuda:", "cuda:-1", "cuda:x", "cuda0", ""})
    BOOST_TEST(message_of<i2i::value_error>([&] { i2i::device::parse(bad); }).find("expected cpu, cuda or cuda:N") !=
               std::string::npos);

  scratch s;
  const auto file = translator_fixture::write_generator<tiny_global>(s.dir, 11, 1);
  // Without CUDA in the build, or without a device: device_error, never a CPU fallback. Where a GPU is
  // lent, the load succeeds (translator_gpu compares the two).
  try {
    const auto t = p::load_translator(file, i2i::device::cuda(0));
    BOOST_TEST(t.where() == i2i::device::cuda(0));
  } catch (const i2i::device_error& e) {
    const std::string m = e.what();
    BOOST_TEST_MESSAGE("cuda:0: " << m);
    BOOST_TEST((m.find("without the CUDA") != std::string::npos || m.find("CUDA device") != std::string::npos));
  }
}

BOOST_AUTO_TEST_CASE(bad_checkpoints_are_errors_naming_the_file) {
  scratch s;
  const auto missing = s.dir / "nope" / "latest_net_G.safetensors";
  BOOST_TEST(message_of<i2i::io_error>([&] { p::load_translator(missing, i2i::device::cpu()); })
                 .find(missing.string()) != std::string::npos);
  BOOST_TEST(message_of<i2i::io_error>([&] { p::load_translator(s.dir, i2i::device::cpu()); })
                 .find("latest_net_G.safetensors") != std::string::npos);

  // Weights of the tiny preset under metadata that says cpu: the strict load lists the mismatches.
  const auto file = translator_fixture::write_generator<tiny_global>(s.dir / "lying", 11, 1);
  {
    i2i::model<tiny_global::generator, i2i::cpu_backend<float>> G;
    auto meta = translator_fixture::generator_metadata<p::config<p::cpu_preset, false, 12, false>>(11, false, 64);
    i2i::save_model(G, file.string(), meta);
  }
  const std::string m = message_of<i2i::io_error>([&] { p::load_translator(file, i2i::device::cpu()); });
  BOOST_TEST(m.find(file.string()) != std::string::npos, m);

  // A file that is not a pix2pixHD generator.
  const auto other = s.dir / "other.safetensors";
  {
    i2i::model<tiny_global::generator, i2i::cpu_backend<float>> G;
    i2i::save_model(G, other.string(), {{"i2i.model", "egscit"}});
  }
  BOOST_TEST(message_of<i2i::io_error>([&] { p::load_translator(other, i2i::device::cpu()); })
                 .find("not a pix2pixHD generator") != std::string::npos);

  // A configuration the library was not built for: the message lists what it has.
  const auto odd = s.dir / "odd.safetensors";
  {
    i2i::model<tiny_global::generator, i2i::cpu_backend<float>> G;
    auto meta = translator_fixture::generator_metadata<tiny_global>(11, false, 64);
    meta["label_nc"] = "99";
    i2i::save_model(G, odd.string(), meta);
  }
  BOOST_TEST(message_of<i2i::value_error>([&] { p::load_translator(odd, i2i::device::cpu()); })
                 .find(p::compiled_configurations()) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_inputs_are_errors_naming_the_checkpoint) {
  scratch s;
  const auto file = translator_fixture::write_generator<tiny_global>(s.dir, 11, 1);
  const auto t = p::load_translator(file, i2i::device::cpu());
  i2i::io::image16 label(32, 16, 1, 3), inst(32, 16, 1, 1);

  label.at(5, 7) = 11;  // label_nc is 11
  std::string m = message_of<i2i::value_error>([&] { t.translate(label, inst); });
  BOOST_TEST(m.find(file.string()) != std::string::npos, m);
  BOOST_TEST(m.find("label 11") != std::string::npos, m);

  i2i::io::image16 odd(30, 16, 1, 0), odd_inst(30, 16, 1, 0);  // tiny global: multiples of 4
  m = message_of<i2i::shape_error>([&] { t.translate(odd, odd_inst); });
  BOOST_TEST(m.find("multiples of 4") != std::string::npos, m);

  i2i::io::image16 ok(32, 16, 1, 0), small_inst(16, 16, 1, 0);
  m = message_of<i2i::shape_error>([&] { t.translate(ok, small_inst); });
  BOOST_TEST(m.find("instance map is 16x16") != std::string::npos, m);
  m = message_of<i2i::value_error>([&] { t.translate(ok); });
  BOOST_TEST(m.find("pass the instance map") != std::string::npos, m);
}
