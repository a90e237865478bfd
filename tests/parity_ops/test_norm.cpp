// Parity of the CUDA instance norm, batch norm and AdaIN kernels with the CPU ops: forward results,
// saved statistics, input and parameter gradients, running statistics; float and double.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <vector>

#include "compare.hpp"
#include "i2i/backend/cpu/adain.hpp"
#include "i2i/backend/cpu/batch_norm.hpp"
#include "i2i/backend/cpu/instance_norm.hpp"
#include "i2i/backend/cpu/instance_norm_pad.hpp"

using namespace i2i;
using namespace i2i::parity;
using real_types = std::tuple<float, double>;

BOOST_AUTO_TEST_SUITE(parity_norm, *boost::unit_test::precondition(device_present()))

BOOST_AUTO_TEST_CASE_TEMPLATE(instance_norm_every_activation, T, real_types) {
  for (const shape s : {shape::nchw(2, 3, 7, 5), shape::nchw(3, 2, 16, 33), shape::nchw(1, 4, 2, 1)}) {
    for (const bool affine : {false, true}) {
      for (const act_arg a : all_acts) {
        const std::string what = std::string("instance_norm ") + act_name(a) + (affine ? " affine " : " ") + s.str();
        const auto x = random<T>(s, -2, 3);
        const tensor<T> w = affine ? random<T>(shape{s[1]}, 0.5, 1.5) : tensor<T>();
        const tensor<T> b = affine ? random<T>(shape{s[1]}) : tensor<T>();
        const auto ref = cpu::instance_norm(x, w, b, 1e-5, cpu_act(a));
        const auto got = gpu::instance_norm(x, w, b, 1e-5, a);
        expect_close(what + " y", got.y, ref.y, tol<T>());
        expect_close(what + " mean", got.mean, ref.mean, tol<T>());
        expect_close(what + " inv_std", got.inv_std, ref.inv_std, tol<T>());

        const auto dy = random<T>(s);
        const tensor<T> dw0 = affine ? random<T>(shape{s[1]}) : tensor<T>();
        const tensor<T> db0 = affine ? random<T>(shape{s[1]}) : tensor<T>();
        const tensor<T> dw = affine ? dw0.clone() : tensor<T>(), db = affine ? db0.clone() : tensor<T>();
        const auto dx = cpu::instance_norm_backward(dy, x, ref, w, dw, db);
        const auto g = gpu::instance_norm_backward(dy, x, w, b, 1e-5, a, dw0, db0);
        expect_close(what + " dx", g.dx, dx, 10 * tol<T>());
        expect_close(what + " dweight", g.dweight, dw, 10 * tol<T>());
        expect_close(what + " dbias", g.dbias, db, 10 * tol<T>());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(instance_norm_pad_every_activation, T, real_types) {
  // The fused norm + activation + reflection pad against the CPU op (which equals the unfused chain).
  for (const shape s : {shape::nchw(2, 3, 7, 5), shape::nchw(2, 2, 16, 33), shape::nchw(1, 4, 4, 9)}) {
    for (const padding2d p : {padding2d::uniform(1), padding2d::uniform(3), padding2d{2, 0, 1, 3}}) {
      for (const bool affine : {false, true}) {
        for (const act_arg a : all_acts) {
          const std::string what = std::string("instance_norm_pad ") + act_name(a) + (affine ? " affine " : " ") +
                                   s.str() + " pad " + std::to_string(p.top) + std::to_string(p.bottom) +
                                   std::to_string(p.left) + std::to_string(p.right);
          const auto x = random<T>(s, -2, 3);
          const tensor<T> w = affine ? random<T>(shape{s[1]}, 0.5, 1.5) : tensor<T>();
          const tensor<T> b = affine ? random<T>(shape{s[1]}) : tensor<T>();
          const auto ref = cpu::instance_norm_pad(x, w, b, 1e-5, cpu_act(a), p);
          const auto got = gpu::instance_norm_pad(x, w, b, 1e-5, a, p);
          expect_close(what + " y", got.y, ref.y, tol<T>());
          expect_close(what + " mean", got.mean, ref.mean, tol<T>());
          expect_close(what + " inv_std", got.inv_std, ref.inv_std, tol<T>());

          const auto dy = random<T>(ref.y.shape());
          const tensor<T> dw0 = affine ? random<T>(shape{s[1]}) : tensor<T>();
          const tensor<T> db0 = affine ? random<T>(shape{s[1]}) : tensor<T>();
          const tensor<T> dw = affine ? dw0.clone() : tensor<T>(), db = affine ? db0.clone() : tensor<T>();
          const auto dx = cpu::instance_norm_pad_backward(dy, x, ref, w, dw, db);
          const auto g = gpu::instance_norm_pad_backward(dy, x, w, b, 1e-5, a, p, dw0, db0);
          expect_close(what + " dx", g.dx, dx, 10 * tol<T>());
          expect_close(what + " dweight", g.dweight, dw, 10 * tol<T>());
          expect_close(what + " dbias", g.dbias, db, 10 * tol<T>());
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(instance_norm_pad_errors_match) {
  const auto x = random<float>(shape::nchw(2, 3, 4, 4));
  expect_same_error<value_error>(
      "padding too large", [&] { (void)cpu::instance_norm_pad(x, {}, {}, 1e-5, cpu::activation::relu(), padding2d::uniform(4)); },
      [&] { (void)gpu::instance_norm_pad(x, tensor<float>(), tensor<float>(), 1e-5, act_arg{1, 0}, padding2d::uniform(4)); });
}

BOOST_AUTO_TEST_CASE(instance_norm_large_offset_planes_in_float) {
  // 512 x 1024 planes with mean 1000 and std ~1: the corrected two-pass statistics must hold in float.
  const shape s = shape::nchw(1, 2, 512, 1024);
  const auto x = random<float>(s, 998.3, 1001.7);
  const auto ref = cpu::instance_norm(x, {}, {}, 1e-5, cpu::activation::relu());
  const auto got = gpu::instance_norm(x, tensor<float>(), tensor<float>(), 1e-5, act_arg{1, 0});
  expect_close("large plane y", got.y, ref.y, 1e-5);
  expect_close("large plane mean", got.mean, ref.mean, 1e-6);
  expect_close("large plane inv_std", got.inv_std, ref.inv_std, 1e-5);
}

BOOST_AUTO_TEST_CASE(instance_norm_errors_match) {
  const auto x = random<float>(shape::nchw(2, 3, 4, 4)), w = random<float>(shape{4});
  const auto one = random<float>(shape::nchw(2, 3, 1, 1));
  expect_same_error<shape_error>(
      "weight shape", [&] { (void)cpu::instance_norm(x, w); },
      [&] { (void)gpu::instance_norm(x, w, tensor<float>(), 1e-5, act_arg{}); });
  expect_same_error<value_error>(
      "single pixel", [&] { (void)cpu::instance_norm(one); },
      [&] { (void)gpu::instance_norm(one, tensor<float>(), tensor<float>(), 1e-5, act_arg{}); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(batch_norm_train_eval_backward, T, real_types) {
  for (const shape s : {shape::nchw(4, 3, 7, 5), shape::nchw(2, 5, 1, 1)}) {
    for (const act_arg a : all_acts) {
      const std::string what = std::string("batch_norm ") + act_name(a) + " " + s.str();
      const auto x = random<T>(s, -1, 2);
      const auto w = random<T>(shape{s[1]}, 0.5, 1.5), b = random<T>(shape{s[1]});
      const auto rm0 = random<T>(shape{s[1]}), rv0 = random<T>(shape{s[1]}, 0.5, 2);
      auto rm = rm0.clone(), rv = rv0.clone();
      const auto ref = cpu::batch_norm_train(x, w, b, rm, rv, 0.1, 1e-5, cpu_act(a));
      const auto got = gpu::batch_norm(true, x, w, b, rm0, rv0, 0.1, 1e-5, a);
      expect_close(what + " train y", got.y, ref.y, tol<T>());
      expect_close(what + " train mean", got.mean, ref.mean, tol<T>());
      expect_close(what + " train inv_std", got.inv_std, ref.inv_std, tol<T>());
      expect_close(what + " running_mean", got.running_mean, rm, tol<T>());
      expect_close(what + " running_var", got.running_var, rv, tol<T>());

      const auto ev = cpu::batch_norm_eval(x, w, b, rm0, rv0, 1e-5, cpu_act(a));
      const auto gev = gpu::batch_norm(false, x, w, b, rm0, rv0, 0.1, 1e-5, a);
      expect_close(what + " eval y", gev.y, ev.y, tol<T>());
      expect_equal(what + " eval mean", gev.mean, ev.mean);
      expect_equal(what + " eval running_var untouched", gev.running_var, rv0);

      const auto dy = random<T>(s);
      for (const bool training : {true, false}) {
        const auto dw0 = random<T>(shape{s[1]}), db0 = random<T>(shape{s[1]});
        auto dw = dw0.clone(), db = db0.clone();
        auto rm2 = rm0.clone(), rv2 = rv0.clone();
        const auto fwd = training ? cpu::batch_norm_train(x, w, b, rm2, rv2, 0.1, 1e-5, cpu_act(a))
                                  : cpu::batch_norm_eval(x, w, b, rm0, rv0, 1e-5, cpu_act(a));
        const auto dx = cpu::batch_norm_backward(dy, x, fwd, w, dw, db);
        const auto g = gpu::batch_norm_backward(training, dy, x, w, b, rm0, rv0, 1e-5, a, dw0, db0);
        const std::string mode = training ? " train" : " eval";
        expect_close(what + mode + " dx", g.dx, dx, 10 * tol<T>());
        expect_close(what + mode + " dweight", g.dweight, dw, 10 * tol<T>());
        expect_close(what + mode + " dbias", g.dbias, db, 10 * tol<T>());
      }
    }
  }
  // Training without running statistics.
  const auto x = random<T>(shape::nchw(3, 2, 4, 4));
  const auto ref = cpu::batch_norm_train(x, {}, {}, {}, {});
  expect_close("untracked", gpu::batch_norm(true, x, {}, {}, {}, {}, 0.1, 1e-5, act_arg{}).y, ref.y, tol<T>());
}

// SyncBatchNorm's halves (spec/norm.hpp, dist::sync_batch_norm): the per-channel sums, training with given
// statistics (a group's: here three "ranks" whose sums are added up, this process being one of them, so the
// statistics are not this batch's), this process's backward sums, and dx from the group's sums.
BOOST_AUTO_TEST_CASE_TEMPLATE(synchronised_batch_norm_halves, T, real_types) {
  for (const shape s : {shape::nchw(2, 3, 7, 5), shape::nchw(1, 4, 16, 33)}) {
    for (const act_arg a : all_acts) {
      const std::string what = std::string("synchronised batch_norm ") + act_name(a) + " " + s.str();
      const std::int64_t C = s[1];
      const auto x = random<T>(s, -1, 2), dy = random<T>(s);
      const auto w = random<T>(shape{C}, 0.5, 1.5), b = random<T>(shape{C});
      const auto rm0 = random<T>(shape{C}), rv0 = random<T>(shape{C}, 0.5, 2);
      const auto dw0 = random<T>(shape{C}), db0 = random<T>(shape{C});
      const std::vector<double> sums = cpu::batch_norm_sums(x);
      // The group: this process and two others whose sums are this one's scaled.
      const std::int64_t count = 3 * s[0] * s[2] * s[3];
      std::vector<double> mean(static_cast<std::size_t>(C), 0.0), var(static_cast<std::size_t>(C), 0.0);
      for (std::size_t c = 0; c < std::size_t(C); ++c) {
        const double sx = sums[c] * (1 + 0.5 + 2.0), sxx = sums[std::size_t(C) + c] * (1 + 0.25 + 4.0);
        mean[c] = sx / double(count);
        var[c] = std::max(sxx / double(count) - mean[c] * mean[c], 0.0);
      }
      auto rm = rm0.clone(), rv = rv0.clone();
      const auto fwd = cpu::batch_norm_train_with_stats(x, w, b, rm, rv, 0.1, 1e-5, cpu_act(a), mean, var, count);
      const std::vector<double> bsums = cpu::batch_norm_backward_sums(dy, x, fwd);
      std::vector<double> group(bsums.size());
      for (std::size_t k = 0; k < bsums.size(); ++k) group[k] = bsums[k] * 2.5 - 0.125;
      auto dw = dw0.clone(), db = db0.clone();
      const auto dx = cpu::batch_norm_backward_with_sums(dy, x, fwd, w, dw, db, group, count);

      const auto got = gpu::batch_norm_synchronised(x, w, b, rm0, rv0, 0.1, 1e-5, a, mean, var, count, dy, dw0, db0,
                                                    group);
      const double t = tol<T>();
      BOOST_REQUIRE_EQUAL(got.sums.size(), sums.size());
      for (std::size_t k = 0; k < sums.size(); ++k)
        BOOST_TEST(std::abs(got.sums[k] - sums[k]) <= t * (1 + std::abs(sums[k])), what << " sums[" << k << "]");
      expect_close(what + " y", got.train.y, fwd.y, t);
      expect_close(what + " mean", got.train.mean, fwd.mean, t);
      expect_close(what + " inv_std", got.train.inv_std, fwd.inv_std, t);
      expect_close(what + " running_mean", got.train.running_mean, rm, t);
      expect_close(what + " running_var", got.train.running_var, rv, t);
      BOOST_REQUIRE_EQUAL(got.backward_sums.size(), bsums.size());
      for (std::size_t k = 0; k < bsums.size(); ++k)
        BOOST_TEST(std::abs(got.backward_sums[k] - bsums[k]) <= 10 * t * (1 + std::abs(bsums[k])),
                   what << " backward sums[" << k << "]");
      expect_close(what + " dx", got.grads.dx, dx, 10 * t);
      expect_close(what + " dweight", got.grads.dweight, dw, 10 * t);
      expect_close(what + " dbias", got.grads.dbias, db, 10 * t);
    }
  }
}

BOOST_AUTO_TEST_CASE(batch_norm_errors_match) {
  const auto x = random<float>(shape::nchw(2, 3, 4, 4)), rv = random<float>(shape{3}, -3, -2);
  const auto rm = random<float>(shape{3});
  expect_same_error<value_error>(
      "negative running_var", [&] { (void)cpu::batch_norm_eval(x, {}, {}, rm, rv); },
      [&] { (void)gpu::batch_norm(false, x, {}, {}, rm, rv, 0.1, 1e-5, act_arg{}); });
  expect_same_error<value_error>(
      "momentum", [&] { (void)cpu::batch_norm_train(x, {}, {}, {}, {}, 1.5); },
      [&] { (void)gpu::batch_norm(true, x, {}, {}, {}, {}, 1.5, 1e-5, act_arg{}); });
  const auto single = random<float>(shape::nchw(1, 3, 1, 1));
  expect_same_error<value_error>(
      "single value", [&] { (void)cpu::batch_norm_train(single, {}, {}, {}, {}); },
      [&] { (void)gpu::batch_norm(true, single, {}, {}, {}, {}, 0.1, 1e-5, act_arg{}); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(channel_moments_and_backward, T, real_types) {
  for (const bool unbiased : {false, true}) {
    const auto x = random<T>(shape::nchw(2, 3, 9, 13), -1, 3);
    const auto dmean = random<T>(shape{2, 3}), dvar = random<T>(shape{2, 3});
    const auto ref = cpu::channel_moments(x, unbiased);
    const auto got = gpu::channel_moments(x, unbiased, dmean, dvar);
    expect_close("moments mean", got[0], ref.mean, tol<T>());
    expect_close("moments var", got[1], ref.var, tol<T>());
    expect_close("moments dx", got[2], cpu::channel_moments_backward(x, ref, dmean, dvar), tol<T>());
    // Either gradient may be absent.
    expect_close("moments dx (dvar only)", gpu::channel_moments(x, unbiased, tensor<T>(), dvar)[2],
                 cpu::channel_moments_backward(x, ref, tensor<T>(), dvar), tol<T>());
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(adain_canonical, T, real_types) {
  for (const bool unbiased : {false, true}) {
    const shape s = shape::nchw(2, 4, 11, 6);
    const auto x = random<T>(s, -1, 2), dy = random<T>(s);
    const auto sm = random<T>(shape{2, 4}), ss = random<T>(shape{2, 4}, 0.5, 2);
    const adain_options opt{1e-5, unbiased};
    const auto ref = cpu::adain(x, sm, ss, opt);
    const auto g = cpu::adain_backward(x, sm, ss, ref, dy);
    const auto got = gpu::adain(x, sm, ss, 1e-5, unbiased, dy);
    expect_close("adain y", got[0], ref.y, tol<T>());
    expect_close("adain mean", got[1], ref.mean, tol<T>());
    expect_close("adain rstd", got[2], ref.rstd, tol<T>());
    expect_close("adain dx", got[3], g.dx, 10 * tol<T>());
    expect_close("adain dstyle_mean", got[4], g.dstyle_mean, 10 * tol<T>());
    expect_close("adain dstyle_std", got[5], g.dstyle_std, 10 * tol<T>());

    const auto style = random<T>(shape::nchw(2, 4, 5, 9), -2, 1);  // another spatial size than x
    const auto fr = cpu::adain_from_style(x, style, opt);
    const auto fg = cpu::adain_from_style_backward(x, style, fr, dy);
    const auto fgot = gpu::adain_from_style(x, style, 1e-5, unbiased, dy);
    expect_close("adain_from_style y", fgot[0], fr.adain.y, tol<T>());
    expect_close("adain_from_style dx", fgot[1], fg.dx, 10 * tol<T>());
    expect_close("adain_from_style dstyle", fgot[2], fg.dstyle, 10 * tol<T>());
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(adain_egscit_variant, T, real_types) {
  for (const double eps : {0.0, 1e-3}) {
    const shape s = shape::nchw(3, 2, 8, 7);
    const auto x = random<T>(s, -1, 2), dy = random<T>(s);
    const auto em = random<T>(shape{3, 2}), ev = random<T>(shape{3, 2}, 0.1, 1);
    const auto ref = cpu::adain_egscit(x, em, ev, eps);
    const auto g = cpu::adain_egscit_backward(x, em, ev, ref, dy);
    const auto got = gpu::adain_egscit(x, em, ev, eps, dy);
    expect_close("egscit y", got[0], ref.y, tol<T>());
    expect_close("egscit mean", got[1], ref.mean, tol<T>());
    expect_close("egscit inv_var", got[2], ref.inv_var, tol<T>());
    expect_close("egscit dx", got[3], g.dx, 10 * tol<T>());
    expect_close("egscit dexemplar_mean", got[4], g.dexemplar_mean, 10 * tol<T>());
    expect_close("egscit dexemplar_var", got[5], g.dexemplar_var, 10 * tol<T>());

    const auto fe = random<T>(shape::nchw(3, 2, 5, 6), -1, 1);
    const auto fr = cpu::adain_egscit_from_exemplar(x, fe, eps);
    const auto fg = cpu::adain_egscit_from_exemplar_backward(x, fe, fr, dy);
    const auto fgot = gpu::adain_egscit_from_exemplar(x, fe, eps, dy);
    expect_close("egscit_from_exemplar y", fgot[0], fr.adain.y, tol<T>());
    expect_close("egscit_from_exemplar dx", fgot[1], fg.dx, 10 * tol<T>());
    expect_close("egscit_from_exemplar dexemplar", fgot[2], fg.dexemplar, 10 * tol<T>());
  }
  // A constant channel with eps = 0: inf * 0 = NaN on both sides, as in the TensorFlow original.
  auto x = random<T>(shape::nchw(1, 2, 3, 3));
  for (int i = 0; i < 9; ++i) x[i] = T(0.5);
  const auto em = random<T>(shape{1, 2}), ev = random<T>(shape{1, 2});
  const auto ref = cpu::adain_egscit(x, em, ev, 0.0);
  expect_close("egscit constant channel", gpu::adain_egscit(x, em, ev, 0.0, random<T>(x.shape()))[0], ref.y, tol<T>());
}

BOOST_AUTO_TEST_CASE(adain_errors_match) {
  const auto x = random<float>(shape::nchw(2, 3, 4, 4)), sm = random<float>(shape{2, 4});
  expect_same_error<shape_error>(
      "style shape", [&] { (void)cpu::adain(x, sm, sm); },
      [&] { (void)gpu::adain(x, sm, sm, 1e-5, false, x); });
  const auto one = random<float>(shape::nchw(2, 3, 1, 1)), s = random<float>(shape{2, 3});
  expect_same_error<shape_error>(
      "unbiased single pixel", [&] { (void)cpu::adain(one, s, s, adain_options{1e-5, true}); },
      [&] { (void)gpu::adain(one, s, s, 1e-5, true, one); });
}

BOOST_AUTO_TEST_SUITE_END()
