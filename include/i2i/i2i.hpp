#pragma once
// The light umbrella: specs, combinators and the model binding. No Eigen and no CUDA here; include a
// backend (i2i/backend/cpu/backend.hpp) in the translation units that run models.
#include "i2i/compose/multiscale.hpp"
#include "i2i/compose/named.hpp"
#include "i2i/compose/parallel.hpp"
#include "i2i/compose/repeat.hpp"
#include "i2i/compose/residual.hpp"
#include "i2i/compose/seq.hpp"
#include "i2i/compose/shared.hpp"
#include "i2i/compose/tap.hpp"
#include "i2i/model/init.hpp"
#include "i2i/model/model.hpp"
#include "i2i/spec/activation.hpp"
#include "i2i/spec/conv.hpp"
#include "i2i/spec/linear.hpp"
#include "i2i/spec/norm.hpp"
#include "i2i/spec/pad.hpp"
#include "i2i/spec/pool.hpp"
