// expect: every element must be a layer spec
// A seq element that is not a layer spec is rejected with a sentence, not a page of template noise.
#include "i2i/i2i.hpp"
using namespace i2i;
struct not_a_layer {};
constexpr int out = seq<conv<3, 1>, not_a_layer>::out_channels(2);
