#pragma once
// Batches of an aligned_dataset: a seeded shuffle per epoch and per-sample random transform parameters,
// both pure functions of (seed, epoch, index), so batch b of epoch e is the same whether it is loaded
// first, after a resume, or by another thread count. The samples of a batch are loaded in parallel on
// i2i's thread pool (decoding and resampling dominate; nothing here touches the training hot path).
//
//   data::batch_loader loader(dataset, {.batch_size = 4, .seed = 7});
//   for (std::size_t b = 0; b < loader.batches_per_epoch(); ++b) {
//     data::batch x = loader.load(epoch, b);   // x.label: 4 x 1 x H x W, x.inst, x.image, x.label_paths
//   }
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "i2i/core/threads.hpp"
#include "i2i/data/aligned_dataset.hpp"
#include "i2i/data/distributed_sampler.hpp"

namespace i2i::data {

struct loader_options {
  int batch_size = 1;       ///< --batchSize
  bool shuffle = true;      ///< pix2pixHD shuffles unless --serial_batches
  std::uint64_t seed = 0;   ///< shuffle and transform parameters derive from it
  bool drop_last = true;    ///< pix2pixHD's dataset length is floor(n / batchSize) * batchSize
  bool random_params = true;  ///< draw crop/flip per sample; false applies transform_params{} (test time)
  bool parallel = true;     ///< load the samples of a batch on i2i's thread pool
  /// Data-parallel training: this rank takes its shard of every epoch's order (data::shard: the same
  /// shuffle on every rank, padded, rank-strided). 1 / 0 is the whole data set.
  int world_size = 1;
  int rank = 0;
};

/// N samples stacked on the batch axis.
struct batch {
  tensor<float> label;  ///< N x 1 x H x W ids (or N x 3 x H x W in [-1, 1] when label_nc = 0)
  tensor<float> inst;   ///< N x 1 x H x W ids; undefined with no_instance
  tensor<float> image;  ///< N x 3 x H x W in [-1, 1]; undefined unless the dataset loads images
  std::vector<std::string> label_paths, inst_paths, image_paths;
  std::vector<std::size_t> indices;  ///< dataset index of each sample
  std::vector<transform_params> params;
  std::int64_t size() const { return label.defined() ? label.n() : 0; }
};

namespace detail {

/// Stacks 1 x C x H x W tensors; samples of different sizes are a shape_error naming both files.
inline tensor<float> stack(const std::vector<sample>& ss, tensor<float> sample::*member,
                           std::string sample::*path) {
  const tensor<float>& first = ss.front().*member;
  if (!first.defined()) return {};
  auto out = tensor<float>::empty(shape::nchw(std::int64_t(ss.size()), first.c(), first.h(), first.w()));
  const std::size_t per = std::size_t(first.numel());
  for (std::size_t k = 0; k < ss.size(); ++k) {
    const tensor<float>& t = ss[k].*member;
    require<shape_error>(t.shape() == first.shape(), "batch_loader: '", ss[k].*path, "' is ", t.shape(), " but '",
                         ss.front().*path, "' in the same batch is ", first.shape(),
                         "; use batch size 1 or a resize_or_crop mode that gives every sample one size");
    std::memcpy(out.data() + k * per, t.data(), per * sizeof(float));
  }
  return out;
}

}  // namespace detail

class batch_loader {
 public:
  batch_loader(const aligned_dataset& ds, loader_options opt) : ds_(&ds), opt_(opt) {
    require<value_error>(opt_.batch_size >= 1, "batch_loader: batch_size must be >= 1, got ", opt_.batch_size);
    require<value_error>(opt_.world_size >= 1 && opt_.rank >= 0 && opt_.rank < opt_.world_size,
                         "batch_loader: rank ", opt_.rank, " of a world of size ", opt_.world_size);
    require<value_error>(!opt_.drop_last || samples_per_epoch() >= std::size_t(opt_.batch_size),
                         "batch_loader: the dataset has ", ds.size(), " samples",
                         opt_.world_size > 1 ? i2i::detail::concat(" (", samples_per_epoch(), " per rank of ", opt_.world_size, ")")
                                             : std::string(),
                         ", fewer than one batch of ", opt_.batch_size, " (drop_last is on)");
  }

  const loader_options& options() const { return opt_; }

  /// Samples this rank visits per epoch: the data set, or its shard (data::shard_size).
  std::size_t samples_per_epoch() const { return data::shard_size(ds_->size(), opt_.world_size); }

  std::size_t batches_per_epoch() const {
    const std::size_t n = samples_per_epoch(), b = std::size_t(opt_.batch_size);
    return opt_.drop_last ? n / b : (n + b - 1) / b;
  }

  /// The order in which epoch `epoch` visits the dataset (identity without shuffle); with several
  /// ranks, this rank's shard of it.
  std::vector<std::size_t> epoch_order(std::uint64_t epoch) const {
    std::vector<std::size_t> order(ds_->size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    if (opt_.shuffle) {
      rng r = rng::for_item(opt_.seed, epoch, ~0ull);  // index ~0: the shuffle's own stream
      r.shuffle(order);
    }
    return data::shard(order, opt_.world_size, opt_.rank);
  }

  /// Batch b of epoch `epoch`.
  batch load(std::uint64_t epoch, std::size_t b) const {
    require<value_error>(b < batches_per_epoch(), "batch_loader: batch ", b, " of an epoch of ", batches_per_epoch());
    const auto order = epoch_order(epoch);
    const std::size_t first = b * std::size_t(opt_.batch_size);
    const std::size_t count = std::min(std::size_t(opt_.batch_size), order.size() - first);
    std::vector<sample> ss(count);
    auto one = [&](std::int64_t k) {
      const std::size_t idx = order[first + std::size_t(k)];
      if (opt_.random_params) {
        rng r = rng::for_item(opt_.seed, epoch, idx);
        ss[std::size_t(k)] = ds_->get(idx, r);
      } else {
        ss[std::size_t(k)] = ds_->get(idx, transform_params{});
      }
    };
    if (opt_.parallel && count > 1)
      parallel_tasks(std::int64_t(count), one);
    else
      for (std::size_t k = 0; k < count; ++k) one(std::int64_t(k));

    batch out;
    out.label = detail::stack(ss, &sample::label, &sample::label_path);
    out.inst = detail::stack(ss, &sample::inst, &sample::inst_path);
    out.image = detail::stack(ss, &sample::image, &sample::image_path);
    for (std::size_t k = 0; k < count; ++k) {
      out.indices.push_back(order[first + k]);
      out.params.push_back(ss[k].params);
      out.label_paths.push_back(ss[k].label_path);
      if (!ss[k].inst_path.empty()) out.inst_paths.push_back(ss[k].inst_path);
      if (!ss[k].image_path.empty()) out.image_paths.push_back(ss[k].image_path);
    }
    return out;
  }

 private:
  const aligned_dataset* ds_;
  loader_options opt_;
};

}  // namespace i2i::data
