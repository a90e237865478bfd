// expect: channel_mismatch<2, 8, 16>
// Element 2 of the seq requires 8 channels, but element 1 produces 16.
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/i2i.hpp"
using namespace i2i;
template class model<seq<conv<16, 3>, relu, channels<8>, conv<4, 1>>, cpu_backend<float>, 3>;
