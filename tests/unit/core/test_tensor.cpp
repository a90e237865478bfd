#include <boost/test/unit_test.hpp>

#include <atomic>
#include <numeric>

#include "i2i/core/tensor.hpp"
#include "i2i/core/threads.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

BOOST_AUTO_TEST_SUITE(core)

BOOST_AUTO_TEST_CASE(shape_basics) {
  shape s{2, 3, 4, 5};
  BOOST_TEST(s.rank() == 4);
  BOOST_TEST(s.numel() == 120);
  BOOST_TEST(s.str() == "2x3x4x5");
  BOOST_TEST(s.c() == 3);
  BOOST_TEST((s == shape::nchw(2, 3, 4, 5)));
  BOOST_TEST(!(s == shape{2, 3, 4}));
  test::expect_error<shape_error>([] { shape{2, 3}.h(); }, {"2x3", "rank 4"});
  test::expect_error<shape_error>([] { shape{1, 2, 3, 4, 5}; }, {"rank 5"});
  test::expect_error<shape_error>([] { shape{1, -2}; }, {"negative"});
}

BOOST_AUTO_TEST_CASE(tensor_storage_is_shared_and_clone_is_deep) {
  auto t = tensor<float>::from({1, 1, 2, 2}, {1, 2, 3, 4});
  auto alias = t;
  auto copy = t.clone();
  alias.at(0, 0, 1, 1) = 40;
  BOOST_TEST(t[3] == 40.f);
  BOOST_TEST(copy[3] == 4.f);
  auto flat = t.reshaped({4});
  BOOST_TEST(flat[3] == 40.f);
  test::expect_error<shape_error>([&] { t.reshaped({3}); }, {"1x1x2x2", "3"});
  test::expect_error<shape_error>([] { tensor<float>::from({2, 2}, {1, 2, 3}); }, {"2x2", "4", "3"});
  auto d = t.cast<double>();
  BOOST_TEST(d[3] == 40.0);
  BOOST_TEST(reinterpret_cast<std::uintptr_t>(t.data()) % host_allocator::alignment == 0);
}

BOOST_AUTO_TEST_CASE(device_tensor_refuses_host_access) {
  // A tensor claiming to live on a CUDA device must not be dereferenced on the host.
  auto st = storage::adopt(nullptr, 64, device::cuda(0), nullptr);
  tensor<float> t({4, 4}, st);
  BOOST_TEST(t.where().is_cuda());
  test::expect_error<device_error>([&] { t.values(); }, {"cuda:0", "4x4"});
}

BOOST_AUTO_TEST_CASE(allocator_reuses_blocks) {
  auto& a = host_allocator::instance();
  const auto before = a.stats();
  { auto t = tensor<float>::empty({1, 64, 32, 32}); }
  const auto mid = a.stats();
  { auto t = tensor<float>::empty({1, 64, 32, 32}); }
  const auto after = a.stats();
  BOOST_TEST(after.cache_hits == mid.cache_hits + 1);
  BOOST_TEST(after.bytes_in_use == before.bytes_in_use);
  BOOST_TEST(host_allocator::rounded(1000) >= 1000u);
  BOOST_TEST(host_allocator::rounded(1000) <= 1125u);
}

BOOST_AUTO_TEST_CASE(thread_pool_covers_every_index_once_and_propagates_errors) {
  set_num_threads(2);
  BOOST_TEST(num_threads() == 2);
  std::vector<std::atomic<int>> hits(1000);
  parallel_for(1000, 7, [&](std::int64_t b, std::int64_t e) {
    for (auto i = b; i < e; ++i) hits[std::size_t(i)]++;
  });
  for (auto& h : hits) BOOST_TEST(h.load() == 1);
  BOOST_CHECK_THROW(parallel_tasks(10, [](std::int64_t i) {
                      if (i == 3) throw value_error("task 3 failed");
                    }),
                    value_error);
  // Nested regions run serially instead of deadlocking.
  std::atomic<int> total = 0;
  parallel_tasks(4, [&](std::int64_t) { parallel_tasks(4, [&](std::int64_t) { total++; }); });
  BOOST_TEST(total.load() == 16);
  test::expect_error<value_error>([] { set_num_threads(0); }, {"at least 1"});
}

BOOST_AUTO_TEST_SUITE_END()
