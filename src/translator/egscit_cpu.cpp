// The EGSC-IT family's loader of i2i::translator on the CPU backend.
#include "egscit_model.hpp"
#include "factories.hpp"
#include "i2i/backend/cpu/backend.hpp"

namespace i2i::translator_detail {

egscit::exemplar_translator::function make_egscit_cpu(const std::filesystem::path& dir, egscit::model_info& info) {
  return egscit::translator_detail::make_translator<cpu_backend<float>>(dir, info);
}

}  // namespace i2i::translator_detail
