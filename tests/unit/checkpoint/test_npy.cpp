// .npy and .npz import from files NumPy wrote (fixtures/make_fixtures.py), and corrupt variants.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "i2i/io/npy.hpp"
#include "i2i/io/npz.hpp"
#include "support/gradcheck.hpp"
#include "unit/checkpoint/helpers.hpp"

using namespace i2i;
using i2i::test::expect_error;
using i2i::test::fixture;

BOOST_AUTO_TEST_SUITE(npy)

BOOST_AUTO_TEST_CASE(versions_1_2_3) {
  const auto a = io::read_npy<float>(fixture("f4_v1.npy"));
  BOOST_TEST(a.shape() == (shape{2, 3}));
  for (int i = 0; i < 6; ++i) BOOST_TEST(a[i] == float(i) / 4.0f);
  for (const char* f : {"f8_v2.npy", "f8_v3.npy"}) {
    BOOST_TEST_CONTEXT(f) {
      const auto b = io::read_npy<double>(fixture(f));
      BOOST_TEST(b.shape() == (shape{2, 3}));
      for (int i = 0; i < 6; ++i) BOOST_TEST(b[i] == double(i) / 4.0 - 1.0);
    }
  }
}

BOOST_AUTO_TEST_CASE(dtypes_are_converted) {
  const auto h = io::read_npy<float>(fixture("f2.npy"));
  BOOST_TEST(h.shape() == (shape{3}));
  BOOST_TEST(h[0] == 0.5f);
  BOOST_TEST(h[1] == -65504.0f);
  BOOST_TEST(h[2] == std::ldexp(1.0f, -24));
  const auto be = io::read_npy<double>(fixture("be_f8.npy"));  // big-endian '>f8'
  BOOST_TEST(be.shape() == (shape{1, 2}));
  BOOST_TEST(be[0] == 1.25);
  BOOST_TEST(be[1] == -2.5);
  const auto u = io::read_npy<float>(fixture("u1.npy"));
  BOOST_TEST(u.shape() == (shape{3, 1, 1}));
  BOOST_TEST(u[2] == 255.0f);
  const auto i8 = io::read_npy<double>(fixture("i8.npy"));
  BOOST_TEST(i8[0] == -3.0);
  BOOST_TEST(i8[1] == std::ldexp(1.0, 40));
  const auto s = io::read_npy<float>(fixture("scalar.npy"));
  BOOST_TEST(s.rank() == 0);
  BOOST_TEST(s[0] == 2.5f);
}

BOOST_AUTO_TEST_CASE(refusals_say_what_to_do) {
  const auto fortran = fixture("fortran.npy");
  expect_error<io_error>([&] { (void)io::read_npy<float>(fortran); }, {fortran, "Fortran", "ascontiguousarray"});
  const auto pickled = fixture("pickled_dict.npy");
  expect_error<io_error>([&] { (void)io::read_npy<float>(pickled); },
                         {pickled, "Python objects", "vgg19.npy", "convert it to .npz or safetensors"});
  const auto r5 = fixture("rank5.npy");
  expect_error<io_error>([&] { (void)io::read_npy<float>(r5); }, {r5, "rank 5"});
}

BOOST_AUTO_TEST_CASE(corrupt_files) {
  test::scratch_dir dir;
  const auto good = test::read_bytes(fixture("f4_v1.npy"));
  const auto p = dir / "c.npy";
  auto with = [&](auto edit) {
    auto b = good;
    edit(b);
    test::write_bytes(p, b);
  };
  with([](auto& b) { b.pop_back(); });
  expect_error<io_error>([&] { (void)io::read_npy<float>(p); }, {p, "need 24 bytes", "23 follow", "truncated"});
  with([](auto& b) { b.push_back(0); });
  expect_error<io_error>([&] { (void)io::read_npy<float>(p); }, {p, "need 24 bytes", "25 follow"});
  with([](auto& b) { b[1] = 'X'; });
  expect_error<io_error>([&] { (void)io::read_npy<float>(p); }, {p, "bad magic"});
  with([](auto& b) { b[6] = 9; });
  expect_error<io_error>([&] { (void)io::read_npy<float>(p); }, {p, "version 9.0"});
  with([](auto& b) { b[9] = 0x40; });  // header length 16384+: past the end
  expect_error<io_error>([&] { (void)io::read_npy<float>(p); }, {p, "header length", "past the end"});
  with([](auto& b) { b.resize(40); });  // cut inside the header
  expect_error<io_error>([&] { (void)io::read_npy<float>(p); }, {p, "past the end"});
  with([](auto& b) {
    const std::string d = "'descr': '<f4'";
    auto it = std::search(b.begin(), b.end(), d.begin(), d.end());
    (it + 11)[0] = 'c';  // '<c4': complex
  });
  expect_error<io_error>([&] { (void)io::read_npy<float>(p); }, {p, "'<c4'", "not supported"});
  with([](auto& b) {
    const std::string d = "'shape': (2, 3)";
    auto it = std::search(b.begin(), b.end(), d.begin(), d.end());
    (it + 10)[0] = 'x';
  });
  expect_error<io_error>([&] { (void)io::read_npy<float>(p); }, {p, "malformed shape"});
  test::write_bytes(p, {});
  expect_error<io_error>([&] { (void)io::read_npy<float>(p); }, {p, "not a .npy"});
}

