// Model-level save/load: round trips give identical outputs; mismatches are listed; partial loads with
// a key map (pix2pixHD loading a global generator into a local enhancer's "model." sub-tree).
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/i2i.hpp"
#include "i2i/model/checkpoint.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
using B = cpu_backend<float>;

namespace {
using small = named<"model", seq<channels<2>, conv<4, 3, 1, 1>, instance_norm<>, relu, conv<3, 1>>>;
using wider = named<"model", seq<channels<2>, conv<5, 3, 1, 1>, instance_norm<>, relu, conv<3, 1>, conv<1, 1>>>;
using nested = chain<named<"model", small>, named<"head", conv<1, 1>>>;

std::string temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "i2i_model_checkpoint";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}
}  // namespace

BOOST_AUTO_TEST_SUITE(model_checkpoint)

BOOST_AUTO_TEST_CASE(round_trip_gives_identical_outputs) {
  model<small, B> a, b;
  initialize(a, init_policy::pix2pixhd(), 1);
  initialize(b, init_policy::pix2pixhd(), 2);
  auto x = test::random_tensor<float>({2, 2, 6, 6});
  BOOST_TEST(test::max_abs_diff(a(x), b(x)) > 0.0);
  const auto path = temp_path("small.safetensors");
  save_model(a, path, {{"iteration", "7"}});
  auto report = load_model(b, path);
  BOOST_TEST(report.complete());
  BOOST_TEST(report.loaded.size() == a.all_parameters().size());
  BOOST_TEST(test::max_abs_diff(a(x), b(x)) == 0.0);
  BOOST_TEST(io::read_checkpoint_metadata(path).at("iteration") == "7");
}

BOOST_AUTO_TEST_CASE(strict_load_lists_every_problem) {
  model<small, B> a;
  model<wider, B> w;
  const auto path = temp_path("small2.safetensors");
  save_model(a, path);
  try {
    load_model(w, path);
    BOOST_ERROR("a strict load into a different architecture must throw");
  } catch (const io::checkpoint_mismatch& e) {
    const std::string msg = e.what();
    for (const char* part : {"model.4.weight", "model.0.weight", "5x2x3x3", "4x2x3x3", "model.3.weight"})
      BOOST_TEST(msg.find(part) != std::string::npos, "message lacks " << part << ": " << msg);
    BOOST_TEST(e.report().missing.size() == 2u);      // model.4.weight, model.4.bias
    BOOST_TEST(e.report().mismatched.size() == 3u);   // model.0.weight, model.0.bias, model.3.weight
  }
}

BOOST_AUTO_TEST_CASE(partial_load_into_a_sub_tree) {
  model<small, B> global;
  model<nested, B> local;
  initialize(global, init_policy::pix2pixhd(), 3);
  initialize(local, init_policy::pix2pixhd(), 4);
  const auto path = temp_path("global.safetensors");
  save_model(global, path);
  auto r = load_model(local, path, io::load_mode::partial, {{"model.", "model.model."}});
  BOOST_TEST(r.loaded.size() == global.all_parameters().size());
  BOOST_TEST(r.missing == std::vector<std::string>({"head.weight", "head.bias"}), boost::test_tools::per_element());
  const auto& src = global.parameter_named("model.0.weight").value;
  const auto& dst = local.parameter_named("model.model.0.weight").value;
  BOOST_TEST(test::max_abs_diff(src, dst) == 0.0);
}

BOOST_AUTO_TEST_SUITE_END()

// <fcntl.h> (pulled in by the atomic checkpoint writer) declares POSIX ::splice; the combinator that lays
// elements inline is called `inlined` so that `using namespace i2i` code stays unambiguous.
static_assert(model<named<"m", seq<channels<2>, inlined<conv<4, 3, 1, 1>, relu>, conv<1, 1>>>, B>::out_channels == 1);
