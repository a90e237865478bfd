#pragma once
// The factories each backend's translation unit defines (pix2pixhd_cpu.cpp, egscit_cpu.cpp and, in
// builds with CUDA, translator_cuda.cu); translator.cpp picks one by the requested device. Plain
// declarations, so translator.cpp sees neither Eigen nor CUDA.
#include <filesystem>
#include <memory>

#include "i2i/translator/egscit.hpp"
#include "i2i/translator/pix2pixhd.hpp"

namespace i2i::translator_detail {

/// Null when the checkpoint's configuration is not compiled in.
std::shared_ptr<const pix2pixhd::translator::model> make_pix2pixhd_cpu(const pix2pixhd::generator_info& info);
egscit::exemplar_translator::function make_egscit_cpu(const std::filesystem::path& dir, egscit::model_info& info);

#ifdef I2I_TRANSLATOR_WITH_CUDA
std::shared_ptr<const pix2pixhd::translator::model> make_pix2pixhd_cuda(const pix2pixhd::generator_info& info,
                                                                        int device);
egscit::exemplar_translator::function make_egscit_cuda(const std::filesystem::path& dir, egscit::model_info& info,
                                                       int device);
#endif

}  // namespace i2i::translator_detail
