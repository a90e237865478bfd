#pragma once
// Every example and benchmark program reads its command line through CLI11 (docs/decisions.md, "Command
// lines"): --help is generated from the declarations, an unknown or malformed flag is refused with a
// message naming it, and a number outside its range is refused naming the flag and the range. This
// header holds what every program shares: the parser's settings, the parse-and-report step, the range
// check and --threads. The options shared by one paper's programs are in pix2pixhd_options.hpp and
// egscit_options.hpp, --gpu / --gpu_ids in device_flags.hpp.
//
//   examples::command_line cli{"mnist_edges", "Trains an MNIST edge translator"};
//   examples::add_number(cli, "--steps", steps, 1, 1 << 30, "training steps");
//   examples::add_threads(cli);
//   if (const auto status = cli.parse(argc, argv)) return *status;
#include <CLI/CLI.hpp>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <variant>

#include "i2i/core/threads.hpp"

namespace examples {

/// A program's command line: CLI11 with the settings all programs share. A repeated option takes its
/// last value (scripts append overrides to a base command line); the defaults shown by --help are the
/// variables' values when the options are declared.
class command_line : public CLI::App {
 public:
  command_line(std::string program, std::string description)
      : CLI::App(std::move(description), program), program_(std::move(program)) {
    option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)->always_capture_default();
  }

  /// Parses argv. Returns the exit status when the program must stop: 0 after --help (the generated
  /// usage on stdout), 2 after a command-line error ("<program>: error: <message naming the flag>" on
  /// stderr); nothing when the program goes on.
  std::optional<int> parse(int argc, const char* const* argv) {
    try {
      CLI::App::parse(argc, argv);
      return std::nullopt;
    } catch (const CLI::CallForHelp& e) {
      return exit(e);
    } catch (const CLI::CallForAllHelp& e) {
      return exit(e);
    } catch (const CLI::RequiredError& e) {
      // CLI11 checks the required options before it looks for unknown ones; a misspelt flag is the
      // likelier mistake, so it is named first.
      const auto extras = remaining(true);
      if (!extras.empty()) return report(CLI::ExtrasError(extras).what());
      return report(e.what());
    } catch (const CLI::ParseError& e) {
      return report(e.what());
    }
  }

  const std::string& program() const { return program_; }

 private:
  int report(const std::string& message) const {
    std::cerr << program_ << ": error: " << message << " (see " << program_ << " --help)\n";
    return 2;
  }

  std::string program_;
};

