// pix2pixhd_studio: pix2pixHD's interactive editor (the paper's demo; only its back end, ui_model.py, was
// released) and EGSC-IT's exemplar picker, as a local web server with one page (docs/studio.md).
//
//   pix2pixhd_studio --name scenes_feat --dataroot data/pix2pixhd/scenes --loadSize 256 --resize_or_crop none
//                    --output studio_out [--egscit runs/street --egscit_data data/egscit/street] [--gpu]
//
// The page (page.html, embedded at build time) talks JSON to /api/...; this file is only the HTTP glue:
// the documents, edits, undo, validation, sessions and output paths are studio_state.hpp (unit-tested).
// Images travel as base64 raw pixels (the renderings are compared byte for byte by the browser test).
// Both networks run through the compiled i2i::translator library, on the CPU or the CUDA device that
// --gpu / --gpu_ids N / --device cuda:N names: this TU instantiates no network.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "../../common/device_flags.hpp"
#include "../encode_features/checkpoint_config.hpp"
#include "i2i/core/device.hpp"
#include "i2i/core/threads.hpp"
#include "i2i/data/classes_file.hpp"
#include "i2i/io/image.hpp"
#include "i2i/io/png.hpp"
#include "i2i/models/pix2pixhd/features.hpp"
#include "i2i/translator/egscit.hpp"
#include "i2i/translator/pix2pixhd.hpp"
#include "studio_page.hpp"  // generated from page.html (embed_page.cmake)
#include "studio_state.hpp"

// After Eigen: httplib brings <resolv.h>, whose macro _res renames a parameter of Eigen's products.
#include <httplib.h>

using namespace i2i;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* program = "pix2pixhd_studio";

struct rgb_image {
  int w = 0, h = 0;
  std::vector<std::uint8_t> rgb;
};

json image_json(int w, int h, const std::vector<std::uint8_t>& px) {
  return {{"w", w}, {"h", h}, {"rgb", studio::base64_encode(px.data(), px.size())}};
}

std::vector<std::uint8_t> to_rgb(const tensor<float>& y) { return io::to_image(y).pixels; }

/// The document's renderer on a loaded generator: the objects' features are painted on the host
/// (paint_instance_features) and G runs on the translator's device. A translator runs one call at a
/// time, so calls are serialised.
studio::renderer make_renderer(const pix2pixhd::translator& G) {
  auto mutex = std::make_shared<std::mutex>();
  return [G, mutex](const tensor<float>& label, const tensor<float>& inst,
                    const std::vector<pix2pixhd::instance_feature>& objs) {
    const int feat_nc = G.info().feature_channels;
    const tensor<float> features = feat_nc > 0 ? pix2pixhd::paint_instance_features(inst, objs, feat_nc) : tensor<float>{};
    std::lock_guard<std::mutex> l(*mutex);
    return to_rgb(G.translate(label, inst, features));
  };
}

struct server_state {
  std::unique_ptr<data::aligned_dataset> ds;
  std::vector<std::string> sample_names;
  std::vector<data::class_info> classes;
  int label_nc = 0;
  pix2pixhd::feature_clusters fc;
  bool has_clusters = false;
  int feat_nc = 0;  ///< G's feature channels (0: a model without features)
  studio::renderer render;
  fs::path out_dir;
  studio::session_table sessions;
  // EGSC-IT (optional)
  std::optional<egscit::exemplar_translator> egscit;
  egscit::domain egscit_from = egscit::domain::A;
  std::vector<std::string> egscit_images;
  int egscit_w = 0, egscit_h = 0;
  std::mutex egscit_lock;
};

