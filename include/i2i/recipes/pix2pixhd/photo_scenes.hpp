#pragma once
// "Tux Paint scenes" (research/data.md §4(b1)): real-image pix2pixHD datasets made from Debian packages.
// Things are Tux Paint photo stamps (real photographs with hand-made alpha masks, sorted into category
// folders, which become 8 thing classes); stuff is sky above a wavy horizon and vegetation or ground
// below it, filled from MATE nature photos and GIMP patterns. cmake/fetch_scene_data.sh puts the three
// packages' files under data/scene_sources; installed packages under /usr/share are used as well.
//
// Classes (label_nc 12): 0 unlabelled (never produced), 1 sky, 2 vegetation, 3 ground, 4 mammal, 5 bird,
// 6 fish/sea animal, 7 insect, 8 flower, 9 plant/tree/mushroom, 10 fruit/vegetable, 11 vehicle.
// Instances: stuff keeps its class id (1-3), things get class * 1000 + k, k counted per class in a scene.
//
// Stamps are split per class into train and test sets (about 15% test, at least one), so test label
// maps show objects never seen in training. Every scene depends only on (seed, split, index).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "i2i/core/threads.hpp"
#include "i2i/recipes/pix2pixhd/gimp_pattern.hpp"
#include "i2i/recipes/pix2pixhd/scene.hpp"
#include "i2i/io/image.hpp"

