#pragma once
// The one knob for CPU threads, and the pool every CPU op runs on.
//
// Why our own pool instead of OpenMP: the library is header-only and must not force -fopenmp on its
// users; and a persistent pool whose caller thread takes part in the work keeps the per-call overhead
// at a few microseconds, which matters for the many small ops of a 128x128 generator.
//
// set_num_threads(n) fixes the number of threads (caller included). The default is the environment
// variable I2I_NUM_THREADS when set, otherwise std::thread::hardware_concurrency().
// A parallel_for called from inside a parallel_for runs serially on the calling thread.
//
// Any sequence of set_num_threads and parallel calls, from any threads, is safe: both take the pool's
// call lock, so a resize waits for the running region and a region waits for the resize. A worker is
// born knowing the generation current at its start, so it only ever wakes for a region published
// after it exists (and counted in that region's active_ total).
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "i2i/core/error.hpp"

namespace i2i {
namespace detail {

class thread_pool {
 public:
  static thread_pool& instance() {
    static thread_pool p;
    return p;
  }

  int size() const { return size_.load(std::memory_order_relaxed); }

  void resize(int n) {
    require<value_error>(n >= 1, "set_num_threads: need at least 1 thread, got ", n);
    // The region running this task holds call_mutex_: locking it again would deadlock.
    require<value_error>(!inside_pool(), "set_num_threads(", n,
                         ") called from inside a parallel task; call it between parallel regions");
    std::lock_guard call(call_mutex_);
    stop_workers();
    size_.store(n, std::memory_order_relaxed);
    start_workers();
  }

  /// Runs task(i) for i in [0, n_tasks), distributing tasks dynamically over the pool.
  /// The first exception thrown by a task is rethrown on the calling thread.
  void run(std::int64_t n_tasks, const std::function<void(std::int64_t)>& task) {
    if (n_tasks <= 0) return;
    if (n_tasks == 1 || size() == 1 || inside_pool()) {
      for (std::int64_t i = 0; i < n_tasks; ++i) task(i);
      return;
    }
    std::lock_guard call(call_mutex_);  // one parallel region at a time; callers from other threads queue
    {
      std::lock_guard lock(mutex_);
      task_ = &task;
      n_tasks_ = n_tasks;
      next_.store(0, std::memory_order_relaxed);
      error_ = nullptr;
      active_ = int(workers_.size());
      ++generation_;
    }
    wake_.notify_all();
    work(task);
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return active_ == 0; });
    task_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

  ~thread_pool() { stop_workers(); }

 private:
  thread_pool() {
    int n = int(std::thread::hardware_concurrency());
    if (const char* env = std::getenv("I2I_NUM_THREADS")) n = std::atoi(env);
    size_.store(std::max(1, n), std::memory_order_relaxed);
    start_workers();
  }

  static bool& inside_pool() {
    thread_local bool inside = false;
    return inside;
  }

  void work(const std::function<void(std::int64_t)>& task) {
    const bool was_inside = inside_pool();
    inside_pool() = true;
    for (;;) {
      const std::int64_t i = next_.fetch_add(1, std::memory_order_relaxed);
      if (i >= n_tasks_) break;
      try {
        task(i);
      } catch (...) {
        std::lock_guard lock(mutex_);
        if (!error_) error_ = std::current_exception();
        next_.store(n_tasks_, std::memory_order_relaxed);  // stop handing out tasks
      }
    }
    inside_pool() = was_inside;
  }

  /// `seen` is the generation current when the worker was started: the regions before it are not its own.
  void worker_loop(std::uint64_t seen) {
    for (;;) {
      const std::function<void(std::int64_t)>* task;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        task = task_;
      }
      work(*task);
      std::lock_guard lock(mutex_);
      if (--active_ == 0) done_.notify_one();
    }
  }

  /// Called with call_mutex_ held (or from the constructor), so no region runs meanwhile.
  void start_workers() {
    std::uint64_t current;
    {
      std::lock_guard lock(mutex_);
      stopping_ = false;
      current = generation_;
    }
    for (int i = 1; i < size(); ++i) workers_.emplace_back([this, current] { worker_loop(current); });
  }
  void stop_workers() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::mutex call_mutex_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  const std::function<void(std::int64_t)>* task_ = nullptr;
  std::int64_t n_tasks_ = 0;
  std::atomic<std::int64_t> next_{0};
  std::exception_ptr error_;
  int active_ = 0;
  std::uint64_t generation_ = 0;
  bool stopping_ = false;
  std::atomic<int> size_{1};  // read without the lock by the serial fast path of run()
};

}  // namespace detail

/// Sets the number of CPU threads used by every op (the calling thread counts as one).
inline void set_num_threads(int n) { detail::thread_pool::instance().resize(n); }

/// The number of CPU threads ops use.
inline int num_threads() { return detail::thread_pool::instance().size(); }

/// Runs task(i) for every i in [0, n_tasks) on the pool; tasks are handed out dynamically.
template <class F>
void parallel_tasks(std::int64_t n_tasks, F&& task) {
  const std::function<void(std::int64_t)> f = std::ref(task);
  detail::thread_pool::instance().run(n_tasks, f);
}

/// Splits [0, n) into contiguous ranges of at least `grain` items, about one per thread (a few more
/// when n is large, to balance), and runs body(begin, end) on each.
template <class F>
void parallel_for(std::int64_t n, std::int64_t grain, F&& body) {
  if (n <= 0) return;
  const std::int64_t threads = num_threads();
  std::int64_t chunks = std::min<std::int64_t>(threads * 4, (n + grain - 1) / std::max<std::int64_t>(grain, 1));
  chunks = std::max<std::int64_t>(chunks, 1);
  if (chunks == 1) {
    body(std::int64_t(0), n);
    return;
  }
  parallel_tasks(chunks, [&](std::int64_t i) { body(n * i / chunks, n * (i + 1) / chunks); });
}

}  // namespace i2i
