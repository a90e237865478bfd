#pragma once
// mpi_communicator: dist::communicator over MPI (Open MPI from Debian's libopenmpi-dev) for host tensors,
// and the MPI session (MPI_Init/MPI_Finalize) that the NCCL communicator bootstraps through.
// Needs the i2i::mpi target (I2I_WITH_MPI); programs normally get one from dist::world() (launch.hpp).
//
// No hang when a rank fails:
//  - the communicator is a duplicate of MPI_COMM_WORLD with MPI_ERRORS_RETURN, so an MPI error becomes
//    a dist_error naming this rank and the call instead of MPI's default abort without context;
//  - every collective is non-blocking (MPI_Iallreduce, MPI_Ibcast, MPI_Ibarrier) and is waited for
//    with a deadline (the watchdog): after I2I_DIST_TIMEOUT seconds (default 300) the rank prints which
//    collective, how many before it succeeded and that a peer has stalled or died, and ends the job
//    with MPI_Abort. A pending collective cannot be cancelled, so throwing would only move the hang
//    into MPI_Finalize;
//  - a rank that fails on its own (an exception in the trainer) calls abort(why): it prints
//    "i2i::dist: rank R of N failed: why" and MPI_Abort makes mpirun end every rank;
//  - a rank killed by a signal or exiting without MPI_Finalize is noticed by mpirun itself, which ends
//    the job and names the rank ("mpirun noticed that process rank 1 ... exited on signal 9").
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "i2i/dist/communicator.hpp"

namespace i2i::dist {

namespace mpi_detail {

inline MPI_Datatype datatype_of(dtype t) {
  switch (t) {
    case dtype::f32: return MPI_FLOAT;
    case dtype::f64: return MPI_DOUBLE;
    default: break;
  }
  throw dist_error(detail::concat("dist::mpi: no MPI reduction for ", name(t), " tensors"));
}

inline std::string error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, std::size_t(len));
}


/// MPI_Init on first use and MPI_Finalize at exit, once per process (MPI allows one init per process).
class session {
 public:
  static session& get() {
    static session s;
    return s;
  }
  bool owns() const { return owned_; }

 private:
  session() {
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited) {
      int provided = 0;
      require<dist_error>(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) == MPI_SUCCESS,
                          "dist::mpi: MPI_Init failed");
      owned_ = true;
    }
  }
  ~session() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owned_ && !finalized) MPI_Finalize();
  }
  bool owned_ = false;
};

}  // namespace mpi_detail

