#pragma once
// The default backend of backend-generic code: the declaration of cpu_backend (the CPU backend's own
// header defines it), so that a default template argument names the type without bringing the CPU
// backend's dependencies in. A translation unit that instantiates the default includes the definition.
#include "i2i/core/dtype.hpp"

namespace i2i {
template <cpu_scalar T>
struct cpu_backend;
}
