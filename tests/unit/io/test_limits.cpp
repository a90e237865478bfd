// Decompression bombs and absurd headers (issue 18): every reader rejects them with an io_error naming
// the file, in well under 0.1 s, before allocating what the header promises. The bombs run in a child
// process whose address space is capped, so an allocation of the promised size would fail there as
// std::bad_alloc (or kill the child) instead of passing unnoticed on a machine with enough memory.
#include <boost/test/unit_test.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <typeinfo>
#include <string>
#include <vector>

#include "i2i/io/idx.hpp"
#include "i2i/io/image.hpp"
#include "i2i/io/limits.hpp"
#include "i2i/io/npy.hpp"
#include "i2i/io/npz.hpp"
#include "i2i/io/safetensors.hpp"
#include "scratch_dir.hpp"
#include "support/crafted_files.hpp"
#include "support/gradcheck.hpp"
#include "support/sanitizer.hpp"

namespace {

int failures = 0;  // counted here too: a forked child reports them through its exit status

/// Runs `read` and requires an io_error whose message names `path` and every part, within 0.1 s.
void expect_rejected(const std::function<void()>& read, const std::string& path, std::initializer_list<std::string> parts) {
  const auto start = std::chrono::steady_clock::now();
  std::string msg;
  try {
    read();
  } catch (const i2i::io_error& e) {
    msg = e.what();
  } catch (const std::exception& e) {
    BOOST_ERROR("'" << path << "': threw " << typeid(e).name() << " (" << e.what() << "), not i2i::io_error");
    ++failures;
    return;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  BOOST_TEST_MESSAGE("rejected in " << s * 1e3 << " ms: " << msg);
  const auto check = [](bool ok, const std::string& what) {
    BOOST_TEST(ok, what);
    failures += !ok;
  };
  check(!msg.empty(), "'" + path + "' was accepted");
  check(msg.find(path) != std::string::npos, "message \"" + msg + "\" does not name the file");
  for (const auto& p : parts) check(msg.find(p) != std::string::npos, "message \"" + msg + "\" lacks \"" + p + "\"");
  check(s < 0.1, "'" + path + "' took " + std::to_string(s) + " s to reject");
}

/// Runs `body` in a child whose address space may grow by at most `headroom` bytes over its current
/// size; the child's Boost checks are lost, so it reports failure through its exit status.
void with_capped_memory(std::uint64_t headroom, const std::function<void()>& body) {
  if (i2i::test::under_sanitizer) {  // the sanitizers reserve terabytes of address space: no cap possible
    body();
    return;
  }
  const pid_t pid = ::fork();
  BOOST_TEST_REQUIRE(pid >= 0);
  if (pid == 0) {
    std::uint64_t vm = 0;
    if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
      unsigned long long pages = 0;
      if (std::fscanf(f, "%llu", &pages) == 1) vm = pages * std::uint64_t(::sysconf(_SC_PAGESIZE));
      std::fclose(f);
    }
    rlimit cap{rlim_t(vm + headroom), rlim_t(vm + headroom)};
    ::setrlimit(RLIMIT_AS, &cap);
    failures = 0;
    try {
      body();
    } catch (...) {
      failures = 1;
    }
    ::_exit(failures == 0 ? 0 : 1);
  }
  int status = 0;
  BOOST_TEST_REQUIRE(::waitpid(pid, &status, 0) == pid);
  BOOST_TEST(WIFEXITED(status), "the child died (signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0)
                                                          << "): an allocation beyond the cap?");
  const bool passed = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  BOOST_TEST(passed, "a rejection failed in the capped child (see its log)");
}

constexpr std::uint64_t cap = std::uint64_t(256) << 20;  // far below every promise below

}  // namespace

BOOST_AUTO_TEST_SUITE(limits)

