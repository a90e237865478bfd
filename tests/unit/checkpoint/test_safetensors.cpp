// safetensors: round trips, the exact byte layout, a file in the layout Python's writer produces, and
// corrupt/hostile files, each of which must be an io_error naming the file and the problem.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>

#include "i2i/io/checkpoint.hpp"
#include "i2i/io/safetensors.hpp"
#include "support/gradcheck.hpp"
#include "unit/checkpoint/helpers.hpp"

using namespace i2i;
using i2i::io::safetensors_reader;
using i2i::test::expect_error;

namespace {

template <class T>
state_dict<T> sample_dict() {
  // Ranks 0..4, names with dots, a zero-size tensor, values that are not round in binary.
  state_dict<T> sd;
  sd.push_back({"scalar", test::random_tensor<T>(shape{}, -1, 1)});
  sd.push_back({"model.1.bias", test::random_tensor<T>(shape{5}, -1, 1)});
  sd.push_back({"model.2.linear.weight", test::random_tensor<T>(shape{3, 7}, -1, 1)});
  sd.push_back({"a.b.c", test::random_tensor<T>(shape{2, 3, 4}, -1, 1)});
  sd.push_back({"model.1.weight", test::random_tensor<T>(shape{4, 3, 3, 3}, -1e3, 1e3)});
  sd.push_back({"empty", tensor<T>::zeros(shape{0, 3})});
  sd[1].value[0] = T(0.1);
  sd[1].value[1] = -std::numeric_limits<T>::denorm_min();
  sd[1].value[2] = std::numeric_limits<T>::max();
  return sd;
}

template <class T>
void round_trip(const std::map<std::string, std::string>& meta) {
  test::scratch_dir dir;
  const auto path = dir / "m.safetensors";
  const auto sd = sample_dict<T>();
  io::save_state_dict(sd, path, meta);

  const auto back = io::read_state_dict<T>(path);
  BOOST_TEST_REQUIRE(back.size() == sd.size());
  for (std::size_t i = 0; i < sd.size(); ++i) {
    BOOST_TEST(back[i].name == sd[i].name);  // file order is the save order
    BOOST_TEST(test::same_values(back[i].value, sd[i].value), sd[i].name << " differs after a round trip");
    BOOST_TEST(back[i].value.rank() == sd[i].value.rank());
  }
  auto got = io::read_checkpoint_metadata(path);
  for (const auto& [k, v] : meta) BOOST_TEST(got[k] == v);
  BOOST_TEST(got["i2i.format_version"] == "1");

  // Layout: header length keeps the data 8-byte aligned, the dtype is the element type's.
  const auto bytes = test::read_bytes(path);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[std::size_t(i)];
  BOOST_TEST((8 + n) % 8 == 0u);
  const std::string header(bytes.begin() + 8, bytes.begin() + 8 + std::ptrdiff_t(n));
  BOOST_TEST(header.find(sizeof(T) == 4 ? "\"dtype\":\"F32\"" : "\"dtype\":\"F64\"") != std::string::npos);
  BOOST_TEST(header.find("\"shape\":[]") != std::string::npos);  // rank 0
}

}  // namespace

BOOST_AUTO_TEST_SUITE(safetensors)

BOOST_AUTO_TEST_CASE(round_trip_float_and_double_ranks_0_to_4) {
  round_trip<float>({{"epoch", "12"}, {"note", "quotes \" backslash \\ newline \n tab \t"}});
  round_trip<double>({});
}

BOOST_AUTO_TEST_CASE(float_file_into_double_and_back_converts) {
  test::scratch_dir dir;
  const auto sd = sample_dict<double>();
  io::save_state_dict(sd, dir / "d.safetensors");
  const auto as_float = io::read_state_dict<float>(dir / "d.safetensors");
  for (std::size_t i = 0; i < sd.size(); ++i)
    for (std::int64_t k = 0; k < sd[i].value.numel(); ++k) BOOST_TEST(as_float[i].value[k] == float(sd[i].value[k]));
}

BOOST_AUTO_TEST_CASE(exact_bytes_of_a_tiny_file) {
  // Pins the format: any change to the header spelling or padding shows here.
  test::scratch_dir dir;
  state_dict<float> sd{{"w", tensor<float>::from(shape{2}, {1.0f, -2.0f})}};
  io::save_state_dict(sd, dir / "t.safetensors", {{"k", "v"}});
  const auto bytes = test::read_bytes(dir / "t.safetensors");
  const std::string header =
      R"({"__metadata__":{"i2i.format_version":"1","k":"v"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  std::string padded = header;
  padded.append((8 - padded.size() % 8) % 8, ' ');
  BOOST_TEST(bytes == test::st_bytes(header, test::f32_bytes({1.0f, -2.0f})));
  BOOST_TEST(bytes.size() == 8 + padded.size() + 8);
}

