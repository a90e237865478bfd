// cuBLAS linear layer against the CPU op, and the runtime pieces a training step relies on: the caching
// allocator, streams and device selection, optim::adam / optim::sgd on the device against the CPU (and
// Adam state saved on the device resuming on the CPU), dynamic loss scaling.
// Skipped without a device.
#include <boost/test/unit_test.hpp>

#include <boost/mpl/list.hpp>
#include <filesystem>
#include <limits>
#include <string>

#include <unistd.h>

#include "i2i/backend/cuda/allocator.cuh"
#include "i2i/backend/cuda/linear.cuh"
#include "i2i/backend/cuda/loss_scale.cuh"
#include "i2i/backend/cuda/stream.cuh"
#include "i2i/io/optimizer_state.hpp"
#include "i2i/optim/adam.hpp"
#include "i2i/optim/sgd.hpp"
#include "parity_device.cuh"

// optim::adam<cuda_backend<>> needs the backend's update ops (backend.cuh).
#include "i2i/backend/cuda/backend.cuh"

namespace {

using namespace i2i;
using namespace i2i::parity;
using policies = boost::mpl::list<cuda::fp32_strict, cuda::fp32_tf32, cuda::bf16_mixed, cuda::fp16_mixed>;

}  // namespace

BOOST_AUTO_TEST_SUITE(linear_runtime_parity, *boost::unit_test::precondition(i2i::test::cuda_device_present()))

BOOST_AUTO_TEST_CASE_TEMPLATE(linear_matches_cpu, P, policies) {
  using H = typename P::compute_type;
  constexpr bool strict = !P::allow_tf32;
  struct lcase {
    std::int64_t n, in, out;
  };
  for (const lcase c : {lcase{4, 37, 19}, lcase{1, 8, 256}, lcase{7, 300, 3}}) {
    BOOST_TEST_CONTEXT(c.n << "x" << c.in << " -> " << c.out << " [" << P::name << "]") {
      const auto x = random_host({c.n, c.in}, 31), w = random_host({c.out, c.in}, 32, -0.3f, 0.3f);
      const auto b = random_host({c.out}, 33), dy = random_host({c.n, c.out}, 34);
      const auto dw0 = random_host({c.out, c.in}, 35), db0 = random_host({c.out}, 36);
      const auto ref = cpu_linear_passes(x, w, b, dy, dw0, db0);
      const auto xd = dev(x), wd = dev(w), bd = dev(b), dyd = dev(dy);
      auto dwd = dev(dw0), dbd = dev(db0);
      const auto y = host(cuda::linear<H, strict>(xd, wd, &bd));
      const auto dx = host(cuda::linear_backward<H, strict>(xd, wd, dyd, dwd, &dbd));
      I2I_PARITY_CHECK("forward", y, ref.y, tolerance<P>());
      I2I_PARITY_CHECK("data gradient", dx, ref.dx, tolerance<P>());
      I2I_PARITY_CHECK("weight gradient (increment)", minus(host(dwd), dw0), minus(ref.dw, dw0), tolerance<P>());
      I2I_PARITY_CHECK("bias gradient (increment)", minus(host(dbd), db0), minus(ref.db, db0), 1e-5);
    }
  }
}

BOOST_AUTO_TEST_CASE(allocator_reuses_blocks_and_reports_stats) {
  auto& a = cuda::device_allocator::instance();
  if (!a.caching()) return;  // I2I_CUDA_ALLOCATOR=direct (the memcheck run): nothing is cached
  cuda::release_cached();
  const auto before = cuda::memory_stats();
  const shape s{3, 5, 7, 11};
  void* first = nullptr;
  {
    auto t = cuda::device_empty<float>(s, cuda::current_device());
    first = t.data();
    BOOST_TEST(cuda::memory_stats().in_use == before.in_use + cuda::device_allocator::size_class(s.numel() * 4));
  }
  BOOST_TEST(cuda::memory_stats().cached >= cuda::device_allocator::size_class(s.numel() * 4));
  {
    auto t = cuda::device_empty<float>(s, cuda::current_device());
    BOOST_TEST(t.data() == first);  // same size class, same stream: the cached block
  }
  const auto after = cuda::memory_stats();
  BOOST_TEST(after.cache_hits >= before.cache_hits + 1);
  BOOST_TEST(after.device_mallocs == before.device_mallocs + 1);
  BOOST_TEST(after.peak_in_use >= cuda::device_allocator::size_class(s.numel() * 4));
  cuda::release_cached();
  BOOST_TEST(cuda::memory_stats().cached == 0u);
}

