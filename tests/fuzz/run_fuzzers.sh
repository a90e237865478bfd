#!/usr/bin/env bash
# Runs the libFuzzer targets for longer than CI does and prints executions, coverage and findings per
# target (the figures of docs/hardening.md). Needs a clang build with -DI2I_BUILD_FUZZERS=ON:
#
#   CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DI2I_BUILD_FUZZERS=ON \
#       -DI2I_BUILD_TESTS=OFF -DI2I_BUILD_EXAMPLES=OFF -DI2I_BUILD_BENCHMARKS=OFF -DI2I_WITH_CUDA=OFF
#   cmake --build build-fuzz -j2
#   tests/fuzz/run_fuzzers.sh build-fuzz 300             # 5 minutes per target, all targets
#   tests/fuzz/run_fuzzers.sh build-fuzz 60 png jpeg     # some targets
#   RUNS=10000000 tests/fuzz/run_fuzzers.sh build-fuzz 0  # a number of executions instead of a time
#
# Work corpora and crash artifacts go to $OUT (default: <build>/fuzz-runs); a crashing input must be
# minimised (fuzz_<t> -minimize_crash=1 <file>) and committed under tests/fuzz/regression/<t>/.
set -euo pipefail

build=$(cd "${1:?usage: run_fuzzers.sh <build dir> <seconds per target, 0 = use RUNS> [targets...]}" && pwd)
seconds=${2:?seconds per target}
shift 2
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(png jpeg idx npy npz safetensors checkpoint cli)
src=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$build/fuzz-runs}
mkdir -p "$out"
out=$(cd "$out" && pwd)
jobs=${JOBS:-1}
# Throughput: no stack use-after-return checks and no allocation stack traces (ASan then keeps
# detecting every heap overflow, use after free and leak, but its reports name no allocation site;
# replay a finding with ASAN_OPTIONS= to get them). About 1.6x the executions per second of the defaults
# on the checkpoint target. A caller's ASAN_OPTIONS wins.
export ASAN_OPTIONS=${ASAN_OPTIONS-detect_stack_use_after_return=0:malloc_context_size=0}
# One CPU thread per target (the checkpoint target's forward pass): JOBS runs several at once instead.
export I2I_NUM_THREADS=${I2I_NUM_THREADS:-1}
# Seconds one input may take before libFuzzer calls it a hang. libFuzzer measures wall time: on a machine
# shared with builds (or run under nice) raise it, or a starved but healthy input reads as a timeout.
timeout=${TIMEOUT:-10}

printf '%-12s %12s %10s %8s %8s %8s\n' target executions exec/s cov ft findings
for t in "${targets[@]}"; do
  bin=$build/tests/fuzz/fuzz_$t
  [[ -x $bin ]] || { echo "run_fuzzers.sh: $bin is not built" >&2; exit 1; }
  mkdir -p "$out/work/$t" "$out/artifacts/$t"
  limit=(-max_total_time="$seconds")
  [[ $seconds == 0 ]] && limit=(-runs="${RUNS:?set RUNS when seconds is 0}")
  # -jobs makes libFuzzer write fuzz-N.log into the current folder: run from $out.
  parallel=()
  [[ $jobs -gt 1 ]] && parallel=(-jobs="$jobs" -workers="$jobs")
  log=$out/$t.log
  set +e
  (cd "$out" && "$bin" "${limit[@]}" -rss_limit_mb=2048 -timeout="$timeout" -print_final_stats=1 "${parallel[@]}" \
    -artifact_prefix="$out/artifacts/$t/" "$out/work/$t" "$src/corpus/$t" "$src/regression/$t" >"$log" 2>&1)
  [[ $jobs -gt 1 ]] && cat "$out"/fuzz-*.log >>"$log"
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{s += $2} END {print s + 0}')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | awk '{s += $2} END {print s + 0}')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  findings=$(find "$out/artifacts/$t" -type f | wc -l)
  printf '%-12s %12s %10s %8s %8s %8s\n' "$t" "$execs" "$rate" "${cov:-?}" "${ft:-?}" "$findings"
done