BOOST_AUTO_TEST_CASE(png_bombs_are_rejected_before_allocation) {
  i2i::test::scratch_dir tmp;
  const std::string huge = tmp / "huge.png", under = tmp / "under_limit.png", deep = tmp / "deep16.png";
  i2i::test::write_bytes(huge, i2i::test::png_bomb(32768, 32768));         // 3 GB RGB8, above the pixel limit
  i2i::test::write_bytes(under, i2i::test::png_bomb(8000, 8000));          // 192 MB, under it: the file bounds it
  i2i::test::write_bytes(deep, i2i::test::png_bomb(8000, 8000, 0, 16));    // 16-bit grey instance map
  BOOST_TEST(i2i::test::read_bytes(huge).size() < 70u);
  with_capped_memory(cap, [&] {
    expect_rejected([&] { i2i::io::read_png(huge); }, huge, {"read_png", "32768x32768", "limit of 67108864 pixels"});
    expect_rejected([&] { i2i::io::read_image(huge, 3); }, huge, {"32768x32768"});
    expect_rejected([&] { i2i::io::read_png(under); }, under, {"8000x8000", "inflate to at most"});
    expect_rejected([&] { i2i::io::read_png16(deep); }, deep, {"read_png16", "inflate to at most"});
  });
}

BOOST_AUTO_TEST_CASE(jpeg_bombs_are_rejected_before_allocation) {
  i2i::test::scratch_dir tmp;
  const std::string small = tmp / "small.jpg", huge = tmp / "huge.jpg", under = tmp / "under_limit.jpg";
  i2i::io::image img(16, 16, 3, 128);
  i2i::io::write_jpeg(small, img);
  const auto jpeg = i2i::test::read_bytes(small);
  i2i::test::write_bytes(huge, i2i::test::jpeg_with_size(jpeg, 65000, 65000));  // 4.2 Gpx
  i2i::test::write_bytes(under, i2i::test::jpeg_with_size(jpeg, 8000, 8000));   // 64 Mpx in a few hundred bytes
  with_capped_memory(cap, [&] {
    expect_rejected([&] { i2i::io::read_jpeg(huge); }, huge, {"read_jpeg", "65000x65000", "limit of"});
    expect_rejected([&] { i2i::io::read_image(huge); }, huge, {"65000x65000"});
    expect_rejected([&] { i2i::io::read_jpeg(under); }, under, {"read_jpeg", "truncated"});
  });
}

BOOST_AUTO_TEST_CASE(idx_headers_promising_gigabytes_are_rejected_before_allocation) {
  i2i::test::scratch_dir tmp;
  const std::string g3 = tmp / "3GiB-idx3-ubyte", g16 = tmp / "16GiB-idx3-ubyte", t1 = tmp / "1TiB-idx3-ubyte",
                    gz = tmp / "3GiB-idx3-ubyte.gz";
  i2i::test::write_bytes(g3, i2i::test::idx_bomb({3, 1024, 1024, 1024}));
  i2i::test::write_bytes(g16, i2i::test::idx_bomb({16, 1024, 1024, 1024}));
  i2i::test::write_bytes(t1, i2i::test::idx_bomb({1024, 1024, 1024, 1024}));
  {
    const auto raw = i2i::test::idx_bomb({3, 1024, 1024, 1024}, 4096);
    gzFile f = gzopen(gz.c_str(), "wb");
    BOOST_TEST_REQUIRE(f != nullptr);
    BOOST_TEST_REQUIRE(gzwrite(f, raw.data(), unsigned(raw.size())) == int(raw.size()));
    BOOST_TEST_REQUIRE(gzclose(f) == Z_OK);
  }
  with_capped_memory(cap, [&] {
    expect_rejected([&] { i2i::io::read_idx(g3); }, g3, {"truncated", "3221225472 bytes", "found 16"});
    expect_rejected([&] { i2i::io::read_idx(g16); }, g16, {"17179869184 bytes", "limit of 4294967296"});
    expect_rejected([&] { i2i::io::read_idx(t1); }, t1, {"limit of 4294967296"});
    expect_rejected([&] { i2i::io::read_idx(gz); }, gz, {"3221225472 bytes", "inflate to at most"});
  });
}

