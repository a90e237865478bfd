#pragma once
// Model checkpoints (DESIGN §4): a model's parameters as a list of named tensors, saved to and loaded from
// a safetensors file whose keys are the hierarchical parameter names (the reference PyTorch state_dict
// keys where a reference exists, e.g. "model.1.weight"), so a converted official checkpoint loads
// without a table.
//
// Loading copies into the targets' existing storage: the model keeps its tensors (and whatever aliases
// them: optimizer parameter references, gradients' shapes). Two modes:
//   strict  - every target key present, no unexpected key, every shape equal; otherwise ONE
//             checkpoint_mismatch (an io_error) listing all missing, unexpected and mis-shaped keys, and
//             no target is modified.
//   partial - loads the keys present in both with equal shapes and reports the rest (pix2pixHD's
//             --load_pretrain: a 512p GlobalGenerator into a LocalEnhancer, a 2-scale D into a 3-scale D).
// A key_map renames file keys by prefix before matching, for checkpoints whose names were nested
// differently (e.g. file "model.*" -> target "global.model.*").
#include <algorithm>
#include <charconv>
#include <functional>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/io/safetensors.hpp"

namespace i2i {

/// One parameter (or buffer) of a model under its hierarchical name.
template <class T>
struct named_tensor {
  std::string name;
  tensor<T> value;
};
/// A model's parameters in a stable order; the tensors alias the model's storage.
template <class T>
using state_dict = std::vector<named_tensor<T>>;

}  // namespace i2i

namespace i2i::io {

enum class load_mode { strict, partial };

/// Renames file keys before they are matched: a key starting with `from` becomes `to` + the rest.
/// The first matching rule wins; keys matching no rule keep their name.
struct key_rename {
  std::string from, to;
};
using key_map = std::vector<key_rename>;

inline std::string apply_key_map(const key_map& map, const std::string& key) {
  for (const auto& r : map)
    if (key.compare(0, r.from.size(), r.from) == 0) return r.to + key.substr(r.from.size());
  return key;
}

/// A key present in the file and in the model whose shapes (or dtype) do not allow loading.
struct key_mismatch {
  std::string key;       // the target (model) name
  std::string file_key;  // the name in the file (differs from `key` only through a key_map)
  std::string file_shape, file_dtype;
  shape model_shape;
};

/// What a load did. In strict mode a successful load has only `loaded`.
struct load_report {
  std::vector<std::string> loaded;       // target keys that received values
  std::vector<std::string> missing;      // target keys absent from the file (left unchanged)
  std::vector<std::string> unexpected;   // file keys (as in the file) that match no target after renaming
  std::vector<key_mismatch> mismatched;  // in both, but not loadable (left unchanged)

  bool complete() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }

  /// One line per non-empty list, every key named.
  std::string describe() const {
    std::string s;
    const auto list = [&](const char* title, const std::vector<std::string>& keys) {
      if (keys.empty()) return;
      s += i2i::detail::concat("\n  ", title, " (", keys.size(), "): ");
      for (std::size_t i = 0; i < keys.size(); ++i) {
        if (i) s += ", ";
        s += keys[i];
      }
    };
    list("missing from the file", missing);
    list("unexpected in the file", unexpected);
    if (!mismatched.empty()) {
      s += i2i::detail::concat("\n  shape or dtype mismatch (", mismatched.size(), "): ");
      for (std::size_t i = 0; i < mismatched.size(); ++i) {
        const auto& m = mismatched[i];
        s += i2i::detail::concat(i ? "; " : "", m.key, m.file_key != m.key ? " (file key " + m.file_key + ")" : "",
                                 ": file ", m.file_shape, " ", m.file_dtype, ", model ", m.model_shape);
      }
    }
    return s;
  }
};

/// Thrown by a strict load that does not match; carries the full report.
class checkpoint_mismatch : public io_error {
 public:
  checkpoint_mismatch(const std::string& msg, load_report r) : io_error(msg), report_(std::move(r)) {}
  const load_report& report() const { return report_; }

 private:
  load_report report_;
};

