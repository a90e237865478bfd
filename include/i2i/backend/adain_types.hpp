#pragma once
// What the AdaIN ops of every backend take and return (cpu/adain.hpp, cuda/kernels/adain.cuh): the
// options and the saved statistics that backward needs. Eigen-free and CUDA-free, so both backends and
// backend-generic code (models over B) name the very same types; cpu:: and cuda:: re-export them.
// Read cpu/adain.hpp's header comment for the formulas.
#include "i2i/core/tensor.hpp"

namespace i2i {

struct adain_options {
  double eps = 1e-5;      ///< added to the variance before the square root (canonical AdaIN only)
  bool unbiased = false;  ///< divide the variance by H*W - 1 instead of H*W
};

template <class T>
struct channel_moments_result {
  tensor<T> mean;  ///< N x C
  tensor<T> var;   ///< N x C, population variance (or unbiased when asked)
  bool unbiased = false;
};

template <class T>
struct mean_std_result {
  tensor<T> mean;  ///< N x C
  tensor<T> std;   ///< N x C, sqrt(var + eps)
  adain_options options;
};

// Canonical AdaIN (MUNIT): y = style_std * (x - mu_x) / sqrt(var_x + eps) + style_mean.
template <class T>
struct adain_result {
  tensor<T> y;     ///< N x C x H x W
  tensor<T> mean;  ///< N x C, content mean
  tensor<T> rstd;  ///< N x C, 1 / sqrt(var_x + eps)
  adain_options options;
};

template <class T>
struct adain_grads {
  tensor<T> dx;
  tensor<T> dstyle_mean;  ///< N x C
  tensor<T> dstyle_std;   ///< N x C
};

template <class T>
struct adain_from_style_result {
  adain_result<T> adain;     ///< .y is the output
  mean_std_result<T> style;  ///< the style statistics used
};

template <class T>
struct adain_style_grads {
  tensor<T> dx;
  tensor<T> dstyle;  ///< gradient for the style feature map
};

// EGSC-IT's AdaIN: y = exemplar_mean * (x - mu_x) / (v_x + eps) + exemplar_var.
template <class T>
struct adain_egscit_result {
  tensor<T> y;        ///< N x C x H x W
  tensor<T> mean;     ///< N x C, content mean mu_x
  tensor<T> inv_var;  ///< N x C, 1 / (v_x + eps); inf where v_x + eps = 0
  double eps = 0;
};

template <class T>
struct adain_egscit_grads {
  tensor<T> dx;
  tensor<T> dexemplar_mean;  ///< N x C
  tensor<T> dexemplar_var;   ///< N x C
};

template <class T>
struct adain_egscit_exemplar_result {
  adain_egscit_result<T> adain;        ///< .y is the output
  channel_moments_result<T> exemplar;  ///< mu_e (.mean) and v_e (.var) of the exemplar feature map
};

template <class T>
struct adain_egscit_exemplar_grads {
  tensor<T> dx;
  tensor<T> dexemplar;  ///< gradient for the exemplar feature map f_e
};

}  // namespace i2i
