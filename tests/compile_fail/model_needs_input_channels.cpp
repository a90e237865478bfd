// expect: model_needs_input_channels<-1>
// Nothing fixes the input channels: neither model<Spec, B, In> nor a leading channels<C>.
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/i2i.hpp"
using namespace i2i;
template class model<seq<conv<3, 1>>, cpu_backend<float>>;
