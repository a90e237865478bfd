#pragma once
// pix2pixHD's fake history pool on the host (util/image_pool.py), with save/load for exact resume.
// Free of backend headers: the CPU trainer and the GPU trainer (an nvcc TU) share it; on the GPU the trainer
// downloads the (label | fake) input, queries the pool and uploads the result.
#include <cstdint>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/io/checkpoint.hpp"

namespace i2i::pix2pixhd {

/// pix2pixHD's fake history pool (util/image_pool.py) with the same draws as train::image_pool, plus
/// save/load of its images and generator state so that a resumed run continues identically.
class fake_pool {
 public:
  explicit fake_pool(std::int64_t capacity = 0, std::uint64_t seed = 0) : capacity_(capacity), rng_(seed) {
    require<value_error>(capacity >= 0, "fake_pool: negative pool size ", capacity);
  }
  std::int64_t capacity() const { return capacity_; }
  std::int64_t size() const { return std::int64_t(images_.size()); }

  tensor<float> query(const tensor<float>& batch) {
    if (capacity_ == 0) return batch;
    require_nchw("fake_pool::query", "batch", batch);
    const shape one = shape::nchw(1, batch.c(), batch.h(), batch.w());
    if (!images_.empty())
      require<shape_error>(images_.front().shape() == one, "fake_pool::query: batch has shape ", batch.shape(),
                           " but the pool holds images of shape ", images_.front().shape());
    const std::size_t per = std::size_t(one.numel());
    auto out = tensor<float>::empty(batch.shape());
    for (std::int64_t n = 0; n < batch.n(); ++n) {
      const float* src = batch.data() + n * per;
      float* dst = out.data() + n * per;
      if (size() < capacity_) {
        auto keep = tensor<float>::empty(one);
        std::memcpy(keep.data(), src, per * sizeof(float));
        images_.push_back(std::move(keep));
        std::memcpy(dst, src, per * sizeof(float));
      } else if (double(rng_() >> 11) * 0x1.0p-53 > 0.5) {
        const std::uint64_t n_cap = std::uint64_t(capacity_), limit = UINT64_MAX - UINT64_MAX % n_cap;
        std::uint64_t x;
        do x = rng_();
        while (x >= limit);
        auto& slot = images_[std::size_t(x % n_cap)];
        std::memcpy(dst, slot.data(), per * sizeof(float));
        std::memcpy(slot.data(), src, per * sizeof(float));
      } else {
        std::memcpy(dst, src, per * sizeof(float));
      }
    }
    return out;
  }

  void save(const std::string& path) const {
    state_dict<float> sd;
    for (std::size_t i = 0; i < images_.size(); ++i) sd.push_back({"pool." + std::to_string(i), images_[i]});
    std::ostringstream rng_text;
    rng_text << rng_;  // the standard fixes mt19937_64's textual state
    io::save_state_dict(sd, path,
                        {{"i2i.content", "pix2pixhd_fake_pool"},
                         {"capacity", std::to_string(capacity_)},
                         {"size", std::to_string(images_.size())},
                         {"rng", rng_text.str()}});
  }

  void load(const std::string& path) {
    const auto meta = io::read_checkpoint_metadata(path);
    auto get = [&](const char* k) {
      auto it = meta.find(k);
      require<io_error>(it != meta.end(), "fake_pool::load: '", path, "' has no metadata '", k,
                        "' (not a fake pool file)");
      return it->second;
    };
    require<io_error>(get("i2i.content") == "pix2pixhd_fake_pool", "fake_pool::load: '", path,
                      "' is not a fake pool file");
    const auto cap = io::metadata_number<std::int64_t>(meta, "capacity", path);
    require<value_error>(cap == capacity_, "fake_pool::load: '", path, "' holds a pool of size ", cap,
                         " but this run has --pool_size ", capacity_);
    const auto n = io::metadata_number<std::int64_t>(meta, "size", path);
    const io::safetensors_reader file(path);
    std::vector<tensor<float>> imgs;
    state_dict<float> targets;
    for (std::int64_t i = 0; i < n; ++i) {
      const std::string key = "pool." + std::to_string(i);
      const auto* e = file.find(key);
      require<io_error>(e != nullptr && e->dims.size() == 4, "fake_pool::load: '", path, "' lacks '", key,
                        "' or it is not N x C x H x W");
      imgs.push_back(tensor<float>::zeros(shape::nchw(std::int64_t(e->dims[0]), std::int64_t(e->dims[1]),
                                                      std::int64_t(e->dims[2]), std::int64_t(e->dims[3]))));
      targets.push_back({key, imgs.back()});
    }
    if (n > 0) io::load_state_dict(targets, path, io::load_mode::strict);
    std::istringstream is(get("rng"));
    std::mt19937_64 r;
    is >> r;
    require<io_error>(!is.fail(), "fake_pool::load: '", path, "': unreadable generator state");
    images_ = std::move(imgs);
    rng_ = r;
  }

 private:
  std::int64_t capacity_;
  std::mt19937_64 rng_;
  std::vector<tensor<float>> images_;
};

}  // namespace i2i::pix2pixhd
