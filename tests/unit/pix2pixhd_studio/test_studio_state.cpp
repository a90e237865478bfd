// pix2pixhd_studio's server logic (examples/pix2pixhd/studio/studio_state.hpp) without HTTP or a network:
// edits, undo/redo, the 4xx refusals, sessions, output paths and base64. The renderer is a fake whose
// pixel is a function of that pixel's label, instance and features, so "the edit changed exactly these
// pixels" is checkable.
#include <boost/test/unit_test.hpp>
#include <set>

#include "../examples/pix2pixhd/studio/studio_state.hpp"

using namespace i2i;
using studio::document;
using studio::point;

namespace {

constexpr int H = 8, W = 16, label_nc = 12;

// Left half sky (stuff 1), right half ground (3) with object 4001 (class 4) at x 10..13, y 2..5.
std::pair<tensor<float>, tensor<float>> scene() {
  auto l = tensor<float>::zeros(shape::nchw(1, 1, H, W)), m = tensor<float>::zeros(shape::nchw(1, 1, H, W));
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      float c = x < 8 ? 1.f : 3.f, id = c;
      if (x >= 10 && x <= 13 && y >= 2 && y <= 5) c = 4.f, id = 4001.f;
      l.data()[y * W + x] = c;
      m.data()[y * W + x] = id;
    }
  return {l, m};
}

pix2pixhd::feature_clusters clusters() {
  pix2pixhd::feature_clusters fc;
  fc.centres[4] = tensor<float>::from(shape{3, 3}, {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f});
  return fc;
}

int renders = 0;
std::vector<std::uint8_t> fake_render(const tensor<float>& label, const tensor<float>& inst,
                                      const std::vector<pix2pixhd::instance_feature>& objs) {
  ++renders;
  const auto feat = pix2pixhd::paint_instance_features(inst, objs, 3);
  std::vector<std::uint8_t> rgb(std::size_t(H) * W * 3);
  for (int p = 0; p < H * W; ++p) {
    rgb[3 * p] = std::uint8_t(label.data()[p] * 20);
    rgb[3 * p + 1] = std::uint8_t(std::int64_t(inst.data()[p]) % 251);
    rgb[3 * p + 2] = std::uint8_t(feat.data()[p] * 100);
  }
  return rgb;
}

struct fixture {
  pix2pixhd::feature_clusters fc = clusters();
  document doc{"s", scene().first, scene().second, label_nc, &fc, fake_render};
};

int status_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const studio::request_error& e) {
    return e.status;
  }
  return 0;
}

std::size_t changed(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < a.size(); i += 3)
    n += a[i] != b[i] || a[i + 1] != b[i + 1] || a[i + 2] != b[i + 2];
  return n;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(stroke_paints_a_disc_and_undo_redo_restore_bytes, fixture) {
  const auto before = doc.current().image;
  const auto id = doc.stroke({{2, 2}}, 1, 2, document::target_stuff);
  BOOST_TEST(id == 2);
  BOOST_TEST(doc.label_at({2, 2}) == 2);
  BOOST_TEST(doc.instance_at({3, 2}) == 2);
  BOOST_TEST(doc.label_at({4, 2}) == 1);  // outside radius 1
  BOOST_TEST(changed(before, doc.current().image) == 5u);  // the 5 pixels of a radius-1 disc
  const auto after = doc.current().image;
  doc.undo();
  BOOST_TEST(doc.current().image == before);
  BOOST_TEST(doc.label_at({2, 2}) == 1);
  doc.redo();
  BOOST_TEST(doc.current().image == after);
  BOOST_TEST(status_of([&] { doc.redo(); }) == 409);
}

BOOST_FIXTURE_TEST_CASE(a_stroke_polyline_covers_the_segment_between_points, fixture) {
  doc.stroke({{0, 0}, {6, 0}}, 1, 2, document::target_stuff);
  for (int x = 0; x <= 6; ++x) BOOST_TEST(doc.label_at({x, 0}) == 2);
}

