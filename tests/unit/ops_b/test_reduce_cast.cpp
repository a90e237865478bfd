// Whole-tensor reductions and casts on the host (cpu/reduce.hpp), and the backend concept's verdicts.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>

#include "i2i/backend/concept.hpp"
#include "i2i/backend/counting_backend.hpp"
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/backend/cpu/reduce.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

// The op set is checked where the backends are defined; these restate it where a reader looks for it.
static_assert(backend<cpu_backend<float>> && backend<cpu_backend<double>>);
static_assert(parameter_backend<counting_backend<>> && !backend<counting_backend<>>);
static_assert(!backend<int>);

BOOST_AUTO_TEST_SUITE(reduce_cast)

BOOST_AUTO_TEST_CASE(sum_mean_abs_sum_in_double) {
  const auto x = tensor<float>::from(shape{2, 3}, {1.5f, -2.f, 3.f, 1e-8f, -0.25f, 4.f});
  const double expected = 1.5 - 2.0 + 3.0 + double(1e-8f) - 0.25 + 4.0;
  BOOST_TEST(cpu::sum(x) == expected);
  BOOST_TEST(cpu::mean(x) == expected / 6.0);
  BOOST_TEST(cpu::abs_sum(x) == 1.5 + 2.0 + 3.0 + double(1e-8f) + 0.25 + 4.0);
  BOOST_TEST(cpu_backend<float>::sum(x) == cpu::sum(x));
  BOOST_TEST(cpu_backend<float>::mean(x) == cpu::mean(x));
}

BOOST_AUTO_TEST_CASE(mean_of_nothing_is_an_error) {
  try {
    (void)cpu::mean(tensor<float>::zeros(shape{0, 3}));
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(std::string(e.what()).find("mean: x has shape 0x3; the mean over zero elements is undefined") !=
               std::string::npos);
  }
  BOOST_CHECK_THROW((void)cpu::sum(tensor<float>{}), value_error);
}

BOOST_AUTO_TEST_CASE(cast_round_trips) {
  const auto x = test::random_tensor<float>(shape{2, 3, 4, 5});
  const auto d = cpu_backend<float>::cast<double>(x);
  BOOST_TEST(d.shape() == x.shape());
  const auto back = cpu::cast<float>(d);
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    BOOST_TEST(d[i] == double(x[i]));
    BOOST_TEST(back[i] == x[i]);
  }
  const auto narrowed = cpu::cast<float>(tensor<double>::from(shape{1}, {1.0 + 1e-12}));
  BOOST_TEST(narrowed[0] == 1.0f);
}

BOOST_AUTO_TEST_SUITE_END()
