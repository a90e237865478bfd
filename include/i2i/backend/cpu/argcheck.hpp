#pragma once
// Argument checks shared by the pointwise, structural, AdaIN, segment and label-map ops, and the
// unaligned maps they use over sub-ranges of a tensor.
//
// Why a separate namespace (argcheck) rather than cpu::detail: several headers of the CPU backend are
// written independently; distinct names keep two helpers from colliding in one translation unit.
#include <cstdint>

#include <Eigen/Core>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/core/threads.hpp"

namespace i2i::cpu::argcheck {

/// A contiguous run of elements; sub-ranges of a tensor are not 64-byte aligned, so no alignment claim.
template <class T>
using span_array = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using const_span_array = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

/// Below this many elements a parallel region costs more than the work it splits.
inline constexpr std::int64_t element_grain = std::int64_t(1) << 15;

/// The argument must be a defined host tensor.
template <class T>
void require_host(const char* op, const char* arg, const tensor<T>& t) {
  require<value_error>(t.defined(), op, ": ", arg, " is an undefined tensor");
  require<device_error>(t.where().is_cpu(), op, ": ", arg, " of shape ", t.shape(), " lives on ", t.where(),
                        "; the CPU op needs a host tensor");
}

/// `t` must have the same shape as `ref`; the message names both arguments and both shapes.
template <class T>
void require_same_shape(const char* op, const char* arg, const tensor<T>& t, const char* ref_arg,
                        const tensor<T>& ref) {
  require<shape_error>(t.shape() == ref.shape(), op, ": ", arg, " has shape ", t.shape(), ", expected ",
                       ref.shape(), " (the shape of ", ref_arg, ")");
}

/// A tensor with a channel axis: rank 2 (N x C) or rank 4 (N x C x H x W). Returns H*W (1 for rank 2).
template <class T>
std::int64_t require_channels_layout(const char* op, const char* arg, const tensor<T>& t) {
  require<shape_error>(t.rank() == 2 || t.rank() == 4, op, ": ", arg, " has shape ", t.shape(),
                       ", expected rank 2 (N x C) or rank 4 (N x C x H x W)");
  return t.rank() == 4 ? t.dim(2) * t.dim(3) : 1;
}

/// A per-(sample, channel) statistic: shape N x C.
template <class T>
void require_nc(const char* op, const char* arg, const tensor<T>& stat, std::int64_t n, std::int64_t c,
                const char* of_arg, const shape& of_shape) {
  require<shape_error>(stat.shape() == shape{n, c}, op, ": ", arg, " has shape ", stat.shape(), ", expected ",
                       shape{n, c}, " (one per sample and channel of ", of_arg, " ", of_shape, ")");
}

/// Runs body(begin, end) over [0, n) on the pool in chunks of at least `grain`.
template <class F>
void chunks(std::int64_t n, std::int64_t grain, F&& body) {
  parallel_for(n, grain, std::forward<F>(body));
}

}  // namespace i2i::cpu::argcheck
