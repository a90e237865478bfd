// IDX reading: fixtures written by the tests themselves (raw and gzip), every way a file can be bad,
// and the real MNIST files when cmake/fetch_mnist.sh has put them in the data folder.
#include <boost/test/unit_test.hpp>

#include <zlib.h>

#include <cstdlib>
#include <filesystem>

#include "i2i/io/idx.hpp"
#include "support/gradcheck.hpp"
#include "unit/io/scratch_dir.hpp"

namespace {

std::vector<std::uint8_t> pattern(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = std::uint8_t((i * 37 + 11) % 256);
  return v;
}

std::vector<unsigned char> header(unsigned type, std::vector<std::uint32_t> dims) {
  std::vector<unsigned char> h{0, 0, static_cast<unsigned char>(type), static_cast<unsigned char>(dims.size())};
  for (auto d : dims)
    for (int s = 24; s >= 0; s -= 8) h.push_back(static_cast<unsigned char>(d >> s));
  return h;
}

void write_gz(const std::string& path, const std::vector<unsigned char>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  BOOST_TEST_REQUIRE(f != nullptr);
  BOOST_TEST_REQUIRE(gzwrite(f, bytes.data(), unsigned(bytes.size())) == int(bytes.size()));
  BOOST_TEST_REQUIRE(gzclose(f) == Z_OK);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(idx)

BOOST_AUTO_TEST_CASE(raw_round_trip_keeps_dims_and_bytes) {
  i2i::test::scratch_dir tmp;
  const std::vector<std::uint32_t> dims{5, 7, 3};
  const auto data = pattern(5 * 7 * 3);
  i2i::io::write_idx(tmp / "images-idx3-ubyte", dims, data);
  const auto r = i2i::io::read_idx(tmp / "images-idx3-ubyte");
  BOOST_TEST(r.dims == dims, boost::test_tools::per_element());
  BOOST_TEST(r.data == data, boost::test_tools::per_element());
  BOOST_TEST(r.count() == 5u);
  BOOST_TEST(r.item_size() == 21u);
  // The header is big-endian u32: check the bytes, not only our own reader.
  const auto bytes = i2i::test::read_bytes(tmp / "images-idx3-ubyte");
  BOOST_TEST_REQUIRE(bytes.size() == 16u + data.size());
  BOOST_TEST(std::vector<unsigned char>(bytes.begin(), bytes.begin() + 16) == header(0x08, dims),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(gzip_file_reads_like_the_raw_one) {
  i2i::test::scratch_dir tmp;
  const auto data = pattern(300);
  auto bytes = header(0x08, {300});
  bytes.insert(bytes.end(), data.begin(), data.end());
  write_gz(tmp / "labels-idx1-ubyte.gz", bytes);
  const auto r = i2i::io::read_idx(tmp / "labels-idx1-ubyte.gz");
  BOOST_TEST(r.dims == std::vector<std::uint32_t>{300}, boost::test_tools::per_element());
  BOOST_TEST(r.data == data, boost::test_tools::per_element());
  const auto labels = i2i::io::idx_labels(r);
  BOOST_TEST(labels.size() == 300u);
  BOOST_TEST(labels[299] == int(data[299]));
}

BOOST_AUTO_TEST_CASE(images_become_nchw_tensors_in_minus_one_one) {
  i2i::test::scratch_dir tmp;
  std::vector<std::uint8_t> data(4 * 3 * 2);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = std::uint8_t(i * 11);
  data[0] = 0;
  data[1] = 255;
  i2i::io::write_idx(tmp / "x", std::vector<std::uint32_t>{4, 3, 2}, data);
  const auto r = i2i::io::read_idx(tmp / "x", std::vector<std::uint32_t>{3, 2});
  const auto all = i2i::io::idx_images(r);
  BOOST_TEST(all.shape() == i2i::shape::nchw(4, 1, 3, 2));
  BOOST_TEST(all[0] == -1.0f);
  BOOST_TEST(all[1] == 1.0f);
  for (std::size_t i = 0; i < data.size(); ++i) BOOST_TEST(all[std::int64_t(i)] == float(data[i]) / 127.5f - 1.0f);
  const auto some = i2i::io::idx_images(r, 1, 2);
  BOOST_TEST(some.shape() == i2i::shape::nchw(2, 1, 3, 2));
  BOOST_TEST(some.at(1, 0, 2, 1) == all.at(2, 0, 2, 1));
  i2i::test::expect_error<i2i::value_error>([&] { (void)i2i::io::idx_images(r, 3, 2); }, {"idx_images", "exceed", "4 items"});
  i2i::test::expect_error<i2i::shape_error>([&] { (void)i2i::io::idx_labels(r); }, {"idx_labels", "3 dimensions"});
}

BOOST_AUTO_TEST_CASE(missing_file_names_the_file) {
  i2i::test::scratch_dir tmp;
  const std::string p = tmp / "no-such-file-idx3-ubyte";
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_idx(p); }, {"read_idx", p, "cannot open"});
}

BOOST_AUTO_TEST_CASE(truncated_data_is_an_error_naming_the_file) {
  i2i::test::scratch_dir tmp;
  const std::string p = tmp / "short";
  i2i::io::write_idx(p, std::vector<std::uint32_t>{10, 4, 4}, pattern(160));
  i2i::test::truncate_file(p, 16 + 100);
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_idx(p); }, {p, "truncated", "160 bytes", "found 100"});
  i2i::test::truncate_file(p, 9);  // inside the header
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_idx(p); }, {p, "truncated inside its header"});
  i2i::test::truncate_file(p, 2);
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_idx(p); }, {p, "truncated", "magic"});
}

