#pragma once
// Input encodings of pix2pixHD (research/pix2pixhd.md §2.1): the one-hot semantic label map and the
// instance boundary (edge) map. Both are computed from integer maps that pix2pixHD stores as floats, so
// they take tensor<T>. They are input encodings: no gradient flows into a label or instance map, and
// these ops have no backward.
#include <cmath>
#include <cstdint>

#include <Eigen/Core>

#include "i2i/backend/checks/label_maps.hpp"
#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/core/dtype.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/core/threads.hpp"

namespace i2i::cpu {

/// labels (N x 1 x H x W, integral values in [0, label_nc)) -> N x label_nc x H x W with 1 at the label's
/// channel and 0 elsewhere. A value out of range or not an integer throws value_error naming the value,
/// its position (n, h, w) and label_nc (PyTorch's scatter_ crashes there instead: pix2pixHD issues
/// #37, #206, #322).
template <cpu_scalar T>
tensor<T> one_hot(const tensor<T>& labels, std::int64_t label_nc) {
  checks::one_hot<checks::on_host>(labels, label_nc);
  const std::int64_t n = labels.dim(0), h = labels.dim(2), w = labels.dim(3), hw = h * w;
  auto y = tensor<T>::zeros({n, label_nc, h, w});
  parallel_for(n, 1, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t s = lo; s < hi; ++s) {
      const T* l = labels.data() + s * hw;
      T* out = y.data() + s * label_nc * hw;
      for (std::int64_t p = 0; p < hw; ++p) {
        const double v = double(l[p]);
        if (!(v >= 0 && v < double(label_nc) && v == std::floor(v))) throw checks::bad_label(v, s, p / w, p % w, label_nc);
        out[std::int64_t(v) * hw + p] = T(1);
      }
    }
  });
  return y;
}

/// Instance boundary map of `inst` (N x 1 x H x W): 1 where a pixel differs from at least one of its
/// existing 4-neighbours, else 0. Both pixels of a differing pair are marked (2-pixel-thick boundaries);
/// the image border is not an edge and nothing wraps around. Values are compared exactly, as pix2pixHD
/// does; NaN (which differs from everything) throws value_error.
template <cpu_scalar T>
tensor<T> boundary_map(const tensor<T>& inst) {
  checks::boundary_map<checks::on_host>(inst);
  const std::int64_t n = inst.dim(0), h = inst.dim(2), w = inst.dim(3);
  require<value_error>(!cflat(inst).isNaN().any(), "boundary_map: inst ", inst.shape(), " contains NaN");
  auto y = tensor<T>::empty(inst.shape());
  using bool_map = Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  parallel_for(n, 1, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t s = lo; s < hi; ++s) {
      const auto a = const_matrix_map<T>(inst.data() + s * h * w, h, w).array();
      bool_map edge = bool_map::Constant(h, w, false);
      if (w > 1) {
        const bool_map d = a.leftCols(w - 1) != a.rightCols(w - 1);
        edge.leftCols(w - 1) = edge.leftCols(w - 1) || d;
        edge.rightCols(w - 1) = edge.rightCols(w - 1) || d;
      }
      if (h > 1) {
        const bool_map d = a.topRows(h - 1) != a.bottomRows(h - 1);
        edge.topRows(h - 1) = edge.topRows(h - 1) || d;
        edge.bottomRows(h - 1) = edge.bottomRows(h - 1) || d;
      }
      matrix_map<T>(y.data() + s * h * w, h, w).array() = edge.template cast<T>();
    }
  });
  return y;
}

}  // namespace i2i::cpu
