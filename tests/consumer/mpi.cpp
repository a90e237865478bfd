// A data-parallel program built against the installed i2i::mpi: it finds its job with dist::world()
// (run alone here, so a single-process one) and averages gradients with dist::data_parallel.
#include <cstdio>
#include <vector>

#include "i2i/dist/data_parallel.hpp"
#include "i2i/dist/launch.hpp"

int main() {
  static_assert(i2i::dist::built_with_mpi, "i2i::mpi defines I2I_WITH_MPI");
  auto job = i2i::dist::world();
  i2i::dist::data_parallel dp(job);
  std::vector<i2i::optim::param_ref<float>> params{
      {"w", i2i::tensor<float>::zeros(i2i::shape{3}), i2i::tensor<float>::filled(i2i::shape{3}, 2.0f)}};
  dp.reduce_gradients(params);
  if (params[0].grad.data()[0] != 2.0f) return 1;
  std::printf("consumer_mpi ok: %s\n", i2i::dist::describe(*job).c_str());
  return 0;
}
