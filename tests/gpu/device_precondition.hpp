#pragma once
// Boost.Test precondition shared by the GPU tests: a case runs only when a CUDA device is visible,
// otherwise Boost.Test reports it "skipped" with the runtime's reason.
#include <boost/test/unit_test.hpp>

#include "i2i/backend/cuda/runtime.cuh"

namespace i2i::test {

struct cuda_device_present {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    const auto p = i2i::cuda::probe_devices();
    if (p.count > 0) return true;
    boost::test_tools::assertion_result r(false);
    r.message() << "no CUDA device visible (" << p.what() << ")";
    return r;
  }
};

}  // namespace i2i::test