BOOST_AUTO_TEST_CASE(truncated_gzip_is_an_error_naming_the_file) {
  i2i::test::scratch_dir tmp;
  const std::string p = tmp / "cut.gz";
  auto bytes = header(0x08, {2000});
  const auto data = pattern(2000);
  bytes.insert(bytes.end(), data.begin(), data.end());
  write_gz(p, bytes);
  i2i::test::truncate_file(p, i2i::test::read_bytes(p).size() / 2);
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_idx(p); }, {"read_idx", p});
}

BOOST_AUTO_TEST_CASE(corrupt_headers_are_rejected) {
  i2i::test::scratch_dir tmp;
  const std::string p = tmp / "bad";
  auto with_data = [](std::vector<unsigned char> h, std::size_t n) {
    const auto d = pattern(n);
    h.insert(h.end(), d.begin(), d.end());
    return h;
  };
  i2i::test::write_bytes(p, with_data({0x89, 'P', 'N', 'G', 0, 0, 0, 1}, 4));
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_idx(p); }, {p, "not an IDX file"});
  i2i::test::write_bytes(p, with_data(header(0x0D, {2, 2}), 16));
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_idx(p); }, {p, "float32", "only unsigned byte"});
  i2i::test::write_bytes(p, with_data(header(0x08, {}), 0));
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_idx(p); }, {p, "0 dimensions"});
  i2i::test::write_bytes(p, with_data(header(0x08, {3, 0}), 0));
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_idx(p); }, {p, "dimension 1 is 0"});
  i2i::test::write_bytes(p, with_data(header(0x08, {0xFFFFFFFFu, 0xFFFFFFFFu}), 8));
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_idx(p); }, {p, "absurd size"});
  i2i::test::write_bytes(p, with_data(header(0x08, {2, 3}), 7));
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_idx(p); }, {p, "bytes after the 6 bytes"});
}

BOOST_AUTO_TEST_CASE(unexpected_item_size_names_both_sizes) {
  i2i::test::scratch_dir tmp;
  const std::string p = tmp / "wrong-size";
  i2i::io::write_idx(p, std::vector<std::uint32_t>{2, 20, 20}, pattern(800));
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_idx(p, std::vector<std::uint32_t>{28, 28}); },
                                    {p, "items of 20x20", "expected 28x28"});
}

BOOST_AUTO_TEST_CASE(write_idx_checks_its_arguments) {
  i2i::test::scratch_dir tmp;
  i2i::test::expect_error<i2i::value_error>(
      [&] { i2i::io::write_idx(tmp / "w", std::vector<std::uint32_t>{2, 2}, pattern(3)); }, {"write_idx", "4 bytes", "3"});
  const std::string nowhere = tmp / "missing-dir/file";
  i2i::test::expect_error<i2i::io_error>([&] { i2i::io::write_idx(nowhere, std::vector<std::uint32_t>{1}, pattern(1)); },
                                    {"write_idx", nowhere, "cannot create"});
}

BOOST_AUTO_TEST_CASE(real_mnist_when_fetched) {
  const char* env = std::getenv("I2I_DATA_DIR");
  const std::filesystem::path dir = std::filesystem::path(env ? env : I2I_DEFAULT_DATA_DIR) / "mnist";
  if (!std::filesystem::exists(dir / "train-labels-idx1-ubyte")) {
    BOOST_TEST_MESSAGE("skipping the real-MNIST check: " << dir.string()
                                                         << " has no MNIST (run cmake/fetch_mnist.sh)");
    return;
  }
  const auto labels = i2i::io::read_idx((dir / "train-labels-idx1-ubyte").string());
  BOOST_TEST(labels.dims == std::vector<std::uint32_t>{60000}, boost::test_tools::per_element());
  const std::vector<std::uint8_t> first{5, 0, 4, 1, 9, 2, 1, 3, 1, 4};  // the canonical MNIST order
  BOOST_TEST(std::vector<std::uint8_t>(labels.data.begin(), labels.data.begin() + 10) == first,
             boost::test_tools::per_element());
  const auto images = i2i::io::read_idx((dir / "t10k-images-idx3-ubyte").string(), std::vector<std::uint32_t>{28, 28});
  BOOST_TEST(images.count() == 10000u);
  const auto x = i2i::io::idx_images(images, 0, 8);
  BOOST_TEST(x.shape() == i2i::shape::nchw(8, 1, 28, 28));
  BOOST_TEST(x.at(0, 0, 0, 0) == -1.0f);  // MNIST borders are background
}

BOOST_AUTO_TEST_SUITE_END()
