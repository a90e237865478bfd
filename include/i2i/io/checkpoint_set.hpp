#pragma once
// checkpoint_set: a training checkpoint (networks, optimizer states, image pool, schedule position) as one
// consistent set. Each file is already atomic (atomic_file), but a trainer writes several files one
// after the other, so a crash between two of them used to leave G at iteration k and an optimizer at
// k - 1, which a resume took without a word. Here the set is committed as a whole:
//
//   {
//     io::checkpoint_set_writer set(dir, "latest");        // records every atomic_file commit in dir
//     save_model(G, dir / "latest_net_G.safetensors");     // ... every file of the set, any writer
//     set.commit({{"total_iterations", "340"}});           // checksums, then the manifest, then the kept copy
//   }
//   io::recover_checkpoint_set(dir, "latest");             // before a resume: a complete set, or an io_error
//
// - The manifest `<dir>/<name>_manifest.txt` (text, written last and atomically) names the set, a
//   sequence number, the caller's info (e.g. the iteration) and each file's size and CRC-32 (zlib's). A
//   set is complete when every file it names has that size and checksum.
// - After each commit the set's files and manifest are hard-linked into `<dir>/<name>.kept/` (as
//   `<file>.kept`, so that tools globbing `*.safetensors` do not count them twice). Writers replace files
//   by rename, never in place, so the kept links still hold the last complete set while the next one is
//   being written; at rest they share the files' storage. The folder is built under a temporary name and
//   swapped in atomically (renameat2 RENAME_EXCHANGE).
// - recover_checkpoint_set: a complete set is used as it is; a mixed or incomplete one (a save that was
//   killed) is reported with what differs and replaced by the kept set (each file linked back and renamed
//   into place, the manifest last); without a complete kept set it is an io_error. A folder with neither a
//   manifest nor a kept set is a checkpoint written before sets existed: it loads as before, and the log
//   says so once.
// - Temporary files `<path>.tmp.<pid>.<n>` (atomic_file's, and the kept folder under construction) whose
//   writer process is dead are removed when a set is written or recovered. Live writers' files are kept:
//   the check is kill(pid, 0), so the folder must not be shared by writers on several machines.
// POSIX (Linux: renameat2), like atomic_file.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/io/atomic_file.hpp"
#include "i2i/io/checkpoint.hpp"

namespace i2i::io {

/// One file of a set: its name inside the set's folder, its size and its CRC-32.
struct checkpoint_file_entry {
  std::string name;
  std::uint64_t size = 0;
  std::uint32_t crc32 = 0;
};

/// What `<name>_manifest.txt` holds.
struct checkpoint_manifest {
  std::string name;
  std::uint64_t sequence = 0;                ///< 1 for a folder's first set, +1 per commit
  std::map<std::string, std::string> info;   ///< the caller's, e.g. {"total_iterations", "340"}
  std::vector<checkpoint_file_entry> files;  ///< in the order they were written

  /// "total_iterations 340, 6 files, sequence 12"
  std::string describe() const {
    std::string s;
    for (const auto& [k, v] : info) s += k + " " + v + ", ";
    return s + std::to_string(files.size()) + " files, sequence " + std::to_string(sequence);
  }

  std::string text() const {
    std::ostringstream o;
    o << "i2i checkpoint set 1\nname " << name << "\nsequence " << sequence << "\n";
    for (const auto& [k, v] : info) o << "info " << k << " " << v << "\n";
    char crc[9];
    for (const auto& f : files) {
      std::snprintf(crc, sizeof crc, "%08x", unsigned(f.crc32));
      o << "file " << f.size << " " << crc << " " << f.name << "\n";
    }
    return o.str();
  }

