// The command-line parser (examples/common/program_options.hpp, CLI11): an input is an argument list,
// the arguments separated by NUL bytes, given to pix2pixhd_train's declarations (train/options.hpp, what
// the program itself parses) or, when the input starts with the byte 0x01, to the EGSC-IT programs'
// shared overrides (egscit_options.hpp, egscit_translate's and egscit_evaluate's). A parse must end in an exit status (help, or an error naming the
// flag) or in values inside every declared range; pix2pixhd_train's accepted options then go through the
// same configuration dispatch and checks as the program (resolve_options), where an i2i::error is a
// rejection. Anything else escaping, a value outside its range (the narrowing that once turned
// --label_nc 4294967307 into 11), a crash or a sanitizer report is a finding.
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "pix2pixhd/cli.hpp"
#include "pix2pixhd/train/options.hpp"
#include "egscit_options.hpp"

namespace {

/// The arguments of an input: argv[0] is the program, the rest are the NUL-separated pieces (at most 64).
std::vector<std::string> arguments_of(const std::uint8_t* data, std::size_t size, const char* program) {
  std::vector<std::string> args{program};
  std::string current;
  for (std::size_t i = 0; i < size && args.size() <= 64; ++i) {
    if (data[i] == 0) {
      args.push_back(current);
      current.clear();
    } else {
      current.push_back(char(data[i]));
    }
  }
  if (!current.empty() && args.size() <= 64) args.push_back(current);
  return args;
}

/// Parses `args` with `cli`; true when the program would go on (no help, no error).
bool parses(examples::command_line& cli, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  const auto status = cli.parse(int(argv.size()), argv.data());
  if (status && *status != 0 && *status != 2) std::abort();  // only help (0) and errors (2) stop a program
  return !status;
}

void check(bool ok) {
  if (!ok) std::abort();
}

void pix2pixhd_train(const std::vector<std::string>& args) {
  i2i::pix2pixhd::train_options o;
  o.data.transform.is_train = true;
  examples::device_choice device;
  examples::command_line cli{"pix2pixhd_train", "fuzzed"};
  p2phd_train::declare_options(cli, o, device);
  if (!parses(cli, args)) return;
  // Every number inside the range its declaration names.
  check(o.data.label_nc >= 0 && o.data.label_nc <= 65535);
  check(o.batch_size >= 1 && o.batch_size <= 65536);
  check(o.data.transform.load_size >= 1 && o.data.transform.fine_size >= 1);
  check(o.data.max_dataset_size >= 1);
  check(o.lr >= 0 && o.lr <= 1 && o.beta1 >= 0 && o.beta1 < 1 && o.lambda_feat >= 0 && o.lambda_feat <= 1e6);
  check(o.niter >= 0 && o.niter_decay >= 0 && o.niter_fix_global >= 0 && o.pool_size >= 0);
  check(o.max_iterations >= -1 && o.print_freq >= 1 && o.save_latest_freq >= 0 && o.save_epoch_freq >= 1);
  check(o.ngf >= -1 && o.ndf >= -1 && o.num_D >= -1 && o.n_layers_D >= -1);
  check(device.cuda_device() >= -1 && device.cuda_device() <= 1023);
  i2i::fuzz::expect_only_i2i_errors([&] {
    p2phd_cli::dispatch(o, [&]<class Cfg>() {
      auto resolved = o;
      i2i::pix2pixhd::resolve_options<Cfg>(resolved);
    });
  });
}

void egscit_overrides(const std::vector<std::string>& args) {
  examples::egscit_flags::override_flags f;
  examples::command_line cli{"egscit_translate", "fuzzed"};
  examples::egscit_flags::add_overrides(cli, f);
  if (!parses(cli, args)) return;
  const auto o = f.apply();
  if (o.eps) check(*o.eps >= 0 && *o.eps <= 1);
  if (o.config) check(*o.config == "mnist" || *o.config == "street" || *o.config == "small" || *o.config == "medium");
  // --ablation is checked where it is applied (load_translator): names joined by '+'.
  if (o.ablation)
    i2i::fuzz::expect_only_i2i_errors([&] { (void)i2i::egscit::with_ablation_name(i2i::egscit::train_options{}, *o.ablation); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // CLI11 writes --help and the errors to std::cout / std::cerr: into a sink, once.
  static std::ostringstream sink;
  static const bool quiet = [] {
    std::cout.rdbuf(sink.rdbuf());
    std::cerr.rdbuf(sink.rdbuf());
    return true;
  }();
  (void)quiet;
  sink.str({});
  if (size > 0 && data[0] == 1)
    egscit_overrides(arguments_of(data + 1, size - 1, "egscit_translate"));
  else
    pix2pixhd_train(arguments_of(data, size, "pix2pixhd_train"));
  return 0;
}
