#pragma once
// Where an op's tensors must live, as a parameter of the shared argument checks (backend/checks/*.hpp).
//
// Every op checks its arguments once, in an Eigen-free and CUDA-free header, for both backends; the only
// thing that differs between the CPU and the CUDA op is where a tensor has to be. That is a placement:
// a type with
//
//   template <class T> static void require_placed(const char* op, const char* arg, const tensor<T>& t);
//
// which throws device_error naming op, arg, t's shape and where t lives when t (a defined tensor) is in
// the wrong memory. checks::on_host is the CPU's; cuda::on_current_device (backend/cuda/placement.cuh)
// is the CUDA backend's, which also requires the current device.
#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::checks {

template <class P>
concept placement = requires(const char* s, const tensor<float>& t) { P::require_placed(s, s, t); };

/// Host memory: the CPU ops read tensors in place.
struct on_host {
  template <class T>
  static void require_placed(const char* op, const char* arg, const tensor<T>& t) {
    require<device_error>(t.where().is_cpu(), op, ": ", arg, " of shape ", t.shape(), " lives on ", t.where(),
                          "; the CPU op needs a host tensor");
  }
};

/// The argument must be a defined tensor where placement P says.
template <placement P, class T>
void require_tensor(const char* op, const char* arg, const tensor<T>& t) {
  require<value_error>(t.defined(), op, ": ", arg, " is an undefined tensor");
  P::require_placed(op, arg, t);
}

/// Optional arguments (norm weights, parameter gradients): undefined is allowed, else as above.
template <placement P, class T>
void require_optional_tensor(const char* op, const char* arg, const tensor<T>& t) {
  if (t.defined()) require_tensor<P>(op, arg, t);
}

}  // namespace i2i::checks
