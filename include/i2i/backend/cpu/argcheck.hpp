#pragma once
// The CPU ops' view of the shared argument checks (backend/checks/), and the unaligned maps and the
// parallel grain they use over sub-ranges of a tensor.
//
// Why a separate namespace (argcheck) rather than cpu::detail: several headers of the CPU backend are
// written independently; distinct names keep two helpers from colliding in one translation unit.
#include <cstdint>

#include <Eigen/Core>

#include "i2i/backend/checks/placement.hpp"
#include "i2i/backend/checks/tensor_args.hpp"
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

/// The argument must be a defined host tensor (checks::require_tensor with the CPU's placement).
template <class T>
void require_host(const char* op, const char* arg, const tensor<T>& t) {
  checks::require_tensor<checks::on_host>(op, arg, t);
}

using checks::require_channels_layout;
using checks::require_nc;
using checks::require_same_shape;

/// Runs body(begin, end) over [0, n) on the pool in chunks of at least `grain`.
template <class F>
void chunks(std::int64_t n, std::int64_t grain, F&& body) {
  parallel_for(n, grain, std::forward<F>(body));
}

}  // namespace i2i::cpu::argcheck
