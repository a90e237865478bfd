#pragma once
// The compiled side of i2i::egscit::exemplar_translator: the header-only loader (recipes/egscit/load.hpp)
// on backend B, its checkpoint_info reduced to the public model_info. Free of backend headers: included by
// egscit_cpu.cpp and translator_cuda.cu.
#include <filesystem>

#include "i2i/core/error.hpp"
#include "i2i/recipes/egscit/load.hpp"
#include "i2i/translator/egscit.hpp"

namespace i2i::egscit::translator_detail {

template <class B>
exemplar_translator::function make_translator(const std::filesystem::path& dir, model_info& info) {
  auto loaded = load_translator<B>(dir);
  info.dir = loaded.info.dir;
  info.file = loaded.info.file;
  info.kind = i2i::detail::concat(loaded.info.options.kind);
  info.config = loaded.info.config;
  info.iteration = loaded.info.iteration;
  return loaded.translate;
}

}  // namespace i2i::egscit::translator_detail
