#pragma once
// K-means for pix2pixHD's feature clusters (research/pix2pixhd.md §4, encode_features.py): per class,
// the instance features of the training set are clustered into k = min(#instances, 10) centres, and
// at test time (or in the editing program) an instance takes one centre of its class as its feature.
//
//   auto r = pix2pixhd::kmeans(points, /*dim*/ 3, {.k = 10, .seed = 0});       // r.centres: k x 3
//   pix2pixhd::feature_clusters fc;  fc.centres[cls] = r.centres;  ...
//   pix2pixhd::save_feature_clusters(fc, "features_clustered_010.safetensors");
//   auto back = pix2pixhd::load_feature_clusters(path);   back.of(cls)  // value_error if absent
//
// The algorithm is sklearn's KMeans as the reference calls it (k-means++ init with 2 + floor(ln k)
// local trials per centre, Lloyd iterations until the assignments stop changing or the centres move
// less than tol x the mean per-dimension variance, max_iter 300, n_init restarts keeping the lowest
// inertia). Differences, all deliberate:
// - the random numbers come from i2i::data::rng (seeded); results are reproducible per seed but not
//   bit-identical to sklearn's random_state 0;
// - k is capped by the number of DISTINCT points, not only by the number of points: sklearn would
//   return duplicate centres there, which give the editing program identical styles;
// - an empty cluster is re-seeded with the point farthest from its centre (sklearn does the same in
//   spirit: it relocates empty clusters to far points).
//
// The clusters are a trained artifact that inference reads (test.py, the editing program), so their type
// and file format are the model's: models/pix2pixhd/feature_clusters.hpp. This header is the training
// side (encode_features.py): k-means, and the per-class table of a dataset's instance features.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/data/rng.hpp"
#include "i2i/models/pix2pixhd/feature_clusters.hpp"
#include "i2i/models/pix2pixhd/features.hpp"