BOOST_FIXTURE_TEST_CASE(refusals_leave_the_document_unchanged, fixture) {
  const auto before = doc.current().image;
  BOOST_TEST(status_of([&] { doc.stroke({{1, 1}}, 2, label_nc, document::target_stuff); }) == 400);  // label >= label_nc
  BOOST_TEST(status_of([&] { doc.stroke({{1, 1}}, 2, -1, document::target_stuff); }) == 400);
  BOOST_TEST(status_of([&] { doc.stroke({{W, 1}}, 2, 1, document::target_stuff); }) == 400);      // outside the map
  BOOST_TEST(status_of([&] { doc.stroke({{1, 1}}, 0, 1, document::target_stuff); }) == 400);      // radius
  BOOST_TEST(status_of([&] { doc.stroke({{1, 1}}, studio::limits::max_radius + 1, 1, document::target_stuff); }) == 400);
  BOOST_TEST(status_of([&] { doc.stroke({}, 2, 1, document::target_stuff); }) == 400);
  BOOST_TEST(status_of([&] { doc.stroke(std::vector<point>(studio::limits::max_stroke_points + 1), 1, 1,
                                        document::target_stuff); }) == 400);
  BOOST_TEST(status_of([&] { doc.stroke({{1, 1}}, 1, 4, 9001); }) == 404);  // unknown instance
  BOOST_TEST(status_of([&] { doc.stroke({{1, 1}}, 1, 3, 4001); }) == 400);  // object of another class
  BOOST_TEST(status_of([&] { doc.set_style(9001, 0); }) == 404);
  BOOST_TEST(status_of([&] { doc.set_style(4001, 3); }) == 400);            // class 4 has clusters 0..2
  BOOST_TEST(status_of([&] { doc.set_style(1, 0); }) == 400);               // sky has no clusters
  BOOST_TEST(status_of([&] { doc.relabel(4001, 99); }) == 400);
  BOOST_TEST(status_of([&] { doc.relabel(77, 2); }) == 404);
  BOOST_TEST(status_of([&] { doc.fill({-1, 0}, 2, false); }) == 400);
  BOOST_TEST(status_of([&] { doc.fill({0, 0}, 0, true); }) == 400);          // a new object needs class >= 1
  BOOST_TEST(status_of([&] { doc.undo(); }) == 409);
  BOOST_TEST(doc.undo_depth() == 0u);
  BOOST_TEST(doc.current().image == before);
}

BOOST_FIXTURE_TEST_CASE(style_changes_only_the_object, fixture) {
  const auto o = doc.object(4001);
  BOOST_TEST(o.n_clusters == 3);
  const std::int64_t k = (o.cluster + 1) % 3;
  const auto before = doc.current().image;
  doc.set_style(4001, k);
  BOOST_TEST(doc.object(4001).cluster == k);
  BOOST_TEST(changed(before, doc.current().image) == 16u);  // exactly the 4x4 object
  const auto thumbs = doc.style_previews(4001, 32);
  BOOST_TEST(thumbs.size() == 3u);
  BOOST_TEST(doc.undo_depth() == 1u);  // previews do not edit
}

BOOST_FIXTURE_TEST_CASE(new_objects_fill_and_relabel, fixture) {
  const auto id = doc.stroke({{3, 5}}, 1, 4, document::target_new);
  BOOST_TEST(id == 4002);
  BOOST_TEST(doc.object(4002).cls == 4);
  BOOST_TEST(doc.object(4002).cluster >= 0);  // seeded style of its class
  BOOST_TEST(doc.stroke({{5, 5}}, 1, 4, 4002) == 4002);  // extends it
  const auto relabelled = doc.relabel(4001, 11);
  BOOST_TEST(relabelled == 11001);
  BOOST_TEST(doc.label_at({11, 3}) == 11);
  BOOST_TEST(status_of([&] { doc.object(4001); }) == 404);
  const auto filled = doc.fill({0, 0}, 2, false);  // the sky region becomes vegetation (stuff)
  BOOST_TEST(filled == 2);
  BOOST_TEST(doc.label_at({7, 7}) == 2);
  BOOST_TEST(doc.label_at({3, 5}) == 4);  // the new object is another region
  BOOST_TEST(doc.label_at({8, 0}) == 3);
}

