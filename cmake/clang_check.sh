#!/usr/bin/env bash
# Builds the library with clang and runs its CPU unit tests (issue 18 item 2: the headers and the unit
# tests compile with clang as well as g++). CPU only, Release, no examples or benchmarks.
#
#   cmake/clang_check.sh                      # build-clang/, clang++ (Debian 12: clang 14)
#   CXX=clang++-16 cmake/clang_check.sh build-clang16
#   GRADCHECK=1 cmake/clang_check.sh          # also the gradcheck_* executables (slow to compile)
#
# Steps: configure; compile every plain header in one translation unit (target headers_compile); build
# every unit_* executable; run them with ctest (label gpu excluded). Exits non-zero at the first failure.
# JOBS (default 2) sets the build and test parallelism; I2I_DATA_DIR is passed on (tests that need data
# skip without it). Not part of cmake/run_tests.sh: see docs/hardening.md for its wall time.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-clang}
cxx=${CXX:-clang++}
jobs=${JOBS:-2}
data=${I2I_DATA_DIR:-$root/data}
start=$SECONDS

command -v "$cxx" >/dev/null || { echo "clang_check.sh: compiler '$cxx' not found (set CXX)" >&2; exit 2; }
"$cxx" --version | head -1

cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Release -DI2I_WITH_CUDA=OFF \
      -DI2I_BUILD_TESTS=ON -DI2I_BUILD_EXAMPLES=OFF -DI2I_BUILD_BENCHMARKS=OFF -DI2I_BUILD_TOOLS=OFF \
      -DI2I_DATA_DIR="$data" >/dev/null

pattern='unit_[a-z0-9_]+'
[[ ${GRADCHECK:-0} == 1 ]] && pattern='(unit|gradcheck)_[a-z0-9_]+'
mapfile -t targets < <(cmake --build "$build" --target help | sed -nE "s/^\.\.\. (${pattern})$/\1/p" | sort)
echo "clang_check.sh: headers_compile and ${#targets[@]} test executables"

cmake --build "$build" -j "$jobs" --target headers_compile "${targets[@]}"
echo "clang_check.sh: built in $((SECONDS - start)) s"

regex="^($(IFS='|'; echo "${targets[*]}"))\$"
I2I_DATA_DIR="$data" ctest --test-dir "$build" -R "$regex" -LE gpu -j "$jobs" --output-on-failure
echo "clang_check.sh: passed in $((SECONDS - start)) s"