namespace i2i::pix2pixhd {

struct kmeans_options {
  int k = 10;               ///< requested clusters (pix2pixHD --n_clusters); capped by the distinct points
  std::uint64_t seed = 0;   ///< the reference uses random_state 0
  int max_iter = 300;       ///< sklearn's default
  double tol = 1e-4;        ///< relative to the mean per-dimension variance, as sklearn
  int n_init = 10;          ///< restarts (sklearn's default when the reference was written); best inertia wins
};

struct kmeans_result {
  tensor<float> centres;          ///< k_eff x dim
  std::vector<int> assignment;    ///< the centre of each point
  double inertia = 0;             ///< sum of squared distances to the assigned centres
  int iterations = 0;             ///< Lloyd iterations of the kept run
  bool converged = false;         ///< the kept run stopped before max_iter
};

namespace detail {

inline double sq_dist(const double* a, const double* b, int d) {
  double s = 0;
  for (int j = 0; j < d; ++j) s += (a[j] - b[j]) * (a[j] - b[j]);
  return s;
}

/// Index of the first point whose cumulative weight exceeds u * total (u in [0, 1)).
inline std::size_t sample_by_weight(const std::vector<double>& w, double total, double u) {
  const double target = u * total;
  double acc = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    acc += w[i];
    if (acc > target) return i;
  }
  for (std::size_t i = w.size(); i-- > 0;)  // rounding left target at the very end: the last positive weight
    if (w[i] > 0) return i;
  return w.size() - 1;
}

/// Greedy k-means++ (Arthur & Vassilvitskii 2007, with sklearn's local trials).
inline std::vector<double> kmeanspp(const std::vector<double>& x, std::size_t n, int d, int k, data::rng& r) {
  std::vector<double> c(std::size_t(k) * d);
  const int trials = 2 + int(std::log(double(k)));
  std::size_t first = std::size_t(r.uniform_int(0, std::int64_t(n) - 1));
  std::copy_n(&x[first * d], d, c.begin());
  std::vector<double> closest(n), cand(n);
  double pot = 0;
  for (std::size_t i = 0; i < n; ++i) pot += closest[i] = sq_dist(&x[i * d], &c[0], d);
  for (int m = 1; m < k; ++m) {
    double best_pot = std::numeric_limits<double>::infinity();
    std::size_t best = 0;
    std::vector<double> best_closest;
    for (int t = 0; t < trials; ++t) {
      // pot > 0 is guaranteed while fewer than the distinct points are centres (k is capped so).
      const std::size_t i = sample_by_weight(closest, pot, r.uniform());
      double p = 0;
      for (std::size_t q = 0; q < n; ++q) p += cand[q] = std::min(closest[q], sq_dist(&x[q * d], &x[i * d], d));
      if (p < best_pot) best_pot = p, best = i, best_closest = cand;
    }
    std::copy_n(&x[best * d], d, c.begin() + std::ptrdiff_t(m) * d);
    closest = std::move(best_closest);
    pot = best_pot;
  }
  return c;
}

/// Assigns every point to its nearest centre (ties: the lower index); returns the inertia.
inline double assign(const std::vector<double>& x, std::size_t n, int d, const std::vector<double>& c, int k,
                     std::vector<int>& a, std::vector<double>* dist = nullptr) {
  double inertia = 0;
  for (std::size_t i = 0; i < n; ++i) {
    int best = 0;
    double bd = std::numeric_limits<double>::infinity();
    for (int j = 0; j < k; ++j) {
      const double s = sq_dist(&x[i * d], &c[std::size_t(j) * d], d);
      if (s < bd) bd = s, best = j;
    }
    a[i] = best;
    if (dist) (*dist)[i] = bd;
    inertia += bd;
  }
  return inertia;
}

struct lloyd_run {
  std::vector<double> centres;
  std::vector<int> assignment;
  double inertia = 0;
  int iterations = 0;
  bool converged = false;
};

inline lloyd_run lloyd(const std::vector<double>& x, std::size_t n, int d, int k, std::vector<double> c,
                       const kmeans_options& o, double tol_abs) {
  lloyd_run run;
  std::vector<int> a(n, -1), prev(n, -1);
  std::vector<double> dist(n), sums(std::size_t(k) * d);
  std::vector<std::size_t> counts(static_cast<std::size_t>(k));
  for (int it = 0; it < o.max_iter; ++it) {
    assign(x, n, d, c, k, a, &dist);
    run.iterations = it + 1;
    if (a == prev) {  // strict convergence: the centres below would not move
      run.converged = true;
      break;
    }
    prev = a;
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(counts.begin(), counts.end(), 0);
    for (std::size_t i = 0; i < n; ++i) {
      ++counts[std::size_t(a[i])];
      for (int j = 0; j < d; ++j) sums[std::size_t(a[i]) * d + j] += x[i * d + j];
    }
    std::vector<char> taken(n, 0);
    double shift = 0;
    for (int m = 0; m < k; ++m) {
      double* cm = &c[std::size_t(m) * d];
      std::vector<double> next(static_cast<std::size_t>(d));
      if (counts[std::size_t(m)] == 0) {
        // Empty cluster: restart it at the point farthest from its own centre that is not yet used.
        std::size_t far = 0;
        double fd = -1;
        for (std::size_t i = 0; i < n; ++i)
          if (!taken[i] && dist[i] > fd) fd = dist[i], far = i;
        taken[far] = 1;
        std::copy_n(&x[far * d], d, next.begin());
      } else {
        for (int j = 0; j < d; ++j) next[std::size_t(j)] = sums[std::size_t(m) * d + j] / double(counts[std::size_t(m)]);
      }
      shift += sq_dist(cm, next.data(), d);
      std::copy(next.begin(), next.end(), cm);
    }
    if (shift <= tol_abs) {
      assign(x, n, d, c, k, a);  // labels consistent with the final centres, as sklearn returns them
      run.converged = true;
      break;
    }
  }
  run.inertia = assign(x, n, d, c, k, a);
  run.centres = std::move(c);
  run.assignment = std::move(a);
  return run;
}

}  // namespace detail

