// The main job must learn: a short training run of the MNIST edge translator on real MNIST brings the
// test L1 error far below both the untrained network and the "always background" answer.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "../../../examples/mnist_edges/edge_translator.hpp"
#include "i2i/core/threads.hpp"

namespace {

std::string mnist_dir() {
  const char* env = std::getenv("I2I_DATA_DIR");
  return std::string(env ? env : I2I_DEFAULT_DATA_DIR) + "/mnist";
}

struct mnist_present {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    boost::test_tools::assertion_result r(std::filesystem::exists(mnist_dir() + "/train-images-idx3-ubyte"));
    r.message() << "MNIST not found in " << mnist_dir() << " (run cmake/fetch_mnist.sh); skipping";
    return r;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(integration)

BOOST_AUTO_TEST_CASE(mnist_edge_translator_learns, *boost::unit_test::precondition(mnist_present())) {
  const auto train = i2i::io::read_idx(mnist_dir() + "/train-images-idx3-ubyte");
  const auto test = i2i::io::read_idx(mnist_dir() + "/t10k-images-idx3-ubyte");
  mnist_edges::translator net(7);
  const double baseline = mnist_edges::constant_baseline_l1(test, 0, 500);
  const double before = mnist_edges::evaluate_l1(net, test, 0, 500);
  double last_train = 0;
  mnist_edges::train(net, train, {.steps = 200, .batch = 16, .lr = 1e-3, .seed = 7},
                     [&](int, double loss) { last_train = loss; });
  const double after = mnist_edges::evaluate_l1(net, test, 0, 500);
  BOOST_TEST_MESSAGE("test L1: untrained " << before << ", background baseline " << baseline << ", trained " << after);
  BOOST_TEST(before > baseline);          // an untrained net is worse than saying "background" everywhere
  BOOST_TEST(after < 0.4 * baseline);     // ... and training takes it well below that
  BOOST_TEST(last_train < 0.4 * baseline);
}

BOOST_AUTO_TEST_SUITE_END()
