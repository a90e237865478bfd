// Optimizer state files: a run resumed from (model checkpoint + optimizer state) takes exactly the step the
// uninterrupted run takes, and a file saved on one backend loads on another.
#include <boost/test/unit_test.hpp>

#include "i2i/backend/cpu/backend.hpp"
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

/// The CPU backend with the transfers of a device backend: to_host copies and assign_from_host writes
/// into separate storage, as cuda_backend's do. State files written or read through it take the path
/// a GPU optimizer's take, so a file saved by one backend and loaded by the other is tested without a GPU.
struct copying_backend : cpu_backend<float> {
  static tensor<float> to_host(const tensor<float>& t) { return t.clone(); }
  static void assign_from_host(const tensor<float>& dst, const tensor<float>& src) {
    BOOST_TEST_REQUIRE(dst.data() != src.data());
    cpu_backend<float>::assign_from_host(dst, src);
  }
};

/// `count` steps of an Adam or SGD with the gradients of seeds first, first + 1, ...
template <class Opt, class T>
void run_steps(Opt& opt, const toy_model<T>& m, std::uint32_t first, std::uint32_t count) {
  for (std::uint32_t s = first; s < first + count; ++s) {
    m.set_grads(s);
    opt.step();
  }
}

/// Three steps of FromOpt, its state saved; a fresh ToOpt (on another backend) loads it and both take
/// two more steps: the same weights and the same state. state_of(opt, i) is parameter i's state tensor.
template <class FromOpt, class ToOpt, class Options, class Save, class Load, class State>
void state_crosses_backends(const Options& o, Save save, Load load, State state_of) {
  test::scratch_dir dir;
  const std::string file = dir / "state.safetensors";
  toy_model<float> run, resumed;
  FromOpt opt(run.params, o);
  run_steps(opt, run, 0, 3);
  io::save_state_dict(run.weights(), dir / "net.safetensors");
  save(opt, file);

  ToOpt opt2(resumed.params, o);
  io::load_state_dict(resumed.weights(), dir / "net.safetensors");
  const auto meta = load(opt2, file);
  BOOST_TEST(meta.at("epoch") == "2");
  BOOST_TEST(opt2.steps() == 3);  // and for SGD: not a first step, the buffers continue
  run_steps(opt, run, 3, 2);
  run_steps(opt2, resumed, 3, 2);
  for (std::size_t i = 0; i < run.params.size(); ++i) {
    BOOST_TEST(test::same_values(run.params[i].value, resumed.params[i].value), run.params[i].name);
    BOOST_TEST(test::same_values(state_of(opt, i), state_of(opt2, i)));
  }
}

template <class T>
void resume_gives_identical_steps() {
  test::scratch_dir dir;
  toy_model<T> run;
  for (const auto& p : run.params) p.value.values()[0] = T(0.5);  // non-trivial start
  optim::adam<cpu_backend<T>> opt(run.params, {.lr = 1e-2, .beta1 = 0.5, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 1e-3});
  for (std::uint32_t s = 0; s < 3; ++s) {
    run.set_grads(s);
    opt.step();
  }
  opt.set_lr(7.5e-3);  // as a schedule would have
  io::save_state_dict(run.weights(), dir / "net.safetensors");
  io::save_adam_state(opt, dir / "adam.safetensors", {{"epoch", "4"}});

  // A fresh process: new model, new optimizer with different lr, load both.
  toy_model<T> resumed;
  optim::adam<cpu_backend<T>> opt2(resumed.params, {.lr = 1.0, .beta1 = 0.5, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 1e-3});
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
  optim::adam<cpu_backend<float>> opt(m.params);
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
  optim::adam<cpu_backend<float>> small(head_only);
  m.set_grads(1);
  small.step();
  io::save_adam_state(small, dir / "small.safetensors");

  optim::adam<cpu_backend<float>> big(m.params);
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
  optim::adam<cpu_backend<float>> opt(m.params);
  expect_error<io_error>([&] { io::load_adam_state(opt, dir / "net.safetensors"); },
                         {"net.safetensors", "not an Adam state file"});
}