BOOST_FIXTURE_TEST_CASE(history_is_capped, fixture) {
  for (std::size_t i = 0; i < studio::limits::max_history + 5; ++i) doc.stroke({{0, 0}}, 1, int(i % 2 + 1), -1);
  BOOST_TEST(doc.undo_depth() == studio::limits::max_history);
}

BOOST_AUTO_TEST_CASE(output_files_stay_in_the_folder) {
  const std::filesystem::path dir = "/tmp/out";
  BOOST_TEST(studio::output_file(dir, "edit_1-b", ".png") == dir / "edit_1-b.png");
  for (const char* bad : {"", "../x", "a/b", ".hidden", "..", "a\\b", "x.png", "/etc/passwd", "%2e%2e"})
    BOOST_TEST(status_of([&] { studio::output_file(dir, bad, ".png"); }) == 400, bad);
  BOOST_TEST(status_of([&] { studio::output_file(dir, std::string(65, 'a'), ".png"); }) == 400);
}

BOOST_AUTO_TEST_CASE(base64_round_trip_and_refusals) {
  BOOST_TEST(studio::base64_decode("").empty());
  std::vector<std::uint8_t> all;
  for (std::size_t n = 1; n < 10; ++n) {
    all.push_back(std::uint8_t(n * 37 + 200));
    const std::vector<std::uint8_t> v = all;
    BOOST_TEST(studio::base64_decode(studio::base64_encode(v.data(), v.size())) == v);
  }
  BOOST_TEST(studio::base64_encode(reinterpret_cast<const std::uint8_t*>("Man"), 3) == "TWFu");
  BOOST_TEST(status_of([] { studio::base64_decode("abc"); }) == 400);
  BOOST_TEST(status_of([] { studio::base64_decode("ab!d"); }) == 400);
}

BOOST_AUTO_TEST_CASE(sessions_are_separate_and_bounded) {
  pix2pixhd::feature_clusters fc = clusters();
  studio::session_table t;
  auto [a, sa] = t.create();
  auto [b, sb] = t.create();
  BOOST_TEST(a != b);
  sa->doc = std::make_unique<document>("a", scene().first, scene().second, label_nc, &fc, fake_render);
  sb->doc = std::make_unique<document>("b", scene().first, scene().second, label_nc, &fc, fake_render);
  t.get(a)->doc->stroke({{1, 1}}, 1, 2, -1);
  BOOST_TEST(t.get(b)->doc->label_at({1, 1}) == 1);  // b untouched
  BOOST_TEST(t.get(b)->doc->undo_depth() == 0u);
  BOOST_TEST(status_of([&] { t.get("../../etc"); }) == 400);
  BOOST_TEST(status_of([&] { t.get(std::string(32, '0')); }) == 404);
  for (std::size_t i = 0; i < studio::limits::max_sessions; ++i) t.create();
  BOOST_TEST(t.size() == studio::limits::max_sessions);
  BOOST_TEST(status_of([&] { t.get(a); }) == 404);  // the least recently used went first
}

BOOST_FIXTURE_TEST_CASE(fill_makes_a_new_object_and_styles_of_removed_objects_are_forgotten, fixture) {
  doc.set_style(4001, 2);
  BOOST_TEST(doc.current().style.count(4001) == 1u);
  BOOST_TEST(doc.fill({11, 3}, 3, false) == 3);  // the object becomes ground
  BOOST_TEST(doc.current().style.count(4001) == 0u);
  const auto id = doc.fill({11, 3}, 4, true);    // the whole ground region becomes a new mammal
  BOOST_TEST(id == 4001);                        // the free index again, with its seeded style, not cluster 2
  BOOST_TEST(doc.label_at({15, 7}) == 4);
  BOOST_TEST(doc.current().style.count(4001) == 0u);
  doc.undo();
  doc.undo();
  BOOST_TEST(doc.object(4001).cluster == 2);     // undo brings the chosen style back with the object
}
