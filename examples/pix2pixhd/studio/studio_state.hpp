#pragma once
// pix2pixhd_studio's server logic without HTTP (main.cpp is the glue): one editable document per browser
// session (label map, instance map, per-object style, rendered image), the edits of pix2pixHD's
// ui_model.py (brush strokes, fill, add an object, relabel, per-instance style from the class clusters,
// undo/redo), the validation that turns bad requests into 4xx answers, the session table, and the one
// function that maps a requested file name into the output folder.
//
// Every edit is a transaction: it is checked, applied to a copy, rendered, and only then committed with
// the previous state pushed on the undo stack; a rejected or failing edit leaves the document as it was.
// The rendered image is part of the state, so undo gives back the previous image byte for byte without
// rendering again.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "i2i/core/tensor.hpp"
#include "i2i/models/pix2pixhd/features.hpp"

namespace studio {

/// What the server accepts; main.cpp states these numbers in --help and docs/studio.md.
struct limits {
  static constexpr std::size_t max_request_bytes = 8u << 20;  ///< any request body (an uploaded exemplar: raw RGB)
  static constexpr std::size_t max_stroke_points = 4096;
  static constexpr int max_radius = 64;
  static constexpr std::size_t max_history = 64;  ///< undo states kept per session
  static constexpr std::size_t max_sessions = 32; ///< the least recently used session is dropped beyond this
  static constexpr std::size_t max_exemplars = 8;
  static constexpr int max_side = 4096;           ///< uploaded image side
};

/// A request the server refuses; `status` is the HTTP status (400 malformed or out of range, 404 unknown
/// session/sample/instance, 409 nothing to undo, 413 too large).
struct request_error : std::runtime_error {
  int status;
  request_error(int s, const std::string& m) : std::runtime_error(m), status(s) {}
};

template <class... A>
[[noreturn]] void refuse(int status, A&&... a) {
  throw request_error(status, i2i::detail::concat(std::forward<A>(a)...));
}
template <class... A>
void check(bool ok, int status, A&&... a) {
  if (!ok) refuse(status, std::forward<A>(a)...);
}

struct point {
  int x = 0, y = 0;
};

/// The state an edit produces and undo restores.
struct state {
  i2i::tensor<float> label, inst;          ///< 1 x 1 x H x W ids as floats
  std::map<std::int64_t, std::int64_t> style;  ///< instance id -> cluster chosen by the user (others: seeded)
  std::vector<std::uint8_t> image;         ///< H x W x 3 RGB of the last render
  double render_ms = 0;
};

/// Renders a state's maps with per-object features into H x W x 3 RGB.
using renderer = std::function<std::vector<std::uint8_t>(const i2i::tensor<float>& label, const i2i::tensor<float>& inst,
                                                         const std::vector<i2i::pix2pixhd::instance_feature>& objs)>;

/// What an object looks like to the page.
struct object_info {
  std::int64_t id = 0, cls = 0, pixels = 0;
  std::int64_t cluster = -1;  ///< -1: zero features (class without clusters, or a model without features)
  std::int64_t n_clusters = 0;
};

/// The instance id convention of the data sets (features.hpp): stuff has id = class, the k-th thing of
/// class c has c * 1000 + k; 16-bit instance PNGs bound c * 1000 + 999 by 65535.
inline constexpr std::int64_t max_thing_class = 64;

class document {
 public:
  /// `fc` may be null (a model without features); it must outlive the document.
  document(std::string name, i2i::tensor<float> label, i2i::tensor<float> inst, int label_nc,
           const i2i::pix2pixhd::feature_clusters* fc, renderer render)
      : name_(std::move(name)), label_nc_(label_nc), fc_(fc), render_(std::move(render)) {
    i2i::require<i2i::shape_error>(label.defined() && label.rank() == 4 && label.n() == 1 && label.c() == 1 &&
                                       inst.defined() && inst.shape() == label.shape(),
                                   "studio: label and instance maps must both be 1 x 1 x H x W");
    cur_.label = std::move(label);
    cur_.inst = std::move(inst);
    h_ = int(cur_.label.h());
    w_ = int(cur_.label.w());
    rerender(cur_);
  }

