#pragma once
// Argument checks of pix2pixHD's input encodings, one_hot and boundary_map (cpu/label_maps.hpp,
// cuda/kernels/label_maps.cuh), once for both backends; P is where the tensors must live
// (placement.hpp). The values are checked where they are read; bad_label is the error both backends
// throw for a label that is out of range or not an integer.
#include <cmath>
#include <cstdint>

#include "i2i/backend/checks/placement.hpp"

namespace i2i::checks {

template <placement P, class T>
void one_hot(const tensor<T>& labels, std::int64_t label_nc) {
  require_tensor<P>("one_hot", "labels", labels);
  require<shape_error>(labels.rank() == 4 && labels.dim(1) == 1, "one_hot: labels has shape ", labels.shape(),
                       ", expected N x 1 x H x W");
  require<value_error>(label_nc >= 1, "one_hot: label_nc must be >= 1, got ", label_nc);
}

/// The error for label value v at (n, h, w) that is not an integer in [0, label_nc).
inline value_error bad_label(double v, std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t label_nc) {
  return value_error(i2i::detail::concat("one_hot: label ", v, " at (n=", n, ", h=", h, ", w=", w, ") ",
                                         v == std::floor(v) ? "is outside [0, label_nc)" : "is not an integer",
                                         " with label_nc = ", label_nc));
}

template <placement P, class T>
void boundary_map(const tensor<T>& inst) {
  require_tensor<P>("boundary_map", "inst", inst);
  require<shape_error>(inst.rank() == 4 && inst.dim(1) == 1, "boundary_map: inst has shape ", inst.shape(),
                       ", expected N x 1 x H x W");
}

}  // namespace i2i::checks
