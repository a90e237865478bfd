#pragma once
// The exemplar grid of EGSC-IT's figures: one row per source image, one column per exemplar, each cell the
// source translated in that exemplar's style; the first row shows the exemplars, the first column the
// sources, the corner is blank (white). Used by egscit_translate --grid and egscit_evaluate --grid.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/io/pixels.hpp"

namespace i2i::egscit {

/// `cell(source, exemplar)` gives one translated cell; all images one size.
inline io::image exemplar_grid(std::span<const io::image> sources, std::span<const io::image> exemplars,
                               const std::function<io::image(const io::image&, const io::image&)>& cell) {
  require<value_error>(!sources.empty() && !exemplars.empty(), "egscit::exemplar_grid: ", sources.size(), " sources and ",
                       exemplars.size(), " exemplars; need at least one of each");
  std::vector<io::image> cells;
  cells.reserve((sources.size() + 1) * (exemplars.size() + 1));
  cells.emplace_back(sources[0].width, sources[0].height, 3, std::uint8_t(255));  // top-left corner: blank
  for (const auto& e : exemplars) cells.push_back(e);
  for (const auto& s : sources) {
    cells.push_back(s);
    for (const auto& e : exemplars) cells.push_back(cell(s, e));
  }
  return io::make_grid(std::span<const io::image>(cells), int(exemplars.size()) + 1);
}

}  // namespace i2i::egscit
