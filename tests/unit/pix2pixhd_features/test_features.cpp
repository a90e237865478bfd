// Per-instance features (pix2pixhd/features.hpp) on a hand-made two-sample instance map: listing,
// extraction from pooled encoder output, painting (the inverse), per-class clustering with the size
// filter, zero-fill of classes without clusters, and the editing path (only the chosen object's feature
// pixels change; a tiny random G sees an identical input elsewhere and renders the object differently).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/models/pix2pixhd/encoder.hpp"
#include "i2i/models/pix2pixhd/features.hpp"
#include "i2i/models/pix2pixhd/global_generator.hpp"
#include "i2i/models/pix2pixhd/instance_pooling.hpp"
#include "i2i/recipes/pix2pixhd/kmeans.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
using F = cpu_backend<float>;

namespace {

constexpr int H = 4, W = 16, label_nc = 10;

void fill(tensor<float>& m, int s, int y0, int y1, int x0, int x1, float v) {
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) m.at(s, 0, y, x) = v;
}

/// Sample 0: sky (1) on top with one pixel of class 9 at (0,0); ground (3), cars 4001 and 4002 below.
/// Sample 1: vegetation (2) with car 4001 in the middle and a column of 5001 on the right.
tensor<float> instance_map() {
  auto m = tensor<float>::zeros(shape::nchw(2, 1, H, W));
  fill(m, 0, 0, 2, 0, 16, 1);
  fill(m, 0, 0, 1, 0, 1, 9);
  fill(m, 0, 2, 4, 0, 8, 3);
  fill(m, 0, 2, 4, 8, 12, 4001);
  fill(m, 0, 2, 4, 12, 16, 4002);
  fill(m, 1, 0, 4, 0, 16, 2);
  fill(m, 1, 1, 3, 4, 8, 4001);
  fill(m, 1, 0, 4, 15, 16, 5001);
  return m;
}

tensor<float> label_map(const tensor<float>& inst) {
  auto l = tensor<float>::empty(inst.shape());
  for (std::int64_t i = 0; i < inst.numel(); ++i) l[i] = float(pix2pixhd::instance_class(std::int64_t(inst[i])));
  return l;
}

std::vector<float> value_of(std::int64_t s, std::int64_t id) {
  return {float(s) * 0.5f + float(id % 97) * 0.01f, -float(id % 13) * 0.05f, float(s + 1) * 0.125f};
}

/// A piecewise-constant feature map with value_of(s, id) on each object, by a naive loop.
tensor<float> pooled_features(const tensor<float>& inst) {
  auto f = tensor<float>::empty(shape::nchw(inst.n(), 3, H, W));
  for (int s = 0; s < inst.n(); ++s)
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        auto v = value_of(s, std::int64_t(inst.at(s, 0, y, x)));
        for (int c = 0; c < 3; ++c) f.at(s, c, y, x) = v[std::size_t(c)];
      }
  return f;
}

pix2pixhd::feature_clusters clusters_without_class_2() {
  pix2pixhd::feature_clusters fc;
  fc.centres[1] = tensor<float>::from(shape{2, 3}, {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f});
  fc.centres[3] = tensor<float>::from(shape{1, 3}, {-0.1f, -0.2f, -0.3f});
  fc.centres[4] = tensor<float>::from(shape{3, 3}, {0.9f, 0.8f, 0.7f, -0.9f, -0.8f, -0.7f, 0.0f, 0.5f, -0.5f});
  fc.centres[5] = tensor<float>::from(shape{2, 3}, {0.25f, 0.25f, 0.25f, -0.25f, -0.25f, -0.25f});
  return fc;  // no clusters for classes 0, 2 and 9
}

/// The set of (sample, y, x) where two N x C x H x W tensors differ in any channel.
std::set<std::array<int, 3>> differing_pixels(const tensor<float>& a, const tensor<float>& b, int c0 = 0) {
  std::set<std::array<int, 3>> out;
  for (int s = 0; s < a.n(); ++s)
    for (int c = c0; c < a.c(); ++c)
      for (int y = 0; y < a.h(); ++y)
        for (int x = 0; x < a.w(); ++x)
          if (a.at(s, c, y, x) != b.at(s, c, y, x)) out.insert({s, y, x});
  return out;
}

