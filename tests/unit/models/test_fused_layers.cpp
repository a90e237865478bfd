// The fusion of `instance_norm, activation[, reflect_pad]` in seq (compose/fuse.hpp) seen from outside:
// pix2pixHD's global generator and multi-scale discriminator built on the fusing CPU backend and on the
// same backend with fusion turned off have the same parameter names and order, the same outputs, taps,
// input and parameter gradients (bit for bit), the same FLOP trace, the same checkpoint bytes, and
// counting_backend names the same parameters.
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <type_traits>

#include "i2i/backend/counting_backend.hpp"
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/models/pix2pixhd/discriminator.hpp"
#include "i2i/models/pix2pixhd/global_generator.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

namespace {

using fused_cpu = cpu_backend<float>;
/// The CPU backend with seq's fusion turned off: every element runs as its own layer.
struct unfused_cpu : cpu_backend<float> {
  static constexpr bool fuse_layers = false;
};

// What seq makes of the element lists (compile-time: the rewrite happens where it should and only there).
using compose_detail::naming;
using compose_detail::sequence_instance;
static_assert(std::is_same_v<seq<instance_norm<>, relu>::instance<4, fused_cpu>,
                             sequence_instance<naming::indexed, 4, fused_cpu, fused_norm<instance_norm<>, relu>>>);
static_assert(std::is_same_v<seq<conv<4, 3>, instance_norm<true>, leaky_relu<>, reflect_pad<1>, conv<4, 3>>::instance<4, fused_cpu>,
                             sequence_instance<naming::indexed, 4, fused_cpu, conv<4, 3>,
                                               fused_norm<instance_norm<true>, leaky_relu<>, 1>, conv<4, 3>>>);
static_assert(std::is_same_v<seq<instance_norm<>, relu>::instance<4, unfused_cpu>,
                             sequence_instance<naming::indexed, 4, unfused_cpu, instance_norm<>, relu>>);
static_assert(std::is_same_v<seq<instance_norm<>, tanh_>::instance<4, fused_cpu>,  // tanh: not bit-exact, kept apart
                             sequence_instance<naming::indexed, 4, fused_cpu, instance_norm<>, tanh_>>);
static_assert(inlined<conv<4, 3>, instance_norm<>, relu, reflect_pad<1>>::span == 4);

template <class T>
void expect_identical(const std::string& what, const tensor<T>& got, const tensor<T>& want) {
  BOOST_TEST_CONTEXT(what) {
    BOOST_REQUIRE_EQUAL(got.shape(), want.shape());
    BOOST_TEST(std::memcmp(got.data(), want.data(), std::size_t(got.numel()) * sizeof(T)) == 0,
               what << " differs");
  }
}

template <class A, class B>
void expect_same_parameters(const A& a, const B& b) {
  BOOST_REQUIRE_EQUAL(a.all_parameters().size(), b.all_parameters().size());
  for (std::size_t k = 0; k < a.all_parameters().size(); ++k) {
    BOOST_TEST(a.all_parameters()[k]->name == b.all_parameters()[k]->name);
    BOOST_TEST(a.all_parameters()[k]->value.shape() == b.all_parameters()[k]->value.shape());
  }
}

template <class A, class B>
void expect_same_gradients(const A& a, const B& b) {
  for (std::size_t k = 0; k < a.all_parameters().size(); ++k)
    if (a.all_parameters()[k]->grad.defined())
      expect_identical(a.all_parameters()[k]->name + " grad", a.all_parameters()[k]->grad, b.all_parameters()[k]->grad);
}

std::string file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fused_layers)

