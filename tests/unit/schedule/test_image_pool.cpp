// pix2pixHD's image pool: pass-through at size 0, fill-then-swap with probability 1/2, per image.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "i2i/train/image_pool.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
using i2i::test::expect_error;
using i2i::train::image_pool;

namespace {

/// A batch of n images of 2x3x3 whose every element is the image's id.
tensor<float> batch_of(std::initializer_list<int> ids) {
  auto t = tensor<float>::empty(shape::nchw(std::int64_t(ids.size()), 2, 3, 3));
  std::int64_t n = 0;
  for (int id : ids) {
    for (std::int64_t k = 0; k < 18; ++k) t[n * 18 + k] = float(id);
    ++n;
  }
  return t;
}

/// The id of image n of a batch (asserting the image is uniform, i.e. not a mix of two).
int id_of(const tensor<float>& t, std::int64_t n) {
  const float v = t[n * 18];
  for (std::int64_t k = 1; k < 18; ++k) BOOST_REQUIRE(t[n * 18 + k] == v);
  return int(v);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(image_pool_tests)

BOOST_AUTO_TEST_CASE(size_zero_is_identity) {
  image_pool<float> pool(0);
  const auto b = batch_of({1, 2});
  const auto out = pool.query(b);
  BOOST_TEST(out.data() == b.data());
  BOOST_TEST(pool.size() == 0);
}

BOOST_AUTO_TEST_CASE(fills_first_and_stores_copies) {
  image_pool<float> pool(3, 1);
  auto b = batch_of({1, 2});
  const auto out = pool.query(b);
  BOOST_TEST(id_of(out, 0) == 1);
  BOOST_TEST(id_of(out, 1) == 2);
  BOOST_TEST(pool.size() == 2);
  b.fill(99);  // the caller reuses its buffer: the pool must not see it
  BOOST_TEST(id_of(pool.stored(0), 0) == 1);
  // The third image fills the pool (returned as is); the fourth may be swapped.
  const auto out2 = pool.query(batch_of({3}));
  BOOST_TEST(id_of(out2, 0) == 3);
  BOOST_TEST(pool.size() == 3);
}

BOOST_AUTO_TEST_CASE(full_pool_swaps_half_the_time_and_conserves_images) {
  // Conservation: every image that went in is either still in the pool or was returned exactly once.
  // A returned image is the current one or one that was in the pool.
  image_pool<float> pool(5, 42);
  std::multiset<int> in_pool;
  int next = 0, swapped = 0, queried_full = 0;
  for (int step = 0; step < 1500; ++step) {
    const int bs = 1 + step % 3;  // batches of 1..3: the rule applies per image
    std::vector<int> ids;
    for (int k = 0; k < bs; ++k) ids.push_back(next++);
    auto b = tensor<float>::empty(shape::nchw(bs, 2, 3, 3));
    for (int k = 0; k < bs; ++k)
      for (int e = 0; e < 18; ++e) b[k * 18 + e] = float(ids[std::size_t(k)]);
    const auto out = pool.query(b);
    BOOST_REQUIRE(out.shape() == b.shape());
    for (int k = 0; k < bs; ++k) {
      const int got = id_of(out, k), cur = ids[std::size_t(k)];
      if (in_pool.size() < 5) {
        BOOST_REQUIRE(got == cur);
        in_pool.insert(cur);
        continue;
      }
      ++queried_full;
      if (got != cur) {
        ++swapped;
        auto it = in_pool.find(got);
        BOOST_REQUIRE_MESSAGE(it != in_pool.end(), "returned image " << got << " was not in the pool");
        in_pool.erase(it);
        in_pool.insert(cur);
      }
    }
    std::multiset<int> actual;
    for (std::int64_t i = 0; i < pool.size(); ++i) actual.insert(id_of(pool.stored(i), 0));
    BOOST_REQUIRE(actual == in_pool);
  }
  const double rate = double(swapped) / queried_full;
  BOOST_TEST(rate > 0.46);
  BOOST_TEST(rate < 0.54);
}

BOOST_AUTO_TEST_CASE(seeded_and_repeatable) {
  auto run = [](std::uint64_t seed) {
    image_pool<float> pool(4, seed);
    std::vector<int> seq;
    for (int i = 0; i < 200; ++i) seq.push_back(id_of(pool.query(batch_of({i})), 0));
    return seq;
  };
  BOOST_TEST(run(7) == run(7));
  BOOST_TEST(run(7) != run(8));
}

BOOST_AUTO_TEST_CASE(shape_errors) {
  image_pool<float> pool(2);
  pool.query(batch_of({1}));
  auto other = tensor<float>::zeros(shape::nchw(1, 3, 3, 3));
  expect_error<shape_error>([&] { pool.query(other); }, {"image_pool", "1x3x3x3", "1x2x3x3"});
  expect_error<shape_error>([&] { pool.query(tensor<float>::zeros(shape{2, 18})); }, {"image_pool", "2x18"});
  expect_error<value_error>([] { image_pool<double> p(-1); }, {"image_pool", "-1"});
}

// The pool is saved with a checkpoint (pix2pixHD's <prefix>_pool.safetensors): a pool loaded from the file
// makes exactly the draws the saved one goes on to make, whatever seed the fresh pool started from.
BOOST_AUTO_TEST_CASE(saved_pool_restores_the_same_draws) {
  const auto path = (std::filesystem::temp_directory_path() / "i2i_test_image_pool.safetensors").string();
  image_pool<float> saved(3, 11);
  for (int i = 0; i < 6; ++i) saved.query(batch_of({10 * i, 10 * i + 1}));  // full, some swaps done
  saved.save(path);
  image_pool<float> restored(3, 999);
  restored.load(path);
  BOOST_TEST(restored.size() == saved.size());
  for (int i = 0; i < 20; ++i) {
    const auto b = batch_of({100 + 2 * i, 101 + 2 * i});
    const auto a = saved.query(b), r = restored.query(b);
    BOOST_TEST(id_of(a, 0) == id_of(r, 0));
    BOOST_TEST(id_of(a, 1) == id_of(r, 1));
  }
  // A file of another capacity, or not a pool, is refused.
  image_pool<float> other(4, 0);
  expect_error<value_error>([&] { other.load(path); }, {"image_pool", "size 3", "--pool_size 4"});
  std::filesystem::remove(path);
}

BOOST_AUTO_TEST_SUITE_END()
