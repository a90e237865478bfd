// expect: sum_path_mismatch<1, 3, 4>
// Summed paths must agree: path 0 gives 3 channels, path 1 gives 4.
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/i2i.hpp"
using namespace i2i;
template class model<parallel<sum, conv<3, 1>, conv<4, 1>>, cpu_backend<float>, 2>;