  const std::string& name() const { return name_; }
  int height() const { return h_; }
  int width() const { return w_; }
  int label_nc() const { return label_nc_; }
  const state& current() const { return cur_; }
  std::size_t undo_depth() const { return undo_.size(); }
  std::size_t redo_depth() const { return redo_.size(); }

  std::int64_t label_at(point p) const { return std::int64_t(cur_.label.data()[index(p)]); }
  std::int64_t instance_at(point p) const { return std::int64_t(cur_.inst.data()[index(p)]); }

  /// Every object with its current style, ascending by id.
  std::vector<object_info> objects() const {
    std::vector<object_info> out;
    for (const auto& o : styled_objects(cur_)) {
      object_info i{o.id, o.cls, o.pixels, o.cluster, n_clusters(o.cls)};
      out.push_back(i);
    }
    return out;
  }
  object_info object(std::int64_t id) const {
    for (const auto& o : objects())
      if (o.id == id) return o;
    refuse(404, "instance ", id, " is not in the instance map of '", name_, "'");
  }
  std::int64_t n_clusters(std::int64_t cls) const { return fc_ && fc_->has(cls) ? fc_->of(cls).dim(0) : 0; }

  /// A brush stroke through `pts` of radius `r`: every pixel within r of the polyline takes class `label`
  /// and instance `target` (target_stuff: id = label; target_new: a new object of class `label`; else an
  /// existing object of that class, which the stroke extends). Returns the instance id painted.
  static constexpr std::int64_t target_stuff = -1, target_new = -2;
  std::int64_t stroke(const std::vector<point>& pts, int r, std::int64_t label, std::int64_t target) {
    check(!pts.empty() && pts.size() <= limits::max_stroke_points, 400, "stroke: ", pts.size(),
          " points; expected 1..", limits::max_stroke_points);
    check(r >= 1 && r <= limits::max_radius, 400, "stroke: radius ", r, " outside 1..", limits::max_radius);
    for (const auto& p : pts) check_point("stroke", p);
    const std::int64_t id = target_id(label, target);
    commit([&](state& s) {
      float* l = s.label.data();
      float* m = s.inst.data();
      auto disc = [&](int cx, int cy) {
        for (int y = std::max(0, cy - r); y <= std::min(h_ - 1, cy + r); ++y)
          for (int x = std::max(0, cx - r); x <= std::min(w_ - 1, cx + r); ++x)
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) {
              l[std::size_t(y) * w_ + x] = float(label);
              m[std::size_t(y) * w_ + x] = float(id);
            }
      };
      disc(pts[0].x, pts[0].y);
      for (std::size_t i = 1; i < pts.size(); ++i) {
        const int dx = pts[i].x - pts[i - 1].x, dy = pts[i].y - pts[i - 1].y;
        const int steps = std::max(std::abs(dx), std::abs(dy));
        for (int k = 1; k <= steps; ++k)
          disc(pts[i - 1].x + int(std::lround(double(dx) * k / steps)), pts[i - 1].y + int(std::lround(double(dy) * k / steps)));
      }
    });
    return id;
  }

  /// Flood fill (4-connected) of the region of the instance under `p`: it takes class `label` as stuff,
  /// or as a new object when `new_object`. Returns the instance id painted.
  std::int64_t fill(point p, std::int64_t label, bool new_object) {
    check_point("fill", p);
    const std::int64_t id = target_id(label, new_object ? target_new : target_stuff);
    commit([&](state& s) {
      float* l = s.label.data();
      float* m = s.inst.data();
      const float from = m[index(p)];
      if (from == float(id) && l[index(p)] == float(label)) return;
      std::vector<std::uint8_t> seen(std::size_t(h_) * w_, 0);
      std::vector<point> todo{p};
      seen[index(p)] = 1;
      while (!todo.empty()) {
        const point q = todo.back();
        todo.pop_back();
        l[index(q)] = float(label);
        m[index(q)] = float(id);
        const point next[4] = {{q.x - 1, q.y}, {q.x + 1, q.y}, {q.x, q.y - 1}, {q.x, q.y + 1}};
        for (const auto& n : next)
          if (n.x >= 0 && n.y >= 0 && n.x < w_ && n.y < h_ && !seen[index(n)] && m[index(n)] == from) {
            seen[index(n)] = 1;
            todo.push_back(n);
          }
      }
    });
    return id;
  }

