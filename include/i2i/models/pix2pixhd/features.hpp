#pragma once
// pix2pixHD's instance features outside training (research/pix2pixhd.md §4): reading one feature
// vector per (image, instance) from E's pooled output (encode_features.py), clustering them per class,
// and the inverse, painting per-instance vectors back into the feature channels of G's input (test.py
// sample_features, ui_model.py editing).
//
//   auto fc  = pix2pixhd::encode_instance_features(E, image, inst);        // instance_pooling.hpp
//   auto v   = pix2pixhd::extract_instance_features(fc.output, inst);      // one row per (sample, id)
//   table.add(v);  ...  auto clusters = pix2pixhd::cluster_features(table, {.k = 10});  // recipes/pix2pixhd/kmeans.hpp
//
//   auto objs = pix2pixhd::list_instances(inst);                           // test / edit time
//   pix2pixhd::assign_random_clusters(objs, clusters, rng);                // or assign_seeded_clusters
//   pix2pixhd::set_instance_cluster(objs, 0, 4003, clusters, 7);           // edit one object
//   auto x = pix2pixhd::generator_input(label, inst, pix2pixhd::paint_instance_features(inst, objs, 3), label_nc);
//
// Conventions and differences from the reference:
// - class of an instance id: the id itself below 1000, id / 1000 from 1000 on (Cityscapes; the digit and
//   photo scene builders write stuff as the class id and things as class * 1000 + k);
// - instances are listed per sample in ascending id order, like np.unique;
// - the feature of an instance is read at the middle pixel of its row-major pixel list, as the
//   reference does; we additionally check that the instance is constant there (pooled features);
// - size statistic: pixels / floor(H * W / 32); clustering keeps rows with a statistic > 0.5;
// - pixels of instances without a value (classes without clusters) are ZERO: the reference leaves
//   them uninitialised (a torch tensor allocated without zeroing), which is a bug;
// - the random cluster choice at test time is seeded (i2i::data::rng) and drawn per (sample, instance);
//   the reference uses the unseeded global numpy RNG and one draw per id for the whole batch.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "i2i/backend/default_backend.hpp"
#include "i2i/backend/host_segment_index.hpp"
#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/data/rng.hpp"
#include "i2i/models/pix2pixhd/feature_clusters.hpp"

namespace i2i::pix2pixhd {

/// The semantic class of an instance id (Cityscapes convention): id below 1000, else id / 1000.
inline std::int64_t instance_class(std::int64_t id) { return id < 1000 ? id : id / 1000; }

/// One object of one image, and (once known) its feature vector.
struct instance_feature {
  std::int64_t sample = 0;   ///< batch index
  std::int64_t id = 0;       ///< instance id
  std::int64_t cls = 0;      ///< instance_class(id)
  std::int64_t pixels = 0;   ///< area in pixels
  double area_ratio = 0;     ///< the reference's size statistic: pixels / floor(H * W / 32)
  std::int64_t cluster = -1; ///< the cluster the value came from; -1 when extracted or unassigned
  std::vector<float> value;  ///< feat_num values; empty = not assigned (painted as zeros)
};

namespace detail {

template <class T>
void require_ids(const char* op, const tensor<T>& inst) {
  require<shape_error>(inst.defined() && inst.rank() == 4 && inst.dim(1) == 1, op, ": instance map has shape ",
                       inst.defined() ? inst.shape() : shape{}, ", expected N x 1 x H x W");
}

inline std::string id_list(const std::vector<instance_feature>& objs, std::int64_t sample) {
  std::ostringstream s;
  int shown = 0;
  for (const auto& o : objs) {
    if (o.sample != sample) continue;
    if (shown == 24) {
      s << ", ...";
      break;
    }
    s << (shown++ ? ", " : "") << o.id;
  }
  return shown ? s.str() : std::string("none");
}

}  // namespace detail

/// Every (sample, id) of an instance map (N x 1 x H x W integral values >= 0), per sample by ascending id,
/// with class, pixel count, size statistic and, for each, the row-major index of its middle pixel.
template <cpu_scalar T>
std::vector<instance_feature> list_instances(const tensor<T>& inst, std::vector<std::int64_t>* middle_pixel = nullptr) {
  detail::require_ids("list_instances", inst);
  const host_segment_index idx = make_host_segment_index(inst, "list_instances");
  const std::int64_t hw = idx.h * idx.w;
  const std::int64_t block = std::max<std::int64_t>(1, hw / 32);  // encode_features: h * w // block_num
  std::vector<instance_feature> out;
  if (middle_pixel) middle_pixel->clear();
  for (std::int64_t s = 0; s < idx.n; ++s) {
    const std::int64_t first = idx.first[std::size_t(s)], k = idx.segments(s);
    std::vector<std::int64_t> order(static_cast<std::size_t>(k));
    for (std::int64_t j = 0; j < k; ++j) order[std::size_t(j)] = j;
    std::sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
      return idx.id[std::size_t(first + a)] < idx.id[std::size_t(first + b)];
    });
    std::vector<std::int64_t> mid;
    if (middle_pixel) {
      // The (count / 2)-th pixel of each segment in row-major order.
      std::vector<std::int64_t> seen(std::size_t(k), 0);
      mid.assign(std::size_t(k), -1);
      const std::int32_t* slot = idx.slot.data() + s * hw;
      for (std::int64_t p = 0; p < hw; ++p) {
        const std::size_t j = std::size_t(slot[p]);
        if (seen[j]++ == idx.count[std::size_t(first) + j] / 2) mid[j] = p;
      }
    }
    for (std::int64_t j : order) {
      instance_feature f;
      f.sample = s;
      f.id = idx.id[std::size_t(first + j)];
      f.cls = instance_class(f.id);
      f.pixels = idx.count[std::size_t(first + j)];
      f.area_ratio = double(f.pixels) / double(block);
      out.push_back(std::move(f));
      if (middle_pixel) middle_pixel->push_back(mid[std::size_t(j)]);
    }
  }
  return out;
}

