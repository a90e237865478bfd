#!/usr/bin/env bash
# One call on a lent GPU machine for issue 15: the GPU tests of what was written without a device
# (channels-last convolutions, CUDA graphs, the multi-tensor Adam, every other gpu_parity case), then the
# benchmark against PyTorch (run_all.sh) with the time that is left. Everything lands in $OUT.
#
#   benchmarks/gpu/device_session.sh [--budget S] [--tests-budget S] [--memcheck-budget S] [--rows LIST]
#
# The lent machines have no Boost, Eigen or CLI11: build here, carry the binaries and Boost.Test's shared
# library (docs/cuda.md, "A device session"):
#   cmake --build build/ci-final --target gpu_parity parity_ops cuda_host   # the CI configuration, CUDA on
#   cmake --build build/bench-gpu --target gpu_bench               # portable host flags (docs/cuda.md)
#   mkdir -p build/gpu-libs && cp -L /usr/lib/x86_64-linux-gnu/libboost_unit_test_framework.so.1.74.0 build/gpu-libs/
#   device tool: run, carry ["build/ci-final/tests/parity/gpu_parity", "build/ci-final/tests/parity_ops/parity_ops",
#     "build/ci-final/tests/gpu/cuda_host", "build/bench-gpu/benchmarks/gpu/gpu_bench", "build/gpu-libs"],
#     timeout_s 600:
#   benchmarks/gpu/device_session.sh
#
# Budget (default 570 s of the 600 s call): the tests first (--tests-budget, default 120 s: parity_ops,
# gpu_parity's new cases, then the whole suite), compute-sanitizer memcheck over the new cases
# (--memcheck-budget, default 45 s; 0 skips it), the benchmark with the rest (about 400 s) over the rows
# the targets are about (--rows, default: the 512x1024 and 1024x2048 steps, the 1024x2048 forward, and
# their graph and NCHW variants; `all` for every row). Each part is cut by its timeout and the next one
# runs; what was done comes back either way.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
budget=570
tests_budget=120
memcheck_budget=45
rows=step_g512,step_l1024,fwd_g1024,graph_step_g512,graph_fwd_g1024,nchw_step_g512
while [[ $# -gt 0 ]]; do
  case $1 in
    --memcheck-budget) memcheck_budget=$2; shift ;;
    --rows) rows=$2; shift ;;
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
ops=$root/build/ci-final/tests/parity_ops/parity_ops
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

# Every op against the CPU, the fused instance norm + activation + pad among them (seconds).
[[ -x $ops ]] && run_tests parity_ops 30 "$ops"
if [[ -x $parity ]]; then
  # What no device has run yet, first; then the whole suite (the earlier cases as a regression check).
  run_tests gpu_parity_new $((tests_budget / 3)) "$parity" \
    --run_test=conv_parity,graph_parity,graphed_step_parity,linear_runtime_parity
  run_tests gpu_parity_all $((tests_budget - $(date +%s) + start)) "$parity"
else
  echo "no gpu_parity at $parity (carry it)" | tee -a "$out/device_session.log"
fi
[[ -x $host_tests ]] && run_tests cuda_host 30 "$host_tests"

# memcheck over the cases no device has run (exact-size allocations, so a tensor's true bounds are seen;
# the graph cases need the caching allocator and report their capture refused, which is itself checked).
sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null | head -1 || true)
if [[ $memcheck_budget -gt 0 && -x $parity && -n $sanitizer ]]; then
  I2I_CUDA_ALLOCATOR=direct run_tests gpu_parity_memcheck $((memcheck_budget * 2 / 3)) "$sanitizer" --tool memcheck \
    --error-exitcode 9 "$parity" --run_test=conv_parity,linear_runtime_parity
  [[ -x $ops ]] && I2I_CUDA_ALLOCATOR=direct run_tests parity_ops_memcheck $((memcheck_budget / 3)) "$sanitizer" \
    --tool memcheck --error-exitcode 9 "$ops" --run_test=parity_norm
elif [[ $memcheck_budget -gt 0 ]]; then
  echo "memcheck skipped: no compute-sanitizer or no gpu_parity" | tee -a "$out/device_session.log"
fi

# The benchmark with what is left (run_all.sh keeps its own budget and rewrites its reports as it goes).
remaining=$(left)
echo "## run_all.sh with ${remaining} s" | tee -a "$out/device_session.log"
if [[ $remaining -gt 120 ]]; then
  "$root/benchmarks/gpu/run_all.sh" "$root/build/bench-gpu" --no-build --out "$out" --budget "$remaining" --rows "$rows"
else
  echo "skipped: ${remaining} s left" | tee -a "$out/device_session.log"
fi
