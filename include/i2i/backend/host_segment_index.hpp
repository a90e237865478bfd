#pragma once
// The segments of an id map on the host (N x 1 x H x W tensor<T> of integral values, the way pix2pixHD
// stores instance maps): per pixel its segment number within its sample, per segment its id and pixel
// count. Built once, reused across channels, calls and forward/backward. The CPU backend's segment mean
// (backend/cpu/segment_mean.hpp) pools over it; host code that lists instances (pix2pixHD's feature
// tools, models/pix2pixhd/features.hpp) reads it. Eigen-free; the CUDA backend has its own device index
// (backend/cuda/kernels/segment_mean.cuh), hence the distinct name.
#include <cmath>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "i2i/backend/checks/segment_mean.hpp"
#include "i2i/core/dtype.hpp"
#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/core/threads.hpp"

namespace i2i {

/// Which segment each pixel belongs to; segments are numbered per sample.
struct host_segment_index {
  std::int64_t n = 0, h = 0, w = 0;
  std::vector<std::int32_t> slot;   ///< n*h*w entries: the segment of each pixel within its sample
  std::vector<std::int64_t> first;  ///< n+1 entries: sample s owns counts [first[s], first[s+1])
  std::vector<std::int64_t> count;  ///< pixels in each segment
  std::vector<std::int64_t> id;     ///< the id of each segment

  std::int64_t segments(std::int64_t sample) const { return first[sample + 1] - first[sample]; }
};

/// Builds the segment index of an id map (N x 1 x H x W, integral values >= 0).
template <cpu_scalar T>
host_segment_index make_host_segment_index(const tensor<T>& ids, const char* op = "make_host_segment_index") {
  checks::segment_ids<checks::on_host>(op, ids);
  host_segment_index idx;
  idx.n = ids.dim(0);
  idx.h = ids.dim(2);
  idx.w = ids.dim(3);
  const std::int64_t hw = idx.h * idx.w;
  idx.slot.resize(std::size_t(idx.n * hw));
  std::vector<std::vector<std::int64_t>> counts(std::size_t(idx.n)), values(std::size_t(idx.n));
  parallel_for(idx.n, 1, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t s = lo; s < hi; ++s) {
      std::unordered_map<std::int64_t, std::int32_t> seen;
      auto& cnt = counts[std::size_t(s)];
      auto& val = values[std::size_t(s)];
      const T* v = ids.data() + s * hw;
      std::int32_t* out = idx.slot.data() + s * hw;
      // Instance maps are mostly runs of one id along a row: remember the last lookup.
      double last = -1;
      std::int32_t last_slot = -1;
      for (std::int64_t p = 0; p < hw; ++p) {
        const double id = double(v[p]);
        if (id != last || last_slot < 0) {
          require<value_error>(std::isfinite(id) && id >= 0 && id == std::floor(id) && id <= 2147483647.0, op,
                               ": id ", id, " at (n=", s, ", h=", p / idx.w, ", w=", p % idx.w,
                               ") is not an integer in [0, 2^31 - 1]");
          auto [it, added] = seen.try_emplace(std::int64_t(id), std::int32_t(cnt.size()));
          if (added) {
            cnt.push_back(0);
            val.push_back(std::int64_t(id));
          }
          last = id;
          last_slot = it->second;
        }
        out[p] = last_slot;
        ++cnt[std::size_t(last_slot)];
      }
    }
  });
  idx.first.assign(std::size_t(idx.n) + 1, 0);
  for (std::int64_t s = 0; s < idx.n; ++s) {
    idx.first[std::size_t(s) + 1] = idx.first[std::size_t(s)] + std::int64_t(counts[std::size_t(s)].size());
    idx.count.insert(idx.count.end(), counts[std::size_t(s)].begin(), counts[std::size_t(s)].end());
    idx.id.insert(idx.id.end(), values[std::size_t(s)].begin(), values[std::size_t(s)].end());
  }
  return idx;
}

}  // namespace i2i