  /// Parses text(); io_error naming `path` and the line on anything else.
  static checkpoint_manifest parse(const std::string& text, const std::string& path) {
    checkpoint_manifest m;
    std::istringstream in(text);
    std::string line;
    int n = 0;
    auto bad = [&](const std::string& why) {
      throw io_error(i2i::detail::concat("checkpoint manifest '", path, "' line ", n, ": ", why));
    };
    while (std::getline(in, line)) {
      ++n;
      if (n == 1) {
        if (line != "i2i checkpoint set 1") bad("not an i2i checkpoint manifest (version 1)");
        continue;
      }
      const auto sp = line.find(' ');
      const std::string key = line.substr(0, sp), rest = sp == std::string::npos ? "" : line.substr(sp + 1);
      if (key == "name") {
        m.name = rest;
      } else if (key == "sequence") {
        try {
          m.sequence = std::stoull(rest);
        } catch (const std::exception&) {
          bad("sequence '" + rest + "' is not a number");
        }
      } else if (key == "info") {
        const auto s2 = rest.find(' ');
        if (s2 == std::string::npos) bad("info without a value");
        m.info[rest.substr(0, s2)] = rest.substr(s2 + 1);
      } else if (key == "file") {
        std::istringstream f(rest);
        checkpoint_file_entry e;
        std::string crc;
        if (!(f >> e.size >> crc) || crc.size() != 8) bad("expected 'file <size> <crc32> <name>'");
        try {
          e.crc32 = std::uint32_t(std::stoul(crc, nullptr, 16));
        } catch (const std::exception&) {
          bad("crc32 '" + crc + "' is not hexadecimal");
        }
        f.get();
        std::getline(f, e.name);
        if (e.name.empty() || e.name.find('/') != std::string::npos) bad("file name '" + e.name + "' is not a plain name");
        m.files.push_back(std::move(e));
      } else if (!line.empty()) {
        bad("unknown entry '" + key + "'");
      }
    }
    if (n == 0) bad("empty file");
    if (m.files.empty()) bad("names no file");
    return m;
  }
};

inline std::filesystem::path checkpoint_manifest_path(const std::filesystem::path& dir, const std::string& name) {
  return dir / (name + "_manifest.txt");
}
/// The folder that holds the last complete set while the next one is written.
inline std::filesystem::path checkpoint_kept_folder(const std::filesystem::path& dir, const std::string& name) {
  return dir / (name + ".kept");
}

/// Size and CRC-32 (zlib) of a file, read in 1 MiB pieces.
inline checkpoint_file_entry checksum_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  require<io_error>(bool(in), "checkpoint set: cannot read '", path.string(), "'");
  checkpoint_file_entry e{path.filename().string(), 0, 0};
  std::vector<char> buf(std::size_t(1) << 20);
  uLong crc = ::crc32(0L, Z_NULL, 0);
  while (in) {
    in.read(buf.data(), std::streamsize(buf.size()));
    const auto got = in.gcount();
    if (got <= 0) break;
    crc = ::crc32_z(crc, reinterpret_cast<const Bytef*>(buf.data()), z_size_t(got));
    e.size += std::uint64_t(got);
  }
  require<io_error>(!in.bad(), "checkpoint set: error while reading '", path.string(), "'");
  e.crc32 = std::uint32_t(crc);
  return e;
}

/// Removes what killed writers left in `dir` (not below it): files and folders named
/// `<anything>.tmp.<pid>.<n>` whose process `pid` no longer exists. Returns how many were removed.
inline int remove_stale_temporaries(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return 0;
  std::vector<fs::path> stale;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string n = entry.path().filename().string();
    // <base>.tmp.<digits>.<digits>
    const auto last = n.rfind('.');
    if (last == std::string::npos || last + 1 == n.size()) continue;
    const auto mid = n.rfind('.', last - 1);
    if (mid == std::string::npos || mid < 4 || n.compare(mid - 4, 4, ".tmp") != 0) continue;
    const std::string pid_text = n.substr(mid + 1, last - mid - 1), count = n.substr(last + 1);
    const auto digits = [](const std::string& s) {
      return !s.empty() && s.size() < 19 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (!digits(pid_text) || !digits(count)) continue;
    const long long pid = std::stoll(pid_text);
    if (pid <= 0 || pid == ::getpid()) continue;
    // ESRCH: no such process. EPERM (another user's live process) or success: keep it.
    if (::kill(pid_t(pid), 0) == 0 || errno != ESRCH) continue;
    stale.push_back(entry.path());
  }
  int removed = 0;
  for (const auto& p : stale) {
    fs::remove_all(p, ec);
    if (!ec) ++removed;
  }
  return removed;
}