class mpi_communicator : public communicator {
 public:
  /// Initialises MPI if needed and duplicates MPI_COMM_WORLD (with MPI_ERRORS_RETURN).
  mpi_communicator() : timeout_(collective_timeout_seconds()) {
    mpi_detail::session::get();
    check(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup");
    check(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
    check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    MPI_Comm node;
    check(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
    check(MPI_Comm_rank(node, &local_rank_), "MPI_Comm_rank (node)");
    MPI_Comm_free(&node);
  }
  ~mpi_communicator() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Comm_free(&comm_);
  }
  mpi_communicator(const mpi_communicator&) = delete;
  mpi_communicator& operator=(const mpi_communicator&) = delete;

  int world_size() const override { return size_; }
  int rank() const override { return rank_; }
  int local_rank() const override { return local_rank_; }
  std::string name() const override { return "mpi"; }
  bool accepts(const device& d) const override { return d.is_cpu(); }
  /// The watchdog's deadline for one collective, in seconds.
  double timeout() const { return timeout_; }
  void set_timeout(double seconds) { timeout_ = seconds; }
  MPI_Comm handle() const { return comm_; }

  void barrier() override {
    MPI_Request r;
    check(MPI_Ibarrier(comm_, &r), "MPI_Ibarrier");
    wait(r, "barrier");
  }

  void broadcast_buffers(std::span<const buffer> bufs, dtype type, int root) override {
    require<dist_error>(root >= 0 && root < size_, "dist::mpi::broadcast: root ", root, " of a world of ", size_);
    if (size_ == 1 || bufs.empty()) return;
    const MPI_Datatype dt = mpi_detail::datatype_of(type);
    if (bufs.size() == 1) {
      MPI_Request r;
      check(MPI_Ibcast(bufs[0].data, count_of(bufs[0].count), dt, root, comm_, &r), "MPI_Ibcast");
      wait(r, "broadcast");
      return;
    }
    staging_.resize(staged_count(bufs) * size_of(type));
    if (rank_ == root) pack_into(bufs, type, staging_.data());
    MPI_Request r;
    check(MPI_Ibcast(staging_.data(), count_of(staged_count(bufs)), dt, root, comm_, &r), "MPI_Ibcast");
    wait(r, "broadcast");
    unpack_from(staging_.data(), bufs, type);
  }

  void all_reduce_buffers(std::span<const buffer> bufs, dtype type, reduce_op op) override {
    start_all_reduce_buffers(bufs, type, op)->wait();
  }

  /// MPI_Iallreduce on the buffers (packed into the collective's own staging buffer when there are
  /// several) with MPI_SUM; wait() unpacks and divides by the world size for the average.
  std::unique_ptr<pending_collective> start_all_reduce_buffers(std::span<const buffer> bufs, dtype type,
                                                               reduce_op op) override {
    if (bufs.empty() || size_ == 1) return std::make_unique<completed_collective>();
    const double divisor = op == reduce_op::average ? double(size_) : 1.0;
    auto p = std::make_unique<pending_all_reduce>(*this, bufs, type, divisor);
    const MPI_Datatype dt = mpi_detail::datatype_of(type);
    void* data = bufs.size() == 1 ? bufs[0].data : p->pack();
    check(MPI_Iallreduce(MPI_IN_PLACE, data, count_of(staged_count(bufs)), dt, MPI_SUM, comm_, &p->request),
          "MPI_Iallreduce");
    return p;
  }

  [[noreturn]] void abort(const std::string& why, int code = 1) override {
    std::fprintf(stderr, "i2i::dist: rank %d of %d failed: %s\n", rank_, size_, why.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);  // MPI_Abort does not return; this satisfies [[noreturn]]
  }

  /// Collectives completed so far (the watchdog's message says how far the job got).
  std::int64_t completed() const { return completed_; }

 private:
  void check(int rc, const char* call) const {
    if (rc != MPI_SUCCESS)
      throw dist_error(detail::concat("dist::mpi: rank ", rank_, " of ", size_, ": ", call, " failed: ",
                                      mpi_detail::error_text(rc)));
  }

  static int count_of(std::size_t n) {
    require<dist_error>(n <= std::size_t(INT32_MAX), "dist::mpi: ", n,
                        " elements in one collective; MPI counts are int (split the bucket)");
    return int(n);
  }

  static std::size_t staged_count(std::span<const buffer> bufs) {
    std::size_t n = 0;
    for (const auto& b : bufs) n += b.count;
    return n;
  }

  /// One started all-reduce: its request, and its own staging buffer when it packs several buffers (so
  /// that several can be in flight at once).
  class pending_all_reduce final : public pending_collective {
   public:
    pending_all_reduce(mpi_communicator& c, std::span<const buffer> bufs, dtype type, double divisor)
        : comm_(c), bufs_(bufs.begin(), bufs.end()), type_(type), divisor_(divisor) {}
    ~pending_all_reduce() override {
      // Abandoned (an exception unwound past it): MPI still writes into the buffers and the other ranks
      // wait for it, so it is finished here; a failure now ends the job rather than the destructor throw.
      if (finished_ || request == MPI_REQUEST_NULL) return;
      try {
        wait();
      } catch (const std::exception& e) {
        comm_.abort(e.what());
      }
    }
    /// Copies the buffers into one contiguous host buffer (one collective for a whole bucket).
    void* pack() {
      staging_ = std::make_unique_for_overwrite<unsigned char[]>(staged_count(bufs_) * size_of(type_));
      pack_into(bufs_, type_, staging_.get());
      return staging_.get();
    }
    bool progress() override {
      if (request == MPI_REQUEST_NULL) return true;
      int done = 0;
      comm_.check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
      return done != 0;
    }
    void wait() override {
      if (finished_) return;
      finished_ = true;
      comm_.wait(request, "all_reduce");
      request = MPI_REQUEST_NULL;
      if (staging_) unpack_from(staging_.get(), bufs_, type_);
      if (divisor_ != 1.0)
        for (const auto& b : bufs_) divide(b, type_, divisor_);
    }
    MPI_Request request = MPI_REQUEST_NULL;

   private:
    mpi_communicator& comm_;
    std::vector<buffer> bufs_;
    dtype type_;
    double divisor_;
    std::unique_ptr<unsigned char[]> staging_;
    bool finished_ = false;
  };

  /// Copies the buffers into one contiguous host buffer (one collective for a whole bucket) and back.
  static void pack_into(std::span<const buffer> bufs, dtype type, unsigned char* staging) {
    const std::size_t esz = size_of(type);
    for (const auto& b : bufs) {
      std::memcpy(staging, b.data, b.count * esz);
      staging += b.count * esz;
    }
  }
  static void unpack_from(const unsigned char* staging, std::span<const buffer> bufs, dtype type) {
    const std::size_t esz = size_of(type);
    for (const auto& b : bufs) {
      std::memcpy(b.data, staging, b.count * esz);
      staging += b.count * esz;
    }
  }

  /// PyTorch DDP divides the summed gradients by the world size (bucket.div_(world_size)).
  static void divide(const buffer& b, dtype type, double divisor) {
    if (type == dtype::f32) {
      float* p = static_cast<float*>(b.data);
      const float d = float(divisor);
      for (std::size_t i = 0; i < b.count; ++i) p[i] /= d;
    } else {
      double* p = static_cast<double*>(b.data);
      for (std::size_t i = 0; i < b.count; ++i) p[i] /= divisor;
    }
  }

  /// Waits for a non-blocking collective, polling it (MPI progresses it inside MPI_Test) until the
  /// deadline; past it, ends the job with a message (see the header comment).
  void wait(MPI_Request& r, const char* what) {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    const auto deadline = start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(timeout_));
    for (std::uint64_t spins = 0;; ++spins) {
      int done = 0;
      MPI_Status st;
      const int rc = MPI_Test(&r, &done, &st);
      if (rc != MPI_SUCCESS)
        throw dist_error(detail::concat("dist::mpi: rank ", rank_, " of ", size_, ": ", what, " #", completed_ + 1,
                                        " failed: ", mpi_detail::error_text(rc),
                                        " (a rank has probably died; see mpirun's message for which)"));
      if (done) break;
      if (clock::now() > deadline)
        abort(detail::concat(what, " #", completed_ + 1, " waited more than ", timeout_,
                             " s for the other ranks (I2I_DIST_TIMEOUT): a rank has stalled or died after ",
                             completed_, " collectives"));
      // Busy polling starves the other ranks on an oversubscribed machine: back off after a while.
      if (spins > 2000) std::this_thread::sleep_for(std::chrono::microseconds(spins > 20000 ? 1000 : 50));
    }
    ++completed_;
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int size_ = 1, rank_ = 0, local_rank_ = 0;
  double timeout_;
  std::int64_t completed_ = 0;
  std::vector<unsigned char> staging_;
};

}  // namespace i2i::dist