  /// Gives object `id` cluster `k` of its class (pix2pixHD's style change).
  void set_style(std::int64_t id, std::int64_t k) {
    const object_info o = object(id);
    check(o.n_clusters > 0, 400, "instance ", id, " is of class ", o.cls, ", which has no clusters",
          fc_ ? " (encode_features keeps only objects larger than 1/64 of the image)" : " (the model has no features)");
    check(k >= 0 && k < o.n_clusters, 400, "cluster ", k, " outside 0..", o.n_clusters - 1, " of class ", o.cls);
    commit([&](state& s) { s.style[id] = k; });
  }

  /// Object `id` becomes class `label` (relabel_instance: a thing stays a separate object with a new id).
  /// Returns the new id.
  std::int64_t relabel(std::int64_t id, std::int64_t label) {
    object(id);  // 404 for an unknown id
    check_label(label);
    std::int64_t new_id = 0;
    commit([&](state& s) {
      auto r = i2i::pix2pixhd::relabel_instance(s.label, s.inst, 0, id, label, label_nc_);
      s.label = std::move(r.label);
      s.inst = std::move(r.inst);
      new_id = r.new_id;
      s.style.erase(id);
    });
    return new_id;
  }

  /// A thumbnail of object `id` rendered with each cluster of its class, without changing the document:
  /// its bounding box (plus a quarter on each side), shrunk by nearest sampling to at most `side` pixels.
  struct thumbnail {
    int w = 0, h = 0;
    std::vector<std::uint8_t> rgb;
  };
  std::vector<thumbnail> style_previews(std::int64_t id, int side) const {
    const object_info o = object(id);
    check(side >= 8 && side <= 512, 400, "thumbnail side ", side, " outside 8..512");
    int x0 = w_, y0 = h_, x1 = -1, y1 = -1;
    for (int y = 0; y < h_; ++y)
      for (int x = 0; x < w_; ++x)
        if (std::int64_t(cur_.inst.data()[std::size_t(y) * w_ + x]) == id)
          x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
    const int mx = (x1 - x0 + 1) / 4, my = (y1 - y0 + 1) / 4;
    x0 = std::max(0, x0 - mx), y0 = std::max(0, y0 - my), x1 = std::min(w_ - 1, x1 + mx), y1 = std::min(h_ - 1, y1 + my);
    const int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    const double scale = std::min(1.0, double(side) / std::max(bw, bh));
    const int tw = std::max(1, int(bw * scale)), th = std::max(1, int(bh * scale));
    std::vector<thumbnail> out;
    for (std::int64_t k = 0; k < o.n_clusters; ++k) {
      state s{cur_.label, cur_.inst, cur_.style, {}, 0};  // the maps are only read: no copy needed
      s.style[id] = k;
      const auto img = render_(s.label, s.inst, styled_objects(s));
      thumbnail t{tw, th, std::vector<std::uint8_t>(std::size_t(tw) * th * 3)};
      for (int y = 0; y < th; ++y)
        for (int x = 0; x < tw; ++x) {
          const int sx = x0 + int(x / scale), sy = y0 + int(y / scale);
          for (int c = 0; c < 3; ++c)
            t.rgb[(std::size_t(y) * tw + x) * 3 + c] = img[(std::size_t(std::min(sy, y1)) * w_ + std::min(sx, x1)) * 3 + c];
        }
      out.push_back(std::move(t));
    }
    return out;
  }