/// encode_features: one row per (sample, instance) of pooled features (N x F x H x W, constant over each
/// instance of `inst`), value = the features at the instance's middle pixel. value_error when an
/// instance is not constant (features that were not pooled with this instance map).
template <cpu_scalar T>
std::vector<instance_feature> extract_instance_features(const tensor<T>& features, const tensor<T>& inst) {
  detail::require_ids("extract_instance_features", inst);
  require<shape_error>(features.defined() && features.rank() == 4 && features.dim(0) == inst.dim(0) &&
                           features.dim(2) == inst.dim(2) && features.dim(3) == inst.dim(3) && features.dim(1) >= 1,
                       "extract_instance_features: features have shape ", features.shape(), " but the instance map ",
                       inst.shape(), "; expected N x F x H x W with the map's N, H, W");
  std::vector<std::int64_t> mid;
  auto objs = list_instances(inst, &mid);
  const std::int64_t F = features.dim(1), hw = inst.dim(2) * inst.dim(3);
  for (std::size_t i = 0; i < objs.size(); ++i) {
    auto& o = objs[i];
    const T* f = features.data() + o.sample * F * hw;
    o.value.resize(std::size_t(F));
    for (std::int64_t c = 0; c < F; ++c) o.value[std::size_t(c)] = float(f[c * hw + mid[i]]);
  }
  // Pooled features are constant over each instance; anything else is a caller error that would
  // make the "middle pixel" an arbitrary sample.
  for (std::int64_t s = 0; s < inst.dim(0); ++s) {
    std::map<std::int64_t, const instance_feature*> by_id;
    for (const auto& o : objs)
      if (o.sample == s) by_id[o.id] = &o;
    const T* ids = inst.data() + s * hw;
    const T* f = features.data() + s * F * hw;
    for (std::int64_t p = 0; p < hw; ++p) {
      const instance_feature& o = *by_id.at(std::int64_t(ids[p]));
      for (std::int64_t c = 0; c < F; ++c) {
        const double v = double(f[c * hw + p]), ref = double(o.value[std::size_t(c)]);
        require<value_error>(std::abs(v - ref) <= 1e-5 * std::max(1.0, std::abs(ref)), "extract_instance_features: ",
                             "instance ", o.id, " of sample ", s, " is not constant in channel ", c, " (", ref,
                             " at its middle pixel, ", v, " at (h=", p / inst.dim(3), ", w=", p % inst.dim(3),
                             ")): pool the features per instance first (encode_instance_features)");
      }
    }
  }
  return objs;
}

