#pragma once
// pix2pixHD's LocalEnhancer "G1+G2" (research/pix2pixhd.md §1.3).
//
// The reference builds an image pyramid I_0 (input), I_{j+1} = AvgPool(3, 2, 1, count_include_pad=False)
// (I_j), runs G1 ("model": a GlobalGenerator with Ngf 2^K filters, without its last three modules) on
// I_K, then for n = 1..K computes y = model{n}_2(model{n}_1(I_{K-n}) + y).
//
// How that is expressed as a type: each enhancer level n is a summing parallel whose two paths see the
// same input I_{K-n}; one path pools it and hands it to level n-1 (so the pyramid is built by the nesting
// instead of a list), the other is the front end model{n}_1. The back end model{n}_2 follows the sum:
//
//   level<0> = named<"model", seq<G1 trunk>>
//   level<n> = chain<parallel<sum, chain<avg_pool<3, 2, 1, false>, level<n-1>>, named<"model{n}_1", ...>>,
//                    named<"model{n}_2", ...>>
//
// K = 1 gives parallel<sum, chain<avg_pool, named<"model", ...>>, named<"model1_1", ...>> then
// named<"model1_2", ...>; K = 2 nests once more (model2_1, model2_2). The pooled path comes first so that
// parameters register in the reference's state_dict order (model, model1_1, model1_2, model2_1, ...);
// the sum is commutative. Chains and parallel paths add no name level, so G1 keeps "model.0..36".
//
// Keys (K = 1): model.{1,4,7,...,34}, model1_1.{1,4}, model1_2.{0,1,2}.conv_block.{1,5}, model1_2.3 (the
// transposed conv), model1_2.7 (the final conv). At InputNC 36 and the defaults: 182,857,059 parameters
// (G1 182,537,344 + G2 319,715), 1,495.86 GFLOP at 1024x2048 (§7.3). H and W must be divisible by
// 2^(NDownGlobal + K).
#include "i2i/models/pix2pixhd/blocks.hpp"

namespace i2i::pix2pixhd {

namespace detail {

template <int Ngf, int OutputNC, int NDownGlobal, int NBlocksGlobal, int K, int NBlocksLocal>
struct enhancer_config {
  /// Width of enhancer level n (its front end ends at twice this).
  template <int N>
  static constexpr int width = Ngf << (K - N);

  /// model{n}_1: ReflPad 3, Conv 7x7 (in -> ch), IN, ReLU, Conv 3x3 s2 (ch -> 2ch), IN, ReLU.
  template <int N>
  using front = named<"model",
                      seq<reflect_pad<3>, conv<width<N>, 7>, instance_norm<>, relu, conv<2 * width<N>, 3, 2, 1>,
                          instance_norm<>, relu>,
                      N, "_1">;

  /// model{n}_2: blocks at 2ch, ConvT (2ch -> ch), IN, ReLU; the outermost level (n = K) adds ReflPad 3,
  /// Conv 7x7 (Ngf -> OutputNC), Tanh.
  template <int N>
  using back = named<"model",
                     std::conditional_t<N == K,
                                        seq<repeat<NBlocksLocal, res_block<2 * width<N>>>, up<width<N>>,
                                            reflect_pad<3>, conv<OutputNC, 7>, tanh_>,
                                        seq<repeat<NBlocksLocal, res_block<2 * width<N>>>, up<width<N>>>>,
                     N, "_2">;

  template <int N, class = void>
  struct level {
    using type = chain<parallel<sum, chain<avg_pool<3, 2, 1, false>, typename level<N - 1>::type>, front<N>>,
                       back<N>>;
  };
  template <class Dummy>
  struct level<0, Dummy> {
    using type = named<"model", seq<global_trunk<(Ngf << K), NDownGlobal, NBlocksGlobal>>>;
  };
};

}  // namespace detail

template <int InputNC, int OutputNC = 3, int Ngf = 32, int NDownGlobal = 4, int NBlocksGlobal = 9,
          int NLocalEnhancers = 1, int NBlocksLocal = 3>
struct local_enhancer
    : chain<channels<InputNC>,
            typename detail::enhancer_config<Ngf, OutputNC, NDownGlobal, NBlocksGlobal, NLocalEnhancers,
                                             NBlocksLocal>::template level<NLocalEnhancers>::type> {
  static_assert(NLocalEnhancers >= 1 && NLocalEnhancers <= 9,
                "pix2pixhd::local_enhancer: NLocalEnhancers must be in [1, 9]");
  static constexpr int size_multiple = 1 << (NDownGlobal + NLocalEnhancers);
};

}  // namespace i2i::pix2pixhd
