// dist_failure's program: two ranks of a small data-parallel training loop (gradient all-reduces of a
// few MB per step); rank 1 fails at step 3 in the way argv[1] names, and the test (failure.cmake)
// checks that the job ends within a bound with a message naming rank 1.
//   exit    rank 1 leaves with std::_Exit(3): no MPI_Finalize, no message of its own
//   kill    rank 1 is killed by SIGKILL
//   throw   rank 1's step throws; the program's handler ends the job through dist::fail
//   stall   rank 1 sleeps forever in a step; rank 0's watchdog (I2I_DIST_TIMEOUT) ends the job
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "i2i/dist/data_parallel.hpp"
#include "i2i/dist/launch.hpp"

int main(int argc, char** argv) {
  using namespace i2i;
  const std::string mode = argc > 1 ? argv[1] : "exit";
  auto comm = dist::world();
  try {
    dist::data_parallel dp(comm, {.bucket_bytes = 1 << 20});
    std::vector<optim::param_ref<float>> params;
    for (int k = 0; k < 8; ++k)
      params.push_back({"w" + std::to_string(k), tensor<float>::zeros(shape{1 << 18}), tensor<float>::filled(shape{1 << 18}, 1.0f)});
    if (comm->is_root()) std::cout << dist::describe(*comm) << std::endl;
    for (int step = 0; step < 1000; ++step) {
      if (comm->rank() == 1 && step == 3) {
        std::cerr << "failure_probe: this rank fails now (" << mode << ")" << std::endl;
        if (mode == "exit") std::_Exit(3);
        if (mode == "kill") std::raise(SIGKILL);
        if (mode == "throw") throw value_error("a NaN loss at step 3");
        if (mode == "stall") std::this_thread::sleep_for(std::chrono::hours(1));
      }
      dp.reduce_gradients(params);
    }
    std::cout << "failure_probe: rank " << comm->rank() << " finished 1000 steps (the failure did not stop it)" << std::endl;
    return 0;
  } catch (const std::exception& e) {
    dist::fail(*comm, e.what());
  }
}