/// The inverse of extract_instance_features: an N x feat_num x H x W map where every pixel of (sample, id)
/// holds that object's value; pixels of objects without a value (or not listed) are 0. value_error for an
/// object not in the map, a value of the wrong length, or an object listed twice.
template <cpu_scalar T>
tensor<T> paint_instance_features(const tensor<T>& inst, const std::vector<instance_feature>& objs, int feat_num) {
  detail::require_ids("paint_instance_features", inst);
  require<value_error>(feat_num >= 1, "paint_instance_features: feat_num must be >= 1, got ", feat_num);
  const std::int64_t N = inst.dim(0), hw = inst.dim(2) * inst.dim(3);
  std::vector<std::map<std::int64_t, const instance_feature*>> by_id(static_cast<std::size_t>(N));
  for (const auto& o : objs) {
    require<value_error>(o.sample >= 0 && o.sample < N, "paint_instance_features: object ", o.id, " of sample ",
                         o.sample, " but the instance map has ", N, " samples");
    require<value_error>(o.value.empty() || o.value.size() == std::size_t(feat_num), "paint_instance_features: object ",
                         o.id, " of sample ", o.sample, " has ", o.value.size(), " values, expected feat_num ", feat_num);
    require<value_error>(by_id[std::size_t(o.sample)].emplace(o.id, &o).second, "paint_instance_features: object ",
                         o.id, " of sample ", o.sample, " is listed twice");
  }
  auto out = tensor<T>::zeros(shape::nchw(N, feat_num, inst.dim(2), inst.dim(3)));
  for (std::int64_t s = 0; s < N; ++s) {
    auto& m = by_id[std::size_t(s)];
    std::map<std::int64_t, bool> present;
    const T* ids = inst.data() + s * hw;
    T* dst = out.data() + s * feat_num * hw;
    const instance_feature* last = nullptr;
    std::int64_t last_id = -1;
    for (std::int64_t p = 0; p < hw; ++p) {
      const std::int64_t id = std::int64_t(ids[p]);
      if (id != last_id) {
        auto it = m.find(id);
        last = it == m.end() ? nullptr : it->second;
        last_id = id;
        if (last) present[id] = true;
      }
      if (!last || last->value.empty()) continue;
      for (int c = 0; c < feat_num; ++c) dst[c * hw + p] = T(last->value[std::size_t(c)]);
    }
    for (const auto& [id, o] : m)
      require<value_error>(present.count(id) != 0, "paint_instance_features: object ", id, " of sample ", s,
                           " does not occur in the instance map");
  }
  return out;
}

/// The object (sample, id) of a list; value_error listing the sample's ids when it is absent.
inline instance_feature& find_instance(std::vector<instance_feature>& objs, std::int64_t sample, std::int64_t id) {
  for (auto& o : objs)
    if (o.sample == sample && o.id == id) return o;
  throw value_error(i2i::detail::concat("instance ", id, " is not in the instance map of sample ", sample,
                                        " (its ids: ", detail::id_list(objs, sample), ")"));
}

/// test.py's sample_features: every object whose class has clusters takes a uniformly drawn centre of
/// its class; the others get no value (zero-filled when painted).
inline void assign_random_clusters(std::vector<instance_feature>& objs, const feature_clusters& fc, data::rng& r) {
  for (auto& o : objs) {
    o.value.clear();
    o.cluster = -1;
    if (!fc.has(o.cls)) continue;
    o.cluster = r.uniform_int(0, fc.of(o.cls).dim(0) - 1);
    o.value = fc.centre(o.cls, o.cluster);
  }
}

/// ui_model.py's initial styles: each object's cluster comes from a generator seeded with id + 1, so a
/// given object starts with the same style whatever else is in the image.
inline void assign_seeded_clusters(std::vector<instance_feature>& objs, const feature_clusters& fc) {
  for (auto& o : objs) {
    o.value.clear();
    o.cluster = -1;
    if (!fc.has(o.cls)) continue;
    data::rng r(std::uint64_t(o.id) + 1);
    o.cluster = r.uniform_int(0, fc.of(o.cls).dim(0) - 1);
    o.value = fc.centre(o.cls, o.cluster);
  }
}