std::set<std::array<int, 3>> pixels_of(const tensor<float>& inst, int s, float id) {
  std::set<std::array<int, 3>> out;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      if (inst.at(s, 0, y, x) == id) out.insert({s, y, x});
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pix2pixhd_features)

BOOST_AUTO_TEST_CASE(instance_class_convention) {
  BOOST_TEST(pix2pixhd::instance_class(0) == 0);
  BOOST_TEST(pix2pixhd::instance_class(7) == 7);
  BOOST_TEST(pix2pixhd::instance_class(999) == 999);
  BOOST_TEST(pix2pixhd::instance_class(1000) == 1);
  BOOST_TEST(pix2pixhd::instance_class(26003) == 26);
  BOOST_TEST(pix2pixhd::instance_class(33999) == 33);
}

BOOST_AUTO_TEST_CASE(lists_instances_in_id_order_with_sizes_and_middle_pixels) {
  std::vector<std::int64_t> mid;
  const auto objs = pix2pixhd::list_instances(instance_map(), &mid);
  struct row {
    std::int64_t s, id, cls, px;
  };
  // H * W / 32 = 2, so area_ratio = pixels / 2. Sample 0's sky lost (0,0) to class 9.
  const std::vector<row> want{{0, 1, 1, 31}, {0, 3, 3, 16},    {0, 9, 9, 1},       {0, 4001, 4, 8},
                              {0, 4002, 4, 8}, {1, 2, 2, 52}, {1, 4001, 4, 8}, {1, 5001, 5, 4}};
  BOOST_REQUIRE(objs.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    BOOST_TEST(objs[i].sample == want[i].s);
    BOOST_TEST(objs[i].id == want[i].id);
    BOOST_TEST(objs[i].cls == want[i].cls);
    BOOST_TEST(objs[i].pixels == want[i].px);
    BOOST_TEST(objs[i].area_ratio == double(want[i].px) / 2.0);
    BOOST_TEST(objs[i].value.empty());
  }
  // Middle pixels (the (count / 2)-th in row-major order), worked out by hand. Sky: 31 pixels (0,1..15),
  // (1,0..15); index 15 is (1,0) = 16. Ground (rows 2-3, cols 0-7): index 8 = (3,0) = 48. Car 4001 of sample 0 (rows 2-3, cols 8-11): index 4 = (3,8) = 56.
  // Car 4002: (3,12) = 60. Sample 1 vegetation: 64 - 8 - 4 = 52 pixels, index 26: row 0 has 15 (cols
  // 0-14), row 1 has 11 (cols 0-3, 8-14) -> index 26 is row 2 col 0 = 32. Car 4001 of sample 1
  // (rows 1-2, cols 4-7): index 4 = (2,4) = 36. Column 5001: index 2 = (2,15) = 47.
  const std::vector<std::int64_t> want_mid{16, 48, 0, 56, 60, 32, 36, 47};
  BOOST_TEST(mid == want_mid, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(extract_reads_each_objects_value_and_paint_inverts_it) {
  const auto inst = instance_map();
  const auto feats = pooled_features(inst);
  const auto objs = pix2pixhd::extract_instance_features(feats, inst);
  BOOST_REQUIRE(objs.size() == 8u);
  for (const auto& o : objs) BOOST_TEST(o.value == value_of(o.sample, o.id), boost::test_tools::per_element());
  const auto back = pix2pixhd::paint_instance_features(inst, objs, 3);
  BOOST_TEST(test::max_abs_diff(back, feats) == 0.0);
}

BOOST_AUTO_TEST_CASE(extract_from_the_encoder_matches_naive_instance_means) {
  model<pix2pixhd::encoder<3, 3, 4, 1>, F> E;
  initialize(E, init_policy::pix2pixhd(), 3);
  const auto inst = instance_map();
  const auto image = test::random_tensor<float>(shape::nchw(2, 3, H, W), -1, 1);
  const auto fc = pix2pixhd::encode_instance_features(E, image, inst);
  const auto raw = E.forward(image).output;
  const auto objs = pix2pixhd::extract_instance_features(fc.output, inst);
  for (const auto& o : objs)
    for (int c = 0; c < 3; ++c) {
      double sum = 0;
      int n = 0;
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x)
          if (inst.at(o.sample, 0, y, x) == float(o.id)) sum += raw.at(o.sample, c, y, x), ++n;
      BOOST_TEST(std::abs(o.value[std::size_t(c)] - sum / n) < 1e-5);
    }
  BOOST_TEST(test::max_abs_diff(pix2pixhd::paint_instance_features(inst, objs, 3), fc.output) == 0.0);
  // The unpooled output is not constant over instances: extraction refuses it.
  test::expect_error<value_error>([&] { pix2pixhd::extract_instance_features(raw, inst); },
                                  {"extract_instance_features", "not constant", "encode_instance_features"});
}

BOOST_AUTO_TEST_CASE(paint_zero_fills_objects_without_values) {
  const auto inst = instance_map();
  auto objs = pix2pixhd::list_instances(inst);
  objs[0].value = {1, 2, 3};      // sample 0, sky
  objs[6].value = {-1, -2, -3};   // sample 1, car 4001
  objs.erase(objs.begin() + 3);   // sample 0, car 4001: not listed at all
  const auto f = pix2pixhd::paint_instance_features(inst, objs, 3);
  for (int s = 0; s < 2; ++s)
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        const float id = inst.at(s, 0, y, x);
        for (int c = 0; c < 3; ++c) {
          const float want = (s == 0 && id == 1) ? float(c + 1) : (s == 1 && id == 4001) ? -float(c + 1) : 0.0f;
          BOOST_TEST(f.at(s, c, y, x) == want);
        }
      }
}

