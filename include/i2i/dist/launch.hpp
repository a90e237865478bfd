#pragma once
// How a program finds its job: dist::world() is an MPI communicator when the program was started by
// mpirun (or srun / mpiexec: any launcher that sets the PMI or Open MPI variables) and a
// single_process one otherwise, so the same binary runs alone or as one rank of N with no flag.
//
//   auto comm = i2i::dist::world();
//   if (comm->is_root()) std::cout << i2i::dist::describe(*comm) << "\n";   // printed once
//   catch (const std::exception& e) { i2i::dist::abort_job_if_distributed(e.what()); std::cerr << ...; }
//
// Without the i2i::mpi target (I2I_WITH_MPI undefined) world() is always single_process, and a launch
// by mpirun with more than one rank is an error rather than N independent copies of one run.
#include <cstdlib>
#include <memory>
#include <string>

#include "i2i/dist/communicator.hpp"
#ifdef I2I_WITH_MPI
#include "i2i/dist/mpi_communicator.hpp"
#endif

namespace i2i::dist {

/// The world size a launcher announced in the environment (Open MPI, PMI/PMIx as MPICH, Intel MPI
/// and Slurm set them), or 0 when the process was not started by one.
inline int launched_world_size() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"}) {
    if (const char* s = std::getenv(v)) {
      const int n = std::atoi(s);
      if (n > 0) return n;
    }
  }
  return 0;
}

/// Whether this build can run as one rank of several (compiled against MPI).
inline constexpr bool built_with_mpi =
#ifdef I2I_WITH_MPI
    true;
#else
    false;
#endif

namespace launch_detail {
inline std::shared_ptr<communicator> make_world() {
  const int launched = launched_world_size();
  if (launched == 0) return std::make_shared<single_process>();
#ifdef I2I_WITH_MPI
  return std::make_shared<mpi_communicator>();
#else
  require<dist_error>(launched == 1, "dist::world: started by a launcher as one of ", launched,
                      " ranks, but this program was built without MPI (configure with -DI2I_WITH_MPI=ON after "
                      "installing libopenmpi-dev); every rank would train alone");
  return std::make_shared<single_process>();
#endif
}
}  // namespace launch_detail

/// The job's host communicator (see the header comment). The first call makes it (and initialises MPI,
/// finalised at exit); later calls, from any translation unit, return the same one.
inline std::shared_ptr<communicator> world() {
  static const std::shared_ptr<communicator> job = launch_detail::make_world();
  return job;
}

/// "world size 2 (mpi): rank 0, local rank 0": the set-up line a program prints once (on rank 0).
inline std::string describe(const communicator& c) {
  return detail::concat("distributed: world size ", c.world_size(), " (", c.name(), "), rank ", c.rank(),
                        ", local rank ", c.local_rank());
}

/// A rank that cannot go on: with other ranks, ends the whole job naming this rank (they would wait
/// for it until the watchdog fires); alone, throws dist_error(why) like any error.
[[noreturn]] inline void fail(communicator& c, const std::string& why, int code = 1) {
  if (c.world_size() > 1) c.abort(why, code);
  throw dist_error(why);
}

/// For a program's last catch: with other ranks, ends the whole job naming this rank (they would wait
/// for it in a collective until the watchdog fires); alone (no launcher), returns at once.
inline void abort_job_if_distributed(const std::string& why) {
  if (launched_world_size() <= 1) return;
  std::shared_ptr<communicator> job;
  try {
    job = world();
  } catch (...) {
    return;  // MPI could not even start: the launcher sees this rank's non-zero exit
  }
  if (job->world_size() > 1) job->abort(why);
}

}  // namespace i2i::dist