BOOST_AUTO_TEST_CASE(npy_and_safetensors_with_huge_shapes_are_rejected) {
  i2i::test::scratch_dir tmp;
  const std::string overflow = tmp / "overflow.npy", tera = tmp / "tera.npy", st_overflow = tmp / "overflow.safetensors",
                    st_tera = tmp / "tera.safetensors";
  i2i::test::write_bytes(overflow,
                         i2i::test::npy_with_header("{'descr': '|u1', 'fortran_order': False, 'shape': (4611686018427387904, 2, 0), }"));
  i2i::test::write_bytes(tera, i2i::test::npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }", 64));
  i2i::test::write_bytes(st_overflow, i2i::test::safetensors_with_header(
                                          R"({"w":{"dtype":"U8","shape":[4611686018427387904,2,0],"data_offsets":[0,0]}})"));
  i2i::test::write_bytes(st_tera, i2i::test::safetensors_with_header(
                                      R"({"w":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,4398046511104]}})", 64));
  with_capped_memory(cap, [&] {
    expect_rejected([&] { i2i::io::read_npy<float>(overflow); }, overflow, {"overflows 64 bits"});
    expect_rejected([&] { i2i::io::read_npy<double>(tera); }, tera, {"4398046511104 bytes", "truncated"});
    expect_rejected([&] { i2i::io::safetensors_reader r(st_overflow); }, st_overflow, {"tensor 'w'", "overflows 64 bits"});
    expect_rejected([&] { i2i::io::safetensors_reader r(st_tera); }, st_tera, {"tensor 'w'", "run past the data section"});
  });
}

BOOST_AUTO_TEST_CASE(the_limits_are_configurable_and_name_themselves) {
  i2i::test::scratch_dir tmp;
  const std::string png = tmp / "a.png", npy = tmp / "a.npy", st = tmp / "a.safetensors", idx = tmp / "a-idx1-ubyte";
  i2i::io::write_png(png, i2i::io::image(64, 32, 3, 7));
  i2i::io::write_npy(npy, i2i::tensor<float>::zeros({16, 16}));
  i2i::io::write_safetensors(st, {i2i::io::blob_of("w", i2i::tensor<float>::zeros({16, 16}))});
  i2i::io::write_idx(idx, std::vector<std::uint32_t>{1024}, std::vector<std::uint8_t>(1024, 1));

  const auto pixels = i2i::io::max_image_pixels();
  const auto bytes = i2i::io::max_array_bytes();
  i2i::io::set_max_image_pixels(2047);
  expect_rejected([&] { i2i::io::read_png(png); }, png, {"64x32", "2048 pixels", "limit of 2047 pixels", "I2I_MAX_IMAGE_PIXELS"});
  i2i::io::set_max_image_pixels(2048);
  BOOST_TEST(i2i::io::read_png(png).width == 64);

  i2i::io::set_max_array_bytes(1023);
  expect_rejected([&] { i2i::io::read_npy<float>(npy); }, npy, {"1024 bytes", "limit of 1023", "I2I_MAX_ARRAY_BYTES"});
  expect_rejected([&] { i2i::io::safetensors_reader(st).read<float>("w"); }, st, {"tensor 'w'", "limit of 1023"});
  expect_rejected([&] { i2i::io::read_idx(idx); }, idx, {"limit of 1023"});
  i2i::io::set_max_array_bytes(1024);
  BOOST_TEST(i2i::io::read_npy<float>(npy).numel() == 256);
  BOOST_TEST(i2i::io::read_idx(idx).data.size() == 1024u);
  // A float file read as double needs twice its bytes: the limit counts the converted array.
  expect_rejected([&] { i2i::io::read_npy<double>(npy); }, npy, {"2048 bytes", "limit of 1024"});

  i2i::io::set_max_image_pixels(pixels);
  i2i::io::set_max_array_bytes(bytes);
  i2i::test::expect_error<i2i::value_error>([] { i2i::io::set_max_image_pixels(0); }, {"positive"});
}

BOOST_AUTO_TEST_CASE(shapes_whose_element_count_overflows_are_refused) {
  i2i::test::expect_error<i2i::shape_error>([] { i2i::shape{std::int64_t(1) << 62, 2, 0}; }, {"overflow"});
  BOOST_TEST((i2i::shape{0, std::int64_t(1) << 62, 1}.numel() == 0));
}

BOOST_AUTO_TEST_SUITE_END()
