// Adam state files: a run resumed from (model checkpoint + optimizer state) takes exactly the step the
// uninterrupted run takes.
#include <boost/test/unit_test.hpp>

#include "i2i/io/optimizer_state.hpp"
#include "support/gradcheck.hpp"
#include "unit/checkpoint/helpers.hpp"

using namespace i2i;
using i2i::test::expect_error;

namespace {

template <class T>
struct toy_model {
  std::vector<optim::param_ref<T>> params;
  toy_model() {
    for (auto [name, s] : {std::pair<const char*, shape>{"enc.conv.weight", shape{3, 2, 3, 3}},
                           std::pair<const char*, shape>{"enc.conv.bias", shape{3}},
                           std::pair<const char*, shape>{"head.weight", shape{4, 3}}})
      params.push_back({name, tensor<T>::zeros(s), tensor<T>::zeros(s)});
  }
  state_dict<T> weights() const {
    state_dict<T> sd;
    for (const auto& p : params) sd.push_back({p.name, p.value});
    return sd;
  }
  void set_grads(std::uint32_t seed) const {
    std::mt19937 g(seed);
    std::uniform_real_distribution<double> u(-1, 1);
    for (const auto& p : params)
      for (auto& v : p.grad.values()) v = T(u(g));
  }
};

template <class T>
void resume_gives_identical_steps() {
  test::scratch_dir dir;
  toy_model<T> run;
  for (const auto& p : run.params) p.value.values()[0] = T(0.5);  // non-trivial start
  optim::adam<T> opt(run.params, {.lr = 1e-2, .beta1 = 0.5, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 1e-3});
  for (std::uint32_t s = 0; s < 3; ++s) {
    run.set_grads(s);
    opt.step();
  }
  opt.set_lr(7.5e-3);  // as a schedule would have
  io::save_state_dict(run.weights(), dir / "net.safetensors");
  io::save_adam_state(opt, dir / "adam.safetensors", {{"epoch", "4"}});

  // A fresh process: new model, new optimizer with different lr, load both.
  toy_model<T> resumed;
  optim::adam<T> opt2(resumed.params, {.lr = 1.0, .beta1 = 0.5, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 1e-3});
  io::load_state_dict(resumed.weights(), dir / "net.safetensors");
  const auto meta = io::load_adam_state(opt2, dir / "adam.safetensors");
  BOOST_TEST(opt2.steps() == 3);
  BOOST_TEST(opt2.lr() == 7.5e-3);
  BOOST_TEST(meta.at("epoch") == "4");
  BOOST_TEST(io::metadata_number<double>(meta, "beta1", "adam") == 0.5);

  for (std::uint32_t s = 3; s < 5; ++s) {
    run.set_grads(s);
    resumed.set_grads(s);
    opt.step();
    opt2.step();
  }
  for (std::size_t i = 0; i < run.params.size(); ++i) {
    BOOST_TEST(test::same_values(run.params[i].value, resumed.params[i].value), run.params[i].name);
    BOOST_TEST(test::same_values(opt.moments()[i].v, opt2.moments()[i].v));
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(optimizer_state)

BOOST_AUTO_TEST_CASE(adam_resume_is_bit_identical_float) { resume_gives_identical_steps<float>(); }
BOOST_AUTO_TEST_CASE(adam_resume_is_bit_identical_double) { resume_gives_identical_steps<double>(); }

BOOST_AUTO_TEST_CASE(adam_file_keys) {
  test::scratch_dir dir;
  toy_model<float> m;
  optim::adam<float> opt(m.params);
  io::save_adam_state(opt, dir / "a.safetensors");
  const io::safetensors_reader f(dir / "a.safetensors");
  BOOST_TEST(f.contains("enc.conv.weight.exp_avg"));
  BOOST_TEST(f.contains("enc.conv.weight.exp_avg_sq"));
  BOOST_TEST(f.entries().size() == 6u);
  BOOST_TEST(f.metadata().at("i2i.content") == "adam");
  BOOST_TEST(f.metadata().at("step") == "0");
  BOOST_TEST(io::metadata_number<double>(f.metadata(), "lr", "a") == 2e-4);  // exact round trip
}

BOOST_AUTO_TEST_CASE(larger_parameter_group_loads_partially) {
  // pix2pixHD's niter_fix_global: the state of an Adam over G2 only, loaded into one over G1 + G2.
  test::scratch_dir dir;
  toy_model<float> m;
  std::vector<optim::param_ref<float>> head_only{m.params[2]};
  optim::adam<float> small(head_only);
  m.set_grads(1);
  small.step();
  io::save_adam_state(small, dir / "small.safetensors");

  optim::adam<float> big(m.params);
  expect_error<io::checkpoint_mismatch>([&] { io::load_adam_state(big, dir / "small.safetensors"); },
                                        {"small.safetensors", "enc.conv.weight.exp_avg", "enc.conv.bias.exp_avg_sq"});
  BOOST_TEST(big.steps() == 0);  // a failed strict load changes nothing
  io::load_report r;
  io::load_adam_state(big, dir / "small.safetensors", io::load_mode::partial, &r);
  BOOST_TEST(r.loaded == (std::vector<std::string>{"head.weight.exp_avg", "head.weight.exp_avg_sq"}));
  BOOST_TEST(r.missing.size() == 4u);
  BOOST_TEST(test::same_values(big.moments()[2].m, small.moments()[0].m));
  BOOST_TEST(big.steps() == 1);
}

BOOST_AUTO_TEST_CASE(wrong_kind_of_file) {
  test::scratch_dir dir;
  toy_model<float> m;
  io::save_state_dict(m.weights(), dir / "net.safetensors");
  optim::adam<float> opt(m.params);
  expect_error<io_error>([&] { io::load_adam_state(opt, dir / "net.safetensors"); },
                         {"net.safetensors", "not an Adam state file"});
}

BOOST_AUTO_TEST_SUITE_END()
