// expect: update_backend
// optim::adam takes a backend (optim::adam<cpu_backend<float>>), not a scalar: the former spelling
// optim::adam<float> must name the concept it misses.
#include "i2i/optim/adam.hpp"
using namespace i2i;
template class optim::adam<float>;
