// Writes the fuzz targets' seed corpus (tests/fuzz/corpus/<target>/) and the crafted bombs of the
// regression corpus (tests/fuzz/regression/<target>/). Run once; the output is committed:
//
//   make fuzz_make_seeds && tests/fuzz/fuzz_make_seeds <source>/tests/fuzz
//
// The numpy-written fixtures of tests/unit/checkpoint/fixtures (*.npy, *.npz, *.safetensors) are copied
// into the npy, npz and safetensors seeds as well: they are the files real users bring.
#include <zlib.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

#include "i2i/io/checkpoint.hpp"
#include "i2i/io/idx.hpp"
#include "i2i/io/image.hpp"
#include "i2i/io/npy.hpp"
#include "i2i/io/safetensors.hpp"
#include "support/crafted_files.hpp"

namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const i2i::test::bytes& b) {
  fs::create_directories(p.parent_path());
  std::FILE* f = std::fopen(p.c_str(), "wb");
  if (!f || std::fwrite(b.data(), 1, b.size(), f) != b.size() || std::fclose(f) != 0) {
    std::perror(p.c_str());
    std::exit(1);
  }
}

i2i::io::image pattern(int w, int h, int c) {
  i2i::io::image img(w, h, c);
  for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<std::uint8_t>(i * 37 + i / 7);
  return img;
}

