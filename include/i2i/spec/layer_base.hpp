#pragma once
// What every layer instance shares: the scalar type of its backend, the runtime input check that names
// the layer's path, and the shape/FLOP trace used by model::flops.
#include <string>

#include "i2i/core/error.hpp"
#include "i2i/core/padding.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/model/parameter.hpp"
#include "i2i/model/run_state.hpp"
#include "i2i/spec/channels.hpp"

namespace i2i::spec_detail {

/// Throws "<path>: input 1x512x64x64, expected 1024 channels" unless x is NCHW with `channels` channels.
template <class T>
void check_input(const std::string& path, const char* kind, const tensor<T>& x, std::int64_t channels) {
  require<shape_error>(x.rank() == 4, path.empty() ? kind : path, ": input ", x.shape(),
                       ", expected an NCHW tensor with ", channels, " channels");
  require<shape_error>(channels == any_channels || x.c() == channels, path.empty() ? kind : path, ": input ",
                       x.shape(), ", expected ", channels, " channels");
}

/// Layers without parameters and without a shape change (activations, norms) trace like this.
struct shape_preserving {
  shape trace(const shape& in, double&) const { return in; }
};

/// Name for messages: the path, or the layer kind at the root.
inline std::string where(const std::string& path, const char* kind) { return path.empty() ? kind : path; }

}  // namespace i2i::spec_detail
