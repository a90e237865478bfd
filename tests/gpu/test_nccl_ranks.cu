// Two ranks through NCCL (label gpu, mpiexec -np 2; tests/gpu/nccl_device_check.sh runs it on a lent
// device): device all-reduces against MPI's host ones, the overlapped bucketed reduction of device
// gradients (including the rebuilt bucket order) against a one-shot all-reduce, and pix2pixHD's tiny
// global configuration on trainer<Cfg, cuda_backend<float>>: three iterations with batch 1 per rank against
// one process with batch 2, as dist_ddp_equivalence does on the CPU.
//
// One GPU per rank where there are two; on one GPU both ranks share it, which NCCL allows from 2.30 with
// NCCL_MULTI_RANK_GPU_ENABLE=1 (2.28, CUDA 13.0's, refuses it: "Duplicate GPU detected"). Without a device,
// without two ranks, or on one GPU with an older NCCL, every case is skipped with the reason.
#include <boost/test/unit_test.hpp>

#include <cuda_runtime.h>
#include <nccl.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "../dist/ddp_pix2pixhd.hpp"
#include "device_precondition.hpp"
#include "i2i/backend/cuda/backend.cuh"
#include "i2i/backend/cuda/kernels/segment_mean.cuh"  // completes cuda_backend's op set (see backend.cuh)
#include "i2i/backend/cuda/memory.cuh"
#include "i2i/backend/cuda/stream.cuh"
#include "i2i/dist/data_parallel.hpp"
#include "i2i/dist/nccl_communicator.cuh"

using namespace i2i;
using ddp_test::job;
namespace p = i2i::pix2pixhd;

namespace {

int device_count() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess ? n : 0;
}

/// Why the two ranks cannot run here (empty: they can).
std::string why_not() {
  const auto devices = i2i::cuda::probe_devices();
  if (devices.count == 0) return "no CUDA device visible (" + devices.what() + ")";
  if (job()->world_size() != 2) return "needs two ranks (mpiexec -np 2), not " + std::to_string(job()->world_size());
  int version = 0;
  ncclGetVersion(&version);
  if (devices.count < 2 && version < 23000)
    return "two ranks on one GPU need NCCL >= 2.30 with NCCL_MULTI_RANK_GPU_ENABLE=1; this is NCCL " +
           std::to_string(version) + " with " + std::to_string(devices.count) + " device";
  return {};
}

struct two_ranks_on_gpus {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    const std::string why = why_not();
    if (why.empty()) return true;
    boost::test_tools::assertion_result r(false);
    r.message() << why;
    return r;
  }
};

/// This rank's device (two ranks share device 0 on a one-GPU machine) and its NCCL communicator.
int my_device() { return job()->local_rank() % std::max(device_count(), 1); }
std::shared_ptr<dist::communicator> nccl_job() {
  static auto c = [] {
    i2i::cuda::set_device(my_device());
    return std::make_shared<dist::nccl_communicator>(job(), my_device());
  }();
  return c;
}

tensor<float> by_rank(std::int64_t n, int rank, float salt) {
  auto t = tensor<float>::empty(shape{n});
  for (std::int64_t i = 0; i < n; ++i) t.data()[i] = std::sin(float(i) * 0.731f + salt) * float(1 + rank);
  return t;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(nccl_two_ranks, *boost::unit_test::precondition(two_ranks_on_gpus()))

BOOST_AUTO_TEST_CASE(device_all_reduce_equals_the_host_one) {
  const auto c = nccl_job();
  const int r = c->rank();
  BOOST_TEST(c->world_size() == 2);
  std::vector<tensor<float>> host{by_rank(100003, r, 0.5f), by_rank(7, r, 1.5f)}, device;
  for (const auto& h : host) device.push_back(i2i::cuda::to_device(h, my_device()));
  job()->all_reduce(host, dist::reduce_op::average);
  c->all_reduce(device, dist::reduce_op::average);
  for (std::size_t k = 0; k < host.size(); ++k) {
    const auto back = i2i::cuda::to_host(device[k]);
    double worst = 0;
    for (std::int64_t i = 0; i < back.numel(); ++i)
      worst = std::max(worst, std::abs(double(back.data()[i]) - double(host[k].data()[i])) /
                                  std::max(std::abs(double(host[k].data()[i])), 1e-30));
    BOOST_TEST_MESSAGE("rank " << r << ": tensor " << k << ": NCCL average against MPI's, largest relative difference "
                               << worst);
    BOOST_TEST(worst <= 1e-6);  // (a + b) / 2 either way; only the division's placement may differ
  }
  // Broadcast from rank 1: rank 0 receives rank 1's values.
  auto t = i2i::cuda::to_device(by_rank(1000, r, 2.5f), my_device());
  c->broadcast(t, 1);
  const auto expected = by_rank(1000, 1, 2.5f);
  const auto got = i2i::cuda::to_host(t);
  BOOST_TEST(std::equal(got.data(), got.data() + got.numel(), expected.data()));
}

BOOST_AUTO_TEST_CASE(overlapped_device_buckets_equal_a_one_shot_all_reduce) {
  const auto c = nccl_job();
  const int r = c->rank();
  const std::vector<std::int64_t> sizes{40, 3, 100000, 20, 7};
  dist::data_parallel dp(c, {.bucket_bytes = 4096});
  std::vector<optim::param_ref<float>> ps;
  for (std::size_t k = 0; k < sizes.size(); ++k)
    ps.push_back({"p" + std::to_string(k), i2i::cuda::device_zeros<float>(shape{sizes[k]}, my_device()),
                  i2i::cuda::device_zeros<float>(shape{sizes[k]}, my_device())});
  // Rank 0 finishes 1, 3, 0, 4, 2 (rank 1 the reverse); three steps: the plan, then the rebuilt plan.
  const std::vector<std::size_t> rank0{1, 3, 0, 4, 2}, rank1{2, 4, 0, 3, 1};
  for (int step = 0; step < 3; ++step) {
    std::vector<tensor<float>> reference;
    for (std::size_t k = 0; k < sizes.size(); ++k) {
      auto g = by_rank(sizes[k], r, float(k) + 0.25f * float(step));
      i2i::cuda::copy(g, ps[k].grad);
      reference.push_back(g);
    }
    job()->all_reduce(reference, dist::reduce_op::average);
    dp.expect(ps);
    for (std::size_t k : r == 0 ? rank0 : rank1) dp.gradient_ready(ps[k].grad.data());
    BOOST_TEST(dp.overlap_plan_rebuilt() == (step > 0));
    dp.reduce_gradients(ps);
    for (std::size_t k = 0; k < sizes.size(); ++k) {
      const auto got = i2i::cuda::to_host(ps[k].grad);
      for (std::int64_t i = 0; i < sizes[k]; ++i)
        BOOST_REQUIRE(std::abs(got.data()[i] - reference[k].data()[i]) <= 1e-6f * std::abs(reference[k].data()[i]));
    }
  }
  BOOST_TEST(dp.buckets_started_in_backward() > 0);
}

BOOST_AUTO_TEST_CASE(pix2pixhd_two_gpu_ranks_of_batch_1_equal_one_process_of_batch_2) {
  ddp_test::check_pix2pixhd_equivalence<p::config<p::tiny_preset, false, 4, false>, cuda_backend<float>>(nccl_job(),
                                                                                                          "nccl_ddp");
}

BOOST_AUTO_TEST_SUITE_END()