json state_json(const studio::document& d) {
  const auto& s = d.current();
  const std::size_t hw = std::size_t(d.height()) * std::size_t(d.width());
  std::vector<std::uint8_t> label(hw), inst(hw * 2);
  for (std::size_t i = 0; i < hw; ++i) {
    label[i] = std::uint8_t(s.label.data()[i]);
    const auto id = std::uint16_t(s.inst.data()[i]);
    inst[2 * i] = std::uint8_t(id & 0xff);
    inst[2 * i + 1] = std::uint8_t(id >> 8);
  }
  json objs = json::array();
  for (const auto& o : d.objects())
    objs.push_back({{"id", o.id}, {"cls", o.cls}, {"pixels", o.pixels}, {"cluster", o.cluster}, {"n_clusters", o.n_clusters}});
  return {{"name", d.name()},
          {"w", d.width()},
          {"h", d.height()},
          {"label", studio::base64_encode(label.data(), label.size())},
          {"inst", studio::base64_encode(inst.data(), inst.size())},
          {"image", studio::base64_encode(s.image.data(), s.image.size())},
          {"render_ms", s.render_ms},
          {"undo", d.undo_depth()},
          {"redo", d.redo_depth()},
          {"objects", objs}};
}

/// A JSON body (400 when it is not an object).
json body_of(const httplib::Request& req) {
  json j = json::parse(req.body, nullptr, false);
  studio::check(!j.is_discarded() && j.is_object(), 400, "the request body is not a JSON object");
  return j;
}

/// Field `k` of `j` as T (400 naming the field when absent or of another type).
template <class T>
T field(const json& j, const char* k) {
  auto it = j.find(k);
  studio::check(it != j.end(), 400, "missing field '", k, "'");
  if constexpr (std::is_integral_v<T>) {
    studio::check(it->is_number_integer(), 400, "field '", k, "' must be an integer");
    const auto v = it->get<std::int64_t>();
    studio::check(v >= std::int64_t(std::numeric_limits<int>::min()) && v <= std::int64_t(std::numeric_limits<int>::max()),
                  400, "field '", k, "' is out of range");
    return T(v);
  } else if constexpr (std::is_same_v<T, bool>) {
    studio::check(it->is_boolean(), 400, "field '", k, "' must be true or false");
    return it->get<bool>();
  } else {
    studio::check(it->is_string(), 400, "field '", k, "' must be a string");
    return it->get<std::string>();
  }
}

studio::point point_of(const json& j) {
  studio::check(j.is_array() && j.size() == 2 && j[0].is_number_integer() && j[1].is_number_integer(), 400,
                "a point is [x, y] with integer coordinates");
  const auto x = j[0].get<std::int64_t>(), y = j[1].get<std::int64_t>();
  studio::check(std::abs(x) < (1 << 20) && std::abs(y) < (1 << 20), 400, "point (", x, ", ", y, ") out of range");
  return {int(x), int(y)};
}

/// Runs a handler: request_error -> its status, library argument errors -> 400, the rest -> 500; every
/// refusal carries {"error": message}.
template <class F>
void guarded(httplib::Response& res, F&& f) {
  auto fail = [&](int status, const std::string& msg) {
    res.status = status;
    res.set_content(json{{"error", msg}}.dump(), "application/json");
  };
  try {
    json out = f();
    res.set_content(out.dump(), "application/json");
  } catch (const studio::request_error& e) {
    fail(e.status, e.what());
  } catch (const json::exception& e) {
    fail(400, std::string("malformed request: ") + e.what());
  } catch (const i2i::value_error& e) {
    fail(400, e.what());
  } catch (const i2i::shape_error& e) {
    fail(400, e.what());
  } catch (const std::exception& e) {
    fail(500, e.what());
  }
}