/// Gives object (sample, id) centre `k` of its class. value_error when the object is absent, its class
/// has no clusters, or k is out of range.
inline void set_instance_cluster(std::vector<instance_feature>& objs, std::int64_t sample, std::int64_t id,
                                 const feature_clusters& fc, std::int64_t k) {
  auto& o = find_instance(objs, sample, id);
  require<value_error>(fc.has(o.cls), "set_instance_cluster: instance ", id, " is of class ", o.cls,
                       ", which has no clusters (classes with clusters: ",
                       fc.centres.empty() ? std::string("none") : fc.class_list(),
                       "; encode_features keeps only instances larger than 1/64 of the image)");
  o.value = fc.centre(o.cls, k);
  o.cluster = k;
}

/// G's input with features: [one-hot labels | boundary map | features] on the channel axis
/// (research/pix2pixhd.md §2.1): N x (label_nc + 1 + F) x H x W, built with backend B's one_hot,
/// boundary_map and concat_channels (for label_nc 0 the label map is the RGB input, passed through).
template <class B = cpu_backend<float>>
tensor<typename B::scalar> generator_input(const tensor<typename B::scalar>& label,
                                           const tensor<typename B::scalar>& inst,
                                           const tensor<typename B::scalar>& features, std::int64_t label_nc) {
  require<value_error>(label_nc >= 0, "generator_input: label_nc must be >= 0, got ", label_nc);
  require<shape_error>(label.defined() && label.rank() == 4 && inst.defined() && inst.rank() == 4 && inst.c() == 1 &&
                           label.n() == inst.n() && label.h() == inst.h() && label.w() == inst.w(),
                       "generator_input: label ", label.defined() ? label.shape() : shape{}, " and instance map ",
                       inst.defined() ? inst.shape() : shape{},
                       " differ in batch or spatial size (the instance map must be N x 1 x H x W like the label)");
  require<shape_error>(features.defined() && features.rank() == 4 && features.n() == label.n() &&
                           features.h() == label.h() && features.w() == label.w(),
                       "generator_input: features have shape ", features.defined() ? features.shape() : shape{},
                       " but the label map ", label.shape(), "; expected N x F x H x W with the label's N, H, W");
  const auto labels = label_nc == 0 ? label : B::one_hot(label, label_nc);  // value_error naming a bad label
  return B::concat_channels({labels, B::boundary_map(inst), features});
}

/// What relabel_instance did.
struct relabel_result {
  tensor<float> label, inst;  ///< new maps (the inputs are not modified)
  std::int64_t new_id = 0;    ///< the object's id in the new instance map
};

/// ui_model.py's "change label": every pixel of object (sample, id) takes class `new_label`. A thing
/// (id >= 1000) stays a separate object: it becomes new_label * 1000 + (1 + the largest index of that
/// class in the sample); for stuff (id < 1000) or new_label 0 the id becomes new_label, merging with
/// the class's stuff region. value_error for an absent id or new_label outside [0, label_nc).
inline relabel_result relabel_instance(const tensor<float>& label, const tensor<float>& inst, std::int64_t sample,
                                       std::int64_t id, std::int64_t new_label, std::int64_t label_nc) {
  detail::require_ids("relabel_instance", inst);
  require<shape_error>(label.defined() && label.rank() == 4 && label.c() == 1 && label.n() == inst.n() &&
                           label.h() == inst.h() && label.w() == inst.w(),
                       "relabel_instance: label map ", label.defined() ? label.shape() : shape{},
                       " and instance map ", inst.shape(), " differ (expected both N x 1 x H x W)");
  require<value_error>(new_label >= 0 && new_label < label_nc, "relabel_instance: label ", new_label,
                       " is outside 0..", label_nc - 1, " (label_nc ", label_nc, ")");
  auto objs = list_instances(inst);
  find_instance(objs, sample, id);  // throws listing the ids
  relabel_result r;
  r.new_id = new_label;
  if (id >= 1000 && new_label > 0) {
    std::int64_t top = 0;
    for (const auto& o : objs)
      if (o.sample == sample && o.id >= 1000 && o.cls == new_label) top = std::max(top, o.id % 1000);
    r.new_id = new_label * 1000 + top + 1;
  }
  r.label = label.clone();
  r.inst = inst.clone();
  const std::int64_t hw = inst.h() * inst.w();
  float* l = r.label.data() + sample * hw;
  float* m = r.inst.data() + sample * hw;
  for (std::int64_t p = 0; p < hw; ++p)
    if (std::int64_t(m[p]) == id) m[p] = float(r.new_id), l[p] = float(new_label);
  return r;
}

}  // namespace i2i::pix2pixhd
