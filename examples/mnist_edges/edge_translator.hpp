#pragma once
// The edge translator (translator.hpp) for host programs: the CPU backend first, so that the defaults
// (translator, edge_target, constant_baseline_l1) are complete. An nvcc TU includes the CUDA backend and
// translator.hpp instead (run_gpu.cu).
#include "i2i/backend/cpu/backend.hpp"
#include "translator.hpp"