BOOST_AUTO_TEST_CASE(paint_errors) {
  const auto inst = instance_map();
  auto objs = pix2pixhd::list_instances(inst);
  auto bad = objs;
  bad[1].value = {1, 2};
  test::expect_error<value_error>([&] { pix2pixhd::paint_instance_features(inst, bad, 3); },
                                  {"paint_instance_features", "object 3 of sample 0", "2 values", "feat_num 3"});
  bad = objs;
  bad.push_back(bad[2]);
  test::expect_error<value_error>([&] { pix2pixhd::paint_instance_features(inst, bad, 3); }, {"9", "listed twice"});
  bad = objs;
  bad[0].id = 77;
  test::expect_error<value_error>([&] { pix2pixhd::paint_instance_features(inst, bad, 3); },
                                  {"object 77 of sample 0", "does not occur"});
  bad = objs;
  bad[0].sample = 2;
  test::expect_error<value_error>([&] { pix2pixhd::paint_instance_features(inst, bad, 3); }, {"sample 2", "2 samples"});
  test::expect_error<shape_error>(
      [&] { pix2pixhd::paint_instance_features(tensor<float>::zeros(shape::nchw(1, 2, H, W)), objs, 3); },
      {"paint_instance_features", "N x 1 x H x W"});
}

BOOST_AUTO_TEST_CASE(clusters_per_class_with_the_size_filter) {
  const auto inst = instance_map();
  pix2pixhd::class_feature_table table;
  table.add(pix2pixhd::extract_instance_features(pooled_features(inst), inst));
  BOOST_TEST(table.by_class.at(4).size() == 3u);
  BOOST_TEST(table.by_class.at(9).size() == 1u);
  const auto fc = pix2pixhd::cluster_features(table, {.k = 10});
  // Class 9's only instance has 1 pixel, size statistic 0.5, which is not > 0.5: no clusters.
  BOOST_TEST(!fc.has(9));
  BOOST_TEST(fc.has(0) == false);  // class 0 never occurs
  for (std::int64_t cls : {1, 2, 3, 5}) BOOST_TEST(fc.of(cls).dim(0) == 1);
  // Class 4: three distinct rows, k = min(3, 10): the centres are the rows themselves.
  const auto& c4 = fc.of(4);
  BOOST_REQUIRE(c4.dim(0) == 3);
  std::set<std::vector<float>> got, want{value_of(0, 4001), value_of(0, 4002), value_of(1, 4001)};
  for (int k = 0; k < 3; ++k) got.insert(fc.centre(4, k));
  BOOST_TEST((got == want));
  // A smaller k merges rows: the centre of two clusters over three rows.
  const auto fc2 = pix2pixhd::cluster_features(table, {.k = 2});
  BOOST_TEST(fc2.of(4).dim(0) == 2);
  // A filter of 0 keeps class 9.
  BOOST_TEST(pix2pixhd::cluster_features(table, {}, 0.0).has(9));
  test::expect_error<value_error>([&] { table.add({pix2pixhd::instance_feature{.id = 5, .value = {1.0f}}}); },
                                  {"class_feature_table", "instance 5", "1 values"});
}

