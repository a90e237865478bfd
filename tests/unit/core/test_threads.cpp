// The thread pool under any sequence of set_num_threads and parallel calls (issue 18): restarting the
// workers used to let a new worker wake for a run that had already finished, dereference the null task
// and decrement the active count outside any run (SIGSEGV or a hang within a few thousand rounds).
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <thread>
#include <vector>

#include "i2i/core/threads.hpp"
#include "support/gradcheck.hpp"
#include "support/sanitizer.hpp"

using namespace i2i;

namespace {

// The sanitizers see the old race on every run at a tenth of the rounds, and start threads slowly.
constexpr int rounds_scale = i2i::test::under_sanitizer ? 10 : 1;

/// Restores the pool's size when a test ends, whatever happens inside it.
struct saved_threads {
  int n = num_threads();
  ~saved_threads() { set_num_threads(n); }
};

/// One parallel_tasks round and one parallel_for round whose results are checked exactly.
void checked_rounds(std::int64_t n) {
  std::vector<int> hits(std::size_t(n), 0);
  parallel_tasks(n, [&](std::int64_t i) { hits[std::size_t(i)] += 1; });
  for (std::int64_t i = 0; i < n; ++i) BOOST_REQUIRE_EQUAL(hits[std::size_t(i)], 1);

  std::atomic<std::int64_t> sum{0};
  parallel_for(n, 1, [&](std::int64_t b, std::int64_t e) {
    std::int64_t s = 0;
    for (std::int64_t i = b; i < e; ++i) s += i;
    sum.fetch_add(s, std::memory_order_relaxed);
  });
  BOOST_REQUIRE_EQUAL(sum.load(), n * (n - 1) / 2);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(threads)

BOOST_AUTO_TEST_CASE(resizing_between_runs_20000_rounds) {
  saved_threads keep;
  for (int round = 0; round < 20000 / rounds_scale; ++round) {
    set_num_threads(1 + round % 4);
    checked_rounds(1 + round % 37);
  }
}

BOOST_AUTO_TEST_CASE(errors_propagate_after_resizes) {
  saved_threads keep;
  for (int round = 0; round < 2000 / rounds_scale; ++round) {
    set_num_threads(2 + round % 3);
    BOOST_CHECK_THROW(parallel_tasks(16, [](std::int64_t i) {
                        if (i == 5) throw std::runtime_error("task 5");
                      }),
                      std::runtime_error);
    checked_rounds(9);  // the pool is usable after a failed run
  }
}

BOOST_AUTO_TEST_CASE(callers_on_several_threads_while_another_resizes) {
  saved_threads keep;
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 3; ++c)
    callers.emplace_back([&, c] {
      for (int round = 0; !stop.load(); ++round) {
        const std::int64_t n = 2 + (round + c) % 23;
        std::atomic<std::int64_t> sum{0};
        parallel_tasks(n, [&](std::int64_t i) { sum.fetch_add(i + 1, std::memory_order_relaxed); });
        if (sum.load() != n * (n + 1) / 2) failures.fetch_add(1);
      }
    });
  for (int round = 0; round < 3000 / rounds_scale; ++round) set_num_threads(1 + round % 4);
  stop = true;
  for (auto& t : callers) t.join();
  BOOST_TEST(failures.load() == 0);
}

BOOST_AUTO_TEST_CASE(resizing_from_inside_a_task_is_an_error_not_a_deadlock) {
  saved_threads keep;
  set_num_threads(3);
  test::expect_error<value_error>([] { parallel_tasks(4, [](std::int64_t) { set_num_threads(2); }); },
                                  {"set_num_threads", "inside a parallel task"});
  checked_rounds(11);
}

BOOST_AUTO_TEST_SUITE_END()