namespace detail {
inline std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  require<io_error>(bool(in), "checkpoint set: cannot read '", path.string(), "'");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// What differs between `m` and the files in `folder` (named entry.name + suffix); empty: none.
inline std::vector<std::string> checkpoint_set_differences(const checkpoint_manifest& m, const std::filesystem::path& folder,
                                                           const std::string& suffix) {
  std::vector<std::string> out;
  char want[64], got[64];
  for (const auto& f : m.files) {
    const auto p = folder / (f.name + suffix);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec)) {
      out.push_back("'" + f.name + "' is missing");
      continue;
    }
    const auto e = checksum_file(p);
    if (e.size == f.size && e.crc32 == f.crc32) continue;
    std::snprintf(want, sizeof want, "size %llu, crc32 %08x", (unsigned long long)f.size, unsigned(f.crc32));
    std::snprintf(got, sizeof got, "size %llu, crc32 %08x", (unsigned long long)e.size, unsigned(e.crc32));
    std::string d = "'" + f.name + "' differs (" + got + "; the manifest says " + want + ")";
    // Name the iteration the file was written at when its own metadata carries the manifest's keys.
    if (p.extension() == ".safetensors") try {
        const auto meta = read_checkpoint_metadata(p.string());
        for (const auto& [k, v] : m.info)
          if (auto it = meta.find(k); it != meta.end() && it->second != v) d += "; its " + k + " is " + it->second;
      } catch (const error&) {
        d += "; it is not a readable safetensors file";
      }
    out.push_back(std::move(d));
  }
  return out;
}

inline std::string joined(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : "; ") + i;
  return s;
}

/// Replaces `to` by a hard link to `from` (atomically: link to a temporary name, rename); copies where
/// the file system has no hard links.
inline void link_into_place(const std::filesystem::path& from, const std::filesystem::path& to) {
  // Already the kept file (a file the interrupted save had not replaced yet): nothing to do. rename()
  // between two links of one file would do nothing and leave the temporary link behind.
  std::error_code ec;
  if (std::filesystem::equivalent(from, to, ec)) return;
  const std::string tmp = temporary_path(to.string());
  if (::link(from.c_str(), tmp.c_str()) != 0) {
    std::filesystem::copy_file(from, tmp, ec);
    require<io_error>(!ec, "checkpoint set: cannot link or copy '", from.string(), "' to '", tmp, "': ", ec.message());
  }
  if (::rename(tmp.c_str(), to.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw io_error(i2i::detail::concat("checkpoint set: cannot rename '", tmp, "' to '", to.string(), "': ",
                                       std::strerror(err)));
  }
}
}  // namespace detail

namespace detail {
/// Hard links of the set `m` and its manifest in a fresh folder, swapped with `<name>.kept` in one step.
inline void keep_set(const std::filesystem::path& dir, const std::string& name, const checkpoint_manifest& m) {
  namespace fs = std::filesystem;
  const auto kept = checkpoint_kept_folder(dir, name);
  const fs::path tmp = temporary_path(kept.string());
  fs::create_directory(tmp);
  const auto link = [&](const fs::path& from, const std::string& as) {
    if (::link(from.c_str(), (tmp / as).c_str()) == 0) return;
    std::error_code ec;
    fs::copy_file(from, tmp / as, ec);
    require<io_error>(!ec, "checkpoint set '", name, "': cannot keep '", from.string(), "' in '", tmp.string(), "': ",
                      ec.message(), " (the set itself is complete)");
  };
  for (const auto& f : m.files) link(dir / f.name, f.name + ".kept");
  const auto mpath = checkpoint_manifest_path(dir, name);
  link(mpath, mpath.filename().string() + ".kept");
  fsync_folder(tmp);
  std::error_code ec;
  if (fs::exists(kept, ec)) {
    // One step: at no moment is there no kept set. The old one ends up under the temporary name.
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, kept.c_str(), RENAME_EXCHANGE) != 0) {
      const int err = errno;
      fs::remove_all(tmp, ec);
      throw io_error(i2i::detail::concat("checkpoint set '", name, "': cannot replace '", kept.string(), "': ",
                                         std::strerror(err), " (the set itself is complete)"));
    }
    fs::remove_all(tmp, ec);
  } else if (::rename(tmp.c_str(), kept.c_str()) != 0) {
    const int err = errno;
    fs::remove_all(tmp, ec);
    throw io_error(i2i::detail::concat("checkpoint set '", name, "': cannot create '", kept.string(), "': ",
                                       std::strerror(err), " (the set itself is complete)"));
  }
  fsync_folder(dir);
}

/// A process killed after a manifest was committed but before the kept set was refreshed leaves the
/// kept set one behind; were the next save killed too, recovery would go back two sets. So before a set
/// is written or resumed, a kept set whose manifest is not the one in place is refreshed, provided the
/// set in place is complete. Costs two small reads when they agree (every save of a healthy run).
inline void refresh_stale_kept_set(const std::filesystem::path& dir, const std::string& name);
}  // namespace detail

