// SSIM against scikit-image (fixtures/make_ssim_fixture.py wrote the images and skimage 0.19.3's
// values), against a naive reference written here, and the paired-folder evaluation of EGSC-IT.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "i2i/io/png.hpp"
#include "i2i/metrics/paired_folders.hpp"
#include "i2i/metrics/psnr.hpp"
#include "i2i/metrics/ssim.hpp"
#include "support/gradcheck.hpp"
#include "unit/io/scratch_dir.hpp"

namespace {

namespace fs = std::filesystem;
using i2i::io::image;

fs::path fixture_dir() { return fs::path(__FILE__).parent_path() / "fixtures"; }

struct fixture_row {
  std::string x, y;
  double ssim, ch[3], population, win3, psnr;
};

std::vector<fixture_row> read_fixture() {
  std::ifstream f(fixture_dir() / "ssim_values.txt");
  BOOST_TEST_REQUIRE(f.good());
  std::vector<fixture_row> rows;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    fixture_row r;
    std::string psnr;
    s >> r.x >> r.y >> r.ssim >> r.ch[0] >> r.ch[1] >> r.ch[2] >> r.population >> r.win3 >> psnr;
    BOOST_TEST_REQUIRE(!s.fail());
    r.psnr = psnr == "inf" ? INFINITY : std::stod(psnr);
    rows.push_back(r);
  }
  return rows;
}

image random_image(std::mt19937& g, int w, int h, int c = 3) {
  image img(w, h, c);
  std::uniform_int_distribution<int> d(0, 255);
  for (auto& p : img.pixels) p = std::uint8_t(d(g));
  return img;
}

// SSIM straight from the definition: every window fully inside, means and (co)variances by loops.
double naive_ssim(const image& x, const image& y, int win, bool sample) {
  double total = 0;
  for (int c = 0; c < x.channels; ++c) {
    double sum = 0;
    int count = 0;
    for (int r = 0; r + win <= x.height; ++r)
      for (int q = 0; q + win <= x.width; ++q) {
        double mx = 0, my = 0;
        for (int i = 0; i < win; ++i)
          for (int j = 0; j < win; ++j) {
            mx += x.at(r + i, q + j, c);
            my += y.at(r + i, q + j, c);
          }
        const double n = win * win;
        mx /= n;
        my /= n;
        double vx = 0, vy = 0, cxy = 0;
        for (int i = 0; i < win; ++i)
          for (int j = 0; j < win; ++j) {
            const double a = x.at(r + i, q + j, c) - mx, b = y.at(r + i, q + j, c) - my;
            vx += a * a;
            vy += b * b;
            cxy += a * b;
          }
        const double d = sample ? n - 1 : n;
        vx /= d;
        vy /= d;
        cxy /= d;
        const double c1 = std::pow(0.01 * 255, 2), c2 = std::pow(0.03 * 255, 2);
        sum += (2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
        ++count;
      }
    total += sum / count;
  }
  return total / x.channels;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ssim)

BOOST_AUTO_TEST_CASE(matches_scikit_image_on_the_committed_fixture) {
  const auto rows = read_fixture();
  BOOST_TEST_REQUIRE(rows.size() == 8u);
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.x << " vs " << r.y) {
      const image x = i2i::io::read_png((fixture_dir() / r.x).string());
      const image y = i2i::io::read_png((fixture_dir() / r.y).string());
      BOOST_TEST_REQUIRE(x.channels == 3);
      BOOST_TEST(std::abs(i2i::metrics::ssim(x, y) - r.ssim) < 1e-6);
      for (int c = 0; c < 3; ++c) BOOST_TEST(std::abs(i2i::metrics::ssim_channel(x, y, c) - r.ch[c]) < 1e-6);
      i2i::metrics::ssim_options pop;
      pop.sample_covariance = false;
      BOOST_TEST(std::abs(i2i::metrics::ssim(x, y, pop) - r.population) < 1e-6);
      i2i::metrics::ssim_options w3;
      w3.win_size = 3;
      BOOST_TEST(std::abs(i2i::metrics::ssim(x, y, w3) - r.win3) < 1e-6);
      const double p = i2i::metrics::psnr(x, y);
      if (std::isinf(r.psnr))
        BOOST_TEST(std::isinf(p));
      else
        BOOST_TEST(std::abs(p - r.psnr) < 1e-9);
    }
  }
}

BOOST_AUTO_TEST_CASE(matches_a_naive_loop_on_random_sizes) {
  std::mt19937 g(7);
  for (int trial = 0; trial < 6; ++trial) {
    const int w = 7 + trial * 5, h = 9 + trial * 3;
    const image x = random_image(g, w, h), y = random_image(g, w, h);
    for (bool sample : {true, false}) {
      i2i::metrics::ssim_options opt;
      opt.sample_covariance = sample;
      BOOST_TEST(std::abs(i2i::metrics::ssim(x, y, opt) - naive_ssim(x, y, 7, sample)) < 1e-10);
    }
  }
}

