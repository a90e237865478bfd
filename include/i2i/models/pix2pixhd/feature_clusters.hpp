#pragma once
// pix2pixHD's feature clusters (research/pix2pixhd.md §4): per class, the k-means centres of the
// training set's instance features (made by encode_features, recipes/pix2pixhd/kmeans.hpp), from which
// an instance takes its feature at test time or in the editing program (features.hpp).
//
//   pix2pixhd::save_feature_clusters(fc, "features_clustered_010.safetensors");
//   auto back = pix2pixhd::load_feature_clusters(path);   back.of(cls)  // value_error if absent
//
// File format: the reference pickles a dict {class: k x 3 array} into features_clustered_010.npy; we
// write a safetensors file with one F32 tensor "class_<id>" (k_c x feat_num) per class and the
// metadata "i2i.kind" = "pix2pixhd_feature_clusters", "classes" = "1,4,7" (ascending), "feat_num",
// "n_clusters" (the requested k) and "i2i.format_version".
#include <cstdint>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/io/checkpoint.hpp"
#include "i2i/io/safetensors.hpp"

namespace i2i::pix2pixhd {

/// Cluster centres per class: what features_clustered_<k> holds.
struct feature_clusters {
  int feat_num = 3;    ///< the dimension of every centre
  int n_clusters = 10; ///< the requested k (a class may have fewer centres)
  std::map<std::int64_t, tensor<float>> centres;  ///< class -> k_c x feat_num

  bool has(std::int64_t cls) const { return centres.count(cls) != 0; }

  std::string class_list() const {
    std::ostringstream s;
    bool first = true;
    for (const auto& [c, t] : centres) s << (first ? "" : ",") << c, first = false;
    return s.str();
  }

  /// The centres of `cls`; value_error naming the class and the classes that have clusters.
  const tensor<float>& of(std::int64_t cls) const {
    auto it = centres.find(cls);
    require<value_error>(it != centres.end(), "feature_clusters: class ", cls, " has no clusters (classes with ",
                         "clusters: ", centres.empty() ? std::string("none") : class_list(), ")");
    return it->second;
  }

  /// Centre `k` of `cls`; value_error when the class has no clusters or fewer than k + 1.
  std::vector<float> centre(std::int64_t cls, std::int64_t k) const {
    const auto& c = of(cls);
    require<value_error>(k >= 0 && k < c.dim(0), "feature_clusters: cluster ", k, " of class ", cls,
                         ", which has ", c.dim(0), " clusters (0..", c.dim(0) - 1, ")");
    return std::vector<float>(c.data() + k * c.dim(1), c.data() + (k + 1) * c.dim(1));
  }
};

/// pix2pixHD's file name for k clusters: features_clustered_010.safetensors for k = 10.
inline std::string feature_clusters_filename(int k) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "features_clustered_%03d.safetensors", k);
  return buf;
}

inline void save_feature_clusters(const feature_clusters& fc, const std::string& path,
                                  std::map<std::string, std::string> metadata = {}) {
  std::vector<io::safetensors_blob> blobs;
  for (const auto& [cls, c] : fc.centres) {
    require<shape_error>(c.rank() == 2 && c.dim(1) == fc.feat_num && c.dim(0) >= 1, "save_feature_clusters: class ",
                         cls, " has centres of shape ", c.shape(), ", expected k x ", fc.feat_num, " with k >= 1");
    require<value_error>(cls >= 0, "save_feature_clusters: class ", cls, " is negative");
    blobs.push_back(io::blob_of("class_" + std::to_string(cls), c));
  }
  metadata["i2i.kind"] = "pix2pixhd_feature_clusters";
  metadata["i2i.format_version"] = "1";
  metadata["classes"] = fc.class_list();
  metadata["feat_num"] = std::to_string(fc.feat_num);
  metadata["n_clusters"] = std::to_string(fc.n_clusters);
  io::write_safetensors(path, blobs, metadata, "save_feature_clusters");
}

inline feature_clusters load_feature_clusters(const std::string& path) {
  const io::safetensors_reader file(path);
  const auto& meta = file.metadata();
  auto kind = meta.find("i2i.kind");
  require<io_error>(kind != meta.end() && kind->second == "pix2pixhd_feature_clusters", "load_feature_clusters: '",
                    path, "' is not a pix2pixHD cluster file (metadata i2i.kind is ",
                    kind == meta.end() ? std::string("missing") : "'" + kind->second + "'", ")");
  feature_clusters fc;
  fc.feat_num = io::metadata_number<int>(meta, "feat_num", path);
  fc.n_clusters = io::metadata_number<int>(meta, "n_clusters", path);
  auto classes = meta.find("classes");
  require<io_error>(classes != meta.end(), "load_feature_clusters: '", path, "': metadata 'classes' is missing");
  std::size_t listed = 0;
  std::stringstream ss(classes->second);
  for (std::string item; std::getline(ss, item, ',');) {
    if (item.empty()) continue;
    const std::int64_t cls = io::metadata_number<std::int64_t>({{"c", item}}, "c", path);
    const std::string key = "class_" + item;
    require<io_error>(file.contains(key), "load_feature_clusters: '", path, "' lists class ", cls,
                      " in its metadata but has no tensor '", key, "'");
    auto t = file.read<float>(key);
    require<io_error>(t.rank() == 2 && t.dim(1) == fc.feat_num && t.dim(0) >= 1, "load_feature_clusters: '", path,
                      "': tensor '", key, "' has shape ", t.shape(), ", expected k x ", fc.feat_num);
    fc.centres[cls] = t;
    ++listed;
  }
  require<io_error>(listed == file.entries().size(), "load_feature_clusters: '", path, "' holds ",
                    file.entries().size(), " tensors but its metadata lists ", listed, " classes");
  return fc;
}

}  // namespace i2i::pix2pixhd