/// The state of a set in its folder.
enum class checkpoint_set_state {
  complete,  ///< the manifest's files are all there with their sizes and checksums
  legacy,    ///< no manifest and no kept set: written before checkpoint sets (loads unchecked)
  mixed,     ///< a file differs or is missing, or the manifest is missing or unreadable
  restored,  ///< was mixed; the kept set has been put back in place (recover_checkpoint_set)
};

struct checkpoint_set_status {
  checkpoint_set_state state = checkpoint_set_state::legacy;
  std::optional<checkpoint_manifest> manifest;  ///< of the set now in place (none: legacy or mixed)
  std::string message;                          ///< what was found (empty when complete)
};

/// Checks the set `name` in `dir` against its manifest; reads, never writes.
inline checkpoint_set_status verify_checkpoint_set(const std::filesystem::path& dir, const std::string& name) {
  namespace fs = std::filesystem;
  checkpoint_set_status s;
  const auto mpath = checkpoint_manifest_path(dir, name);
  std::error_code ec;
  if (!fs::exists(mpath, ec)) {
    if (fs::exists(checkpoint_kept_folder(dir, name), ec)) {
      s.state = checkpoint_set_state::mixed;
      s.message = "its manifest '" + mpath.string() + "' is missing";
    } else {
      s.state = checkpoint_set_state::legacy;
      s.message = "'" + dir.string() + "' has no '" + mpath.filename().string() +
                  "': a checkpoint written before checkpoint sets (or by another tool); it loads without the "
                  "consistency check";
    }
    return s;
  }
  checkpoint_manifest m;
  try {
    m = checkpoint_manifest::parse(detail::read_text_file(mpath), mpath.string());
  } catch (const io_error& e) {
    s.state = checkpoint_set_state::mixed;
    s.message = e.what();
    return s;
  }
  const auto diff = detail::checkpoint_set_differences(m, dir, "");
  if (diff.empty()) {
    s.state = checkpoint_set_state::complete;
    s.manifest = std::move(m);
    return s;
  }
  s.state = checkpoint_set_state::mixed;
  s.message = "the files are not the set its manifest names (" + m.describe() + "): " + detail::joined(diff);
  return s;
}

inline void detail::refresh_stale_kept_set(const std::filesystem::path& dir, const std::string& name) {
  namespace fs = std::filesystem;
  const auto mpath = checkpoint_manifest_path(dir, name);
  const auto kept_manifest = checkpoint_kept_folder(dir, name) / (mpath.filename().string() + ".kept");
  std::error_code ec;
  if (!fs::exists(mpath, ec)) return;
  if (fs::exists(kept_manifest, ec) && read_text_file(kept_manifest) == read_text_file(mpath)) return;
  const auto s = verify_checkpoint_set(dir, name);
  if (s.state == checkpoint_set_state::complete) keep_set(dir, name, *s.manifest);
}

/// For a resume: removes dead writers' temporary files, then verifies the set; a mixed or incomplete set
/// is replaced by the kept one (logged with what differed) or, without a complete kept set, is an
/// io_error naming what differs. A legacy folder is logged once and left as it is.
inline checkpoint_set_status recover_checkpoint_set(const std::filesystem::path& dir, const std::string& name,
                                                    const std::function<void(const std::string&)>& log = {}) {
  namespace fs = std::filesystem;
  const auto say = [&](const std::string& s) {
    if (log) log(s);
    else std::clog << s << std::endl;
  };
  if (const int n = remove_stale_temporaries(dir); n > 0)
    say(i2i::detail::concat("checkpoint set '", name, "': removed ", n, " temporary file(s) of killed writers in '",
                            dir.string(), "'"));
  auto s = verify_checkpoint_set(dir, name);
  if (s.state == checkpoint_set_state::legacy) say("checkpoint set '" + name + "': " + s.message);
  if (s.state == checkpoint_set_state::complete) detail::refresh_stale_kept_set(dir, name);
  if (s.state != checkpoint_set_state::mixed) return s;

  const std::string what = "checkpoint set '" + name + "' in '" + dir.string() + "' is not complete (a save was interrupted?): " + s.message;
  const auto kept = checkpoint_kept_folder(dir, name);
  const auto kept_manifest = kept / (checkpoint_manifest_path(dir, name).filename().string() + ".kept");
  checkpoint_manifest m;
  std::error_code ec;
  if (!fs::exists(kept_manifest, ec))
    throw io_error(what + "; no complete earlier set is kept ('" + kept_manifest.string() + "' does not exist)");
  try {
    m = checkpoint_manifest::parse(detail::read_text_file(kept_manifest), kept_manifest.string());
  } catch (const io_error& e) {
    throw io_error(what + "; the kept set is unusable too: " + e.what());
  }
  if (const auto diff = detail::checkpoint_set_differences(m, kept, ".kept"); !diff.empty())
    throw io_error(what + "; the kept set in '" + kept.string() + "' is not complete either: " + detail::joined(diff));
  for (const auto& f : m.files) detail::link_into_place(kept / (f.name + ".kept"), dir / f.name);
  detail::link_into_place(kept_manifest, checkpoint_manifest_path(dir, name));  // last: the set is whole again
  if (const int err = detail::fsync_folder(dir); err != 0)
    throw io_error(i2i::detail::concat("checkpoint set: cannot flush '", dir.string(), "' to disk: ", std::strerror(err)));
  s = verify_checkpoint_set(dir, name);
  require<io_error>(s.state == checkpoint_set_state::complete, what, "; restoring the kept set failed: ", s.message);
  s.state = checkpoint_set_state::restored;
  s.message = what + "; restored the last complete set (" + m.describe() + ") from '" + kept.string() + "'";
  say(s.message);
  return s;
}

