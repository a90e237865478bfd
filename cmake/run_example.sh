#!/usr/bin/env bash
# The main job of the README: from a fresh Debian 12 machine, install what is needed, fetch MNIST,
# build the example `mnist_edges` (a small translator trained on real MNIST digits to draw their
# edge maps) and run it. It prints the L1 error as it trains and writes PNG grids.
#
#   cmake/run_example.sh [extra arguments for mnist_edges]
#
# Environment: I2I_BUILD_DIR (default <repo>/build/example), I2I_OUT_DIR (default <repo>/out/mnist_edges),
# I2I_JOBS (default: nproc).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${I2I_BUILD_DIR:-$root/build/example}
out=${I2I_OUT_DIR:-$root/out/mnist_edges}
jobs=${I2I_JOBS:-$(nproc)}

echo "==> dependencies (cmake/install_deps.sh)"
bash "$root/cmake/install_deps.sh"
echo "==> MNIST (cmake/fetch_mnist.sh)"
bash "$root/cmake/fetch_mnist.sh" "$root/data/mnist"

if [[ ! -f "$root/examples/mnist_edges/CMakeLists.txt" ]]; then
  echo "run_example.sh: examples/mnist_edges is missing from this checkout" >&2
  exit 1
fi
echo "==> build mnist_edges ($build)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DI2I_BUILD_TESTS=OFF -DI2I_BUILD_EXAMPLES=ON \
  -DI2I_BUILD_BENCHMARKS=OFF -DI2I_WITH_CUDA="${I2I_WITH_CUDA:-AUTO}" >/dev/null
cmake --build "$build" --target mnist_edges -j "$jobs"

echo "==> run: mnist_edges --data $root/data/mnist --out $out $*"
mkdir -p "$out"
"$build/bin/mnist_edges" --data "$root/data/mnist" --out "$out" "$@"
echo "==> done: images in $out"
