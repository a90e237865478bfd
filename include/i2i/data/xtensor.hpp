#pragma once
// The one route to xtensor (DESIGN §3): xtensor 0.26 moved every header (xtensor/xarray.hpp became
// xtensor/containers/xarray.hpp, ...), so nothing else includes xtensor directly. Host-side code only
// (dataset building, statistics); never on a training hot path, whose arrays are i2i tensors.
//
// Adaptors view our buffers without copying:
//   auto v = data::xview_of(img);        // H x W x C xtensor adaptor over an io::basic_image's pixels
//   auto t = data::xview_of(tensor);     // N x C x H x W adaptor over a host tensor's storage
#if __has_include(<xtensor/containers/xarray.hpp>)  // xtensor >= 0.26
#include <xtensor/containers/xadapt.hpp>
#include <xtensor/containers/xarray.hpp>
#include <xtensor/containers/xtensor.hpp>
#include <xtensor/core/xmath.hpp>
#include <xtensor/core/xoperation.hpp>
#include <xtensor/views/xview.hpp>
#else  // xtensor 0.24/0.25 (Debian 12 ships 0.24.3)
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>
#endif

#include <array>
#include <cstddef>

#include "i2i/core/tensor.hpp"
#include "i2i/io/pixels.hpp"

namespace i2i::data {

/// H x W x C view of an image's interleaved samples (writes go to the image).
template <class T>
auto xview_of(io::basic_image<T>& img) {
  const std::array<std::size_t, 3> s{std::size_t(img.height), std::size_t(img.width), std::size_t(img.channels)};
  return xt::adapt(img.pixels.data(), img.pixels.size(), xt::no_ownership(), s);
}

template <class T>
auto xview_of(const io::basic_image<T>& img) {
  const std::array<std::size_t, 3> s{std::size_t(img.height), std::size_t(img.width), std::size_t(img.channels)};
  return xt::adapt(img.pixels.data(), img.pixels.size(), xt::no_ownership(), s);
}

/// N x C x H x W view of a host tensor (its storage; the tensor must outlive the view).
template <class T>
auto xview_of(const tensor<T>& t) {
  t.require_host("xview_of");
  const std::array<std::size_t, 4> s{std::size_t(t.dim(0)), std::size_t(t.dim(1)), std::size_t(t.dim(2)),
                                     std::size_t(t.dim(3))};
  return xt::adapt(t.data(), std::size_t(t.numel()), xt::no_ownership(), s);
}

}  // namespace i2i::data
