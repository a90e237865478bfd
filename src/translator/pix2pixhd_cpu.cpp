// The pix2pixHD configurations of i2i::translator on the CPU backend.
#include "factories.hpp"
#include "i2i/backend/cpu/backend.hpp"
#include "pix2pixhd_model.hpp"

namespace i2i::translator_detail {

std::shared_ptr<const pix2pixhd::translator::model> make_pix2pixhd_cpu(const pix2pixhd::generator_info& info) {
  return pix2pixhd::translator_detail::make_generator<cpu_backend<float>>(info);
}

}  // namespace i2i::translator_detail
