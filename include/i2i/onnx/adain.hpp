#pragma once
// Composite ops written as standard ONNX ops, for graphs that join several models (EGSC-IT's transfer
// block, MUNIT-style AdaIN). The maths is backend/cpu/adain.hpp's; the statistics are per sample and
// channel over H x W, the variance the population one (divide by H*W).
//
//   channel_moments(g, x)          mean = ReduceMean(x, [2, 3]), var = ReduceMean((x - mean)^2)
//   adain_egscit(g, x, f_e, eps)   y = mean_e * (x - mean_x) / (var_x + eps) + var_e    (EGSC-IT's form)
//   adain_from_style(g, x, s, eps) y = sqrt(var_s + eps) * (x - mean_x) / sqrt(var_x + eps) + mean_s
//   feature_mask(g, f)             m = 0.5 + 0.5 sigmoid(f)                            (EGSC-IT's mask)
//
// Ops: ReduceMean, Sub, Mul, Div, Add, Sqrt, Sigmoid, with N x C x 1 x 1 statistics broadcast over H x W.
// The CPU reduces the statistics in double; these graphs do it in float, which differs by rounding only.
#include <string>

#include "i2i/onnx/graph.hpp"

namespace i2i::onnx {

struct moments {
  value mean;      ///< N x C x 1 x 1
  value centred;   ///< x - mean
  value variance;  ///< N x C x 1 x 1, population variance
};

inline moments channel_moments(graph_builder& g, const value& x, const std::string& where) {
  const shape stat = shape::nchw(x.dims[0], x.dims[1], 1, 1);
  const std::vector<std::int64_t> hw{2, 3};
  moments m;
  m.mean = g.node("ReduceMean", {x.name}, stat, where, {attr("axes", hw), attr("keepdims", 1)});
  m.centred = g.node("Sub", {x.name, m.mean.name}, x.dims, where);
  const value sq = g.node("Mul", {m.centred.name, m.centred.name}, x.dims, where);
  m.variance = g.node("ReduceMean", {sq.name}, stat, where, {attr("axes", hw), attr("keepdims", 1)});
  return m;
}

/// EGSC-IT's AdaIN: scales by the exemplar features' mean, divides by the variance (not the standard
/// deviation) of x and shifts by the exemplar's variance (research/egscit.md §4).
inline value adain_egscit(graph_builder& g, const value& x, const value& exemplar_features, double eps,
                          const std::string& where = "adain") {
  require<shape_error>(exemplar_features.dims[0] == x.dims[0] && exemplar_features.dims[1] == x.dims[1], where,
                       ": exemplar features ", exemplar_features.dims, " need the samples and channels of ", x.dims);
  const moments mx = channel_moments(g, x, where + "/x");
  const moments me = channel_moments(g, exemplar_features, where + "/exemplar");
  value denominator = mx.variance;
  if (eps != 0) denominator = g.node("Add", {mx.variance.name, g.scalar(float(eps))}, mx.variance.dims, where);
  const value scaled = g.node("Mul", {mx.centred.name, me.mean.name}, x.dims, where);
  const value normed = g.node("Div", {scaled.name, denominator.name}, x.dims, where);
  return g.node("Add", {normed.name, me.variance.name}, x.dims, where);
}

/// Canonical AdaIN (Huang & Belongie) with the style statistics of a feature map s.
inline value adain_from_style(graph_builder& g, const value& x, const value& style, double eps,
                              const std::string& where = "adain") {
  require<shape_error>(style.dims[0] == x.dims[0] && style.dims[1] == x.dims[1], where, ": style ", style.dims,
                       " needs the samples and channels of ", x.dims);
  const std::string e = g.scalar(float(eps));
  const moments mx = channel_moments(g, x, where + "/x");
  const moments ms = channel_moments(g, style, where + "/style");
  const value std_x = g.node("Sqrt", {g.node("Add", {mx.variance.name, e}, mx.variance.dims, where).name},
                             mx.variance.dims, where);
  const value std_s = g.node("Sqrt", {g.node("Add", {ms.variance.name, e}, ms.variance.dims, where).name},
                             ms.variance.dims, where);
  const value normed = g.node("Div", {mx.centred.name, std_x.name}, x.dims, where);
  const value scaled = g.node("Mul", {normed.name, std_s.name}, x.dims, where);
  return g.node("Add", {scaled.name, ms.mean.name}, x.dims, where);
}

/// EGSC-IT's feature mask m = 0.5 + 0.5 sigmoid(f), in (0.5, 1).
inline value feature_mask(graph_builder& g, const value& f, const std::string& where = "mask") {
  const std::string half = g.scalar(0.5f);
  const value s = g.node("Sigmoid", {f.name}, f.dims, where);
  const value h = g.node("Mul", {s.name, half}, f.dims, where);
  return g.node("Add", {h.name, half}, f.dims, where);
}

}  // namespace i2i::onnx
