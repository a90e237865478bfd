#!/usr/bin/env bash
# One call on a lent GPU machine for issue 15: the GPU tests of what was written without a device
# (channels-last convolutions, CUDA graphs, the multi-tensor Adam, every other gpu_parity case), then the
# benchmark against PyTorch (run_all.sh) with the time that is left. Everything lands in $OUT.
#
#   benchmarks/gpu/device_session.sh [--budget S] [--tests-budget S]
#
# The lent machines have no Boost, Eigen or CLI11: build here, carry the binaries and Boost.Test's shared
# library (docs/cuda.md, "A device session"):
#   cmake --build build/ci-final --target gpu_parity cuda_host     # the CI configuration, CUDA on
#   cmake --build build/bench-gpu --target gpu_bench               # portable host flags (docs/cuda.md)
#   mkdir -p build/gpu-libs && cp -L /usr/lib/x86_64-linux-gnu/libboost_unit_test_framework.so.1.74.0 build/gpu-libs/
#   device tool: run, carry ["build/ci-final/tests/parity/gpu_parity", "build/ci-final/tests/gpu/cuda_host",
#     "build/bench-gpu/benchmarks/gpu/gpu_bench", "build/gpu-libs"], timeout_s 600:
#   benchmarks/gpu/device_session.sh
#
# Budget (default 560 s of the 600 s call): the tests first (--tests-budget, default 150 s: gpu_parity's
# new cases first, then the whole suite), the benchmark with the rest. Each part is cut by its timeout and
# the next one runs; what was done comes back either way.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
budget=560
tests_budget=150
while [[ $# -gt 0 ]]; do
  case $1 in
    --budget) budget=$2; shift ;;
    --tests-budget) tests_budget=$2; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "device_session.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
out=${OUT:-$root/benchmarks/results}
mkdir -p "$out"
start=$(date +%s)
left() { echo $((start + budget - $(date +%s))); }
# Boost.Test from the carried folder; cuDNN and the CUDA libraries of PyTorch's wheel when there is one
# (a system cuDNN older than the one we compiled against is refused by check_cudnn_version).
wheel=""
for p in ${PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c "import torch" >/dev/null 2>&1; then
    wheel=$("$p" "$root/benchmarks/gpu/wheel_libs.py" 2>/dev/null)
    break
  fi
done
export LD_LIBRARY_PATH="$root/build/gpu-libs${wheel:+:$wheel}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
parity=$root/build/ci-final/tests/parity/gpu_parity
host_tests=$root/build/ci-final/tests/gpu/cuda_host
{
  echo "# device session $(date -u +%FT%TZ), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -2
} | tee "$out/device_session.log"

run_tests() {  # name timeout args...
  local name=$1 limit=$2
  shift 2
  echo "## $name (timeout ${limit} s)" | tee -a "$out/device_session.log"
  timeout --kill-after=5 "$limit" "$@" --log_level=test_suite --report_level=short >"$out/$name.log" 2>&1
  local rc=$?
  tail -5 "$out/$name.log" | tee -a "$out/device_session.log"
  echo "exit $rc" | tee -a "$out/device_session.log"
}

if [[ -x $parity ]]; then
  # What no device has run yet, first; then the whole suite (the earlier cases as a regression check).
  run_tests gpu_parity_new $((tests_budget / 3)) "$parity" \
    --run_test=conv_parity,graph_parity,graphed_step_parity,linear_runtime_parity
  run_tests gpu_parity_all $((tests_budget - $(date +%s) + start)) "$parity"
else
  echo "no gpu_parity at $parity (carry it)" | tee -a "$out/device_session.log"
fi
[[ -x $host_tests ]] && run_tests cuda_host 30 "$host_tests"

# The benchmark with what is left (run_all.sh keeps its own budget and rewrites its reports as it goes).
remaining=$(left)
echo "## run_all.sh with ${remaining} s" | tee -a "$out/device_session.log"
if [[ $remaining -gt 120 ]]; then
  "$root/benchmarks/gpu/run_all.sh" "$root/build/bench-gpu" --no-build --out "$out" --budget "$remaining"
else
  echo "skipped: ${remaining} s left" | tee -a "$out/device_session.log"
fi
