// expect: residual_changes_channels<3, 4>
// A residual body must keep the channel count: 3 in, 4 out.
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/i2i.hpp"
using namespace i2i;
template class model<seq<residual<seq<conv<4, 1>>>>, cpu_backend<float>, 3>;