/// Clusters `points` (n x dim, row-major; n = points.size() / dim) into min(o.k, distinct points) centres.
inline kmeans_result kmeans(const std::vector<double>& points, int dim, const kmeans_options& o = {}) {
  require<value_error>(dim >= 1, "kmeans: dim must be >= 1, got ", dim);
  require<value_error>(!points.empty() && points.size() % std::size_t(dim) == 0, "kmeans: ", points.size(),
                       " values are not a non-empty whole number of points of dimension ", dim);
  require<value_error>(o.k >= 1 && o.max_iter >= 1 && o.n_init >= 1 && o.tol >= 0, "kmeans: k ", o.k, ", max_iter ",
                       o.max_iter, " and n_init ", o.n_init, " must be >= 1 and tol ", o.tol, " >= 0");
  for (double v : points) require<value_error>(std::isfinite(v), "kmeans: a point has a non-finite value ", v);
  const std::size_t n = points.size() / std::size_t(dim);
  std::set<std::vector<double>> distinct;
  for (std::size_t i = 0; i < n && distinct.size() < std::size_t(o.k); ++i)
    distinct.emplace(points.begin() + std::ptrdiff_t(i * dim), points.begin() + std::ptrdiff_t((i + 1) * dim));
  const int k = int(distinct.size());

  // sklearn's tolerance: tol x mean over dimensions of the variance of the data.
  double var = 0;
  for (int j = 0; j < dim; ++j) {
    double m = 0, s = 0;
    for (std::size_t i = 0; i < n; ++i) m += points[i * dim + j];
    m /= double(n);
    for (std::size_t i = 0; i < n; ++i) s += (points[i * dim + j] - m) * (points[i * dim + j] - m);
    var += s / double(n);
  }
  const double tol_abs = o.tol * var / dim;

  data::rng r(o.seed);
  detail::lloyd_run best;
  best.inertia = std::numeric_limits<double>::infinity();
  for (int t = 0; t < o.n_init; ++t) {
    auto run = detail::lloyd(points, n, dim, k, detail::kmeanspp(points, n, dim, k, r), o, tol_abs);
    if (run.inertia < best.inertia) best = std::move(run);
  }
  kmeans_result res;
  res.centres = tensor<float>::empty(shape{k, dim});
  for (std::size_t i = 0; i < best.centres.size(); ++i) res.centres.data()[i] = float(best.centres[i]);
  res.assignment = std::move(best.assignment);
  res.inertia = best.inertia;
  res.iterations = best.iterations;
  res.converged = best.converged;
  return res;
}

/// Per-class feature rows, accumulated over a dataset (encode_features.py's `features` dict).
struct class_feature_table {
  int feat_num = 3;
  std::map<std::int64_t, std::vector<instance_feature>> by_class;

  void add(const std::vector<instance_feature>& objs) {
    for (const auto& o : objs) {
      require<value_error>(o.value.size() == std::size_t(feat_num), "class_feature_table: instance ", o.id,
                           " has ", o.value.size(), " values, expected feat_num ", feat_num);
      by_class[o.cls].push_back(o);
    }
  }

  /// The rows of `cls` with a size statistic above `min_area_ratio`, flattened (n x feat_num).
  std::vector<double> points(std::int64_t cls, double min_area_ratio = 0.5) const {
    std::vector<double> p;
    auto it = by_class.find(cls);
    if (it == by_class.end()) return p;
    for (const auto& o : it->second)
      if (o.area_ratio > min_area_ratio) p.insert(p.end(), o.value.begin(), o.value.end());
    return p;
  }
};

/// encode_features.py's clustering: per class, the rows with size statistic > min_area_ratio are
/// clustered into min(rows, k) centres; classes with no such row get no clusters.
inline feature_clusters cluster_features(const class_feature_table& t, const kmeans_options& o = {},
                                         double min_area_ratio = 0.5) {
  feature_clusters fc;
  fc.feat_num = t.feat_num;
  fc.n_clusters = o.k;
  for (const auto& [cls, rows] : t.by_class) {
    const auto p = t.points(cls, min_area_ratio);
    if (p.empty()) continue;
    fc.centres[cls] = kmeans(p, t.feat_num, o).centres;
  }
  return fc;
}

}  // namespace i2i::pix2pixhd
