#!/usr/bin/env bash
# The test command of the README, and what CI runs (.ci/run): from a fresh Debian 12 machine, install
# what is needed, fetch MNIST and the MobileNetV2 weights, configure (CUDA code is compiled when nvcc and cuDNN are present),
# build everything, and run every test. GPU tests report "skipped" when no device is visible.
#
#   cmake/run_tests.sh
#
# Environment: I2I_BUILD_DIR (default <repo>/build/ci), I2I_WITH_CUDA (AUTO|ON|OFF, default AUTO),
# I2I_JOBS (default: nproc), I2I_ALL_CONFIGS (1: every pix2pixHD configuration, not only the tests' ones),
# I2I_CLANG (0: skip the clang 16 / sanitizer / fuzzer stage, build/clang).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${I2I_BUILD_DIR:-$root/build/ci}
jobs=${I2I_JOBS:-$(nproc)}
start=$SECONDS

step() { echo; echo "==> $* ($((SECONDS - start)) s)"; }

step "dependencies (cmake/install_deps.sh)"
bash "$root/cmake/install_deps.sh"

step "MNIST (cmake/fetch_mnist.sh)"
if ! bash "$root/cmake/fetch_mnist.sh" "$root/data/mnist"; then
  echo "run_tests.sh: WARNING: MNIST could not be fetched; the tests that need it will say they skip" >&2
fi

step "MobileNetV2 weights (cmake/fetch_mobilenet_v2.sh)"
if ! bash "$root/cmake/fetch_mobilenet_v2.sh" "$root/data/mobilenet_v2"; then
  echo "run_tests.sh: WARNING: the MobileNetV2 weights could not be fetched; the tests that need them will say they skip" >&2
fi

# The pix2pixHD and EGSC-IT configurations the tests use (the cpu preset with 12 and 13 label channels; tiny for the
# translator's own tests) instead of the programs' defaults, which add the 36-channel Cityscapes
# configurations: the same templates with other integers, compiled again in the translator library, the
# GPU TUs of pix2pixhd_train and the programs that dispatch on them; EGSC-IT's named configurations
# "mnist" and "small" (not "street", "medium") in egscit_train, egscit_translate, egscit_evaluate,
# i2i_export and the translator library. The GPU trainers and the translator's
# CUDA side, which only the GPU tests run (tiny_preset:12), are compiled for one configuration each, which
# shows that they compile:
# each further one is the same template code again, minutes of nvcc. I2I_ALL_CONFIGS=1 builds the defaults.
configs=()
if [[ ${I2I_ALL_CONFIGS:-0} != 1 ]]; then
  configs=(-DI2I_PIX2PIXHD_CONFIGS="cpu_preset:12;cpu_preset:13"
           -DI2I_PIX2PIXHD_GPU_CONFIGS="cpu_preset:12"
           -DI2I_EGSCIT_GPU_CONFIGS="small"
           -DI2I_TRANSLATOR_PIX2PIXHD_CONFIGS="tiny_preset:12;cpu_preset:12;cpu_preset:13"
           -DI2I_TRANSLATOR_CUDA_PIX2PIXHD_CONFIGS="tiny_preset:12"
           -DI2I_EGSCIT_CONFIGS="mnist;small")
fi

# The unit tests (tests/unit) are compiled and run by the clang stage below; the g++ build leaves them out
# unless that stage is skipped (I2I_CLANG=0). Every other test, example and benchmark is built with g++.
clang_stage=${I2I_CLANG:-1}
unit=(-DI2I_BUILD_UNIT_TESTS=ON)
[[ $clang_stage == 1 ]] && unit=(-DI2I_BUILD_UNIT_TESTS=OFF)

# Where no GPU is visible (CI): CUDA host code (the nvcc TUs' C++ side) at -O1, since nothing runs it
# here and -O1 takes about a quarter less host-compiler time than -O3; the g++ build at -O2, 19 % less
# compiler time than -O3 for tests that run as fast (docs/hardening.md). -Wno-uninitialized: at -O2,
# GCC 12 reports its own avx512fintrin.h (_mm512_undefined_pd, inlined into Eigen) some 700 times. With
# a GPU, -O3 throughout.
opt_flags=()
if ! nvidia-smi -L >/dev/null 2>&1; then
  opt_flags=(-DCMAKE_CUDA_FLAGS_RELEASE="-O1 -DNDEBUG" -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG -Wno-uninitialized")
fi

step "configure ($build)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DI2I_WITH_CUDA="${I2I_WITH_CUDA:-AUTO}" \
  -DI2I_BUILD_TESTS=ON -DI2I_BUILD_EXAMPLES=ON -DI2I_BUILD_BENCHMARKS=ON -DI2I_DATA_DIR="$root/data" "${configs[@]}" \
  "${unit[@]}" "${opt_flags[@]}"

step "build (-j$jobs)"
cmake --build "$build" -j "$jobs"

# GPU tests run first so that the CPU suite's ctest summary closes the output: a closing ctest run whose
# tests were all skipped reads as "no test executed" to CI tooling that reads the last summary.
logs=$(mktemp -d)
step "GPU tests (ctest -L gpu; skipped without a device)"
(cd "$build" && ctest --output-on-failure -L gpu --timeout 1800) | tee "$logs/gpu.log"

step "tests that need no GPU (ctest -LE gpu)"
(cd "$build" && I2I_DATA_DIR="$root/data" ctest --output-on-failure -LE gpu -j "$jobs" --timeout 1800) \
  | tee "$logs/cpu.log"

# The second compiler, the sanitizers and the fuzzers (docs/hardening.md): clang 16 compiles every header
# and every unit test (-O0: compiling them is a third of g++ -O3's time) and runs the unit tests, the core,
# I/O, data and checkpoint ones under ASan + UBSan (-O1); it replays the fuzz corpora and fuzzes each
# loader for I2I_FUZZ_SECONDS (20). I2I_CLANG=0 skips the stage (the g++ build then has the unit tests).
if [[ $clang_stage == 1 ]]; then
  step "clang 16: headers and unit tests, ASan + UBSan tests, fuzzers (cmake --preset clang)"
  (cd "$root" && cmake --preset clang -DI2I_DATA_DIR="$root/data" >/dev/null && cmake --build --preset clang -j "$jobs")
  (cd "$root" && I2I_DATA_DIR="$root/data" ctest --preset clang -j "$jobs") | tee "$logs/clang.log"
fi

# One plain closing line over the runs: ran = executed and passed, skipped = GPU tests without a device.
total() { sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$1" | tail -1; }
skipped() { grep -c '\*\*\*Skipped' "$1" || true; }
gpu_total=$(total "$logs/gpu.log"); cpu_total=$(total "$logs/cpu.log")
gpu_skipped=$(skipped "$logs/gpu.log"); cpu_skipped=$(skipped "$logs/cpu.log")
clang_total=0; clang_skipped=0
if [[ -f $logs/clang.log ]]; then clang_total=$(total "$logs/clang.log"); clang_skipped=$(skipped "$logs/clang.log"); fi
n_skipped=$((gpu_skipped + cpu_skipped + clang_skipped))
n_passed=$((${gpu_total:-0} + ${cpu_total:-0} + ${clang_total:-0} - n_skipped))
step "all tests passed"
echo "tests: $n_passed passed, 0 failed, $n_skipped skipped"