BOOST_AUTO_TEST_CASE(size_classes_bound_the_waste) {
  for (std::size_t b : {1ul, 511ul, 512ul, 513ul, 1ul << 20, (1ul << 20) + 1, 3ul << 20, 123456789ul}) {
    const std::size_t c = cuda::device_allocator::size_class(b);
    BOOST_TEST(c >= b);
    BOOST_TEST(double(c) <= std::max(double(b) * 1.125, double(b) + 512.0), b << " -> " << c);
  }
}

BOOST_AUTO_TEST_CASE(stream_guard_and_device_selection) {
  BOOST_TEST(cuda::current_stream() == cudaStream_t(nullptr));
  {
    cuda::owned_stream s;
    cuda::stream_guard g(s.get());
    BOOST_TEST(cuda::current_stream() == s.get());
    auto t = cuda::device_zeros<float>(shape{1000}, cuda::current_device());  // ordered on s
    cuda::synchronize_stream();
    const auto h = cuda::to_host(t);
    for (std::int64_t i = 0; i < h.numel(); ++i) BOOST_TEST_REQUIRE(h[i] == 0.0f);
  }
  BOOST_TEST(cuda::current_stream() == cudaStream_t(nullptr));
  BOOST_CHECK_THROW(cuda::set_device(cuda::device_count()), i2i::device_error);
  BOOST_CHECK_THROW(cuda::set_device(-1), i2i::device_error);
  cuda::set_device(0);
  BOOST_TEST(cuda::current_device() == 0);
}

/// Device copies of `values` as parameters p0, p1, ... (the CPU side's names) with device `grads`.
std::vector<optim::param_ref<float>> device_params(const std::vector<tensor<float>>& values,
                                                   const std::vector<tensor<float>>& grads) {
  std::vector<optim::param_ref<float>> params;
  for (std::size_t i = 0; i < values.size(); ++i)
    params.push_back({"p" + std::to_string(i), dev(values[i]), dev(grads[i])});
  return params;
}

BOOST_AUTO_TEST_CASE(device_adam_matches_optim_adam) {
  std::vector<tensor<float>> values{random_host({5, 7}, 41), random_host({13}, 42)};
  std::vector<tensor<float>> grads{random_host({5, 7}, 43, -1e-3f, 1e-3f), random_host({13}, 44)};
  for (double wd : {0.0, 0.01}) {
    const auto ref = cpu_adam_steps(values, grads, 1e-2, wd, 3);
    const auto params = device_params(values, grads);
    optim::adam_options o;
    o.lr = 1e-2;
    o.weight_decay = wd;
    optim::adam<cuda_backend<float>> opt(params, o);
    for (int s = 0; s < 3; ++s) opt.step();
    for (std::size_t i = 0; i < values.size(); ++i) I2I_PARITY_CHECK("adam", host(params[i].value), ref[i], 1e-6);
  }
}

// optim::adam's one multi-tensor call per group (B::adam_update_many): 60 tensors (more than one launch
// takes), one of them 2 chunks of 64 Ki and 5 elements, each equal to the CPU's per-tensor update.
BOOST_AUTO_TEST_CASE(device_adam_over_many_tensors_matches_optim_adam) {
  std::vector<tensor<float>> values, grads;
  for (int k = 0; k < 60; ++k) {
    const std::int64_t n = k == 7 ? 2 * 65536 + 5 : 1 + (k * 37) % 301;
    values.push_back(random_host({n}, 300 + std::uint64_t(k)));
    grads.push_back(random_host({n}, 400 + std::uint64_t(k), -1e-2f, 1e-2f));
  }
  const auto ref = cpu_adam_steps(values, grads, 1e-2, 0.01, 3);
  const auto params = device_params(values, grads);
  optim::adam_options o;
  o.lr = 1e-2;
  o.weight_decay = 0.01;
  optim::adam<cuda_backend<float>> opt(params, o);
  for (int s = 0; s < 3; ++s) opt.step();
  for (std::size_t i = 0; i < values.size(); ++i) I2I_PARITY_CHECK("adam, many tensors", host(params[i].value), ref[i], 1e-6);
}

