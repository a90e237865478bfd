#pragma once
// ONNX export of EGSC-IT's translator (research/egscit.md §1, §4): one graph from the content image and
// the exemplar image to the translation, joining the models of translator_networks.
//
//   x_AB = G_B( transfer( S( E_A(content) + noise ), mask = F_A(content), stats = F_B(exemplar) ) )
//
//   onnx::export_translator(net, onnx::translation::a_to_b, o.transfer, shape::nchw(1, 3, 256, 512),
//                           shape::nchw(1, 3, 256, 512), "a2b.onnx", {.latent_noise = true});
//
// Inputs "content" and "exemplar" (N x 3 x H x W each; sample i of the exemplar styles sample i of the
// content), and with latent_noise an input "noise" of the latent's shape (N x C x H/4 x W/4 for the
// street configurations) that the caller fills with N(0, 1) samples, as the reference adds them at test
// time; without it the graph translates the latent mean (what --no-noise-test does). Output "output".
// The transfer block is the composite of onnx/adain.hpp (feature_mask, adain_egscit); the ablations that
// drop the mask or AdaIN drop those nodes, and F_X is exported only when something reads it.
#include <string>

#include "i2i/models/egscit/transfer_options.hpp"
#include "i2i/models/egscit/translator.hpp"
#include "i2i/onnx/adain.hpp"
#include "i2i/onnx/export.hpp"

namespace i2i::onnx {

enum class translation { a_to_b, b_to_a };

struct translator_export_options : export_options {
  bool latent_noise = false;  ///< add the input "noise" to the latent mean
};

template <class Cfg, class B>
export_summary export_translator(const egscit::translator_networks<Cfg, B>& net, translation direction,
                                 const egscit::transfer_options& transfer, const shape& content_shape,
                                 const shape& exemplar_shape, const std::string& path,
                                 const translator_export_options& options = {}) {
  const bool a_to_b = direction == translation::a_to_b;
  const auto& E = a_to_b ? net.E_A : net.E_B;
  const auto& F_source = a_to_b ? net.F_A : net.F_B;
  const auto& F_exemplar = a_to_b ? net.F_B : net.F_A;
  const auto& G = a_to_b ? net.G_B : net.G_A;
  require<shape_error>(content_shape.rank() == 4 && exemplar_shape.rank() == 4 && content_shape[0] == exemplar_shape[0],
                       "egscit translator export: content ", content_shape, " and exemplar ", exemplar_shape,
                       " need the same batch size (exemplar i styles content i)");

  graph_builder g(options);
  const value content = g.input("content", content_shape);
  const value exemplar = transfer.use_adain ? g.input("exemplar", exemplar_shape) : value{};
  value latent = emit_model(g, E, content);
  if (options.latent_noise) {
    const value noise = g.input("noise", latent.dims);
    latent = g.node("Add", {latent.name, noise.name}, latent.dims, "latent_noise");
  }
  value code = emit_model(g, net.S, latent);
  if (transfer.use_mask) {
    const value f_s = emit_model(g, F_source, content);
    require<shape_error>(f_s.dims == code.dims, "egscit translator export: the source features ", f_s.dims,
                         " do not have the content code's shape ", code.dims,
                         " (the mask multiplies the code element-wise; resizing it is not supported)");
    code = g.node("Mul", {code.name, feature_mask(g, f_s, "transfer/mask").name}, code.dims, "transfer/mask");
  }
  if (transfer.use_adain) code = adain_egscit(g, code, emit_model(g, F_exemplar, exemplar), transfer.eps, "transfer/adain");
  g.output(options.output_name, emit_model(g, G, code));
  g.save(path);
  return summarise(g);
}

}  // namespace i2i::onnx
