// i2i::egscit::load_translator(dir, device) (the compiled translator) against the header-only loader it
// wraps and against the trainer that saved the folder: the same numbers; both APIs in one program.
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/recipes/egscit/load.hpp"
#include "i2i/translator.hpp"

namespace {

namespace fs = std::filesystem;
namespace e = i2i::egscit;

i2i::io::image random_image(unsigned seed) {
  i2i::io::image img(12, 12, 3);
  std::mt19937 g(seed);
  for (auto& p : img.pixels) p = std::uint8_t(g() % 256);
  return img;
}

bool same_bits(const i2i::tensor<float>& a, const i2i::tensor<float>& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), std::size_t(a.numel()) * sizeof(float)) == 0;
}

}  // namespace

BOOST_AUTO_TEST_CASE(egscit_family_translates_as_the_header_only_loader_and_the_trainer) {
  const auto dir = fs::temp_directory_path() / ("i2i_egscit_translator_" + std::to_string(::getpid()));
  const auto source = random_image(1), exemplar = random_image(2);
  const auto x = i2i::io::to_tensor(source), ex = i2i::io::to_tensor(exemplar);
  for (auto kind : {e::model_kind::egscit, e::model_kind::unit}) {
    fs::remove_all(dir);
    e::train_options o;
    o.seed = 5;
    o.config_name = "small";
    o = e::with_model(o, kind);
    o.perceptual = false;  // no VGG weights in a unit test; the networks are EGSC-IT's
    e::stage2_trainer<e::named_configs::small, i2i::cpu_backend<float>, e::named_configs::small_dis> t(
        o, [](const std::string&) {});
    t.save(dir);  // initialised, not trained: what matters is that the folder round-trips
    const auto want = t.translate(x, e::domain::A, ex, 3);

    const auto compiled = e::load_translator(dir, i2i::device::cpu());
    BOOST_TEST(compiled.info().config == "small");
    BOOST_TEST(compiled.info().kind == i2i::detail::concat(kind));
    BOOST_TEST(same_bits(compiled.translate(x, ex, e::domain::A, 3), want));
    const auto header_only = e::load_translator(dir);  // the existing API, unchanged
    BOOST_TEST(same_bits(header_only.translate(x, e::domain::A, ex, 3), want));
    const auto img = compiled.translate(source, exemplar, e::domain::A, 3);
    BOOST_TEST((img.pixels == i2i::io::to_image(want).pixels));

    try {  // no CPU fallback
      (void)e::load_translator(dir, i2i::device::cuda(0));
    } catch (const i2i::device_error& err) {
      BOOST_TEST_MESSAGE("cuda:0: " << err.what());
    }
  }
  BOOST_CHECK_THROW(e::load_translator(dir / "missing", i2i::device::cpu()), i2i::io_error);
  fs::remove_all(dir);
}