/// An EGSC-IT input: {"index": i} (a test image) or {"w", "h", "rgb"} (an upload, the model's size).
tensor<float> egscit_input(server_state& S, const json& j) {
  studio::check(j.is_object(), 400, "an EGSC-IT image is {\"index\": i} or {\"w\", \"h\", \"rgb\"}");
  if (j.contains("index")) {
    const int i = field<int>(j, "index");
    studio::check(i >= 0 && std::size_t(i) < S.egscit_images.size(), 404, "EGSC-IT image ", i, " outside 0..",
                  int(S.egscit_images.size()) - 1);
    return io::to_tensor(io::read_image(S.egscit_images[std::size_t(i)], 3));
  }
  const int w = field<int>(j, "w"), h = field<int>(j, "h");
  studio::check(w == S.egscit_w && h == S.egscit_h, 400, "uploaded image is ", w, "x", h, "; the model takes ",
                S.egscit_w, "x", S.egscit_h, " (the page resizes uploads)");
  const auto px = studio::base64_decode(field<std::string>(j, "rgb"));
  studio::check(px.size() == std::size_t(w) * std::size_t(h) * 3, 400, "uploaded image has ", px.size(),
                " bytes, expected ", w, "x", h, "x3");
  io::image im(w, h, 3);
  im.pixels = px;
  return io::to_tensor(im);
}