BOOST_AUTO_TEST_CASE(is_one_for_identical_images_and_symmetric) {
  std::mt19937 g(3);
  const image x = random_image(g, 28, 28), y = random_image(g, 28, 28);
  BOOST_TEST(i2i::metrics::ssim(x, x) == 1.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(i2i::metrics::ssim(x, y) == i2i::metrics::ssim(y, x), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(i2i::metrics::ssim(x, y) < 0.2);
}

BOOST_AUTO_TEST_CASE(rejects_bad_shapes_and_windows) {
  std::mt19937 g(1);
  const image a = random_image(g, 28, 28), b = random_image(g, 27, 28), small = random_image(g, 6, 10);
  i2i::test::expect_error<i2i::shape_error>([&] { (void)i2i::metrics::ssim(a, b); }, {"ssim", "28x28x3", "27x28x3"});
  i2i::test::expect_error<i2i::value_error>([&] { (void)i2i::metrics::ssim(small, small); }, {"ssim", "7x7", "6x10"});
  i2i::metrics::ssim_options even;
  even.win_size = 4;
  i2i::test::expect_error<i2i::value_error>([&] { (void)i2i::metrics::ssim(a, a, even); }, {"win_size 4", "odd"});
}

BOOST_AUTO_TEST_CASE(folders_pair_by_sorted_name_and_take_the_first_n) {
  i2i::test::scratch_dir tmp;
  const fs::path out = tmp.dir / "ab", gt = tmp.dir / "testA2B";
  fs::create_directories(out);
  fs::create_directories(gt);
  std::mt19937 g(11);
  std::vector<image> xs, ys;
  for (int i = 0; i < 5; ++i) {
    xs.push_back(random_image(g, 12, 10));
    ys.push_back(random_image(g, 12, 10));
  }
  ys[2] = xs[2];  // one perfect translation
  // Written in reverse so that directory order is unlikely to be name order; names as the authors'.
  for (int i = 4; i >= 0; --i) {
    char a[64], b[64];
    std::snprintf(a, sizeof a, "%06d_%d_Black_Whilte_to_%06d_3_R_G.png", i, i, i);
    std::snprintf(b, sizeof b, "%06d_%d_R_G.png", i, i);
    i2i::io::write_png((out / a).string(), xs[std::size_t(i)]);
    i2i::io::write_png((gt / b).string(), ys[std::size_t(i)]);
  }
  const auto r = i2i::metrics::ssim_folders(out, gt, 4);
  BOOST_TEST_REQUIRE(r.values.size() == 4u);
  std::vector<double> expect;
  for (int i = 0; i < 4; ++i) {
    expect.push_back(i2i::metrics::ssim(xs[std::size_t(i)], ys[std::size_t(i)]));
    BOOST_TEST(r.values[std::size_t(i)] == expect.back(), boost::test_tools::tolerance(1e-12));
    BOOST_TEST(fs::path(r.outputs[std::size_t(i)]).filename().string().substr(0, 6) ==
               fs::path(r.references[std::size_t(i)]).filename().string().substr(0, 6));
  }
  BOOST_TEST(r.values[2] == 1.0, boost::test_tools::tolerance(1e-12));
  double mean = 0, var = 0;
  for (double v : expect) mean += v / 4;
  for (double v : expect) var += (v - mean) * (v - mean) / 4;  // population, like np.std
  BOOST_TEST(r.summary.mean == mean, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r.summary.std == std::sqrt(var), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r.summary.count == 4u);

  // The in-memory variant agrees, and asking for more pairs than exist fails naming both folders.
  const auto mem = i2i::metrics::ssim_pairs(std::span<const image>(xs.data(), 4), std::span<const image>(ys.data(), 4));
  BOOST_TEST(mem.summary.mean == r.summary.mean, boost::test_tools::tolerance(1e-12));
  i2i::test::expect_error<i2i::value_error>([&] { (void)i2i::metrics::ssim_folders(out, gt, 1000); },
                                            {"first 1000", "holds 5"});
  // egscit_ssim reads <dataset>/testA2B and testB2A.
  fs::create_directories(tmp.dir / "testB2A");
  for (const auto& e : fs::directory_iterator(gt)) fs::copy(e.path(), tmp.dir / "testB2A" / e.path().filename());
  const auto both = i2i::metrics::egscit_ssim(out, out, tmp.dir, 5);
  BOOST_TEST(both.a2b.summary.mean == both.b2a.summary.mean, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(both.a2b.summary.count == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
