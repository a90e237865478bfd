// dist::nccl_communicator on one GPU (label gpu; "skipped" without a device): a world of size 1 built
// from a single_process host communicator. All-reduce sum and average and broadcast leave the values,
// a bucketed data_parallel reduction runs through NCCL's grouped launch, and host tensors are refused.
// Two ranks on one GPU need NCCL >= 2.30 with NCCL_MULTI_RANK_GPU_ENABLE=1 (docs/distributed.md).
#include <boost/test/unit_test.hpp>

#include <vector>

#include "device_precondition.hpp"
#include "i2i/backend/cuda/memory.cuh"
#include "i2i/dist/data_parallel.hpp"
#include "i2i/dist/device_world.cuh"
#include "i2i/dist/nccl_communicator.cuh"

using namespace i2i;

namespace {
tensor<float> ramp(std::int64_t n, float salt) {
  auto t = tensor<float>::empty(shape{n});
  for (std::int64_t i = 0; i < n; ++i) t.data()[i] = salt + 0.5f * float(i % 101);
  return t;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(nccl_world_of_one, *boost::unit_test::precondition(i2i::test::cuda_device_present()))

BOOST_AUTO_TEST_CASE(collectives_of_one_rank_keep_the_values) {
  auto comm = std::make_shared<dist::nccl_communicator>(std::make_shared<dist::single_process>(), 0);
  BOOST_TEST(comm->world_size() == 1);
  BOOST_TEST(comm->name() == "nccl");
  const auto host = ramp(100003, 1.0f);
  std::vector<tensor<float>> ts{cuda::to_device(host), cuda::to_device(ramp(7, 2.0f))};
  comm->all_reduce(ts, dist::reduce_op::sum);
  comm->all_reduce(ts, dist::reduce_op::average);
  comm->broadcast(ts, 0);
  const auto back = cuda::to_host(ts[0]);
  BOOST_TEST(std::vector<float>(back.data(), back.data() + back.numel()) ==
                 std::vector<float>(host.data(), host.data() + host.numel()),
             boost::test_tools::per_element());
  BOOST_CHECK_THROW(comm->all_reduce(host), device_error);  // host memory is MPI's
  comm->barrier();
}

BOOST_AUTO_TEST_CASE(data_parallel_reduces_device_gradients_in_buckets) {
  auto comm = std::make_shared<dist::nccl_communicator>(std::make_shared<dist::single_process>(), 0);
  std::vector<optim::param_ref<float>> ps;
  for (int k = 0; k < 4; ++k) ps.push_back({"p", cuda::to_device(ramp(1000, 0.0f)), cuda::to_device(ramp(1000, float(k)))});
  dist::data_parallel dp(comm, {.bucket_bytes = 4000});
  // world size 1: inactive, nothing launched (the single-process path stays untouched) ...
  dp.reduce_gradients(ps);
  BOOST_TEST(dp.buckets_reduced() == 0);
  // ... while the communicator itself reduces a bucket of device tensors.
  comm->all_reduce(std::vector<tensor<float>>{ps[0].grad, ps[1].grad}, dist::reduce_op::average);
  const auto g1 = cuda::to_host(ps[1].grad);
  BOOST_TEST(g1.data()[10] == 1.0f + 5.0f);
}

BOOST_AUTO_TEST_CASE(alone_the_device_world_is_the_single_process_one) {
  auto host = std::make_shared<dist::single_process>();
  BOOST_TEST(dist::device_world(host, 0).get() == host.get());  // no NCCL communicator made
  BOOST_TEST(dist::rank_device(2, *host) == 2);
}

BOOST_AUTO_TEST_SUITE_END()
