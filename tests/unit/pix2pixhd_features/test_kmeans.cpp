// K-means (pix2pixhd/kmeans.hpp): recovery of well-separated blob centres, determinism per seed,
// the k caps, and the cluster file's save/load round trip and errors.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <random>
#include <vector>

#include "i2i/io/safetensors.hpp"
#include "i2i/recipes/pix2pixhd/kmeans.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
namespace fs = std::filesystem;

namespace {

std::vector<std::array<double, 3>> blob_centres() {
  return {{{-0.8, -0.8, 0.1}}, {{0.7, -0.6, -0.5}}, {{0.0, 0.8, 0.6}}, {{0.9, 0.9, -0.9}}};
}

/// n points around each centre with standard deviation sd, interleaved so no blob is contiguous.
std::vector<double> blobs(int n, double sd, unsigned seed) {
  std::mt19937 g(seed);
  std::normal_distribution<double> noise(0.0, sd);
  std::vector<double> p;
  const auto cs = blob_centres();
  for (int i = 0; i < n; ++i)
    for (const auto& c : cs)
      for (double v : c) p.push_back(v + noise(g));
  return p;
}

float at2(const tensor<float>& t, std::int64_t k, std::int64_t j) { return t.data()[k * t.dim(1) + j]; }

fs::path temp_file(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("i2i_pix2pixhd_features_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pix2pixhd_kmeans)

BOOST_AUTO_TEST_CASE(recovers_blob_centres) {
  const auto pts = blobs(50, 0.05, 3);
  auto r = pix2pixhd::kmeans(pts, 3, {.k = 4, .seed = 0});
  BOOST_REQUIRE(r.centres.shape() == (shape{4, 3}));
  BOOST_TEST(r.converged);
  // Every true centre has one found centre within a few standard errors (sd 0.05 / sqrt(50) ~ 0.007).
  std::vector<int> used(4, 0);
  for (const auto& c : blob_centres()) {
    int best = -1;
    double bd = 1e9;
    for (int k = 0; k < 4; ++k) {
      double d = 0;
      for (int j = 0; j < 3; ++j) d += std::pow(at2(r.centres, k, j) - c[std::size_t(j)], 2);
      if (d < bd) bd = d, best = k;
    }
    BOOST_TEST(std::sqrt(bd) < 0.03, "centre (" << c[0] << ", " << c[1] << ", " << c[2] << ") found at distance "
                                               << std::sqrt(bd));
    ++used[std::size_t(best)];
  }
  BOOST_TEST((used == std::vector<int>{1, 1, 1, 1}));
  // Assignments: point i of the interleaved list belongs to blob i % 4; one found centre per blob.
  for (std::size_t i = 4; i < r.assignment.size(); ++i) BOOST_TEST(r.assignment[i] == r.assignment[i % 4]);
  // The centres are the means of their members (Lloyd's fixed point).
  for (int k = 0; k < 4; ++k) {
    std::array<double, 3> m{};
    int cnt = 0;
    for (std::size_t i = 0; i < r.assignment.size(); ++i)
      if (r.assignment[i] == k) {
        for (int j = 0; j < 3; ++j) m[std::size_t(j)] += pts[i * 3 + std::size_t(j)];
        ++cnt;
      }
    BOOST_REQUIRE(cnt == 50);
    for (int j = 0; j < 3; ++j) BOOST_TEST(std::abs(m[std::size_t(j)] / cnt - at2(r.centres, k, j)) < 1e-6);
  }
}

BOOST_AUTO_TEST_CASE(inertia_matches_assignment_and_beats_a_worse_k) {
  const auto pts = blobs(30, 0.2, 5);
  auto r4 = pix2pixhd::kmeans(pts, 3, {.k = 4});
  auto r2 = pix2pixhd::kmeans(pts, 3, {.k = 2});
  double inertia = 0;
  for (std::size_t i = 0; i < r4.assignment.size(); ++i)
    for (int j = 0; j < 3; ++j) inertia += std::pow(pts[i * 3 + std::size_t(j)] - at2(r4.centres, r4.assignment[i], j), 2);
  BOOST_TEST(std::abs(inertia - r4.inertia) < 1e-4 * inertia);
  BOOST_TEST(r4.inertia < r2.inertia);
}

BOOST_AUTO_TEST_CASE(deterministic_per_seed) {
  const auto pts = blobs(20, 0.5, 7);  // overlapping blobs: the result depends on the initialisation
  auto a = pix2pixhd::kmeans(pts, 3, {.k = 6, .seed = 11, .n_init = 1});
  auto b = pix2pixhd::kmeans(pts, 3, {.k = 6, .seed = 11, .n_init = 1});
  BOOST_TEST(test::max_abs_diff(a.centres, b.centres) == 0.0);
  BOOST_TEST(a.assignment == b.assignment);
  bool some_seed_differs = false;
  for (std::uint64_t s = 12; s < 20 && !some_seed_differs; ++s) {
    auto c = pix2pixhd::kmeans(pts, 3, {.k = 6, .seed = s, .n_init = 1});
    some_seed_differs = test::max_abs_diff(a.centres, c.centres) > 1e-6;
  }
  BOOST_TEST(some_seed_differs);  // the seed is actually used
}

BOOST_AUTO_TEST_CASE(k_capped_by_samples_and_distinct_points) {
  std::vector<double> three{0, 0, 1, 1, 2, 2};
  auto r = pix2pixhd::kmeans(three, 2, {.k = 10});
  BOOST_REQUIRE(r.centres.dim(0) == 3);
  std::vector<double> got;
  for (int k = 0; k < 3; ++k) got.push_back(at2(r.centres, k, 0));
  std::sort(got.begin(), got.end());
  BOOST_TEST((got == std::vector<double>{0, 1, 2}));
  BOOST_TEST(r.inertia == 0.0);

  std::vector<double> dup{1, 1, 1, 1, 1, 1, 5, 5};  // 4 points, 2 distinct
  auto d = pix2pixhd::kmeans(dup, 2, {.k = 10});
  BOOST_REQUIRE(d.centres.dim(0) == 2);
  BOOST_TEST(d.inertia == 0.0);

  auto one = pix2pixhd::kmeans({0.25, -0.5, 0.75}, 3, {.k = 10});
  BOOST_REQUIRE(one.centres.shape() == (shape{1, 3}));
  BOOST_TEST(at2(one.centres, 0, 1) == -0.5f);
}

BOOST_AUTO_TEST_CASE(bad_arguments) {
  test::expect_error<value_error>([] { pix2pixhd::kmeans({}, 3); }, {"kmeans", "dimension 3"});
  test::expect_error<value_error>([] { pix2pixhd::kmeans({1, 2, 3, 4}, 3); }, {"kmeans", "4 values"});
  test::expect_error<value_error>([] { pix2pixhd::kmeans({1, 2, 3}, 3, {.k = 0}); }, {"kmeans", "k 0"});
  test::expect_error<value_error>([] { pix2pixhd::kmeans({1, NAN, 3}, 3); }, {"kmeans", "non-finite"});
}

BOOST_AUTO_TEST_CASE(cluster_file_round_trip) {
  pix2pixhd::feature_clusters fc;
  fc.n_clusters = 10;
  fc.centres[1] = tensor<float>::from(shape{2, 3}, {0.1f, 0.2f, 0.3f, -0.4f, -0.5f, -0.6f});
  fc.centres[4] = tensor<float>::from(shape{1, 3}, {0.9f, -0.9f, 0.0f});
  fc.centres[12] = tensor<float>::from(shape{3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const auto path = temp_file(pix2pixhd::feature_clusters_filename(10)).string();
  BOOST_TEST(pix2pixhd::feature_clusters_filename(10) == "features_clustered_010.safetensors");
  pix2pixhd::save_feature_clusters(fc, path, {{"encoder", "latest_net_E.safetensors"}});

  const io::safetensors_reader raw(path);
  BOOST_TEST(raw.metadata().at("classes") == "1,4,12");
  BOOST_TEST(raw.metadata().at("encoder") == "latest_net_E.safetensors");
  BOOST_TEST(raw.contains("class_12"));

  auto back = pix2pixhd::load_feature_clusters(path);
  BOOST_TEST(back.feat_num == 3);
  BOOST_TEST(back.n_clusters == 10);
  BOOST_REQUIRE(back.centres.size() == 3u);
  for (const auto& [cls, c] : fc.centres) {
    BOOST_REQUIRE(back.has(cls));
    BOOST_REQUIRE(back.of(cls).shape() == c.shape());
    BOOST_TEST(test::max_abs_diff(back.of(cls), c) == 0.0);
  }
  BOOST_TEST((back.centre(1, 1) == std::vector<float>{-0.4f, -0.5f, -0.6f}));
  BOOST_TEST(!back.has(2));
  test::expect_error<value_error>([&] { back.of(2); }, {"class 2 has no clusters", "1,4,12"});
  test::expect_error<value_error>([&] { back.centre(4, 1); }, {"cluster 1 of class 4", "1 clusters"});
}

BOOST_AUTO_TEST_CASE(cluster_file_errors) {
  // A model checkpoint is not a cluster file.
  const auto other = temp_file("not_clusters.safetensors").string();
  auto t = tensor<float>::from(shape{1, 3}, {1, 2, 3});
  io::write_safetensors(other, {io::blob_of("class_1", t)}, {{"feat_num", "3"}});
  test::expect_error<io_error>([&] { pix2pixhd::load_feature_clusters(other); },
                               {"not a pix2pixHD cluster file", "not_clusters.safetensors"});
  // Metadata listing a class without its tensor.
  const auto missing = temp_file("missing.safetensors").string();
  io::write_safetensors(missing, {io::blob_of("class_1", t)},
                        {{"i2i.kind", "pix2pixhd_feature_clusters"}, {"classes", "1,2"}, {"feat_num", "3"},
                         {"n_clusters", "10"}});
  test::expect_error<io_error>([&] { pix2pixhd::load_feature_clusters(missing); }, {"class 2", "class_2"});
  // Wrong centre width on save.
  pix2pixhd::feature_clusters fc;
  fc.centres[3] = tensor<float>::from(shape{1, 2}, {1, 2});
  test::expect_error<shape_error>([&] { pix2pixhd::save_feature_clusters(fc, other); },
                                  {"save_feature_clusters", "class 3", "k x 3"});
}

BOOST_AUTO_TEST_SUITE_END()