namespace i2i::data {

struct photo_scene_options {
  int width = 256, height = 128;       ///< canvas (W x H): pix2pixHD's CPU examples train at 128 x 256
  int min_things = 2, max_things = 5;  ///< stamps per scene
  std::size_t train_count = 1000, test_count = 200;
  std::uint64_t seed = 1;
  double test_stamp_fraction = 0.15;   ///< share of each class's stamps kept for the test split
};

enum : int { class_sky = 1, class_vegetation = 2, class_ground = 3 };

inline std::vector<class_info> photo_classes() {
  return {{0, "unlabelled"}, {1, "sky"},    {2, "vegetation"}, {3, "ground"}, {4, "mammal"},      {5, "bird"},
          {6, "fish"},       {7, "insect"}, {8, "flower"},     {9, "plant"},  {10, "fruit_veg"}, {11, "vehicle"}};
}

/// Where a package's files are: under the fetched sources folder, or where the installed package puts them.
struct scene_package {
  const char* name;       ///< Debian package
  const char* fetched;    ///< folder under the sources folder (cmake/fetch_scene_data.sh)
  const char* installed;  ///< folder of the installed package
};

inline constexpr scene_package tuxpaint_package{"tuxpaint-stamps-default", "tuxpaint/stamps", "/usr/share/tuxpaint/stamps"};
inline constexpr scene_package mate_package{"mate-backgrounds", "mate/nature", "/usr/share/backgrounds/mate/nature"};
inline constexpr scene_package gimp_package{"gimp-data", "gimp/patterns", "/usr/share/gimp/2.0/patterns"};

/// The package's folder, or an io_error naming the package, both places looked at and the fix.
inline std::string package_dir(const scene_package& p, const std::string& sources) {
  namespace fs = std::filesystem;
  const fs::path a = fs::path(sources) / p.fetched;
  std::error_code ec;
  if (fs::is_directory(a, ec)) return a.string();
  if (fs::is_directory(p.installed, ec)) return p.installed;
  throw io_error(i2i::detail::concat("photo scenes: the files of Debian package '", p.name, "' are missing: neither '",
                                     a.string(), "' nor '", p.installed, "' exists; run cmake/fetch_scene_data.sh ",
                                     "(downloads it into data/scene_sources) or apt-get install ", p.name));
}

// ---------------------------------------------------------------------------------------------------
// Things: the stamp catalogue.

struct stamp_class_rule {
  int class_id;
  const char* folder;  ///< under stamps/
  bool recursive;      ///< false: only the PNGs directly in the folder
};

/// Category folders -> classes (research/data.md §3). Sub-folders named cartoon/toys/plastic are drawings.
inline const std::vector<stamp_class_rule>& stamp_rules() {
  static const std::vector<stamp_class_rule> rules{
      {4, "animals/mammals", true},   {4, "animals/marsupials", true}, {5, "animals/birds", true},
      {6, "animals/fish", true},      {6, "animals/shellfish", true},  {6, "animals/amphibians", true},
      {7, "animals/insects", true},   {8, "plants/flowers", true},     {9, "plants/trees", true},
      {9, "plants/mushrooms", true},  {9, "plants", false},            {10, "food/fruit", true},
      {10, "food/vegetables", true},  {10, "food/nuts", true},         {11, "vehicles", true},
      {11, "military/vehicles", true}};
  return rules;
}

/// Stamps that pass the photo test but are renders or duplicates (checked by eye on 2022.06.04-1).
inline bool stamp_denied(const std::string& stem) {
  static const char* deny[] = {"balloon360", "chineseJunk", "walnutBoat", "dumper_mirror", "bradley_mirror"};
  for (const char* d : deny)
    if (stem == d) return true;
  return false;
}

/// research/data.md's photo test: enough distinct 15-bit colours under the mask (drawings have few).
inline bool looks_like_photo(const rgba_image& s, int class_id) {
  std::vector<bool> seen(1 << 15, false);
  int distinct = 0;
  for (std::size_t i = 0; i < s.alpha.pixels.size(); ++i) {
    if (s.alpha.pixels[i] <= 128) continue;
    const int key = (s.rgb.pixels[i * 3] >> 3) << 10 | (s.rgb.pixels[i * 3 + 1] >> 3) << 5 | s.rgb.pixels[i * 3 + 2] >> 3;
    if (!seen[std::size_t(key)]) seen[std::size_t(key)] = true, ++distinct;
  }
  return distinct >= (class_id == 8 ? 250 : 400);  // flower photos are smoother
}

struct stamp {
  std::string path;
  int class_id = 0;
  cutout pixels;  ///< premultiplied, downscaled to at most `max_side` at load
};

/// Finds, filters and loads the photo stamps under `stamps_dir`, downscaling each to at most max_side
/// pixels (later pastes are much smaller). Sorted by class, then path.
inline std::vector<stamp> load_stamps(const std::string& stamps_dir, int max_side) {
  namespace fs = std::filesystem;
  std::vector<std::pair<std::string, int>> files;
  for (const auto& rule : stamp_rules()) {
    const fs::path d = fs::path(stamps_dir) / rule.folder;
    std::error_code ec;
    if (!fs::is_directory(d, ec)) continue;
    auto consider = [&](const fs::path& p) {
      if (p.extension() != ".png") return;
      for (const auto& part : p.lexically_relative(d).parent_path())
        if (part == "cartoon" || part == "toys" || part == "plastic") return;
      files.emplace_back(p.string(), rule.class_id);
    };
    if (rule.recursive) {
      for (const auto& e : fs::recursive_directory_iterator(d, ec))
        if (e.is_regular_file()) consider(e.path());
    } else {
      for (const auto& e : fs::directory_iterator(d, ec))
        if (e.is_regular_file()) consider(e.path());
    }
  }
  std::sort(files.begin(), files.end(), [](auto& a, auto& b) { return a.second != b.second ? a.second < b.second : a.first < b.first; });
  std::vector<stamp> out(files.size());
  std::vector<char> keep(files.size(), 0);
  parallel_tasks(std::int64_t(files.size()), [&](std::int64_t i) {
    const auto& [path, cls] = files[std::size_t(i)];
    const fs::path p(path);
    if (stamp_denied(p.stem().string())) return;
    std::ifstream dat(fs::path(p).replace_extension(".dat"));
    std::stringstream flags;
    flags << dat.rdbuf();
    if (flags.str().find("colorable") != std::string::npos || flags.str().find("tintable") != std::string::npos) return;
    const rgba_image img = read_png_rgba(path);
    if (!looks_like_photo(img, cls)) return;
    cutout c = cutout::from(img);
    const double z = std::min(1.0, double(max_side) / std::max(c.width, c.height));
    if (z < 1.0) c = resize_cutout(c, std::max(1, int(std::lround(c.width * z))), std::max(1, int(std::lround(c.height * z))));
    out[std::size_t(i)] = stamp{path, cls, std::move(c)};
    keep[std::size_t(i)] = 1;
  });
  std::vector<stamp> kept;
  for (std::size_t i = 0; i < out.size(); ++i)
    if (keep[i]) kept.push_back(std::move(out[i]));
  return kept;
}

/// Splits stamps per class: about `fraction` (at least one, when a class has two or more) go to test,
/// chosen by a seeded shuffle. Returns {train, test} as indices into `stamps`.
inline std::array<std::vector<std::size_t>, 2> split_stamps(const std::vector<stamp>& stamps, double fraction,
                                                            std::uint64_t seed) {
  std::map<int, std::vector<std::size_t>> by_class;
  for (std::size_t i = 0; i < stamps.size(); ++i) by_class[stamps[i].class_id].push_back(i);
  std::array<std::vector<std::size_t>, 2> out;
  for (auto& [cls, idx] : by_class) {
    rng r = rng::for_item(seed, 0x57A3B, std::uint64_t(cls));
    r.shuffle(idx);
    std::size_t n_test = idx.size() < 2 ? 0 : std::max<std::size_t>(1, std::size_t(std::lround(fraction * idx.size())));
    for (std::size_t k = 0; k < idx.size(); ++k) out[k < n_test ? 1 : 0].push_back(idx[k]);
  }
  for (auto& v : out) std::sort(v.begin(), v.end());
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Stuff: background sources, regions chosen by eye (mate-backgrounds 1.26.0-1, gimp-data 2.10.34).

struct stuff_rule {
  int class_id;
  const scene_package* package;
  const char* file;
  bool tile;
  double x0, y0, x1, y1;
};

inline const std::vector<stuff_rule>& stuff_rules() {
  static const std::vector<stuff_rule> rules{
      {class_sky, &mate_package, "Storm.jpg", false, 0.0, 0.0, 1.0, 0.55},
      {class_sky, &mate_package, "Dune.jpg", false, 0.0, 0.0, 0.32, 0.2},
      {class_sky, &gimp_package, "Sky/sky.pat", true, 0, 0, 1, 1},
      {class_vegetation, &mate_package, "GreenMeadow.jpg", false, 0, 0, 1, 1},
      {class_vegetation, &mate_package, "Blinds.jpg", false, 0, 0, 1, 1},
      {class_vegetation, &mate_package, "RainDrops.jpg", false, 0, 0, 1, 1},
      {class_vegetation, &mate_package, "Dune.jpg", false, 0.0, 0.55, 1.0, 1.0},
      {class_vegetation, &gimp_package, "Plant/leaves.pat", true, 0, 0, 1, 1},
      {class_ground, &mate_package, "Storm.jpg", false, 0.0, 0.72, 1.0, 1.0},
      {class_ground, &mate_package, "Wood.jpg", false, 0, 0, 1, 1},
      {class_ground, &gimp_package, "Stone/ground1.pat", true, 0, 0, 1, 1},
      {class_ground, &gimp_package, "Stone/rock.pat", true, 0, 0, 1, 1},
      {class_ground, &gimp_package, "Stone/stone33.pat", true, 0, 0, 1, 1},
      {class_ground, &gimp_package, "Stone/cracked.pat", true, 0, 0, 1, 1},
      {class_ground, &gimp_package, "Stone/slate.pat", true, 0, 0, 1, 1},
      {class_ground, &gimp_package, "Stone/granite1.pat", true, 0, 0, 1, 1},
      {class_ground, &gimp_package, "Wood/wood1.pat", true, 0, 0, 1, 1},
      {class_ground, &gimp_package, "Wood/walnut.pat", true, 0, 0, 1, 1}};
  return rules;
}

/// Loads the stuff textures by class (index = class id 1..3). Photos are downscaled to at most
/// `max_side` once: crops are resized to the canvas anyway, and 2560 px JPEGs would dominate the time.
inline std::array<std::vector<texture_source>, 4> load_stuff(const std::string& sources, int max_side) {
  namespace fs = std::filesystem;
  const auto& rules = stuff_rules();
  std::vector<texture_source> loaded(rules.size());
  parallel_tasks(std::int64_t(rules.size()), [&](std::int64_t i) {
    const stuff_rule& r = rules[std::size_t(i)];
    const std::string path = (fs::path(package_dir(*r.package, sources)) / r.file).string();
    require<io_error>(fs::exists(path), "photo scenes: '", path, "' (from Debian package ", r.package->name,
                      ") is missing; run cmake/fetch_scene_data.sh again");
    texture_source t{path, r.tile ? read_gimp_pattern(path) : io::read_image(path, 3), r.tile, r.x0, r.y0, r.x1, r.y1};
    const int side = std::max(t.pixels.width, t.pixels.height);
    if (!r.tile && side > max_side) {
      const double z = double(max_side) / side;
      t.pixels = resize_bicubic(t.pixels, int(std::lround(t.pixels.width * z)), int(std::lround(t.pixels.height * z)));
    }
    loaded[std::size_t(i)] = std::move(t);
  });
  std::array<std::vector<texture_source>, 4> out;
  for (std::size_t i = 0; i < rules.size(); ++i) out[std::size_t(rules[i].class_id)].push_back(std::move(loaded[i]));
  return out;
}

/// Everything a photo scene is drawn from.
struct scene_sources {
  std::vector<stamp> stamps;
  std::array<std::vector<std::size_t>, 2> split;  ///< stamp indices for train (0) and test (1)
  std::array<std::vector<texture_source>, 4> stuff;
};

inline scene_sources load_scene_sources(const std::string& sources, const photo_scene_options& opt) {
  scene_sources s;
  const std::string stamps_dir = package_dir(tuxpaint_package, sources);
  s.stamps = load_stamps(stamps_dir, std::max(320, int(opt.height * 2.5)));
  require<io_error>(!s.stamps.empty(), "photo scenes: no photo stamp found under '", stamps_dir,
                    "' (expected category folders such as animals/mammals from ", tuxpaint_package.name, ")");
  s.split = split_stamps(s.stamps, opt.test_stamp_fraction, opt.seed);
  s.stuff = load_stuff(sources, std::max(640, opt.width * 3));
  return s;
}

/// One photo scene of split `split` (0 train, 1 test) drawn with `r`.
inline scene make_photo_scene(const scene_sources& src, const photo_scene_options& opt, int split, rng& r) {
  const int W = opt.width, H = opt.height;
  require<value_error>(W >= 16 && H >= 16 && opt.min_things >= 0 && opt.min_things <= opt.max_things,
                       "photo scenes: bad options (canvas ", W, "x", H, ", things ", opt.min_things, "-", opt.max_things, ")");
  scene s(W, H);
  auto pick_texture = [&](int cls) -> const texture_source& {
    const auto& v = src.stuff[std::size_t(cls)];
    return v[std::size_t(r.uniform_int(0, std::int64_t(v.size()) - 1))];
  };
  auto wavy = [&](double base) {  // a gently waving boundary row per column
    const double amp = r.uniform(0, 0.05) * H, period = r.uniform(0.5, 2.0) * W, phase = r.uniform(0, 6.2832);
    std::vector<int> rows(static_cast<std::size_t>(W));
    for (int x = 0; x < W; ++x) rows[std::size_t(x)] = int(std::lround(base + amp * std::sin(6.2832 * x / period + phase)));
    return rows;
  };
  // Stuff: sky above the horizon, vegetation or ground below; sometimes a second band of the other kind.
  const double horizon = r.uniform(0.27, 0.55) * H;
  const auto top = wavy(horizon);
  const int lower = r.bernoulli(0.5) ? class_vegetation : class_ground;
  const bool banded = r.bernoulli(0.4);
  const auto band = wavy(r.uniform(horizon + 0.2 * H, 0.9 * H));
  const io::image sky = texture_fill(pick_texture(class_sky), W, H, r);
  const io::image low = texture_fill(pick_texture(lower), W, H, r);
  const int other = lower == class_vegetation ? class_ground : class_vegetation;
  const io::image low2 = banded ? texture_fill(pick_texture(other), W, H, r) : io::image();
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const int cls = y < top[std::size_t(x)] ? class_sky : (banded && y >= band[std::size_t(x)]) ? other : lower;
      const io::image& t = cls == class_sky ? sky : cls == lower ? low : low2;
      for (int c = 0; c < 3; ++c) s.image.at(y, x, c) = t.at(y, x, c);
      s.label.at(y, x) = std::uint16_t(cls);
      s.inst.at(y, x) = std::uint16_t(cls);
    }

  // Things: a class uniformly among those with stamps in this split (rare classes are not drowned by
  // the 50 mammals), then a stamp of it; painted back to front, nearer ones lower and larger.
  const auto& pool = src.split[std::size_t(split)];
  std::map<int, std::vector<std::size_t>> by_class;
  for (auto i : pool) by_class[src.stamps[i].class_id].push_back(i);
  std::vector<int> classes;
  for (auto& [c, v] : by_class) classes.push_back(c);
  require<value_error>(!classes.empty() || opt.max_things == 0, "photo scenes: no stamps in the ",
                       split ? "test" : "train", " split");
  struct placed {
    std::size_t stamp;
    double bottom;
    bool flip;
    double jitter, cx;
  };
  std::vector<placed> things;
  const int n = classes.empty() ? 0 : int(r.uniform_int(opt.min_things, opt.max_things));
  for (int i = 0; i < n; ++i) {
    const auto& v = by_class[classes[std::size_t(r.uniform_int(0, std::int64_t(classes.size()) - 1))]];
    placed p;
    p.stamp = v[std::size_t(r.uniform_int(0, std::int64_t(v.size()) - 1))];
    p.bottom = r.uniform(horizon + 0.08 * H, 1.08 * H);
    p.flip = r.bernoulli(0.5);
    p.jitter = r.uniform(0.85, 1.15);
    p.cx = r.uniform(0, W);
    things.push_back(p);
  }
  std::stable_sort(things.begin(), things.end(), [](const placed& a, const placed& b) { return a.bottom < b.bottom; });
  int count[256] = {};
  for (const placed& p : things) {
    const stamp& st = src.stamps[p.stamp];
    const double depth = std::clamp((p.bottom - horizon) / (H - horizon), 0.0, 1.0);
    double h = H * (0.22 + 0.42 * depth) * p.jitter;
    double w = h * st.pixels.width / st.pixels.height;
    if (w > W / 2.0) h *= (W / 2.0) / w, w = W / 2.0;
    const int ow = std::max(2, int(std::lround(w))), oh = std::max(2, int(std::lround(h)));
    const cutout c = resize_cutout(st.pixels, ow, oh, p.flip);
    const int cls = st.class_id;
    paste(s, c, int(std::lround(p.cx - ow / 2.0)), int(std::lround(p.bottom)) - oh, std::uint16_t(cls),
          std::uint16_t(cls * 1000 + ++count[cls]));
  }
  return s;
}

/// Builds train and test photo scenes under `out_root` (pix2pixHD layout + classes.txt) from the packages'
/// files under `sources` (or installed under /usr/share). io_error naming the package when one is missing.
inline build_summary build_photo_scenes(const std::string& sources, const std::string& out_root,
                                        const photo_scene_options& opt, scene_sources* loaded = nullptr) {
  const scene_sources src = load_scene_sources(sources, opt);
  build_summary sum;
  sum.width = opt.width;
  sum.height = opt.height;
  sum.classes = photo_classes();
  sum.label_nc = int(sum.classes.size());
  const layout_writer out(out_root);
  const std::size_t counts[2] = {opt.train_count, opt.test_count};
  const char* phases[2] = {"train", "test"};
  for (int split = 0; split < 2; ++split) {
    out.prepare(phases[split]);
    std::vector<scene_stats> stats(counts[split]);
    parallel_tasks(std::int64_t(counts[split]), [&](std::int64_t i) {
      rng r = rng::for_item(opt.seed, std::uint64_t(split), std::uint64_t(i));
      const scene s = make_photo_scene(src, opt, split, r);
      out.write(phases[split], std::size_t(i), s);
      stats[std::size_t(i)].add(s, sum.label_nc);
    });
    for (auto& st : stats) sum.stats.merge(st);
  }
  sum.train = opt.train_count;
  sum.test = opt.test_count;
  out.write_classes(sum.classes);
  if (loaded) *loaded = src;
  return sum;
}

}  // namespace i2i::data