namespace detail {

template <class T>
std::string number_text(T v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

/// What `range` accepts, in words: "0 to 1024", or "-1 or more" when hi is the type's largest value.
template <class T>
std::string range_text(T lo, T hi) {
  if (hi == std::numeric_limits<T>::max()) return number_text(lo) + " or more";
  return number_text(lo) + " to " + number_text(hi);
}

enum class parse_failure { not_a_number, out_of_type_range };

/// `in` as a T in full (decimal integers, no sign for unsigned types; finite numbers), else why not.
template <class T>
std::variant<T, parse_failure> parse_number(const std::string& in) {
  T v{};
  if constexpr (std::is_integral_v<T>) {
    const char* end = in.data() + in.size();
    const auto [ptr, ec] = std::from_chars(in.data(), end, v, 10);
    if (ec == std::errc::result_out_of_range && ptr == end) return parse_failure::out_of_type_range;
    if constexpr (std::is_unsigned_v<T>) {  // a negative integer is a number, below the range
      long long negative = 0;
      const auto [nptr, nec] = std::from_chars(in.data(), end, negative, 10);
      if (!in.empty() && in.front() == '-' && nptr == end && (nec == std::errc{} || nec == std::errc::result_out_of_range))
        return parse_failure::out_of_type_range;
    }
    if (ec != std::errc{} || ptr != end) return parse_failure::not_a_number;
  } else {
    if (in.empty() || std::isspace(static_cast<unsigned char>(in.front()))) return parse_failure::not_a_number;
    char* end = nullptr;
    errno = 0;
    const long double x = std::strtold(in.c_str(), &end);
    if (end != in.c_str() + in.size() || std::isnan(x)) return parse_failure::not_a_number;
    if (errno == ERANGE || !std::isfinite(x) || std::fabs(x) > std::numeric_limits<T>::max())
      return parse_failure::out_of_type_range;
    v = static_cast<T>(x);
  }
  return v;
}

}  // namespace detail

/// CLI11 transform for a numeric option: the text must be a T in full and lie in [lo, hi]. CLI11 puts the
/// flag in front of the message ("--label_nc: 4294967307 is out of range (accepted: 0 to 1024)").
/// Integers are rewritten in canonical decimal, so that CLI11's own conversion cannot read "010" as octal.
template <class T>
CLI::Validator range(T lo, T hi) {
  const std::string accepted = detail::range_text(lo, hi);
  return CLI::Validator(
      [lo, hi, accepted](std::string& in) -> std::string {
        const auto parsed = detail::parse_number<T>(in);
        if (const auto* failure = std::get_if<detail::parse_failure>(&parsed)) {
          if (*failure == detail::parse_failure::out_of_type_range)
            return in + " is out of range (accepted: " + accepted + ")";
          const char* what = !std::is_integral_v<T> ? "a number" : std::is_signed_v<T> ? "an integer" : "a whole number";
          return "'" + in + "' is not " + what + " (accepted: " + accepted + ")";
        }
        const T v = std::get<T>(parsed);
        if (!(v >= lo && v <= hi)) return in + " is out of range (accepted: " + accepted + ")";
        if constexpr (std::is_integral_v<T>) in = std::to_string(v);
        return {};
      },
      "(" + accepted + ")", "RANGE");
}

/// Declares the numeric option `flag` bound to `value` (its current value is the default), range-checked.
template <class T>
CLI::Option* add_number(CLI::App& app, const std::string& flag, T& value, std::type_identity_t<T> lo,
                        std::type_identity_t<T> hi, const std::string& help) {
  return app.add_option(flag, value, help)->transform(range<T>(lo, hi));
}

/// As add_number, for an option whose absence means something else than a default value.
template <class T>
CLI::Option* add_number(CLI::App& app, const std::string& flag, std::optional<T>& value,
                        std::type_identity_t<T> lo, std::type_identity_t<T> hi, const std::string& help) {
  return app.add_option_function<T>(flag, [&value](const T& v) { value = v; }, help)->transform(range<T>(lo, hi));
}

/// Declares the text option `flag` bound to `value` (its current value is the default).
inline CLI::Option* add_text(CLI::App& app, const std::string& flag, std::string& value, const std::string& help) {
  return app.add_option(flag, value, help);
}

/// As add_text, for an option whose absence means something else than a default value.
inline CLI::Option* add_text(CLI::App& app, const std::string& flag, std::optional<std::string>& value,
                             const std::string& help) {
  return app.add_option_function<std::string>(flag, [&value](const std::string& v) { value = v; }, help);
}

/// The number an option holds: T, or T's value type for an optional one.
template <class T>
struct number_type {
  using type = T;
};
template <class T>
struct number_type<std::optional<T>> {
  using type = T;
};

/// The largest value a count or an iteration number may take (a range bound that means "no limit").
template <class T>
constexpr typename number_type<T>::type unlimited = std::numeric_limits<typename number_type<T>::type>::max();

/// --seed S: the run's random seed (a plain or an optional unsigned integer).
template <class UInt>
CLI::Option* add_seed(CLI::App& app, UInt& seed, const std::string& help = "random seed") {
  return add_number(app, "--seed", seed, 0, unlimited<UInt>, help);
}

/// --threads N: the CPU backend's worker threads, set as soon as the option is read (default: the
/// I2I_NUM_THREADS environment variable, else the machine's cores).
inline CLI::Option* add_threads(CLI::App& app) {
  return app
      .add_option_function<int>("--threads", [](const int& n) { i2i::set_num_threads(n); },
                                "CPU threads (default: $I2I_NUM_THREADS, else the machine's cores)")
      ->transform(range(1, 1024));
}

}  // namespace examples
