// Loading checkpoints into models (strict and partial, key renaming) and atomic writes.
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include "i2i/io/checkpoint.hpp"
#include "support/gradcheck.hpp"
#include "unit/checkpoint/helpers.hpp"

using namespace i2i;
using i2i::io::load_mode;
using i2i::test::expect_error;

namespace {

tensor<float> rnd(const shape& s) { return test::random_tensor<float>(s, -1, 1); }

/// A pretend model's parameters; the tensors are the model's storage.
state_dict<float> targets_abc() {
  return {{"a", tensor<float>::filled(shape{2, 3}, 9)}, {"b", tensor<float>::filled(shape{4}, 9)},
          {"c", tensor<float>::filled(shape{3, 3}, 9)}};
}

/// Restores the fault hook however a test ends.
struct fault_hook_guard {
  ~fault_hook_guard() { io::detail::atomic_file_fault_hook() = nullptr; }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(state_dict_loading)

BOOST_AUTO_TEST_CASE(strict_load_copies_into_existing_storage) {
  test::scratch_dir dir;
  const state_dict<float> saved{{"a", rnd(shape{2, 3})}, {"b", rnd(shape{4})}, {"c", rnd(shape{3, 3})}};
  io::save_state_dict(saved, dir / "m.safetensors");

  auto model = targets_abc();
  const float* storage_a = model[0].value.data();
  const tensor<float> alias = model[0].value;  // e.g. an optimizer's reference to the parameter
  const auto report = io::load_state_dict(model, dir / "m.safetensors");
  BOOST_TEST(report.complete());
  BOOST_TEST(report.loaded == (std::vector<std::string>{"a", "b", "c"}));
  BOOST_TEST(model[0].value.data() == storage_a);  // same storage, new values
  for (std::size_t i = 0; i < 3; ++i) BOOST_TEST(test::same_values(model[i].value, saved[i].value));
  BOOST_TEST(test::same_values(alias, saved[0].value));
}

BOOST_AUTO_TEST_CASE(strict_load_lists_every_problem_and_changes_nothing) {
  test::scratch_dir dir;
  const auto path = dir / "m.safetensors";
  // File: a right, b with the wrong shape, c absent, d and e unexpected.
  io::save_state_dict(state_dict<float>{{"a", rnd(shape{2, 3})},
                                        {"b", rnd(shape{5})},
                                        {"d", rnd(shape{1})},
                                        {"e.weight", rnd(shape{2, 2})}},
                      path);
  auto model = targets_abc();
  try {
    io::load_state_dict(model, path, load_mode::strict);
    BOOST_ERROR("strict load of a mismatched file did not throw");
  } catch (const io::checkpoint_mismatch& e) {
    const std::string msg = e.what();
    for (const char* part : {"m.safetensors", "strict", "missing from the file (1): c", "unexpected in the file (2): d, e.weight",
                             "mismatch (1): b: file 5 F32, model 4"})
      BOOST_TEST(msg.find(part) != std::string::npos, "\"" << msg << "\" lacks \"" << part << "\"");
    BOOST_TEST(e.report().missing == (std::vector<std::string>{"c"}));
    BOOST_TEST(e.report().mismatched.size() == 1u);
    BOOST_TEST(e.report().loaded.empty());
  }
  for (const auto& t : model)
    for (float v : t.value.values()) BOOST_TEST(v == 9.0f);  // not even "a" was loaded
  // It is an io_error, so generic handlers catch it.
  expect_error<io_error>([&] { io::load_state_dict(model, path); }, {"missing from the file"});
}

BOOST_AUTO_TEST_CASE(strict_load_reports_a_rank_mismatch_with_both_shapes) {
  test::scratch_dir dir;
  io::save_state_dict(state_dict<float>{{"w", rnd(shape{64, 36, 7, 7})}}, dir / "g.safetensors");
  state_dict<float> model{{"w", tensor<float>::zeros(shape{64, 39, 7, 7})}};
  expect_error<io::checkpoint_mismatch>([&] { io::load_state_dict(model, dir / "g.safetensors"); },
                                        {"w: file 64x36x7x7 F32, model 64x39x7x7"});
}

BOOST_AUTO_TEST_CASE(partial_load_takes_the_intersection_and_reports_the_rest) {
  test::scratch_dir dir;
  const auto path = dir / "m.safetensors";
  const auto a = rnd(shape{2, 3});
  io::save_state_dict(state_dict<float>{{"a", a}, {"b", rnd(shape{5})}, {"d", rnd(shape{1})}}, path);
  auto model = targets_abc();
  const auto r = io::load_state_dict(model, path, load_mode::partial);
  BOOST_TEST(r.loaded == (std::vector<std::string>{"a"}));
  BOOST_TEST(r.missing == (std::vector<std::string>{"c"}));
  BOOST_TEST(r.unexpected == (std::vector<std::string>{"d"}));
  BOOST_TEST_REQUIRE(r.mismatched.size() == 1u);
  BOOST_TEST(r.mismatched[0].key == "b");
  BOOST_TEST(r.mismatched[0].file_shape == "5");
  BOOST_TEST(r.mismatched[0].model_shape == shape{4});
  BOOST_TEST(!r.complete());
  BOOST_TEST(test::same_values(model[0].value, a));
  for (float v : model[1].value.values()) BOOST_TEST(v == 9.0f);  // mis-shaped: untouched
  for (float v : model[2].value.values()) BOOST_TEST(v == 9.0f);  // missing: untouched
}

BOOST_AUTO_TEST_CASE(pix2pixhd_global_generator_into_local_enhancer) {
  // research/pix2pixhd.md §1.3/§2.9: a 512p GlobalGenerator's "model.0..36" keys carry over to the
  // LocalEnhancer's G1 unchanged; its final conv "model.38" is unexpected, G2 ("model1_*") is missing.
  test::scratch_dir dir;
  const auto path = dir / "latest_net_G.safetensors";
  const auto w1 = rnd(shape{4, 3, 3, 3});
  io::save_state_dict(state_dict<float>{{"model.1.weight", w1},
                                        {"model.1.bias", rnd(shape{4})},
                                        {"model.38.weight", rnd(shape{3, 4, 3, 3})},
                                        {"model.38.bias", rnd(shape{3})}},
                      path);
  state_dict<float> local{{"model.1.weight", tensor<float>::zeros(shape{4, 3, 3, 3})},
                          {"model.1.bias", tensor<float>::zeros(shape{4})},
                          {"model1_1.1.weight", tensor<float>::zeros(shape{2, 3, 3, 3})},
                          {"model1_1.1.bias", tensor<float>::zeros(shape{2})}};
  const auto r = io::load_state_dict(local, path, load_mode::partial);
  BOOST_TEST(r.loaded == (std::vector<std::string>{"model.1.weight", "model.1.bias"}));
  BOOST_TEST(r.missing == (std::vector<std::string>{"model1_1.1.weight", "model1_1.1.bias"}));
  BOOST_TEST(r.unexpected == (std::vector<std::string>{"model.38.weight", "model.38.bias"}));
  BOOST_TEST(test::same_values(local[0].value, w1));
}

BOOST_AUTO_TEST_CASE(key_map_renames_file_keys_by_prefix) {
  test::scratch_dir dir;
  const auto path = dir / "g.safetensors";
  const auto w = rnd(shape{3, 2});
  io::save_state_dict(state_dict<float>{{"model.1.weight", w}, {"other.x", rnd(shape{1})}}, path);
  state_dict<float> target{{"global.model.1.weight", tensor<float>::zeros(shape{3, 2})}};
  const io::key_map map{{"model.", "global.model."}};
  const auto r = io::load_state_dict(target, path, load_mode::partial, map);
  BOOST_TEST(r.loaded == (std::vector<std::string>{"global.model.1.weight"}));
  BOOST_TEST(r.unexpected == (std::vector<std::string>{"other.x"}));
  BOOST_TEST(test::same_values(target[0].value, w));
  // Strict with the same map: "other.x" is unexpected.
  expect_error<io::checkpoint_mismatch>([&] { io::load_state_dict(target, path, load_mode::strict, map); }, {"other.x"});
  // Two file keys onto one target name is an error, not a silent overwrite.
  const io::key_map clash{{"model.", "m."}, {"other.", "m."}};
  io::save_state_dict(state_dict<float>{{"model.x", rnd(shape{1})}, {"other.x", rnd(shape{1})}}, path);
  expect_error<io_error>([&] { io::load_state_dict(target, path, load_mode::partial, clash); },
                         {"'model.x'", "'other.x'", "both map to 'm.x'"});
}

BOOST_AUTO_TEST_CASE(loads_across_element_types) {
  test::scratch_dir dir;
  const auto d = test::random_tensor<double>(shape{3, 4});
  io::save_state_dict(state_dict<double>{{"w", d}}, dir / "d.safetensors");
  state_dict<float> f{{"w", tensor<float>::zeros(shape{3, 4})}};
  io::load_state_dict(f, dir / "d.safetensors");
  for (std::int64_t i = 0; i < 12; ++i) BOOST_TEST(f[0].value[i] == float(d[i]));
}

BOOST_AUTO_TEST_CASE(in_memory_source_and_target_checks) {
  const auto w = rnd(shape{2, 2});
  const state_dict<float> source{{"w", w}, {"extra", rnd(shape{1})}};
  state_dict<double> target{{"w", tensor<double>::zeros(shape{2, 2})}};
  expect_error<io::checkpoint_mismatch>([&] { io::load_state_dict(target, source, load_mode::strict, {}, "vgg19.npz"); },
                                        {"vgg19.npz", "unexpected in the file (1): extra"});
  const auto r = io::load_state_dict(target, source, load_mode::partial);
  BOOST_TEST(r.loaded.size() == 1u);
  BOOST_TEST(target[0].value[3] == double(w[3]));
  state_dict<double> dup{{"w", tensor<double>::zeros(shape{1})}, {"w", tensor<double>::zeros(shape{1})}};
  expect_error<value_error>([&] { io::load_state_dict(dup, source, load_mode::partial); }, {"duplicate name 'w'"});
}

BOOST_AUTO_TEST_CASE(metadata_numbers) {
  test::scratch_dir dir;
  io::save_state_dict(state_dict<float>{}, dir / "e.safetensors", {{"epoch", "12"}, {"lr", "0.0002"}, {"bad", "12x"}});
  const auto meta = io::read_checkpoint_metadata(dir / "e.safetensors");
  BOOST_TEST(io::metadata_number<std::int64_t>(meta, "epoch", "e") == 12);
  BOOST_TEST(io::metadata_number<double>(meta, "lr", "e") == 2e-4);
  expect_error<io_error>([&] { io::metadata_number<int>(meta, "bad", "e.safetensors"); }, {"e.safetensors", "'bad'", "12x"});
  expect_error<io_error>([&] { io::metadata_number<int>(meta, "step", "e.safetensors"); }, {"'step'", "missing"});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(atomic_writes)

BOOST_AUTO_TEST_CASE(a_failing_write_keeps_the_previous_file) {
  test::scratch_dir dir;
  const auto path = dir / "ckpt.safetensors";
  const state_dict<float> v1{{"w", rnd(shape{64, 8})}};
  io::save_state_dict(v1, path);
  const auto before = test::read_bytes(path);
  fault_hook_guard guard;
  for (const char* stage : {"open", "write", "fsync", "rename"}) {
    BOOST_TEST_CONTEXT("failing at " << stage) {
      io::detail::atomic_file_fault_hook() = [stage](std::string_view s, const std::string&) { return s == stage; };
      expect_error<io_error>([&] { io::save_state_dict(state_dict<float>{{"w", rnd(shape{64, 8})}}, path); },
                             {"ckpt.safetensors", "is unchanged"});
      BOOST_TEST(test::read_bytes(path) == before);
      BOOST_TEST(test::list_dir(dir.dir) == std::vector<std::string>{"ckpt.safetensors"});  // no temp left
    }
  }
  io::detail::atomic_file_fault_hook() = nullptr;
  state_dict<float> model{{"w", tensor<float>::zeros(shape{64, 8})}};
  io::load_state_dict(model, path);  // still a complete, loadable checkpoint
  BOOST_TEST(test::same_values(model[0].value, v1[0].value));
}

BOOST_AUTO_TEST_CASE(a_failure_after_the_rename_is_reported) {
  test::scratch_dir dir;
  const auto path = dir / "ckpt.safetensors";
  fault_hook_guard guard;
  io::detail::atomic_file_fault_hook() = [](std::string_view s, const std::string&) { return s == "fsync_dir"; };
  expect_error<io_error>([&] { io::save_state_dict(state_dict<float>{{"w", rnd(shape{2})}}, path); },
                         {"was written", "could not be flushed"});
  io::detail::atomic_file_fault_hook() = nullptr;
  BOOST_TEST(io::read_state_dict<float>(path).size() == 1u);
}

BOOST_AUTO_TEST_CASE(real_failures_leave_no_temporary_file) {
  test::scratch_dir dir;
  // Target is an existing folder: the rename fails (EISDIR) after all bytes were written.
  std::filesystem::create_directories(dir.dir / "taken");
  expect_error<io_error>([&] { io::save_state_dict(state_dict<float>{{"w", rnd(shape{8})}}, dir / "taken"); },
                         {"cannot rename", "taken"});
  BOOST_TEST(test::list_dir(dir.dir) == std::vector<std::string>{"taken"});
  BOOST_TEST(std::filesystem::is_directory(dir.dir / "taken"));
  // Folder does not exist.
  expect_error<io_error>([&] { io::save_state_dict(state_dict<float>{{"w", rnd(shape{8})}}, dir / "no/such/x"); },
                         {"cannot create temporary file", "no/such/x"});
}

BOOST_AUTO_TEST_CASE(a_crash_mid_save_leaves_the_old_checkpoint) {
  // A child process dies (no cleanup, like a kill -9 or power cut) just before the rename: the target
  // must still be the old, complete file. The orphaned temporary file is allowed to remain.
  test::scratch_dir dir;
  const auto path = dir / "ckpt.safetensors";
  const state_dict<float> v1{{"w", rnd(shape{128})}};
  io::save_state_dict(v1, path);
  const auto before = test::read_bytes(path);
  const pid_t pid = ::fork();
  BOOST_TEST_REQUIRE(pid >= 0);
  if (pid == 0) {
    io::detail::atomic_file_fault_hook() = [](std::string_view s, const std::string&) {
      if (s == "rename") ::_exit(0);
      return false;
    };
    io::save_state_dict(state_dict<float>{{"w", tensor<float>::zeros(shape{128})}}, path);
    ::_exit(1);  // not reached
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(test::read_bytes(path) == before);
  state_dict<float> model{{"w", tensor<float>::zeros(shape{128})}};
  io::load_state_dict(model, path);
  BOOST_TEST(test::same_values(model[0].value, v1[0].value));
}

BOOST_AUTO_TEST_SUITE_END()