  /// Restores the state before the last edit (409 when there is none).
  void undo() {
    check(!undo_.empty(), 409, "nothing to undo");
    redo_.push_back(std::move(cur_));
    cur_ = std::move(undo_.back());
    undo_.pop_back();
  }
  void redo() {
    check(!redo_.empty(), 409, "nothing to redo");
    undo_.push_back(std::move(cur_));
    cur_ = std::move(redo_.back());
    redo_.pop_back();
  }

  /// The objects of `s` with the features G gets: the user's cluster where chosen, ui_model's seeded
  /// cluster otherwise (zero features for classes without clusters).
  std::vector<i2i::pix2pixhd::instance_feature> styled_objects(const state& s) const {
    auto objs = i2i::pix2pixhd::list_instances(s.inst);
    if (!fc_) return objs;
    i2i::pix2pixhd::assign_seeded_clusters(objs, *fc_);
    for (auto& o : objs) {
      auto it = s.style.find(o.id);
      if (it != s.style.end() && fc_->has(o.cls) && it->second < fc_->of(o.cls).dim(0)) {
        o.cluster = it->second;
        o.value = fc_->centre(o.cls, o.cluster);
      }
    }
    return objs;
  }

 private:
  std::size_t index(point p) const { return std::size_t(p.y) * std::size_t(w_) + std::size_t(p.x); }

  void check_point(const char* what, point p) const {
    check(p.x >= 0 && p.y >= 0 && p.x < w_ && p.y < h_, 400, what, ": point (", p.x, ", ", p.y,
          ") outside the ", w_, "x", h_, " map");
  }
  void check_label(std::int64_t label) const {
    check(label >= 0 && label < label_nc_, 400, "label ", label, " outside 0..", label_nc_ - 1, " (label_nc ",
          label_nc_, ")");
  }

  /// The instance id a paint of class `label` writes (see stroke).
  std::int64_t target_id(std::int64_t label, std::int64_t target) const {
    check_label(label);
    if (target == target_stuff) return label;
    if (target == target_new) {
      check(label >= 1 && label <= max_thing_class, 400, "a new object needs a class in 1..",
            std::min<std::int64_t>(label_nc_ - 1, max_thing_class), ", got ", label);
      std::int64_t top = 0;
      for (const auto& o : objects())
        if (o.id >= 1000 && o.cls == label) top = std::max(top, o.id % 1000);
      check(top < 999, 400, "class ", label, " already has 999 objects");
      return label * 1000 + top + 1;
    }
    const object_info o = object(target);
    check(o.cls == label, 400, "instance ", target, " is of class ", o.cls, ", not ", label,
          "; relabel it or paint a new object");
    return target;
  }

  void rerender(state& s) const {
    const auto t0 = std::chrono::steady_clock::now();
    s.image = render_(s.label, s.inst, styled_objects(s));
    s.render_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }

  template <class F>
  void commit(F&& edit) {
    state next{cur_.label.clone(), cur_.inst.clone(), cur_.style, {}, 0};
    edit(next);
    // Styles of objects the edit removed would otherwise come back with an id reused later.
    const auto present = i2i::pix2pixhd::list_instances(next.inst);
    for (auto it = next.style.begin(); it != next.style.end();)
      it = std::any_of(present.begin(), present.end(), [&](const auto& o) { return o.id == it->first; })
               ? std::next(it)
               : next.style.erase(it);
    rerender(next);
    undo_.push_back(std::move(cur_));
    if (undo_.size() > limits::max_history) undo_.erase(undo_.begin());
    redo_.clear();
    cur_ = std::move(next);
  }

  std::string name_;
  int label_nc_ = 0, h_ = 0, w_ = 0;
  const i2i::pix2pixhd::feature_clusters* fc_ = nullptr;
  renderer render_;
  state cur_;
  std::vector<state> undo_, redo_;
};

/// One browser tab: its document behind its own lock.
struct session {
  std::mutex lock;
  std::unique_ptr<document> doc;
};

