#pragma once
// Views of host tensors as Eigen arrays and matrices. The CPU backend's ops are bulk Eigen expressions
// over these maps; this is the only place that decides how a tensor looks to Eigen.
#include <Eigen/Core>

#include "i2i/core/tensor.hpp"

namespace i2i::cpu {

template <class T>
using array_map = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>, Eigen::Aligned64>;
template <class T>
using const_array_map = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>, Eigen::Aligned64>;
/// Row-major matrix view: row r is contiguous (for NCHW, one row per (n, c) plane).
template <class T>
using matrix_map = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
template <class T>
using const_matrix_map = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

/// All elements as one flat array (storage is 64-byte aligned by the host allocator).
template <class T>
array_map<T> flat(const tensor<T>& t) {
  return array_map<T>(t.data(), t.numel());
}
template <class T>
const_array_map<T> cflat(const tensor<T>& t) {
  return const_array_map<T>(t.data(), t.numel());
}

/// An NCHW tensor as a (N*C) x (H*W) row-major matrix: one row per channel plane.
template <class T>
matrix_map<T> planes(const tensor<T>& t) {
  return matrix_map<T>(t.data(), t.n() * t.c(), t.h() * t.w());
}
template <class T>
const_matrix_map<T> cplanes(const tensor<T>& t) {
  return const_matrix_map<T>(t.data(), t.n() * t.c(), t.h() * t.w());
}

/// Any tensor as a rows x cols row-major matrix over its elements.
template <class T>
matrix_map<T> as_matrix(const tensor<T>& t, std::int64_t rows, std::int64_t cols) {
  require<shape_error>(rows * cols == t.numel(), "as_matrix: ", t.shape(), " is not ", rows, "x", cols);
  return matrix_map<T>(t.data(), rows, cols);
}

}  // namespace i2i::cpu
