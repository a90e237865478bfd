#pragma once
// pix2pixhd_train's body for one compiled configuration. Each (preset, label channels) pair is
// explicitly instantiated in its own generated translation unit (see CMakeLists.txt), so the
// configurations compile in parallel and main.cpp instantiates none of them.
#include <memory>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/dist/communicator.hpp"
#include "i2i/recipes/pix2pixhd/trainer.hpp"
#include "run_body.hpp"

namespace p2phd_train {

/// Trains configuration Cfg on the CPU as one rank of `job` (dist::world(): one process without mpirun).
template <class Cfg>
void run_training(i2i::pix2pixhd::train_options o, std::shared_ptr<i2i::dist::communicator> job);

#define P2PHD_DECLARE_4(P, L, KW)                                                                   \
  KW template void run_training<i2i::pix2pixhd::config<i2i::pix2pixhd::P, false, L, false>>(      \
      i2i::pix2pixhd::train_options, std::shared_ptr<i2i::dist::communicator>);                                                             \
  KW template void run_training<i2i::pix2pixhd::config<i2i::pix2pixhd::P, false, L, true>>(       \
      i2i::pix2pixhd::train_options, std::shared_ptr<i2i::dist::communicator>);                                                             \
  KW template void run_training<i2i::pix2pixhd::config<i2i::pix2pixhd::P, true, L, false>>(       \
      i2i::pix2pixhd::train_options, std::shared_ptr<i2i::dist::communicator>);                                                             \
  KW template void run_training<i2i::pix2pixhd::config<i2i::pix2pixhd::P, true, L, true>>(        \
      i2i::pix2pixhd::train_options, std::shared_ptr<i2i::dist::communicator>);

template <class Cfg>
void run_training(i2i::pix2pixhd::train_options o, std::shared_ptr<i2i::dist::communicator> job) {
  i2i::pix2pixhd::trainer<Cfg> t(o);
  run_loop(t, std::move(job));
}

}  // namespace p2phd_train