void serve(server_state& S, const std::string& host, int port) {
  httplib::Server svr;
  svr.set_payload_max_length(studio::limits::max_request_bytes);  // larger bodies get 413
  svr.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(studio::page_html), "text/html; charset=utf-8");
  });
  svr.Get("/api/info", [&](const httplib::Request&, httplib::Response& res) {
    guarded(res, [&] {
      json classes = json::array();
      const auto names = data::class_names(S.classes, S.label_nc);
      for (int c = 0; c < S.label_nc; ++c) {
        std::int64_t k = S.has_clusters && S.fc.has(c) ? S.fc.of(c).dim(0) : 0;
        classes.push_back({{"id", c}, {"name", names[std::size_t(c)]}, {"n_clusters", k}});
      }
      json eg = {{"available", S.egscit.has_value()}};
      if (S.egscit) {
        json imgs = json::array();
        for (const auto& p : S.egscit_images) imgs.push_back(fs::path(p).filename().string());
        eg["images"] = imgs;
        eg["w"] = S.egscit_w;
        eg["h"] = S.egscit_h;
      }
      return json{{"label_nc", S.label_nc},
                  {"classes", classes},
                  {"samples", S.sample_names},
                  {"features", S.feat_nc > 0},
                  {"max_request_bytes", studio::limits::max_request_bytes},
                  {"max_radius", studio::limits::max_radius},
                  {"egscit", eg}};
    });
  });
  svr.Post("/api/session", [&](const httplib::Request&, httplib::Response& res) {
    guarded(res, [&] { return json{{"session", S.sessions.create().first}}; });
  });
  svr.Post(R"(/api/s/([^/]+)/([a-z_]+))", [&](const httplib::Request& req, httplib::Response& res) {
    guarded(res, [&]() -> json {
      auto sess = S.sessions.get(req.matches[1]);
      const std::string action = req.matches[2];
      const json b = body_of(req);
      std::lock_guard<std::mutex> lock(sess->lock);
      if (action == "open") {
        const int i = field<int>(b, "sample");
        studio::check(i >= 0 && std::size_t(i) < S.sample_names.size(), 404, "sample ", i, " outside 0..",
                      int(S.sample_names.size()) - 1);
        const data::sample s = S.ds->get(std::size_t(i), data::transform_params{});
        sess->doc = std::make_unique<studio::document>(S.sample_names[std::size_t(i)], s.label, s.inst, S.label_nc,
                                                       S.has_clusters ? &S.fc : nullptr, S.render);
        return state_json(*sess->doc);
      }
      studio::check(sess->doc != nullptr, 409, "open a sample first");
      auto& d = *sess->doc;
      if (action == "state") return state_json(d);
      if (action == "stroke") {
        std::vector<studio::point> pts;
        const auto it = b.find("points");
        studio::check(it != b.end() && it->is_array(), 400, "field 'points' must be an array of [x, y]");
        studio::check(it->size() <= studio::limits::max_stroke_points, 413, "stroke has ", it->size(),
                      " points; at most ", studio::limits::max_stroke_points);
        for (const auto& p : *it) pts.push_back(point_of(p));
        std::int64_t target = studio::document::target_stuff;
        if (b.contains("target")) {
          const auto& t = b["target"];
          if (t.is_string() && t == "new") target = studio::document::target_new;
          else if (t.is_string() && t == "stuff") target = studio::document::target_stuff;
          else target = field<int>(b, "target");
          studio::check(target >= -2, 400, "field 'target' is \"stuff\", \"new\" or an instance id");
        }
        const auto id = d.stroke(pts, field<int>(b, "radius"), field<int>(b, "label"), target);
        json out = state_json(d);
        out["painted"] = id;
        return out;
      }
      if (action == "fill") {
        const auto id = d.fill({field<int>(b, "x"), field<int>(b, "y")}, field<int>(b, "label"),
                               b.contains("new_object") && field<bool>(b, "new_object"));
        json out = state_json(d);
        out["painted"] = id;
        return out;
      }
      if (action == "select") {
        const studio::point p{field<int>(b, "x"), field<int>(b, "y")};
        studio::check(p.x >= 0 && p.y >= 0 && p.x < d.width() && p.y < d.height(), 400, "point (", p.x, ", ", p.y,
                      ") outside the ", d.width(), "x", d.height(), " map");
        const auto o = d.object(d.instance_at(p));
        return json{{"id", o.id}, {"cls", o.cls}, {"pixels", o.pixels}, {"cluster", o.cluster}, {"n_clusters", o.n_clusters}};
      }
      if (action == "thumbs") {
        const auto id = std::int64_t(field<int>(b, "id"));
        json out = json::array();
        for (const auto& t : d.style_previews(id, 96)) out.push_back(image_json(t.w, t.h, t.rgb));
        return json{{"id", id}, {"thumbs", out}};
      }
      if (action == "style") d.set_style(field<int>(b, "id"), field<int>(b, "cluster"));
      else if (action == "relabel") {
        const auto id = d.relabel(field<int>(b, "id"), field<int>(b, "label"));
        json out = state_json(d);
        out["new_id"] = id;
        return out;
      } else if (action == "undo") d.undo();
      else if (action == "redo") d.redo();
      else if (action == "save") {
        const std::string stem = field<std::string>(b, "name");
        const auto label_path = studio::output_file(S.out_dir, stem, "_label.png");
        const auto& s = d.current();
        io::image label(d.width(), d.height(), 1), rgb(d.width(), d.height(), 3);
        io::image16 inst(d.width(), d.height(), 1);
        for (std::size_t i = 0; i < label.pixels.size(); ++i) {
          label.pixels[i] = std::uint8_t(s.label.data()[i]);
          inst.pixels[i] = std::uint16_t(s.inst.data()[i]);
        }
        rgb.pixels = s.image;
        const auto inst_path = studio::output_file(S.out_dir, stem, "_inst.png");
        const auto image_path = studio::output_file(S.out_dir, stem, "_image.png");
        io::write_png(label_path.string(), label);
        io::write_png(inst_path.string(), inst);
        io::write_png(image_path.string(), rgb);
        return json{{"saved", {label_path.filename().string(), inst_path.filename().string(),
                                image_path.filename().string()}}};
      } else
        studio::refuse(404, "unknown action '", action, "'");
      return state_json(d);
    });
  });
  svr.Post("/api/egscit/translate", [&](const httplib::Request& req, httplib::Response& res) {
    guarded(res, [&] {
      studio::check(S.egscit.has_value(), 404, "no EGSC-IT model loaded (start with --egscit DIR --egscit_data DIR)");
      const json b = body_of(req);
      const auto source = egscit_input(S, b.at("source"));
      const auto& ex = b.at("exemplars");
      studio::check(ex.is_array() && !ex.empty() && ex.size() <= studio::limits::max_exemplars, 400,
                    "'exemplars' must be an array of 1..", studio::limits::max_exemplars, " images");
      std::vector<tensor<float>> exemplars;
      for (const auto& e : ex) exemplars.push_back(egscit_input(S, e));
      json out = json::array();
      const auto t0 = std::chrono::steady_clock::now();
      std::lock_guard<std::mutex> l(S.egscit_lock);
      for (const auto& e : exemplars) {
        const auto y = io::to_image(S.egscit->translate(source, e, S.egscit_from, 0));
        out.push_back(image_json(y.width, y.height, y.pixels));
      }
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      return json{{"translations", out}, {"ms", ms}};
    });
  });
  svr.Get(R"(/api/egscit/image/([0-9]+))", [&](const httplib::Request& req, httplib::Response& res) {
    guarded(res, [&] {
      studio::check(S.egscit.has_value(), 404, "no EGSC-IT model loaded");
      const auto t = egscit_input(S, json{{"index", std::stoll(req.matches[1].str().substr(0, 9))}});
      const auto y = io::to_image(t);
      return image_json(y.width, y.height, y.pixels);
    });
  });
  svr.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty())
      res.set_content(json{{"error", "HTTP " + std::to_string(res.status) +
                                         (res.status == 413 ? ": request larger than " +
                                                                  std::to_string(studio::limits::max_request_bytes) + " bytes"
                                                            : std::string(""))}}
                          .dump(),
                      "application/json");
  });
  std::cout << program << ": serving http://" << host << ":" << port << "/ (Ctrl-C stops)" << std::endl;
  require<io_error>(svr.listen(host, port), program, ": cannot listen on ", host, ":", port,
                    " (port in use? pick another with --port)");
}

}  // namespace

