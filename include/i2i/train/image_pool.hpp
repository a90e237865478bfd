#pragma once
// pix2pixHD's image history buffer (util/image_pool.py, after Shrivastava et al.): the discriminator
// sees a mix of current and earlier fakes, which damps oscillation between G and D.
//
// query(batch), per image of the batch in order:
//   - pool size 0: the batch is returned as it is (the same tensor);
//   - pool not yet full: a copy of the image is stored and the image itself is returned;
//   - pool full: with probability 0.5 a random stored image is returned and the new image takes its
//     place; otherwise the new image is returned.
// Stored images are deep copies (the caller's tensor may be reused). The random numbers come from a
// seeded std::mt19937_64 (whose output the standard fixes) converted by hand, not through
// std::uniform_*_distribution (whose output is implementation-defined), so runs repeat across platforms.
//
// The pool lives on the host on every backend (query_on<B> downloads the batch and uploads the result,
// only when the pool is not empty-sized). save / load write its images and the generator's state, so a
// resumed run draws exactly what an uninterrupted one would; the file is the one pix2pixHD's trainer has
// always written (<prefix>_pool.safetensors, content tag "pix2pixhd_fake_pool"), so old checkpoints resume.
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

namespace i2i::train {

template <cpu_scalar T>
class image_pool {
 public:
  explicit image_pool(std::int64_t pool_size, std::uint64_t seed = 0) : capacity_(pool_size), rng_(seed) {
    require<value_error>(pool_size >= 0, "image_pool: negative pool size ", pool_size);
  }

  std::int64_t capacity() const { return capacity_; }
  std::int64_t size() const { return std::int64_t(images_.size()); }
  /// Stored image i (1xCxHxW); for inspection and tests.
  const tensor<T>& stored(std::int64_t i) const { return images_.at(std::size_t(i)); }

  /// A batch for the discriminator, the same shape as `batch` (NCHW).
  tensor<T> query(const tensor<T>& batch) {
    if (capacity_ == 0) return batch;
    require_nchw("image_pool::query", "batch", batch);
    const shape one = shape::nchw(1, batch.c(), batch.h(), batch.w());
    if (!images_.empty())
      require<shape_error>(images_.front().shape() == one, "image_pool::query: batch has shape ", batch.shape(),
                           " but the pool holds images of shape ", images_.front().shape());
    const std::size_t per = std::size_t(one.numel());
    auto out = tensor<T>::empty(batch.shape());
    const T* src = batch.values().data();
    T* dst = out.data();
    for (std::int64_t n = 0; n < batch.n(); ++n, src += per, dst += per) {
      if (size() < capacity_) {
        auto keep = tensor<T>::empty(one);
        std::memcpy(keep.data(), src, per * sizeof(T));
        images_.push_back(std::move(keep));
        std::memcpy(dst, src, per * sizeof(T));
      } else if (uniform01() > 0.5) {  // pix2pixHD: random.uniform(0, 1) > 0.5
        auto& slot = images_[std::size_t(index_below(std::uint64_t(capacity_)))];
        std::memcpy(dst, slot.data(), per * sizeof(T));
        std::memcpy(slot.data(), src, per * sizeof(T));
      } else {
        std::memcpy(dst, src, per * sizeof(T));
      }
    }
    return out;
  }

  /// query() for a batch in backend B's memory: the identity without a pool, else one download and one
  /// upload (the draws are the host's, so every backend sees the same history).
  template <class B>
  tensor<T> query_on(const tensor<T>& batch) {
    if (capacity_ == 0) return batch;
    return B::to_backend(query(B::to_host(batch)));
  }

  /// Writes the stored images ("pool.<i>") and the generator's state to a safetensors file.
  void save(const std::string& path) const {
    state_dict<T> sd;
    for (std::size_t i = 0; i < images_.size(); ++i) sd.push_back({"pool." + std::to_string(i), images_[i]});
    std::ostringstream rng_text;
    rng_text << rng_;  // the standard fixes mt19937_64's textual state
    io::save_state_dict(sd, path,
                        {{"i2i.content", content_tag},
                         {"capacity", std::to_string(capacity_)},
                         {"size", std::to_string(images_.size())},
                         {"rng", rng_text.str()}});
  }

  /// Restores what save() wrote; the file's capacity must be this pool's.
  void load(const std::string& path) {
    const auto meta = io::read_checkpoint_metadata(path);
    auto get = [&](const char* k) {
      auto it = meta.find(k);
      require<io_error>(it != meta.end(), "image_pool::load: '", path, "' has no metadata '", k,
                        "' (not a fake pool file)");
      return it->second;
    };
    require<io_error>(get("i2i.content") == content_tag, "image_pool::load: '", path, "' is not a fake pool file");
    const auto cap = io::metadata_number<std::int64_t>(meta, "capacity", path);
    require<value_error>(cap == capacity_, "image_pool::load: '", path, "' holds a pool of size ", cap,
                         " but this run has --pool_size ", capacity_);
    const auto n = io::metadata_number<std::int64_t>(meta, "size", path);
    const io::safetensors_reader file(path);
    std::vector<tensor<T>> imgs;
    state_dict<T> targets;
    for (std::int64_t i = 0; i < n; ++i) {
      const std::string key = "pool." + std::to_string(i);
      const auto* e = file.find(key);
      require<io_error>(e != nullptr && e->dims.size() == 4, "image_pool::load: '", path, "' lacks '", key,
                        "' or it is not N x C x H x W");
      imgs.push_back(tensor<T>::zeros(shape::nchw(std::int64_t(e->dims[0]), std::int64_t(e->dims[1]),
                                                  std::int64_t(e->dims[2]), std::int64_t(e->dims[3]))));
      targets.push_back({key, imgs.back()});
    }
    if (n > 0) io::load_state_dict(targets, path, io::load_mode::strict);
    std::istringstream is(get("rng"));
    std::mt19937_64 r;
    is >> r;
    require<io_error>(!is.fail(), "image_pool::load: '", path, "': unreadable generator state");
    images_ = std::move(imgs);
    rng_ = r;
  }

 private:
  /// The file's content tag: pix2pixHD's trainer wrote it first, and its checkpoints must keep resuming.
  static constexpr const char* content_tag = "pix2pixhd_fake_pool";

  double uniform01() { return double(rng_() >> 11) * 0x1.0p-53; }
  /// Uniform in [0, n) by rejection, without modulo bias.
  std::uint64_t index_below(std::uint64_t n) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    std::uint64_t x;
    do x = rng_();
    while (x >= limit);
    return x % n;
  }

  std::int64_t capacity_;
  std::mt19937_64 rng_;
  std::vector<tensor<T>> images_;
};

}  // namespace i2i::train