BOOST_AUTO_TEST_CASE(device_sgd_matches_optim_sgd) {
  std::vector<tensor<float>> values{random_host({5, 7}, 51), random_host({13}, 52)};
  std::vector<tensor<float>> grads{random_host({5, 7}, 53), random_host({13}, 54)};
  const optim::sgd_options cases[] = {{.lr = 0.1},
                                      {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01},
                                      {.lr = 0.1, .momentum = 0.9, .dampening = 0.3},
                                      {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true}};
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("momentum " << c.momentum << ", dampening " << c.dampening << ", nesterov " << c.nesterov) {
      const auto ref = cpu_sgd_steps(values, grads, c, 4);
      const auto params = device_params(values, grads);
      optim::sgd<cuda_backend<float>> opt(params, c);
      for (int s = 0; s < 4; ++s) opt.step();
      for (std::size_t i = 0; i < values.size(); ++i) I2I_PARITY_CHECK("sgd", host(params[i].value), ref[i], 1e-6);
    }
  }
}

// One optimizer-state file format: the device optimizer's file resumes on the CPU and continues exactly as
// the device run would (within the update's rounding).
BOOST_AUTO_TEST_CASE(device_adam_state_resumes_on_the_cpu) {
  std::vector<tensor<float>> values{random_host({5, 7}, 61), random_host({13}, 62)};
  std::vector<tensor<float>> grads{random_host({5, 7}, 63), random_host({13}, 64)};
  const auto params = device_params(values, grads);
  optim::adam_options o;
  o.lr = 1e-2;
  optim::adam<cuda_backend<float>> opt(params, o);
  for (int s = 0; s < 2; ++s) opt.step();
  const std::string file =
      (std::filesystem::temp_directory_path() / ("i2i_parity_adam_" + std::to_string(::getpid()) + ".safetensors")).string();
  io::save_adam_state(opt, file);
  std::vector<tensor<float>> after_two;
  for (const auto& p : params) after_two.push_back(host(p.value));
  const auto cpu = cpu_adam_resume(after_two, grads, o.lr, file, 2);
  std::filesystem::remove(file);
  for (int s = 0; s < 2; ++s) opt.step();
  for (std::size_t i = 0; i < values.size(); ++i) I2I_PARITY_CHECK("adam resumed", cpu[i], host(params[i].value), 1e-6);
}

BOOST_AUTO_TEST_CASE(loss_scale_skips_overflow_and_grows) {
  cuda::loss_scale_options o;
  o.init_scale = 1024;
  o.growth_interval = 3;
  cuda::dynamic_loss_scale s(o);
  auto g = dev(tensor<float>::filled({100}, 2048.0f));
  BOOST_TEST(s.unscale_and_update(std::vector<tensor<float>>{g}));
  BOOST_TEST(host(g)[5] == 2.0f);  // divided by the scale
  auto h = tensor<float>::filled({100}, 1.0f);
  h[17] = std::numeric_limits<float>::infinity();
  auto bad = dev(h);
  BOOST_TEST(!s.unscale_and_update(std::vector<tensor<float>>{bad}));
  BOOST_TEST(s.scale() == 512.0f);
  BOOST_TEST(s.skipped_steps() == 1);
  h[17] = std::numeric_limits<float>::quiet_NaN();
  BOOST_TEST(!s.unscale_and_update(std::vector<tensor<float>>{dev(h)}));
  BOOST_TEST(s.scale() == 256.0f);
  for (int i = 0; i < 3; ++i) BOOST_TEST(s.unscale_and_update(std::vector<tensor<float>>{dev(random_host({9}, 5))}));
  BOOST_TEST(s.scale() == 512.0f);  // x2 after growth_interval good steps
  auto l = dev(tensor<float>::filled({4}, 0.5f));
  s.scale_inplace(l);
  BOOST_TEST(host(l)[3] == 256.0f);
  // bf16 / fp32 policies: scaling off, the finite check stays.
  auto off = cuda::make_loss_scale<cuda::bf16_mixed>();
  BOOST_TEST(off.scale() == 1.0f);
  BOOST_TEST(!off.unscale_and_update(std::vector<tensor<float>>{dev(h)}));
  BOOST_TEST(off.scale() == 1.0f);
}

BOOST_AUTO_TEST_SUITE_END()
