#pragma once
// The loss result type and its shared pieces for the device losses (losses.cuh, gram.cuh): the same
// Eigen-free definitions the CPU losses use. The grad of a device loss lives in device memory.
#include "i2i/loss/loss_types.hpp"