BOOST_AUTO_TEST_CASE(adam_state_saved_on_one_backend_loads_on_the_other) {
  const optim::adam_options o{.lr = 1e-2, .beta1 = 0.5, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 1e-3};
  auto save = [](const auto& opt, const std::string& f) { io::save_adam_state(opt, f, {{"epoch", "2"}}); };
  auto load = [](auto& opt, const std::string& f) { return io::load_adam_state(opt, f); };
  auto second_moment = [](const auto& opt, std::size_t i) { return opt.moments()[i].v; };
  state_crosses_backends<optim::adam<cpu_backend<float>>, optim::adam<copying_backend>>(o, save, load, second_moment);
  state_crosses_backends<optim::adam<copying_backend>, optim::adam<cpu_backend<float>>>(o, save, load, second_moment);
}

BOOST_AUTO_TEST_CASE(sgd_state_saved_on_one_backend_loads_on_the_other) {
  const optim::sgd_options o{.lr = 1e-2, .momentum = 0.9, .dampening = 0.1, .weight_decay = 1e-3};
  auto save = [](const auto& opt, const std::string& f) { io::save_sgd_state(opt, f, {{"epoch", "2"}}); };
  auto load = [](auto& opt, const std::string& f) { return io::load_sgd_state(opt, f); };
  auto buffer = [](const auto& opt, std::size_t i) { return opt.momentum_buffers()[i]; };
  state_crosses_backends<optim::sgd<cpu_backend<float>>, optim::sgd<copying_backend>>(o, save, load, buffer);
  state_crosses_backends<optim::sgd<copying_backend>, optim::sgd<cpu_backend<float>>>(o, save, load, buffer);
}

BOOST_AUTO_TEST_CASE(partial_load_through_host_copies_keeps_the_rest) {
  // Through a device-like backend the file is read into host copies of the current state: what the file
  // lacks must keep its value, not become the copies' initial zeros.
  test::scratch_dir dir;
  toy_model<float> m;
  std::vector<optim::param_ref<float>> head_only{m.params[2]};
  optim::adam<cpu_backend<float>> small(head_only);
  m.set_grads(1);
  small.step();
  io::save_adam_state(small, dir / "small.safetensors");
  optim::adam<copying_backend> big(m.params);
  m.set_grads(2);
  big.step();
  const auto before = big.moments()[0].m.clone();
  io::load_adam_state(big, dir / "small.safetensors", io::load_mode::partial);
  BOOST_TEST(test::same_values(big.moments()[0].m, before));
  BOOST_TEST(test::same_values(big.moments()[2].m, small.moments()[0].m));
}

BOOST_AUTO_TEST_CASE(sgd_file_keys_and_kind) {
  test::scratch_dir dir;
  toy_model<float> m;
  optim::sgd<cpu_backend<float>> opt(m.params, {.lr = 0.1, .momentum = 0.9, .nesterov = true});
  io::save_sgd_state(opt, dir / "s.safetensors", {{"epoch", "1"}});
  const io::safetensors_reader f(dir / "s.safetensors");
  BOOST_TEST(f.contains("enc.conv.weight.momentum_buffer"));
  BOOST_TEST(f.entries().size() == 3u);
  BOOST_TEST(f.metadata().at("i2i.content") == "sgd");
  BOOST_TEST(f.metadata().at("nesterov") == "1");
  optim::adam<cpu_backend<float>> adam(m.params);
  expect_error<io_error>([&] { io::load_adam_state(adam, dir / "s.safetensors"); }, {"s.safetensors", "not an Adam state file"});
  io::save_adam_state(adam, dir / "a.safetensors");
  expect_error<io_error>([&] { io::load_sgd_state(opt, dir / "a.safetensors"); }, {"a.safetensors", "not an SGD state file"});
}

BOOST_AUTO_TEST_SUITE_END()