i2i::test::bytes slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void gzip(const fs::path& p, const i2i::test::bytes& raw) {
  gzFile f = gzopen(p.c_str(), "wb");
  if (!f || gzwrite(f, raw.data(), unsigned(raw.size())) != int(raw.size()) || gzclose(f) != Z_OK) std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds <source>/tests/fuzz\n");
    return 2;
  }
  const fs::path root(argv[1]), corpus = root / "corpus", regression = root / "regression";
  for (const char* t : {"png", "jpeg", "idx", "npy", "npz", "safetensors", "checkpoint"}) {
    fs::create_directories(corpus / t);
    fs::create_directories(regression / t);
  }

  // PNG: grey, RGB, 16-bit grey (instance ids), odd sizes.
  i2i::io::write_png((corpus / "png" / "grey_5x3.png").string(), pattern(5, 3, 1));
  i2i::io::write_png((corpus / "png" / "rgb_8x8.png").string(), pattern(8, 8, 3));
  i2i::io::write_png((corpus / "png" / "rgb_1x13.png").string(), pattern(1, 13, 3));
  i2i::io::image16 ids(6, 4, 1);
  for (std::size_t i = 0; i < ids.pixels.size(); ++i) ids.pixels[i] = std::uint16_t(i * 4099);
  i2i::io::write_png((corpus / "png" / "grey16_6x4.png").string(), ids);

  // JPEG: grey and colour, two qualities.
  i2i::io::write_jpeg((corpus / "jpeg" / "grey_8x8.jpg").string(), pattern(8, 8, 1), 90);
  i2i::io::write_jpeg((corpus / "jpeg" / "rgb_16x16.jpg").string(), pattern(16, 16, 3), 75);
  i2i::io::write_jpeg((corpus / "jpeg" / "rgb_17x9.jpg").string(), pattern(17, 9, 3), 30);

  // IDX: MNIST-like images and labels, raw and gzip.
  std::vector<std::uint8_t> px(2 * 28 * 28);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = std::uint8_t(i);
  i2i::io::write_idx((corpus / "idx" / "images-idx3-ubyte").string(), std::array<std::uint32_t, 3>{2, 28, 28}, px);
  i2i::io::write_idx((corpus / "idx" / "labels-idx1-ubyte").string(), std::array<std::uint32_t, 1>{5},
                     std::vector<std::uint8_t>{0, 1, 2, 3, 9});
  i2i::io::write_idx((corpus / "idx" / "small-idx3-ubyte").string(), std::array<std::uint32_t, 3>{3, 2, 2},
                     std::vector<std::uint8_t>(12, 7));
  gzip(corpus / "idx" / "images-idx3-ubyte.gz", slurp(corpus / "idx" / "images-idx3-ubyte"));

  // npy: what write_npy writes, and dtypes it does not (the numpy fixtures add more).
  i2i::io::write_npy((corpus / "npy" / "f4_2x3.npy").string(), i2i::tensor<float>::from({2, 3}, {1, 2, 3, 4, 5, 6}));
  i2i::io::write_npy((corpus / "npy" / "f8_4.npy").string(), i2i::tensor<double>::from({4}, {1, -2, 3.5, 0}));
  write(corpus / "npy" / "u2_be_2x2.npy",
        i2i::test::npy_with_header("{'descr': '>u2', 'fortran_order': False, 'shape': (2, 2), }", 8));
  write(corpus / "npy" / "b1_3.npy", i2i::test::npy_with_header("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", 3));

  // safetensors and checkpoints: F32/F64 with metadata; a header with F16 and BF16.
  const auto w = i2i::tensor<float>::from({2, 3}, {1, 2, 3, 4, 5, 6});
  const auto b = i2i::tensor<double>::from({2}, {0.5, -0.5});
  i2i::io::write_safetensors((corpus / "safetensors" / "f32_f64.safetensors").string(),
                             {i2i::io::blob_of("w", w), i2i::io::blob_of("b", b)}, {{"format", "pt"}});
  write(corpus / "safetensors" / "f16_bf16.safetensors",
        i2i::test::safetensors_with_header(
            R"({"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"g":{"dtype":"BF16","shape":[1,2],"data_offsets":[4,8]}})",
            8));
  // fuzz_checkpoint's model: pix2pixHD's global generator with 3 -> 3 channels, ngf 2, one downsampling
  // and one residual block.
  i2i::state_dict<float> model;
  model.push_back({"model.1.weight", i2i::tensor<float>::filled({2, 3, 7, 7}, 0.25f)});
  model.push_back({"model.1.bias", i2i::tensor<float>::filled({2}, -1.0f)});
  i2i::io::save_state_dict(model, (corpus / "checkpoint" / "partial.safetensors").string(), {{"iteration", "42"}});
  model.push_back({"model.4.weight", i2i::tensor<float>::zeros({4, 2, 3, 3})});
  model.push_back({"model.4.bias", i2i::tensor<float>::zeros({4})});
  model.push_back({"model.7.conv_block.1.weight", i2i::tensor<float>::zeros({4, 4, 3, 3})});
  model.push_back({"model.7.conv_block.1.bias", i2i::tensor<float>::zeros({4})});
  model.push_back({"model.7.conv_block.5.weight", i2i::tensor<float>::zeros({4, 4, 3, 3})});
  model.push_back({"model.7.conv_block.5.bias", i2i::tensor<float>::zeros({4})});
  model.push_back({"model.8.weight", i2i::tensor<float>::zeros({4, 2, 3, 3})});
  model.push_back({"model.8.bias", i2i::tensor<float>::zeros({2})});
  model.push_back({"model.12.weight", i2i::tensor<float>::zeros({3, 2, 7, 7})});
  model.push_back({"model.12.bias", i2i::tensor<float>::zeros({3})});
  i2i::io::save_state_dict(model, (corpus / "checkpoint" / "complete.safetensors").string(), {{"iteration", "7"}});
  // The same set as a local enhancer's checkpoint names its global part (fuzz_checkpoint's key map).
  for (auto& [name, value] : model) name = "global." + name;
  i2i::io::save_state_dict(model, (corpus / "checkpoint" / "global_prefixed.safetensors").string());

  // Regression corpus: the bombs of issue 18 (tests/unit/io/test_limits.cpp checks their messages).
  write(regression / "png" / "bomb_32768x32768.png", i2i::test::png_bomb(32768, 32768));
  write(regression / "png" / "bomb_8000x8000_grey16.png", i2i::test::png_bomb(8000, 8000, 0, 16));
  const auto jpeg = slurp(corpus / "jpeg" / "rgb_16x16.jpg");
  write(regression / "jpeg" / "bomb_65000x65000.jpg", i2i::test::jpeg_with_size(jpeg, 65000, 65000));
  write(regression / "jpeg" / "bomb_2000x2000.jpg", i2i::test::jpeg_with_size(jpeg, 2000, 2000));
  write(regression / "idx" / "bomb_3GiB", i2i::test::idx_bomb({3, 1024, 1024, 1024}));
  write(regression / "idx" / "bomb_16GiB", i2i::test::idx_bomb({16, 1024, 1024, 1024}));
  write(regression / "idx" / "bomb_1TiB", i2i::test::idx_bomb({1024, 1024, 1024, 1024}));
  write(regression / "npy" / "shape_overflow.npy",
        i2i::test::npy_with_header("{'descr': '|u1', 'fortran_order': False, 'shape': (4611686018427387904, 2, 0), }"));
  write(regression / "safetensors" / "shape_overflow.safetensors",
        i2i::test::safetensors_with_header(R"({"w":{"dtype":"U8","shape":[4611686018427387904,2,0],"data_offsets":[0,0]}})"));
  write(regression / "checkpoint" / "shape_overflow.safetensors",
        i2i::test::safetensors_with_header(
            R"({"model.1.bias":{"dtype":"U8","shape":[4611686018427387904,2,0],"data_offsets":[0,0]}})"));

  // regression/npz (shape_overflow.npz: a stored member with the npy shape overflow above;
  // inflate_bomb_3GiB.npz: a deflated member whose zip headers claim 3 GiB) were written with
  // Python's zipfile, since the library has no npz writer.

  // fuzz_cli: argument lists, NUL-separated (a leading 0x01 byte selects the EGSC-IT overrides).
  const auto args = [](std::initializer_list<std::string> list, bool egscit = false) {
    i2i::test::bytes b;
    if (egscit) b.push_back(1);
    for (const auto& a : list) {
      if (b.size() > (egscit ? 1u : 0u)) b.push_back(0);
      b.insert(b.end(), a.begin(), a.end());
    }
    return b;
  };
  write(corpus / "cli" / "train_global.args",
        args({"--dataroot", "data/digits", "--name", "digits_global", "--label_nc", "11", "--preset", "cpu", "--netG",
              "global", "--loadSize", "256", "--fineSize", "256", "--resize_or_crop", "none", "--niter", "10",
              "--niter_decay", "10", "--no_vgg_loss"}));
  write(corpus / "cli" / "train_local.args",
        args({"--dataroot=data/city", "--label_nc", "35", "--netG", "local", "--preset", "full", "--ngf", "32",
              "--niter_fix_global", "5", "--load_pretrain", "checkpoints/g", "--instance_feat", "--gpu_ids", "0",
              "--lr", "2e-4", "--beta1", "0.5", "--max_iterations", "-1", "--save_latest_freq", "0"}));
  write(corpus / "cli" / "train_bad_numbers.args",
        args({"--dataroot", "d", "--label_nc", "4294967307", "--batchSize", "0x10", "--lr", "nan", "--seed", "-1"}));
  write(corpus / "cli" / "help.args", args({"--help"}));
  write(corpus / "cli" / "egscit_overrides.args",
        args({"--config", "street", "--ablation", "no_mask+no_adain", "--eps", "1e-5", "--no-noise-test"}, true));
  write(corpus / "cli" / "egscit_bad.args", args({"--config", "huge", "--eps", "abc", "--unknown"}, true));

  // The numpy-written fixtures.
  const fs::path fixtures = root / ".." / "unit" / "checkpoint" / "fixtures";
  for (const auto& e : fs::directory_iterator(fixtures)) {
    const auto ext = e.path().extension();
    const char* target = ext == ".npy" ? "npy" : ext == ".npz" ? "npz" : ext == ".safetensors" ? "safetensors" : nullptr;
    if (target) fs::copy_file(e.path(), corpus / target / e.path().filename(), fs::copy_options::overwrite_existing);
  }
  std::printf("fuzz seeds written under %s\n", root.c_str());
  return 0;
}