/// Writes one set: from construction to commit(), every file that atomic_file commits in `dir` on this
/// thread (save_model, save_state_dict, save_adam_state, image_pool::save, ...) belongs to the set.
/// Destroyed without commit() (an exception while saving), the manifest in place stays the previous
/// set's, so the half-written set reads as mixed and the kept one is restored on resume.
class checkpoint_set_writer {
 public:
  checkpoint_set_writer(std::filesystem::path dir, std::string name) : dir_(std::move(dir)), name_(std::move(name)) {
    auto*& active = detail::atomic_file_commit_observer();
    require<value_error>(active == nullptr, "checkpoint_set_writer '", name_, "': another set is being written on this thread");
    std::filesystem::create_directories(dir_);
    remove_stale_temporaries(dir_);
    detail::refresh_stale_kept_set(dir_, name_);
    const auto here = std::filesystem::absolute(dir_).lexically_normal();
    record_ = [this, here](const std::string& path) {
      const auto p = std::filesystem::absolute(path).lexically_normal();
      if (p.parent_path() != here) return;  // not in the set's folder: not part of it
      const std::string f = p.filename().string();
      if (std::find(files_.begin(), files_.end(), f) == files_.end()) files_.push_back(f);
    };
    active = &record_;
  }
  checkpoint_set_writer(const checkpoint_set_writer&) = delete;
  checkpoint_set_writer& operator=(const checkpoint_set_writer&) = delete;
  ~checkpoint_set_writer() { stop_recording(); }

  /// The files recorded so far, in the order they were written.
  const std::vector<std::string>& files() const { return files_; }

  /// Checksums the recorded files, writes the manifest (atomically, last) and refreshes the kept set.
  /// Returns the manifest.
  checkpoint_manifest commit(std::map<std::string, std::string> info = {}) {
    namespace fs = std::filesystem;
    stop_recording();
    require<value_error>(!files_.empty(), "checkpoint set '", name_, "': nothing was written into '", dir_.string(), "'");
    checkpoint_manifest m;
    m.name = name_;
    m.info = std::move(info);
    const auto mpath = checkpoint_manifest_path(dir_, name_);
    std::error_code ec;
    if (fs::exists(mpath, ec)) try {
        m.sequence = checkpoint_manifest::parse(detail::read_text_file(mpath), mpath.string()).sequence;
      } catch (const io_error&) {
      }
    ++m.sequence;
    for (const auto& f : files_) m.files.push_back(checksum_file(dir_ / f));
    {
      const std::string text = m.text();
      atomic_file out(mpath.string(), "checkpoint set '" + name_ + "'");
      out.write(text.data(), text.size());
      out.commit();
    }
    detail::keep_set(dir_, name_, m);
    return m;
  }

 private:
  void stop_recording() {
    auto*& active = detail::atomic_file_commit_observer();
    if (active == &record_) active = nullptr;
  }

  std::filesystem::path dir_;
  std::string name_;
  std::vector<std::string> files_;
  std::function<void(const std::string&)> record_;
};

}  // namespace i2i::io
