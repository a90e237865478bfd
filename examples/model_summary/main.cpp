// model_summary: parameter count and forward GFLOP of every reference network, at a size given on the
// command line and at the sizes the research documents tabulate, next to the reference numbers
// (research/pix2pixhd.md §7, egscit.md §10). Exits 1 when a count or a tabulated GFLOP differs.
//
//   model_summary [--height H] [--width W]        (default 512 x 1024)
//
// The networks are bound to counting_backend: their parameters take no memory, so the 182 M-
// parameter generators are summarised in milliseconds. FLOPs = 2 x multiply-adds of convs, transposed
// convs counted densely (Cin Cout k^2 H_in W_in), the research documents' convention.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "i2i/backend/counting_backend.hpp"
#include "i2i/models/egscit/translator.hpp"
#include "i2i/models/pix2pixhd/networks.hpp"
#include "i2i/models/vgg19.hpp"
#include "program_options.hpp"

using namespace i2i;
using CB = counting_backend<>;

namespace {

int failures = 0;

std::string with_commas(std::int64_t v) {
  const std::string digits = std::to_string(v);
  std::string s;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return s;
}

std::string dims(const shape& s) {
  return std::to_string(s[1]) + "x" + std::to_string(s[2]) + "x" + std::to_string(s[3]);
}

/// One row at the requested size: no reference, just our numbers.
void row(const char* name, const shape& in, std::int64_t params, double flops, const char* note = "") {
  std::printf("  %-52s %-13s %13s %11.3f  %s\n", name, dims(in).c_str(), with_commas(params).c_str(), flops / 1e9,
              note);
}

/// A reference row: `ref_params` < 0 and `ref_gflop` < 0 mean "not tabulated"; GFLOP match when they agree
/// at the table's printed precision.
void check(const char* name, const shape& in, std::int64_t params, std::int64_t ref_params, double flops,
           double ref_gflop, int decimals) {
  const bool p_ok = ref_params < 0 || params == ref_params;
  const double g = flops / 1e9;
  const bool f_ok = ref_gflop < 0 || std::abs(g - ref_gflop) <= 0.5 * std::pow(10.0, -decimals) + 1e-9;
  if (!p_ok || !f_ok) ++failures;
  char ours[32] = "-", theirs[32] = "-";
  if (ref_gflop >= 0) {
    std::snprintf(ours, sizeof ours, "%.3f", g);
    std::snprintf(theirs, sizeof theirs, "%.*f", decimals, ref_gflop);
  }
  std::printf("  %-52s %-13s %13s %13s %11s %11s  %s\n", name, dims(in).c_str(), with_commas(params).c_str(),
              ref_params < 0 ? "-" : with_commas(ref_params).c_str(), ours, theirs, p_ok && f_ok ? "ok" : "MISMATCH");
}

template <class Spec>
struct net {
  model<Spec, CB> m;
  std::int64_t params() const { return m.parameter_count(); }
  double flops(const shape& s) const { return m.flops(s); }
};

}  // namespace

