#pragma once
// pix2pixhd_train's body for one compiled configuration. Each (preset, label channels) pair is
// explicitly instantiated in its own generated translation unit (see CMakeLists.txt), so the
// configurations compile in parallel and main.cpp instantiates none of them.
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/models/pix2pixhd/trainer.hpp"
#include "run_body.hpp"

namespace p2phd_train {

template <class Cfg>
void run_training(i2i::pix2pixhd::train_options o);

#define P2PHD_DECLARE_4(P, L, KW)                                                                   \
  KW template void run_training<i2i::pix2pixhd::config<i2i::pix2pixhd::P, false, L, false>>(      \
      i2i::pix2pixhd::train_options);                                                             \
  KW template void run_training<i2i::pix2pixhd::config<i2i::pix2pixhd::P, false, L, true>>(       \
      i2i::pix2pixhd::train_options);                                                             \
  KW template void run_training<i2i::pix2pixhd::config<i2i::pix2pixhd::P, true, L, false>>(       \
      i2i::pix2pixhd::train_options);                                                             \
  KW template void run_training<i2i::pix2pixhd::config<i2i::pix2pixhd::P, true, L, true>>(        \
      i2i::pix2pixhd::train_options);

template <class Cfg>
void run_training(i2i::pix2pixhd::train_options o) {
  i2i::pix2pixhd::trainer<Cfg> t(o);
  run_loop(t);
}

}  // namespace p2phd_train