BOOST_AUTO_TEST_CASE(reads_the_layout_python_writes) {
  // fixtures/python_written.safetensors: huggingface's layout (sorted by dtype, compact JSON, padding),
  // with F32, F64, F16 (incl. a subnormal and -0), BF16, a scalar, a zero-size tensor and an I64 tensor.
  const auto path = test::fixture("python_written.safetensors");
  const safetensors_reader f(path);
  BOOST_TEST(f.entries().size() == 8u);
  BOOST_TEST(f.metadata().at("format") == "pt");
  BOOST_TEST(f.metadata().at("epoch") == "7");
  BOOST_TEST(f.entries().front().name == "ids");  // I64 sorts first (descending dtype)

  const auto w = f.read<float>("conv.weight");
  BOOST_TEST(w.shape() == (shape{2, 3, 2, 2}));
  for (int i = 0; i < 24; ++i) BOOST_TEST(w[i] == float(i) * 0.25f - 3.0f);
  const auto wd = f.read<double>("conv.weight");
  BOOST_TEST(wd[5] == double(5 * 0.25 - 3.0));

  const auto scale = f.read<double>("scale");
  BOOST_TEST(scale[0] == 1.0 / 3.0);
  BOOST_TEST(scale[2] == -1e-300);
  BOOST_TEST(f.read<float>("scale")[0] == float(1.0 / 3.0));

  const auto h = f.read<float>("half");
  BOOST_TEST(h.shape() == (shape{2, 3}));
  const float expect_h[] = {0.0f, -0.0f, 1.5f, 65504.0f, std::ldexp(1.0f, -24), -2.0f};
  for (int i = 0; i < 6; ++i) BOOST_TEST(h[i] == expect_h[i]);
  BOOST_TEST(std::signbit(h[1]));

  const auto bf = f.read<double>("bf");
  const double expect_bf[] = {1.0, -2.5, 0.15625, 384.0};
  for (int i = 0; i < 4; ++i) BOOST_TEST(bf[i] == expect_bf[i]);

  const auto step = f.read<float>("step");
  BOOST_TEST(step.rank() == 0);
  BOOST_TEST(step[0] == 7.0f);
  BOOST_TEST(f.read<float>("empty").shape() == (shape{0, 3}));

  expect_error<io_error>([&] { (void)f.read<float>("ids"); }, {path, "'ids'", "I64"});

  // Loading into a model: an integer tensor under a parameter's name is a mismatch, not a crash.
  state_dict<float> model{{"conv.weight", tensor<float>::zeros(shape{2, 3, 2, 2})}, {"ids", tensor<float>::zeros(shape{2})}};
  const auto r = io::load_state_dict(model, path, io::load_mode::partial);
  BOOST_TEST(r.loaded == (std::vector<std::string>{"conv.weight"}));
  BOOST_TEST_REQUIRE(r.mismatched.size() == 1u);
  BOOST_TEST(r.mismatched[0].file_dtype == "I64");
  BOOST_TEST(r.unexpected.size() == 6u);
  BOOST_TEST(model[0].value[23] == 23 * 0.25f - 3.0f);
  expect_error<io_error>([&] { (void)f.read<float>("nope"); }, {path, "'nope'"});
}

BOOST_AUTO_TEST_CASE(rank_above_four_is_refused_on_read) {
  test::scratch_dir dir;
  const auto p = dir / "r5.safetensors";
  test::write_bytes(p, test::st_bytes(R"({"x":{"dtype":"F32","shape":[1,1,1,1,2],"data_offsets":[0,8]}})",
                                      test::f32_bytes({1, 2})));
  const safetensors_reader f(p);  // a valid file
  BOOST_TEST(f.at("x").shape_string() == "1x1x1x1x2");
  expect_error<io_error>([&] { (void)f.read<float>("x"); }, {p, "'x'", "rank 5"});
}

BOOST_AUTO_TEST_CASE(truncated_files) {
  test::scratch_dir dir;
  const auto p = dir / "t.safetensors";
  io::save_state_dict(sample_dict<float>(), p);
  const auto whole = test::read_bytes(p);

  auto cut = [&](std::size_t keep) {
    auto b = whole;
    b.resize(keep);
    test::write_bytes(p, b);
  };
  cut(5);
  expect_error<io_error>([&] { safetensors_reader f(p); }, {p, "too short"});
  cut(40);
  expect_error<io_error>([&] { safetensors_reader f(p); }, {p, "header length", "past the end"});
  cut(whole.size() - 1);  // one byte of tensor data missing
  expect_error<io_error>([&] { safetensors_reader f(p); }, {p, "past the data section"});
  expect_error<io_error>([&] { (void)io::read_state_dict<float>(dir / "absent.safetensors"); },
                         {"absent.safetensors", "cannot open"});
}