BOOST_AUTO_TEST_CASE(global_generator_fused_equals_unfused) {
  using G = pix2pixhd::global_generator<12, 3, 8, 2, 2>;
  model<G, fused_cpu> f;
  model<G, unfused_cpu> u;
  model<G, counting_backend<>> counted;
  expect_same_parameters(f, u);
  expect_same_parameters(f, counted);
  BOOST_TEST(f.all_parameters().front()->name == "model.1.weight");
  initialize(f, init_policy::pix2pixhd(), 7);
  initialize(u, init_policy::pix2pixhd(), 7);

  const auto x = test::random_tensor<float>(shape::nchw(2, 12, 36, 20));
  BOOST_TEST(f.output_shape(x.shape()) == u.output_shape(x.shape()));
  BOOST_TEST(f.flops(x.shape()) == u.flops(x.shape()));
  const auto cf = f.forward(x);
  const auto cu = u.forward(x);
  expect_identical("output", cf.output, cu.output);
  expect_identical("inference output", f(x), cu.output);

  const auto dy = test::random_tensor<float>(cf.output.shape());
  f.zero_grad();
  u.zero_grad();
  expect_identical("dx", f.backward(cf, dy), u.backward(cu, dy));
  expect_same_gradients(f, u);

  // Checkpoints: the same bytes, and a fused model's file loads strictly into an unfused one.
  const auto dir = std::filesystem::temp_directory_path();
  const std::string pf = (dir / "i2i_fused_G.safetensors").string(), pu = (dir / "i2i_unfused_G.safetensors").string();
  save_model(f, pf);
  save_model(u, pu);
  BOOST_TEST((file_bytes(pf) == file_bytes(pu)));
  model<G, unfused_cpu> loaded;
  load_model(loaded, pf);
  expect_identical("loaded output", loaded(x), cu.output);
  std::remove(pf.c_str());
  std::remove(pu.c_str());
}

BOOST_AUTO_TEST_CASE(affine_residual_body_in_a_chain_fused_equals_unfused) {
  // Affine norms (parameters under the norm's index), a chain (no name level), pads of 1 and 2.
  using S = seq<channels<4>, conv<6, 3>, instance_norm<true>, relu, reflect_pad<1>,
                residual<seq<reflect_pad<1>, conv<6, 3>, instance_norm<true>, leaky_relu<>, reflect_pad<2>, conv<6, 5>>, "body">,
                residual<chain<instance_norm<>, leaky_relu<>, reflect_pad<1>, conv<6, 3>>>,
                instance_norm<true>, relu6>;
  model<S, fused_cpu> f;
  model<S, unfused_cpu> u;
  expect_same_parameters(f, u);
  BOOST_TEST(f.all_parameters()[2]->name == "1.weight");  // the first norm, index 1
  initialize(f, init_policy::pix2pixhd(), 3);
  initialize(u, init_policy::pix2pixhd(), 3);
  for (std::size_t k = 0; k < f.all_parameters().size(); ++k) {  // non-trivial affine parameters
    auto& pf = *f.all_parameters()[k];
    auto& pu = *u.all_parameters()[k];
    const auto r = test::random_tensor<float>(pf.value.shape(), 0.5f, 1.5f);
    std::copy_n(r.data(), r.numel(), pf.value.data());
    std::copy_n(r.data(), r.numel(), pu.value.data());
  }
  const auto x = test::random_tensor<float>(shape::nchw(2, 4, 11, 9));
  const auto cf = f.forward(x);
  const auto cu = u.forward(x);
  expect_identical("output", cf.output, cu.output);
  const auto dy = test::random_tensor<float>(cf.output.shape());
  expect_identical("dx", f.backward(cf, dy), u.backward(cu, dy));
  expect_same_gradients(f, u);
  // An input too small for a fused pad fails with the pad layer's path, as the pad layer does.
  auto message = [](auto& m) {
    try {
      (void)m.forward(test::random_tensor<float>(shape::nchw(1, 4, 4, 4)));
    } catch (const error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  BOOST_TEST(message(f) == message(u));
}

BOOST_AUTO_TEST_CASE(multiscale_discriminator_fused_equals_unfused) {
  using D = pix2pixhd::multiscale_discriminator<15, 2, 8, 3>;
  model<D, fused_cpu> f;
  model<D, unfused_cpu> u;
  expect_same_parameters(f, u);
  initialize(f, init_policy::pix2pixhd(), 5);
  initialize(u, init_policy::pix2pixhd(), 5);
  const auto x = test::random_tensor<float>(shape::nchw(2, 15, 40, 24));
  const auto cf = f.forward(x);
  const auto cu = u.forward(x);
  expect_identical("output", cf.output, cu.output);
  BOOST_REQUIRE_EQUAL(cf.taps.size(), cu.taps.size());
  tap_list<float> injected;
  for (std::size_t k = 0; k < cf.taps.size(); ++k) {
    const auto& [key, value] = cf.taps.items()[k];
    BOOST_TEST(key == cu.taps.items()[k].first);
    expect_identical("tap " + key, value, cu.taps.items()[k].second);
    injected.put(key, test::random_tensor<float>(value.shape()));  // feature matching's gradients
  }
  const auto dy = test::random_tensor<float>(cf.output.shape());
  expect_identical("dx", f.backward(cf, dy, injected), u.backward(cu, dy, injected));
  expect_same_gradients(f, u);
}

BOOST_AUTO_TEST_SUITE_END()
