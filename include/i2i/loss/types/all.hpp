#pragma once
// Every loss term type, over any backend: gan_loss<lsgan|vanilla>, feature_matching, l1_term, kl_term,
// cross_entropy_term, vgg_perceptual<Net>, gram_style<Net>, custom_term<T>, and the injection<B> /
// term_result<B> they return. The loss kernels they call are backend ops (B::l1_loss, ...).
#include "i2i/loss/gram_style_loss.hpp"
#include "i2i/loss/types/cross_entropy_term.hpp"
#include "i2i/loss/types/feature_matching.hpp"
#include "i2i/loss/types/gan_loss.hpp"
#include "i2i/loss/types/gram_style.hpp"
#include "i2i/loss/types/kl_term.hpp"
#include "i2i/loss/types/l1_term.hpp"
#include "i2i/loss/types/term.hpp"
#include "i2i/loss/types/vgg_perceptual.hpp"