namespace detail {

template <class T>
void check_state_dict(const char* who, const state_dict<T>& sd, const std::string& path) {
  std::unordered_set<std::string_view> seen;
  for (const auto& p : sd) {
    require<value_error>(!p.name.empty(), who, ": a tensor has an empty name ('", path, "')");
    require<value_error>(p.value.defined(), who, ": tensor '", p.name, "' is undefined ('", path, "')");
    require<value_error>(seen.insert(p.name).second, who, ": duplicate name '", p.name, "' ('", path, "')");
  }
}

/// Shortest decimal text that parses back to exactly `v` (std::to_chars round-trip guarantee).
inline std::string number_text(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace detail

namespace detail {

/// One tensor of a source (a file or an in-memory state_dict) as the matcher sees it.
struct load_source_item {
  std::string file_key;
  std::string shape_text, dtype_text;
  bool loadable = true;                       // a dtype that converts to T
  std::function<bool(const shape&)> has_shape;
  std::function<void(void*)> copy_to;         // writes numel elements of T
};

template <class T>
load_report match_and_load(const state_dict<T>& targets, const std::vector<load_source_item>& source,
                           const std::string& source_name, load_mode mode, const key_map& map) {
  detail::check_state_dict("load_state_dict", targets, source_name);
  std::unordered_map<std::string, const load_source_item*> by_target_key;
  std::unordered_map<std::string, std::string> source_of;  // mapped key -> file key, to report collisions
  for (const auto& e : source) {
    std::string key = apply_key_map(map, e.file_key);
    auto [it, fresh] = source_of.emplace(key, e.file_key);
    if (!fresh)
      throw io_error(i2i::detail::concat("load_state_dict: '", source_name, "': file keys '", it->second, "' and '",
                                         e.file_key, "' both map to '", key, "'"));
    by_target_key.emplace(std::move(key), &e);
  }

  load_report report;
  std::vector<std::pair<const named_tensor<T>*, const load_source_item*>> plan;
  std::unordered_set<std::string_view> target_names;
  for (const auto& t : targets) {
    target_names.insert(t.name);
    auto it = by_target_key.find(t.name);
    if (it == by_target_key.end()) {
      report.missing.push_back(t.name);
      continue;
    }
    const load_source_item& e = *it->second;
    if (!e.loadable || !e.has_shape(t.value.shape())) {
      report.mismatched.push_back({t.name, e.file_key, e.shape_text, e.dtype_text, t.value.shape()});
      continue;
    }
    plan.emplace_back(&t, &e);
  }
  for (const auto& e : source)
    if (!target_names.count(apply_key_map(map, e.file_key))) report.unexpected.push_back(e.file_key);

  if (mode == load_mode::strict && !report.complete())
    throw checkpoint_mismatch(i2i::detail::concat("load_state_dict: '", source_name,
                                                  "' does not match the model (strict load)", report.describe()),
                              report);
  for (const auto& [t, e] : plan) {
    e->copy_to(t->value.values().data());
    report.loaded.push_back(t->name);
  }
  return report;
}

}  // namespace detail

/// Matches the file against `targets` (after renaming file keys with `map`) and copies the loadable
/// tensors into the targets' storage (converted from the file's F16/BF16/F32/F64 to T).
/// strict: throws checkpoint_mismatch (listing every problem) and modifies nothing unless the file and
/// the targets match exactly. partial: loads what matches and returns the report.
/// `missing` and `mismatched` name target keys; `unexpected` names keys as they are in the file.
/// The file's structure is validated completely before the first copy; only a read error while copying
/// (a disk error, a file changed underneath) can leave the targets partly loaded.
template <class T>
load_report load_state_dict(const state_dict<T>& targets, const std::string& path, load_mode mode = load_mode::strict,
                            const key_map& map = {}) {
  const safetensors_reader file(path);
  std::vector<detail::load_source_item> source;
  source.reserve(file.entries().size());
  for (const auto& e : file.entries()) {
    const safetensors_entry* ep = &e;
    source.push_back({e.name, e.shape_string(), std::string(name(e.dtype)), safetensors_reader::readable(e.dtype),
                      [ep](const shape& s) { return ep->has_shape(s); },
                      [ep, &file](void* dst) { file.read_into(*ep, static_cast<T*>(dst)); }});
  }
  return detail::match_and_load(targets, source, path, mode, map);
}

/// The same matching from tensors already in memory (e.g. read_npz of a converted vgg19.npz, or another
/// model's state_dict); `source_name` names the source in messages.
template <class T, class U>
load_report load_state_dict(const state_dict<T>& targets, const state_dict<U>& source_tensors,
                            load_mode mode = load_mode::strict, const key_map& map = {},
                            const std::string& source_name = "state_dict") {
  std::vector<detail::load_source_item> source;
  source.reserve(source_tensors.size());
  for (const auto& e : source_tensors) {
    const named_tensor<U>* ep = &e;
    source.push_back({e.name, e.value.shape().str(), std::string(i2i::name(dtype_of_v<U>)), true,
                      [ep](const shape& s) { return ep->value.shape() == s; },
                      [ep](void* dst) {
                        const U* src = ep->value.values().data();
                        std::copy(src, src + ep->value.numel(), static_cast<T*>(dst));
                      }});
  }
  return detail::match_and_load(targets, source, source_name, mode, map);
}

/// Saves `sd` (in its order) as F32/F64 tensors with `metadata`, atomically. "i2i.format_version" is
/// added unless present.
template <class T>
void save_state_dict(const state_dict<T>& sd, const std::string& path, std::map<std::string, std::string> metadata = {}) {
  detail::check_state_dict("save_state_dict", sd, path);
  metadata.emplace("i2i.format_version", "1");
  std::vector<safetensors_blob> blobs;
  blobs.reserve(sd.size());
  for (const auto& p : sd) blobs.push_back(blob_of(p.name, p.value));
  write_safetensors(path, blobs, metadata, "save_state_dict");
}

/// Every tensor of a file as a new state_dict<T> (file order); all must be floating point of rank <= 4.
template <class T>
state_dict<T> read_state_dict(const std::string& path) {
  const safetensors_reader file(path);
  state_dict<T> out;
  for (const auto& e : file.entries()) out.push_back({e.name, file.read<T>(e.name)});
  return out;
}

/// The "__metadata__" of a checkpoint (without reading any tensor).
inline std::map<std::string, std::string> read_checkpoint_metadata(const std::string& path) {
  return safetensors_reader(path).metadata();
}

/// Reads an integer or floating-point metadata value; io_error naming the file and key when it is
/// absent or not a number.
template <class V>
V metadata_number(const std::map<std::string, std::string>& meta, const std::string& key, const std::string& path) {
  auto it = meta.find(key);
  require<io_error>(it != meta.end(), "checkpoint '", path, "': metadata '", key, "' is missing");
  V v{};
  const char* b = it->second.data();
  const char* e = b + it->second.size();
  auto r = std::from_chars(b, e, v);
  require<io_error>(r.ec == std::errc() && r.ptr == e && b != e, "checkpoint '", path, "': metadata '", key, "' = '",
                    it->second, "' is not a number");
  return v;
}

}  // namespace i2i::io