/// Sessions by an unguessable id; the least recently used is dropped beyond limits::max_sessions.
class session_table {
 public:
  std::pair<std::string, std::shared_ptr<session>> create() {
    std::lock_guard<std::mutex> g(lock_);
    std::string id = new_id();
    auto s = std::make_shared<session>();
    by_id_[id] = {s, ++clock_};
    if (by_id_.size() > limits::max_sessions) {
      auto oldest = std::min_element(by_id_.begin(), by_id_.end(),
                                     [](const auto& a, const auto& b) { return a.second.used < b.second.used; });
      by_id_.erase(oldest);
    }
    return {id, s};
  }
  /// 400 for a malformed id, 404 for an unknown (or dropped) one.
  std::shared_ptr<session> get(const std::string& id) {
    check(id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) { return std::isxdigit(unsigned(c)) != 0; }),
          400, "malformed session id");
    std::lock_guard<std::mutex> g(lock_);
    auto it = by_id_.find(id);
    check(it != by_id_.end(), 404, "unknown session (it may have been dropped after ", limits::max_sessions,
          " newer ones): reload the page");
    it->second.used = ++clock_;
    return it->second.s;
  }
  std::size_t size() {
    std::lock_guard<std::mutex> g(lock_);
    return by_id_.size();
  }

 private:
  std::string new_id() {
    static const char* hex = "0123456789abcdef";
    std::string id;
    for (int i = 0; i < 32; ++i) id += hex[rng_() % 16];
    return id;
  }
  struct entry {
    std::shared_ptr<session> s;
    std::uint64_t used = 0;
  };
  std::mutex lock_;
  std::map<std::string, entry> by_id_;
  std::uint64_t clock_ = 0;
  std::mt19937_64 rng_{std::random_device{}()};
};

/// The file `stem` + `suffix` in `out_dir`. A stem is 1-64 of [A-Za-z0-9_-] (no dots, no separators), so
/// a request can neither leave the folder nor name a hidden file; 400 otherwise.
inline std::filesystem::path output_file(const std::filesystem::path& out_dir, std::string_view stem,
                                         std::string_view suffix) {
  check(!stem.empty() && stem.size() <= 64 &&
            std::all_of(stem.begin(), stem.end(),
                        [](char c) { return std::isalnum(unsigned(c)) || c == '_' || c == '-'; }),
        400, "file name '", std::string(stem.substr(0, 80)),
        "' is not allowed: use 1-64 letters, digits, '_' or '-' (the server adds the extension and writes "
        "into its output folder only)");
  return out_dir / (std::string(stem) + std::string(suffix));
}

/// Standard base64 (RFC 4648) for the images the page exchanges with the server as raw pixels.
inline std::string base64_encode(const std::uint8_t* p, std::size_t n) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (std::size_t i = 0; i < n; i += 3) {
    const std::uint32_t v = std::uint32_t(p[i]) << 16 | (i + 1 < n ? std::uint32_t(p[i + 1]) << 8 : 0) |
                            (i + 2 < n ? std::uint32_t(p[i + 2]) : 0);
    out += abc[v >> 18 & 63];
    out += abc[v >> 12 & 63];
    out += i + 1 < n ? abc[v >> 6 & 63] : '=';
    out += i + 2 < n ? abc[v & 63] : '=';
  }
  return out;
}

/// 400 for anything but canonical padded base64.
inline std::vector<std::uint8_t> base64_decode(std::string_view s) {
  check(s.size() % 4 == 0, 400, "base64: length ", s.size(), " is not a multiple of 4");
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::vector<std::uint8_t> out;
  out.reserve(s.size() / 4 * 3);
  for (std::size_t i = 0; i < s.size(); i += 4) {
    const bool last = i + 4 == s.size();
    const int pad = last ? (s[i + 3] == '=') + (s[i + 2] == '=') : 0;
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const int d = k >= 4 - pad ? 0 : val(s[i + std::size_t(k)]);
      check(d >= 0, 400, "base64: invalid character at ", i + std::size_t(k));
      v = v << 6 | std::uint32_t(d);
    }
    out.push_back(std::uint8_t(v >> 16));
    if (pad < 2) out.push_back(std::uint8_t(v >> 8));
    if (pad < 1) out.push_back(std::uint8_t(v));
  }
  return out;
}

}  // namespace studio