BOOST_AUTO_TEST_CASE(random_and_seeded_assignment_zero_fill_classes_without_clusters) {
  const auto inst = instance_map();
  const auto fc = clusters_without_class_2();
  auto objs = pix2pixhd::list_instances(inst);
  data::rng r(5);
  pix2pixhd::assign_random_clusters(objs, fc, r);
  const auto f = pix2pixhd::paint_instance_features(inst, objs, 3);
  for (const auto& o : objs) {
    const bool has = fc.has(o.cls);
    BOOST_TEST(o.value.empty() == !has);
    BOOST_TEST((o.cluster >= 0) == has);
    if (has) BOOST_TEST(o.value == fc.centre(o.cls, o.cluster), boost::test_tools::per_element());
  }
  // Vegetation (class 2, sample 1) and class 9 have no clusters: zeros, never uninitialised memory.
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < 3; ++c) {
        if (inst.at(1, 0, y, x) == 2) BOOST_TEST(f.at(1, c, y, x) == 0.0f);
        if (inst.at(0, 0, y, x) == 9) BOOST_TEST(f.at(0, c, y, x) == 0.0f);
        if (inst.at(0, 0, y, x) == 3) BOOST_TEST(f.at(0, c, y, x) == fc.of(3).data()[c]);
      }
  // Seeded by the generator: the same seed, the same choices.
  auto again = pix2pixhd::list_instances(inst);
  data::rng r2(5);
  pix2pixhd::assign_random_clusters(again, fc, r2);
  for (std::size_t i = 0; i < objs.size(); ++i) BOOST_TEST(again[i].cluster == objs[i].cluster);

  // ui_model's initial styles depend on the id only: car 4001 gets the same cluster in both samples.
  auto seeded = pix2pixhd::list_instances(inst);
  pix2pixhd::assign_seeded_clusters(seeded, fc);
  BOOST_TEST(seeded[3].id == 4001);
  BOOST_TEST(seeded[6].id == 4001);
  BOOST_TEST(seeded[3].cluster == seeded[6].cluster);
  BOOST_TEST(seeded[5].cluster == -1);  // class 2
}

BOOST_AUTO_TEST_CASE(editing_changes_only_the_chosen_object) {
  const auto inst = instance_map();
  const auto label = label_map(inst);
  const auto fc = clusters_without_class_2();
  auto base = pix2pixhd::list_instances(inst);
  pix2pixhd::assign_seeded_clusters(base, fc);
  auto edited = base;
  const auto& car = pix2pixhd::find_instance(base, 0, 4002);
  const std::int64_t k = (car.cluster + 1) % 3;
  pix2pixhd::set_instance_cluster(edited, 0, 4002, fc, k);
  BOOST_TEST(pix2pixhd::find_instance(edited, 0, 4002).cluster == k);

  const auto f0 = pix2pixhd::paint_instance_features(inst, base, 3);
  const auto f1 = pix2pixhd::paint_instance_features(inst, edited, 3);
  const auto car_pixels = pixels_of(inst, 0, 4002);
  BOOST_TEST((differing_pixels(f0, f1) == car_pixels));  // every car pixel changed, nothing else
  for (const auto& [s, y, x] : car_pixels)
    for (int c = 0; c < 3; ++c) BOOST_TEST(f1.at(s, c, y, x) == fc.of(4).data()[k * 3 + c]);

  const auto x0 = pix2pixhd::generator_input(label, inst, f0, label_nc);
  const auto x1 = pix2pixhd::generator_input(label, inst, f1, label_nc);
  BOOST_REQUIRE(x0.shape() == shape::nchw(2, label_nc + 1 + 3, H, W));
  BOOST_TEST((differing_pixels(x0, x1) == car_pixels));
  BOOST_TEST(differing_pixels(x0, x1, label_nc + 1).size() == car_pixels.size());  // only feature channels differ
  for (int c = 0; c < label_nc; ++c) BOOST_TEST(x1.at(0, c, 2, 13) == (c == 4 ? 1.0f : 0.0f));

  model<pix2pixhd::global_generator<label_nc + 1 + 3, 3, 4, 1, 1>, F> G;
  initialize(G, init_policy::pix2pixhd(), 9);
  const auto y0 = G.forward(x0).output, y0b = G.forward(x0).output, y1 = G.forward(x1).output;
  BOOST_TEST(test::max_abs_diff(y0, y0b) == 0.0);  // deterministic, so any difference is the edit's
  double inside = 0, sample1 = 0;
  for (const auto& [s, y, x] : car_pixels)
    for (int c = 0; c < 3; ++c) inside = std::max(inside, double(std::abs(y0.at(s, c, y, x) - y1.at(s, c, y, x))));
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) sample1 = std::max(sample1, double(std::abs(y0.at(1, c, y, x) - y1.at(1, c, y, x))));
  BOOST_TEST(inside > 1e-4);       // the object is re-rendered
  BOOST_TEST(sample1 == 0.0);      // the other image of the batch is untouched

  // Choosing the object's current cluster reproduces the base input exactly.
  auto same = base;
  pix2pixhd::set_instance_cluster(same, 0, 4002, fc, car.cluster);
  BOOST_TEST(test::max_abs_diff(pix2pixhd::paint_instance_features(inst, same, 3), f0) == 0.0);
}