BOOST_AUTO_TEST_CASE(write_npy_round_trip) {
  test::scratch_dir dir;
  for (const shape& s : {shape{}, shape{5}, shape{2, 3}, shape{1, 2, 3, 4}}) {
    BOOST_TEST_CONTEXT(s) {
      const auto t = test::random_tensor<double>(s);
      io::write_npy(dir / "t.npy", t);
      BOOST_TEST(test::same_values(io::read_npy<double>(dir / "t.npy"), t));
      const auto bytes = test::read_bytes(dir / "t.npy");
      const std::size_t header_end = 10 + std::size_t(bytes[8]) + 256u * bytes[9];
      BOOST_TEST(header_end % 64 == 0u);  // numpy's alignment
      BOOST_TEST(bytes[header_end - 1] == '\n');
    }
  }
  const auto f = test::random_tensor<float>(shape{3});
  io::write_npy(dir / "f.npy", f);
  const auto bytes = test::read_bytes(dir / "f.npy");
  const std::string head(bytes.begin() + 10, bytes.end());
  BOOST_TEST(head.find("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(npz)

BOOST_AUTO_TEST_CASE(stored_archive_from_np_savez) {
  const io::npz_reader z(fixture("arrays.npz"));
  BOOST_TEST(z.names() == (std::vector<std::string>{"conv.weight", "conv.bias", "table"}));
  const auto w = z.read<float>("conv.weight");
  BOOST_TEST(w.shape() == (shape{2, 3, 2, 2}));
  for (int i = 0; i < 24; ++i) BOOST_TEST(w[i] == float(i) * 0.25f - 3.0f);
  const auto t = z.read<double>("table");
  BOOST_TEST(t[3] == 4.0);
  const auto all = io::read_npz<float>(fixture("arrays.npz"));
  BOOST_TEST(all.size() == 3u);
  BOOST_TEST(all[1].name == "conv.bias");
  BOOST_TEST(all[1].value[1] == -0.5f);
  expect_error<io_error>([&] { (void)z.read<float>("nope"); }, {"arrays.npz", "'nope'"});
}

BOOST_AUTO_TEST_CASE(deflated_archive_from_np_savez_compressed) {
  const io::npz_reader z(fixture("arrays_compressed.npz"));
  BOOST_TEST(z.members().size() == 2u);
  BOOST_TEST(z.members()[1].method == 8);
  BOOST_TEST(z.members()[1].compressed < z.members()[1].size);
  const auto ramp = z.read<float>("ramp");
  BOOST_TEST(ramp.shape() == (shape{4000}));
  for (int i = 0; i < 4000; i += 97) BOOST_TEST(ramp[i] == float(i % 1000));
  BOOST_TEST(z.read<float>("conv.weight")[23] == 23 * 0.25f - 3.0f);
}

BOOST_AUTO_TEST_CASE(zip64_records_and_extra_fields) {
  // Every size and offset in 0xFFFFFFFF + zip64 extra fields, and a zip64 end record (the layout of
  // archives above 4 GiB, such as a large converted VGG), checked by Python's zipfile and np.load.
  const io::npz_reader z(fixture("zip64_everywhere.npz"));
  BOOST_TEST(z.names() == (std::vector<std::string>{"a", "b"}));
  BOOST_TEST(z.members()[1].local_offset > 0u);
  const auto a = z.read<float>("a");
  BOOST_TEST(a.shape() == (shape{5}));
  BOOST_TEST(a[4] == 4.0f);
  const auto b = z.read<double>("b");
  BOOST_TEST(b.shape() == (shape{1, 2}));
  BOOST_TEST(b[1] == -2.0);
}

BOOST_AUTO_TEST_CASE(loads_into_a_model_by_name) {
  state_dict<float> model{{"conv.weight", tensor<float>::zeros(shape{2, 3, 2, 2})},
                          {"conv.bias", tensor<float>::zeros(shape{2})}};
  const auto r = io::load_state_dict(model, io::read_npz<float>(fixture("arrays.npz")), io::load_mode::partial, {},
                                     "arrays.npz");
  BOOST_TEST(r.unexpected == (std::vector<std::string>{"table"}));
  BOOST_TEST(model[1].value[0] == 0.5f);
}

BOOST_AUTO_TEST_CASE(corrupt_archives) {
  test::scratch_dir dir;
  const auto p = dir / "c.npz";
  for (const char* name : {"arrays.npz", "arrays_compressed.npz"}) {
    BOOST_TEST_CONTEXT(name) {
      const auto good = test::read_bytes(fixture(name));
      // Truncated: the end-of-central-directory record is gone.
      auto b = good;
      b.resize(b.size() / 2);
      test::write_bytes(p, b);
      expect_error<io_error>([&] { io::npz_reader z(p); }, {p, "end-of-central-directory"});
      // A flipped byte in the first member's data: CRC (stored) or deflate/CRC (compressed) error.
      b = good;
      b[80] ^= 0x5A;  // inside the first member (after its 30-byte header, name and extra field)
      test::write_bytes(p, b);
      const io::npz_reader z(p);
      expect_error<io_error>([&] { (void)z.read<float>("conv.weight"); }, {p, "conv.weight.npy"});
      // Central directory offset pointing past the end.
      b = good;
      b[b.size() - 6] = 0xFF;
      b[b.size() - 5] = 0xFF;
      test::write_bytes(p, b);
      expect_error<io_error>([&] { io::npz_reader z2(p); }, {p, "central directory"});
    }
  }
  test::write_bytes(p, std::vector<unsigned char>(10, 'x'));
  expect_error<io_error>([&] { io::npz_reader z(p); }, {p, "not a zip archive"});
}

BOOST_AUTO_TEST_SUITE_END()
