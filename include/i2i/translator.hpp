#pragma once
// The embedder's header: both papers' translators (compiled library i2i::translator), the device
// type, and the map/image conversions and PNG I/O they take. See docs/embedding.md.
#include "i2i/core/device.hpp"
#include "i2i/data/map_io.hpp"
#include "i2i/data/map_tensor.hpp"
#include "i2i/translator/egscit.hpp"
#include "i2i/translator/pix2pixhd.hpp"