BOOST_AUTO_TEST_CASE(relabel_changes_the_objects_class_and_id) {
  const auto inst = instance_map();
  const auto label = label_map(inst);
  // A car (thing) becoming class 5: a new object 5002 (sample 1 has 5001; sample 0 has none -> 5001).
  auto r = pix2pixhd::relabel_instance(label, inst, 1, 4001, 5, label_nc);
  BOOST_TEST(r.new_id == 5002);
  const auto car = pixels_of(inst, 1, 4001);
  BOOST_TEST((differing_pixels(inst, r.inst) == car));
  BOOST_TEST((differing_pixels(label, r.label) == car));
  for (const auto& [s, y, x] : car) BOOST_TEST(r.label.at(s, 0, y, x) == 5.0f);
  BOOST_TEST(pix2pixhd::relabel_instance(label, inst, 0, 4001, 5, label_nc).new_id == 5001);
  // Stuff becomes the target class's stuff id.
  auto g = pix2pixhd::relabel_instance(label, inst, 0, 3, 2, label_nc);
  BOOST_TEST(g.new_id == 2);
  BOOST_TEST(g.inst.at(0, 0, 3, 0) == 2.0f);
  BOOST_TEST(inst.at(0, 0, 3, 0) == 3.0f);  // the input is not modified
}

BOOST_AUTO_TEST_CASE(editing_errors) {
  const auto inst = instance_map();
  const auto label = label_map(inst);
  const auto fc = clusters_without_class_2();
  auto objs = pix2pixhd::list_instances(inst);
  test::expect_error<value_error>([&] { pix2pixhd::set_instance_cluster(objs, 0, 4003, fc, 0); },
                                  {"instance 4003 is not in the instance map of sample 0", "1, 3, 9, 4001, 4002"});
  test::expect_error<value_error>([&] { pix2pixhd::set_instance_cluster(objs, 1, 2, fc, 0); },
                                  {"instance 2 is of class 2", "no clusters", "1,3,4,5"});
  test::expect_error<value_error>([&] { pix2pixhd::set_instance_cluster(objs, 0, 4001, fc, 3); },
                                  {"cluster 3 of class 4", "3 clusters"});
  test::expect_error<value_error>([&] { pix2pixhd::relabel_instance(label, inst, 0, 4001, label_nc, label_nc); },
                                  {"relabel_instance", "label 10", "0..9"});
  test::expect_error<value_error>([&] { pix2pixhd::relabel_instance(label, inst, 1, 3, 1, label_nc); },
                                  {"instance 3 is not in the instance map of sample 1", "2, 4001, 5001"});
  // A label map with a class >= label_nc fails in the one-hot encoding of G's input.
  auto f = tensor<float>::zeros(shape::nchw(2, 3, H, W));
  test::expect_error<value_error>([&] { pix2pixhd::generator_input(label, inst, f, 5); }, {"one_hot", "label 9"});
  test::expect_error<shape_error>(
      [&] { pix2pixhd::generator_input(label, inst, tensor<float>::zeros(shape::nchw(2, 3, H, W - 2)), label_nc); },
      {"generator_input", "features"});
}

BOOST_AUTO_TEST_SUITE_END()
