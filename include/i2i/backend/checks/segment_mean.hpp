#pragma once
// Argument checks of instance-wise mean pooling (cpu/segment_mean.hpp, cuda/kernels/segment_mean.cuh),
// once for both backends; P is where the tensors must live (placement.hpp). The id values themselves
// are checked where they are read (the CUDA kernels flag them; see the ops).
#include <cstdint>

#include "i2i/backend/checks/placement.hpp"

namespace i2i::checks {

/// An id map: N x 1 x H x W.
template <placement P, class T>
void segment_ids(const char* op, const tensor<T>& ids) {
  require_tensor<P>(op, "ids", ids);
  require<shape_error>(ids.rank() == 4 && ids.dim(1) == 1, op, ": ids has shape ", ids.shape(),
                       ", expected N x 1 x H x W");
}

/// x (named arg) pooled over an index of an n x 1 x h x w id map: N x C x H x W with that N, H, W.
template <placement P, class T>
void segment_pooled(const char* op, const char* arg, const tensor<T>& x, std::int64_t n, std::int64_t h,
                    std::int64_t w) {
  require_tensor<P>(op, arg, x);
  require<shape_error>(x.rank() == 4 && x.dim(0) == n && x.dim(2) == h && x.dim(3) == w, op, ": ", arg,
                       " has shape ", x.shape(), ", expected ", n, "xCx", h, "x", w, " (the N, H, W of the id map ",
                       shape{n, 1, h, w}, ")");
}

/// segment_mean(x, ids): both where P says, with the same N, H, W.
template <placement P, class T>
void segment_mean(const tensor<T>& x, const tensor<T>& ids) {
  require_tensor<P>("segment_mean", "x", x);
  require_tensor<P>("segment_mean", "ids", ids);
  require<shape_error>(x.rank() == 4 && ids.rank() == 4 && ids.dim(1) == 1 && x.dim(0) == ids.dim(0) &&
                           x.dim(2) == ids.dim(2) && x.dim(3) == ids.dim(3),
                       "segment_mean: x has shape ", x.shape(), " and ids has shape ", ids.shape(),
                       "; expected x N x C x H x W and ids N x 1 x H x W with the same N, H, W");
}

}  // namespace i2i::checks
