#pragma once
// tensor<T>: a contiguous NCHW (or rank <= 4) array of T on one device.
//
// Storage is shared on copy, like a PyTorch tensor: copying a tensor is cheap and both copies see the
// same elements; clone() makes an independent copy. Host storage comes from the caching
// host_allocator; device storage is supplied by the CUDA backend through `storage::adopt`.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "i2i/core/device.hpp"
#include "i2i/core/dtype.hpp"
#include "i2i/core/error.hpp"
#include "i2i/core/host_allocator.hpp"
#include "i2i/core/shape.hpp"

namespace i2i {

/// A block of memory on one device, freed by its deleter when the last tensor using it goes away.
class storage {
 public:
  using deleter = std::function<void(void*, std::size_t)>;

  storage(void* ptr, std::size_t bytes, device dev, deleter del)
      : ptr_(ptr), bytes_(bytes), device_(dev), deleter_(std::move(del)) {}
  storage(const storage&) = delete;
  storage& operator=(const storage&) = delete;
  ~storage() {
    if (deleter_) deleter_(ptr_, bytes_);
  }

  /// Host memory from the caching allocator.
  static std::shared_ptr<storage> host(std::size_t bytes) {
    void* p = bytes ? host_allocator::instance().allocate(bytes) : nullptr;
    return std::make_shared<storage>(p, bytes, device::cpu(), [](void* q, std::size_t n) {
      host_allocator::instance().deallocate(q, n);
    });
  }
  /// Memory owned elsewhere (a device allocator, a memory-mapped file); `del` gives it back.
  static std::shared_ptr<storage> adopt(void* ptr, std::size_t bytes, device dev, deleter del) {
    return std::make_shared<storage>(ptr, bytes, dev, std::move(del));
  }

  void* data() const { return ptr_; }
  std::size_t bytes() const { return bytes_; }
  device where() const { return device_; }

 private:
  void* ptr_;
  std::size_t bytes_;
  device device_;
  deleter deleter_;
};

template <class T>
class tensor {
 public:
  using value_type = T;

  tensor() = default;

  /// Uninitialised host tensor (elements are whatever the allocator's block held).
  static tensor empty(const shape& s) { return tensor(s, storage::host(std::size_t(s.numel()) * sizeof(T))); }
  static tensor zeros(const shape& s) { return filled(s, T(0)); }
  static tensor filled(const shape& s, T value) {
    tensor t = empty(s);
    std::fill_n(t.data(), t.numel(), value);
    return t;
  }
  /// Host tensor holding a copy of `values`, which must have exactly s.numel() elements.
  static tensor from(const shape& s, std::span<const T> values) {
    require<shape_error>(std::int64_t(values.size()) == s.numel(), "tensor::from: shape ", s, " needs ",
                         s.numel(), " values, got ", values.size());
    tensor t = empty(s);
    std::copy(values.begin(), values.end(), t.data());
    return t;
  }
  static tensor from(const shape& s, std::initializer_list<T> values) {
    return from(s, std::span<const T>(values.begin(), values.size()));
  }
  /// Wraps existing storage (used by device backends and memory-mapped checkpoints).
  tensor(const shape& s, std::shared_ptr<storage> st) : shape_(s), storage_(std::move(st)) {
    require<shape_error>(!storage_ || storage_->bytes() >= std::size_t(s.numel()) * sizeof(T),
                         "tensor: storage of ", storage_ ? storage_->bytes() : 0, " bytes is too small for shape ",
                         s);
  }

  const i2i::shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  std::int64_t numel() const { return shape_.numel(); }
  std::int64_t dim(int i) const { return shape_[i]; }
  std::int64_t n() const { return shape_.n(); }
  std::int64_t c() const { return shape_.c(); }
  std::int64_t h() const { return shape_.h(); }
  std::int64_t w() const { return shape_.w(); }
  device where() const { return storage_ ? storage_->where() : device::cpu(); }
  static constexpr dtype type() { return dtype_of_v<T>; }
  bool defined() const { return storage_ != nullptr; }

  T* data() const { return storage_ ? static_cast<T*>(storage_->data()) : nullptr; }
  const std::shared_ptr<storage>& storage_ptr() const { return storage_; }
  /// Host elements as a span (throws for device tensors).
  std::span<T> values() const {
    require_host("values");
    return {data(), std::size_t(numel())};
  }

  /// Element access for tests and host-side code; not for hot paths.
  T& at(std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w) const {
    require_host("at");
    return data()[((n * shape_[1] + c) * shape_[2] + h) * shape_[3] + w];
  }
  T& operator[](std::int64_t i) const { return data()[i]; }

  /// Same elements under another shape with the same number of elements.
  tensor reshaped(const i2i::shape& s) const {
    require<shape_error>(s.numel() == numel(), "tensor::reshaped: cannot view ", shape_, " as ", s);
    return tensor(s, storage_);
  }
  /// An independent host copy.
  tensor clone() const {
    require_host("clone");
    tensor t = empty(shape_);
    if (numel()) std::memcpy(t.data(), data(), std::size_t(numel()) * sizeof(T));
    return t;
  }
  void fill(T value) const {
    require_host("fill");
    std::fill_n(data(), numel(), value);
  }
  /// A host copy converted to another element type (float <-> double for gradient checks).
  template <class U>
  tensor<U> cast() const {
    require_host("cast");
    auto t = tensor<U>::empty(shape_);
    std::transform(data(), data() + numel(), t.data(), [](T v) { return U(v); });
    return t;
  }

 private:
  void require_host(const char* what) const {
    require<device_error>(where().is_cpu(), "tensor::", what, ": tensor of shape ", shape_, " lives on ", where(),
                          "; copy it to the host first");
  }

  i2i::shape shape_;
  std::shared_ptr<storage> storage_;
};

/// Throws a shape_error naming `op`, the argument and both shapes unless `t` has shape `expected`.
template <class T>
void require_shape(const char* op, const char* arg, const tensor<T>& t, const shape& expected) {
  require<shape_error>(t.shape() == expected, op, ": ", arg, " has shape ", t.shape(), ", expected ", expected);
}

/// Throws unless `t` is rank 4 (NCHW).
template <class T>
void require_nchw(const char* op, const char* arg, const tensor<T>& t) {
  require<shape_error>(t.rank() == 4, op, ": ", arg, " has shape ", t.shape(), ", expected rank 4 (NCHW)");
}

}  // namespace i2i
