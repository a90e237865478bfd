#pragma once
// Every pix2pixHD network as a type (research/pix2pixhd.md §1): global_generator, local_enhancer,
// nlayer_discriminator, multiscale_discriminator, encoder. Light: no backend included. The encoder's
// instance-wise pooling helper (CPU) is in instance_pooling.hpp; VGG19 in i2i/models/vgg19.hpp.
#include "i2i/models/pix2pixhd/discriminator.hpp"
#include "i2i/models/pix2pixhd/encoder.hpp"
#include "i2i/models/pix2pixhd/global_generator.hpp"
#include "i2i/models/pix2pixhd/local_enhancer.hpp"