int main(int argc, char** argv) {
  std::int64_t H = 512, W = 1024;
  examples::command_line cli{"model_summary", "Parameter counts and forward GFLOP of the reference networks"};
  examples::add_number(cli, "--height", H, 32, 1 << 20, "input height");
  examples::add_number(cli, "--width", W, 32, 1 << 20, "input width");
  if (const auto status = cli.parse(argc, argv)) return *status;

  net<pix2pixhd::global_generator<36>> G;
  net<pix2pixhd::local_enhancer<36>> LE;
  net<pix2pixhd::nlayer_discriminator<39>> D1;
  net<pix2pixhd::multiscale_discriminator<39, 2>> D2;
  net<pix2pixhd::multiscale_discriminator<39, 3>> D3;
  net<pix2pixhd::encoder<>> E;
  net<models::vgg19> V;
  net<models::vgg19_tf_same> Vt;
  net<egscit::discriminator<>> ED;
  egscit::translator_networks<egscit::mnist, CB> mnist;
  egscit::translator_networks<egscit::street, CB> street;

  auto img = [](std::int64_t c, std::int64_t h, std::int64_t w) { return shape::nchw(1, c, h, w); };
  const bool div32 = H % 32 == 0 && W % 32 == 0, div16 = H % 16 == 0 && W % 16 == 0;
  const char* g_note = div16 ? "" : "(pix2pixHD G needs H, W divisible by 16)";
  const char* le_note = div32 ? "" : "(LocalEnhancer needs H, W divisible by 32)";

  std::printf("Networks at %lld x %lld (batch 1)\n", (long long)H, (long long)W);
  std::printf("  %-52s %-13s %13s %11s\n", "network", "input CxHxW", "params", "GFLOP");
  row("pix2pixHD GlobalGenerator (ngf 64, 4 down, 9 blocks)", img(36, H, W), G.params(), G.flops(img(36, H, W)), g_note);
  row("pix2pixHD LocalEnhancer (ngf 32, K 1, 3 blocks)", img(36, H, W), LE.params(), LE.flops(img(36, H, W)), le_note);
  row("pix2pixHD NLayerDiscriminator (ndf 64, 3 layers)", img(39, H, W), D1.params(), D1.flops(img(39, H, W)));
  row("pix2pixHD MultiscaleDiscriminator (2 scales)", img(39, H, W), D2.params(), D2.flops(img(39, H, W)));
  row("pix2pixHD MultiscaleDiscriminator (3 scales)", img(39, H, W), D3.params(), D3.flops(img(39, H, W)));
  row("pix2pixHD Encoder (nef 16)", img(3, H, W), E.params(), E.flops(img(3, H, W)), g_note);
  row("VGG19 to relu5_1 (torchvision pooling)", img(3, H, W), V.params(), V.flops(img(3, H, W)));
  row("VGG19 to relu5_1 (TF SAME pooling, EGSC-IT)", img(3, H, W), Vt.params(), Vt.flops(img(3, H, W)));
  row("EGSC-IT street translator E+shared+G (n1 3)", img(3, H, W), street.trainable_parameter_count(),
      street.translator_flops(img(3, H, W)), "(params: both domains; GFLOP: one translation)");
  row("EGSC-IT street F (one)", img(3, H, W), street.F_A.parameter_count(), street.feature_mask_flops(img(3, H, W)));
  row("EGSC-IT discriminator (one)", img(3, H, W), ED.params(), ED.flops(img(3, H, W)));

  std::printf("\nAgainst the research documents (parameters exact; GFLOP at the tables' precision)\n");
  std::printf("  %-52s %-13s %13s %13s %11s %11s\n", "network", "input CxHxW", "params", "reference", "GFLOP",
              "reference");
  check("GlobalGenerator", img(36, 512, 1024), G.params(), 182546755, G.flops(img(36, 512, 1024)), 978.649, 3);
  check("GlobalGenerator", img(36, 256, 256), G.params(), 182546755, G.flops(img(36, 256, 256)), 122.331, 3);
  check("GlobalGenerator", img(36, 128, 128), G.params(), 182546755, G.flops(img(36, 128, 128)), 30.583, 3);
  {
    net<pix2pixhd::global_generator<39>> G39;
    check("GlobalGenerator, 39 input channels", img(39, 512, 1024), G39.params(), 182556163, -1, -1, 0);
  }
  check("LocalEnhancer", img(36, 1024, 2048), LE.params(), 182857059, LE.flops(img(36, 1024, 2048)), 1495.857, 3);
  check("LocalEnhancer", img(36, 256, 256), LE.params(), 182857059, LE.flops(img(36, 256, 256)), 46.746, 3);
  check("LocalEnhancer", img(36, 128, 128), LE.params(), 182857059, LE.flops(img(36, 128, 128)), 11.686, 3);
  {
    net<pix2pixhd::local_enhancer<39>> LE39;
    check("LocalEnhancer, 39 input channels", img(39, 1024, 2048), LE39.params(), 182871171, -1, -1, 0);
  }
  check("NLayerDiscriminator (one; scale2 rows of table 7.4)", img(39, 512, 1024), D1.params(), 2801601, D1.flops(img(39, 512, 1024)),
        2 * 32.072, 2);
  check("MultiscaleDiscriminator, 3 scales", img(39, 512, 1024), D3.params(), 8404803, D3.flops(img(39, 512, 1024)),
        85.088, 3);
  check("MultiscaleDiscriminator, 3 scales", img(39, 256, 256), D3.params(), 8404803, D3.flops(img(39, 256, 256)),
        11.407, 3);
  check("MultiscaleDiscriminator, 3 scales", img(39, 128, 128), D3.params(), 8404803, D3.flops(img(39, 128, 128)),
        3.182, 3);
  check("MultiscaleDiscriminator, 3 scales", img(39, 1024, 2048), D3.params(), 8404803,
        D3.flops(img(39, 1024, 2048)), 333.2, 1);
  check("MultiscaleDiscriminator, 2 scales", img(39, 512, 1024), D2.params(), 5603202, D2.flops(img(39, 512, 1024)),
        80.7, 1);
  check("Encoder", img(3, 512, 1024), E.params(), 788803, E.flops(img(3, 512, 1024)), 14.6, 1);
  check("Encoder", img(3, 1024, 2048), E.params(), 788803, E.flops(img(3, 1024, 2048)), 58.4, 1);
  check("VGG19 to relu5_1", img(3, 512, 1024), V.params(), 12944960, V.flops(img(3, 512, 1024)), 378.7, 1);
  check("VGG19 to relu5_1", img(3, 1024, 2048), V.params(), 12944960, V.flops(img(3, 1024, 2048)), 1514.8, 1);
  check("VGG19 to relu5_1", img(3, 256, 256), V.params(), 12944960, V.flops(img(3, 256, 256)), 47.3, 1);
  check("VGG19 to relu5_1", img(3, 128, 128), V.params(), 12944960, V.flops(img(3, 128, 128)), 11.8, 1);

  const auto m28 = img(3, 28, 28);
  check("EGSC-IT MNIST translator, both domains", m28, mnist.trainable_parameter_count(), 1053318, -1, -1, 0);
  check("EGSC-IT MNIST E+shared+G (one translation)", m28,
        mnist.E_A.parameter_count() + mnist.S.parameter_count() + mnist.G_B.parameter_count(), 600515, mnist.translator_flops(m28), 0.940, 3);
  check("EGSC-IT MNIST F (one)", m28, mnist.F_A.parameter_count(), 231040, mnist.feature_mask_flops(m28), 0.362, 3);
  check("EGSC-IT MNIST F_A + F_B (frozen)", m28, mnist.F_A.parameter_count() + mnist.F_B.parameter_count(), 462080,
        -1, -1, 0);
  check("EGSC-IT discriminator (one)", m28, ED.params(), 2758849, ED.flops(m28), 0.048, 3);
  check("VGG19 to relu5_1, TF SAME pooling", m28, Vt.params(), 12944960, Vt.flops(m28), 0.633, 3);
  const auto s256 = img(3, 256, 512);
  check("EGSC-IT street translator, both domains", s256, street.trainable_parameter_count(), 18017286, -1, -1, 0);
  for (const auto& s : {img(3, 112, 112), img(3, 128, 128), s256}) {
    const double ref = s[2] == 112 ? 16.89 : s[2] == 128 ? 22.06 : 176.46;
    const double ref_f = s[2] == 112 ? 6.71 : s[2] == 128 ? 8.76 : 70.11;
    check("EGSC-IT n1=3 E+shared+G (one translation)", s,
          street.E_A.parameter_count() + street.S.parameter_count() + street.G_B.parameter_count(), 10188803,
          street.translator_flops(s), ref, 2);
    check("EGSC-IT n1=3 F (one)", s, street.F_A.parameter_count(), 3918976, street.feature_mask_flops(s), ref_f, 2);
  }
  check("EGSC-IT discriminator (one)", s256, ED.params(), 2758849, ED.flops(s256), 6.64, 2);
  check("VGG19 to relu5_1, TF SAME pooling", s256, Vt.params(), 12944960, Vt.flops(s256), 94.7, 1);

  std::printf("\n%s\n", failures ? "Some numbers differ from the references." : "Every number equals its reference.");
  return failures ? 1 : 0;
}
