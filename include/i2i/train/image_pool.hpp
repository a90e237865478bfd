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
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"

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

 private:
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