BOOST_AUTO_TEST_CASE(corrupt_headers_name_the_file_and_the_problem) {
  test::scratch_dir dir;
  const auto p = dir / "bad.safetensors";
  const auto data12 = test::f32_bytes({1, 2, 3});
  struct bad_case {
    std::string header;
    std::vector<unsigned char> data;
    std::vector<std::string> parts;
    bool pad = true;
  };
  const std::vector<bad_case> cases = {
      {R"({"a":{"dtype":"F32",)", data12, {"invalid JSON", "unexpected end of input"}},
      {R"({"a":{"dtype":"F32",1})", data12, {"invalid JSON", "object key", "expected string literal"}},
      {R"({"a":{"dtype":"F32",)", data12, {"invalid JSON", "unexpected end of input"}, /*pad=*/false},
      {R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}} x)", data12, {"invalid JSON", "expected end of input"}},
      {"{\"a\xff\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}", data12, {"invalid JSON", "ill-formed UTF-8"}},
      {"{\"a\xc0\xaf\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}", data12, {"invalid JSON", "ill-formed UTF-8"}},  // overlong '/'
      {R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}})",
       data12,
       {"duplicate key", "\"a\""}},
      {R"([1,2,3])", data12, {"expected an object"}},
      {R"({"a":{"dtype":"F33","shape":[3],"data_offsets":[0,12]}})", data12, {"'a'", "unknown dtype", "F33"}},
      {R"({"a":{"dtype":"F32","shape":[-3],"data_offsets":[0,12]}})", data12, {"'a'", "not a non-negative integer"}},
      {R"({"a":{"dtype":"F32","shape":[3.0],"data_offsets":[0,12]}})", data12, {"'a'", "not a non-negative integer"}},
      {R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})", data12, {"'a'", "past the data section"}},
      {R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,99999999999999999999999]}})", data12,
       {"'a'", "not non-negative integers"}},
      {R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[12,0]}})", data12, {"'a'", "end before they begin"}},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}})", data12, {"'a'", "need 8 bytes", "hold 12"}},
      {R"({"a":{"dtype":"F64","shape":[3],"data_offsets":[0,12]}})", data12, {"'a'", "F64", "need 24 bytes"}},
      {R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,12]}})", data12,
       {"'a'", "more than 2^64"}},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
       data12,
       {"'a'", "'b'", "overlap"}},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
       data12,
       {"bytes [4, 8)", "no tensor"}},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", data12, {"trailing"}},
      {R"({"a":{"dtype":"F32","shape":[3]}})", data12, {"'a'", "data_offsets"}},
      {R"({"a":[0,12]})", data12, {"'a'", "expected an object"}},
      {R"({"__metadata__":{"epoch":7},"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}})", data12,
       {"metadata 'epoch'", "a number"}},
      {std::string(100, '[') + std::string(100, ']'), data12, {"nesting"}},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},\"\\ud800\":1}", data12, {"surrogate"}},
      {"{\"a\x01\":1}", data12, {"control character"}},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("header " << c.header) {
      test::write_bytes(p, test::st_bytes(c.header, c.data, c.pad));
      std::vector<std::string> parts = c.parts;
      parts.push_back(p);
      try {
        safetensors_reader f(p);
        BOOST_ERROR("no error for header " << c.header);
      } catch (const io_error& e) {
        const std::string msg = e.what();
        for (const auto& part : parts) BOOST_TEST(msg.find(part) != std::string::npos, "\"" << msg << "\" lacks \"" << part << "\"");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(header_length_fields) {
  test::scratch_dir dir;
  const auto p = dir / "h.safetensors";
  // Length 0.
  test::write_bytes(p, std::vector<unsigned char>(16, 0));
  expect_error<io_error>([&] { safetensors_reader f(p); }, {p, "header length is 0"});
  // Length far past the end of a small file (e.g. a random or text file).
  auto b = test::st_bytes("{}", {});
  b[5] = 0x7f;
  test::write_bytes(p, b);
  expect_error<io_error>([&] { safetensors_reader f(p); }, {p, "past the end"});
  // An empty header object is a valid, empty file.
  test::write_bytes(p, test::st_bytes("{}", {}));
  BOOST_TEST(safetensors_reader(p).entries().empty());
}

BOOST_AUTO_TEST_CASE(writer_rejects_bad_names) {
  test::scratch_dir dir;
  const auto t = tensor<float>::zeros(shape{2});
  expect_error<value_error>([&] { io::save_state_dict(state_dict<float>{{"a", t}, {"a", t}}, dir / "x"); },
                            {"duplicate", "'a'"});
  expect_error<value_error>([&] { io::save_state_dict(state_dict<float>{{"", t}}, dir / "x"); }, {"empty name"});
  expect_error<value_error>([&] { io::save_state_dict(state_dict<float>{{"__metadata__", t}}, dir / "x"); },
                            {"reserved"});
  expect_error<value_error>([&] { io::save_state_dict(state_dict<float>{{"bad\xff", t}}, dir / "x"); }, {"UTF-8"});
  expect_error<value_error>([&] { io::save_state_dict(state_dict<float>{{"u", tensor<float>()}}, dir / "x"); },
                            {"'u'", "undefined"});
  BOOST_TEST(test::list_dir(dir.dir).empty());  // nothing was created
}

BOOST_AUTO_TEST_SUITE_END()