int main(int argc, char** argv) try {
  pix2pixhd_cli::trained_run r;
  std::string phase = "test", clusters, output, host = "127.0.0.1", egscit_dir, egscit_data, egscit_from = "A";
  int n_clusters = 10, port = 8080;
  examples::device_choice device_flags;
  std::string device_text;
  examples::command_line cli{program, "Serves the editor on http://HOST:PORT/"};
  pix2pixhd_cli::add_trained_run(cli, r);
  cli.add_option("--phase", phase, "which split of the dataset");
  cli.add_option("--clusters", clusters,
                 "the cluster file (default: <checkpoints_dir>/<name>/features_clustered_<n_clusters>.safetensors)");
  examples::add_number(cli, "--n_clusters", n_clusters, 1, 1 << 20, "picks the default cluster file");
  cli.add_option("--output", output, "saved PNGs go here only")->required();
  cli.add_option("--host", host, "the address to listen on");
  examples::add_number(cli, "--port", port, 1, 65535, "the port to listen on");
  cli.add_option("--egscit", egscit_dir, "an EGSC-IT model folder (with --egscit_data)");
  cli.add_option("--egscit_data", egscit_data, "the folder of images to pick exemplars from");
  cli.add_option("--egscit_from", egscit_from, "the EGSC-IT inputs' domain")->check(CLI::IsMember({"A", "B"}));
  examples::add_device_options(cli, device_flags);
  cli.add_option("--device", device_text, "cpu, cuda or cuda:N (instead of --gpu / --gpu_ids); both models run there")
      ->group("Device (needs a build with I2I_WITH_CUDA and a visible device; no CPU fallback)");
  cli.footer(i2i::detail::concat("Requests are limited to ", studio::limits::max_request_bytes / (1 << 20),
                                 " MiB; strokes to ", studio::limits::max_stroke_points, " points of radius <= ",
                                 studio::limits::max_radius, "; ", studio::limits::max_history, " undo steps and ",
                                 studio::limits::max_sessions, " sessions."));
  if (const auto status = cli.parse(argc, argv)) return *status;
  const std::string dir = r.checkpoints_dir, name = r.name;
  const std::string g_path = r.checkpoint("G");
  require<io_error>(fs::exists(g_path), program, ": checkpoint '", g_path,
                    "' does not exist (check --checkpoints_dir, --name and --which_epoch)");
  const pix2pixhd::generator_info g_info = pix2pixhd::read_generator_info(g_path);  // metadata only
  require<value_error>(g_info.instance_maps, program, ": '", g_path,
                       "' was trained with --no_instance; the studio edits objects and needs a model with instance maps");
  require<value_error>(g_info.label_nc >= 1 && g_info.label_nc <= 256, program, ": label_nc ", g_info.label_nc,
                       " is outside 1..256 (the studio edits label maps, not RGB inputs)");

  server_state S;
  S.label_nc = g_info.label_nc;
  auto data_opts = r.dataset(phase, S.label_nc);
  data_opts.load_image = false;
  if (clusters.empty()) clusters = (fs::path(dir) / name / pix2pixhd::feature_clusters_filename(n_clusters)).string();
  S.out_dir = output;
  const bool gpu_named = device_flags.gpu || device_flags.gpu_ids.has_value();
  require<value_error>(device_text.empty() || !gpu_named, program,
                       ": --device and --gpu / --gpu_ids both name the device; give one");
  const int gpu = device_flags.cuda_device();
  const device where = !device_text.empty() ? device::parse(device_text) : gpu >= 0 ? device::cuda(gpu) : device::cpu();
  require<value_error>(egscit_dir.empty() == egscit_data.empty(), program,
                       ": --egscit and --egscit_data go together (the model, and the folder of images to pick from)");

  // device_error from the translator for CUDA in a build or on a machine without it (no CPU fallback)
  const pix2pixhd::translator G = pix2pixhd::load_translator(g_path, where);
  S.render = make_renderer(G);
  S.feat_nc = G.info().feature_channels;
  data_opts.transform.n_downsample_global = G.info().n_downsample_global;
  data_opts.transform.n_local_enhancers = G.info().n_local_enhancers;
  if (S.feat_nc > 0) {
    require<io_error>(fs::exists(clusters), program, ": the model uses instance features but the cluster file '",
                      clusters, "' does not exist; run pix2pixhd_encode_features first (or pass --clusters FILE)");
    S.fc = pix2pixhd::load_feature_clusters(clusters);
    require<value_error>(S.fc.feat_num == S.feat_nc, program, ": '", clusters, "' holds ", S.fc.feat_num,
                         "-d centres but G takes ", S.feat_nc, " feature channels");
    S.has_clusters = true;
  }
  S.ds = std::make_unique<data::aligned_dataset>(data_opts);
  require<io_error>(S.ds->size() > 0, program, ": no samples in '", data_opts.dataroot, "/", data_opts.phase, "_label'");
  for (const auto& p : S.ds->label_paths()) S.sample_names.push_back(fs::path(p).stem().string());
  S.classes = data::read_classes(data_opts.dataroot);

  fs::create_directories(S.out_dir);
  S.out_dir = fs::canonical(S.out_dir);

  if (!egscit_dir.empty()) {
    S.egscit = egscit::load_translator(egscit_dir, where);
    S.egscit_from = egscit_from == "B" ? egscit::domain::B : egscit::domain::A;
    S.egscit_images = data::list_images(egscit_data, "--egscit_data");
    require<io_error>(!S.egscit_images.empty(), program, ": no images under '", egscit_data, "'");
    const auto first = io::read_image(S.egscit_images.front(), 3);
    S.egscit_w = first.width;
    S.egscit_h = first.height;
    std::cout << program << ": EGSC-IT " << S.egscit->info().kind << " (config " << S.egscit->info().config
              << "), " << S.egscit_images.size() << " images of " << S.egscit_w << "x" << S.egscit_h << "\n";
  }
  std::cout << program << ": " << G.info().preset << " " << G.info().netG << " G on " << where.str() << ", label_nc "
            << S.label_nc
            << (S.has_clusters ? ", feature clusters from " + clusters : std::string(", no features")) << ", "
            << S.sample_names.size() << " samples; saving into " << S.out_dir.string() << "\n";
  serve(S, host, port);
  return 0;
} catch (const std::exception& e) {
  return pix2pixhd_cli::report_error(program, e);
}
