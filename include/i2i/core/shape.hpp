#pragma once
// A tensor shape of rank 0..4. Images are NCHW; a linear layer's input is N×C (rank 2).
#include <array>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>

#include "i2i/core/error.hpp"

namespace i2i {

class shape {
 public:
  static constexpr int max_rank = 4;

  constexpr shape() = default;
  shape(std::initializer_list<std::int64_t> dims) {
    require<shape_error>(dims.size() <= max_rank, "shape: rank ", dims.size(), " exceeds ", max_rank);
    std::int64_t nonzero = 1;  // numel() multiplies in order: every partial product must fit
    for (auto d : dims) {
      require<shape_error>(d >= 0, "shape: negative dimension ", d);
      require<shape_error>(d == 0 || !__builtin_mul_overflow(nonzero, d, &nonzero), "shape: dimension ", d,
                           " makes the element count overflow 64 bits");
      dims_[rank_++] = d;
    }
  }
  /// An NCHW image shape.
  static shape nchw(std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w) { return {n, c, h, w}; }

  constexpr int rank() const { return rank_; }
  constexpr std::int64_t operator[](int i) const { return dims_[i]; }
  constexpr std::int64_t& operator[](int i) { return dims_[i]; }
  constexpr std::int64_t numel() const {
    std::int64_t n = 1;
    for (int i = 0; i < rank_; ++i) n *= dims_[i];
    return n;
  }
  // NCHW accessors; they require rank 4 because reading "h" of a rank-2 shape is always a bug.
  std::int64_t n() const { return dim4(0); }
  std::int64_t c() const { return dim4(1); }
  std::int64_t h() const { return dim4(2); }
  std::int64_t w() const { return dim4(3); }

  friend constexpr bool operator==(const shape& a, const shape& b) {
    if (a.rank_ != b.rank_) return false;
    for (int i = 0; i < a.rank_; ++i)
      if (a.dims_[i] != b.dims_[i]) return false;
    return true;
  }

  /// "2x3x64x64"; a rank-0 shape prints as "scalar".
  std::string str() const {
    if (rank_ == 0) return "scalar";
    std::string s;
    for (int i = 0; i < rank_; ++i) {
      if (i) s += 'x';
      s += std::to_string(dims_[i]);
    }
    return s;
  }
  friend std::ostream& operator<<(std::ostream& os, const shape& s) { return os << s.str(); }

 private:
  std::int64_t dim4(int i) const {
    require<shape_error>(rank_ == 4, "shape ", str(), " is not NCHW (rank 4)");
    return dims_[i];
  }
  std::array<std::int64_t, max_rank> dims_{};
  int rank_ = 0;
};

}  // namespace i2i
