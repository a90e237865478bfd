#!/usr/bin/env bash
# The NCCL checks of docs/distributed.md (issue 16) in one call, for a session lent a GPU:
#
#   tests/gpu/nccl_device_check.sh [build dir (default: build-nccl)]
#
# 1. configures a CUDA build with MPI, NCCL and gpu_nccl_ranks (I2I_BUILD_MULTI_RANK_GPU_TESTS=ON) and
#    builds gpu_nccl and gpu_nccl_ranks with every core;
# 2. runs gpu_nccl (NCCL with one rank);
# 3. runs gpu_nccl_ranks (two ranks under mpiexec, NCCL_MULTI_RANK_GPU_ENABLE=1) with CUDA's NCCL, and on
#    a one-GPU machine again with the newest NCCL that PyTorch's wheel brought (>= 2.30 lets two ranks
#    share a GPU; CUDA 13.0's 2.28 says "Duplicate GPU detected").
# Logs and summary.txt go to $OUT (default: <build dir>/nccl-check). Exit status 0 when every run that
# could run passed; the summary says which were skipped and why.
#
# Needs what a CUDA build of i2i needs (cmake/install_deps.sh, CUDA 13 + cuDNN 9 + NCCL) and, for the
# two-rank runs, Open MPI. The project's lent GPU machines have neither Boost nor MPI: there, build on the
# CPU machine (portable flags, as benchmarks/results/gpu_2026-11-22.md did) and carry the binaries with
# their shared libraries and an Open MPI runtime (docs/distributed.md, "Not done yet").
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-nccl}
out=${OUT:-$build/nccl-check}
mkdir -p "$out"
summary=$out/summary.txt
: >"$summary"
note() { echo "$*" | tee -a "$summary"; }
status=0

note "nccl_device_check $(date -u +%Y-%m-%dT%H:%MZ) on $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1 | head -1)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DI2I_WITH_CUDA=ON \
  -DI2I_BUILD_TESTS=ON -DI2I_BUILD_UNIT_TESTS=OFF -DI2I_BUILD_EXAMPLES=OFF -DI2I_BUILD_BENCHMARKS=OFF \
  -DI2I_BUILD_TOOLS=OFF -DI2I_BUILD_MULTI_RANK_GPU_TESTS=ON >"$out/configure.log" 2>&1 ||
  { note "configure failed (configure.log)"; exit 1; }
grep -E "i2i: (MPI|NCCL)" "$out/configure.log" | tee -a "$summary"
targets=(gpu_nccl)
grep -q "i2i: MPI ON" "$out/configure.log" && targets+=(gpu_nccl_ranks) || note "no MPI: gpu_nccl_ranks is not built"
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >"$out/build.log" 2>&1 ||
  { note "build failed (build.log)"; tail -30 "$out/build.log"; exit 1; }

run() {  # name, log file, command...
  local name=$1 log=$2
  shift 2
  "$@" >"$log" 2>&1
  local rc=$?
  if grep -qE "no CUDA device visible|two ranks on one GPU need" "$log" && ! grep -q "failure" "$log"; then
    note "$name: skipped: $(grep -oE "(no CUDA device visible|two ranks on one GPU need)[^\"]*" "$log" | head -1)"
  elif [[ $rc == 0 ]]; then
    note "$name: passed"
  else
    note "$name: FAILED (exit $rc, $(basename "$log"))"
    tail -20 "$log" | sed 's/^/    /' | tee -a "$summary"
    status=1
  fi
  grep -E "largest relative difference|buckets" "$log" | sed 's/^/    /' >>"$summary"
}

run "gpu_nccl (one rank)" "$out/gpu_nccl.log" ctest --test-dir "$build" -R '^gpu_nccl$' --output-on-failure
[[ " ${targets[*]} " == *" gpu_nccl_ranks "* ]] || { note "exit status $status"; exit $status; }
run "gpu_nccl_ranks (CUDA's NCCL)" "$out/gpu_nccl_ranks.log" ctest --test-dir "$build" -R '^gpu_nccl_ranks$' -V

# A newer NCCL from PyTorch's wheel (nvidia-nccl-cu*), for two ranks on one GPU.
devices=$(nvidia-smi -L 2>/dev/null | wc -l)
wheel_nccl=$(python3 - <<'PY' 2>/dev/null
import glob, site, sys
paths = site.getsitepackages() + [site.getusersitepackages()]
hits = sorted(h for p in paths for h in glob.glob(p + "/nvidia/nccl/lib/libnccl.so.2"))
print(hits[-1] if hits else "")
PY
)
if [[ $devices -lt 2 && -n $wheel_nccl ]]; then
  note "one GPU: gpu_nccl_ranks again with $wheel_nccl"
  run "gpu_nccl_ranks (PyTorch's NCCL)" "$out/gpu_nccl_ranks_wheel.log" \
    env LD_LIBRARY_PATH="$(dirname "$wheel_nccl")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" NCCL_DEBUG=VERSION \
    ctest --test-dir "$build" -R '^gpu_nccl_ranks$' -V
  grep -m1 "NCCL version" "$out/gpu_nccl_ranks_wheel.log" | tee -a "$summary"
elif [[ $devices -lt 2 ]]; then
  note "one GPU and no NCCL from a PyTorch wheel found: two ranks on one GPU not tried"
fi
note "exit status $status"
exit $status
