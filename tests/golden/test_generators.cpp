// Golden tests, generators and encoder: our pix2pixHD networks, loaded STRICTLY from the reference
// PyTorch state_dicts written by make_fixtures.py (so our parameter names are the official keys and
// every shape agrees), reproduce the reference forward outputs.
#include "golden.hpp"

#include "i2i/models/pix2pixhd/instance_pooling.hpp"

using namespace golden;

BOOST_AUTO_TEST_SUITE(golden_pix2pixhd_generators)

BOOST_AUTO_TEST_CASE(global_generator_matches_reference) {
  model<global_spec, B> G;
  load_strict(G, "global_G.safetensors");
  BOOST_TEST(G.all_parameters().front()->name == "model.1.weight");
  expect_close("GlobalGenerator output", G(io_tensor("input_label")), io_tensor("global_G.out"));
}

BOOST_AUTO_TEST_CASE(local_enhancer_matches_reference) {
  model<local_spec, B> G;
  load_strict(G, "local_G.safetensors");
  expect_close("LocalEnhancer output", G(io_tensor("input_label")), io_tensor("local_G.out"));
}

BOOST_AUTO_TEST_CASE(encoder_with_instance_pooling_matches_reference) {
  model<e_spec, B> E;
  load_strict(E, "encoder.safetensors");
  const auto inst = io_tensor("E.inst");
  auto fc = pix2pixhd::encode_instance_features(E, io_tensor("E.image"), inst);
  expect_close("Encoder + instance-wise average pooling", fc.output, io_tensor("E.out"));
  // The pooling must have done something: the raw E output is not piecewise constant.
  BOOST_TEST(max_abs_diff(fc.encoder.output, fc.output) > 1e-3);
}

BOOST_AUTO_TEST_CASE(a_wrong_weight_is_detected) {
  // The comparison can fail: perturbing one weight of the last conv moves the output past the tolerance.
  model<global_spec, B> G;
  load_strict(G, "global_G.safetensors");
  for (const auto& p : G.all_parameters())
    if (p->name == "model.19.weight") p->value[0] += 1e-3f;
  const auto ours = G(io_tensor("input_label"));
  const auto ref = io_tensor("global_G.out");
  double worst = 0;
  for (std::int64_t i = 0; i < ref.numel(); ++i) worst = std::max(worst, double(std::abs(ours[i] - ref[i])));
  BOOST_TEST(worst > 1e-4 * 1.0, "a perturbed weight changed the output by only " << worst);
}

BOOST_AUTO_TEST_SUITE_END()
