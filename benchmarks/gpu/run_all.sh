#!/usr/bin/env bash
# The GPU benchmark in one call: i2i's gpu_bench and its PyTorch peer (benchmarks/peers/pix2pixhd_step.py)
# on this machine's GPU, the ratios against the targets, one combined JSON, a markdown table and, where a
# profiler is there, a per-kernel summary of one iteration. Made for a lent GPU machine with a few minutes:
# every part has a timeout taken from --budget, a part that fails is recorded and the next one runs, and
# the reports are rewritten after every part, so a call cut short still brings back what was done.
#
#   benchmarks/gpu/run_all.sh [BUILD_DIR] [--no-build] [--out DIR] [--rows LIST] [--reps N] [--budget S]
#                             [--profile-rows LIST|none] [--peer-variants LIST] [--parts LIST]
#                             [--peer-cpu-tiny] [-- extra gpu_bench arguments]
#
#   BUILD_DIR        CMake build dir with gpu_bench (default build/bench-gpu); --build-dir DIR says the same
#   --no-build       run the gpu_bench that is there (built on the CPU machine and carried: the lent machines
#                    have no Eigen/CLI11 to configure with); otherwise configure (if needed) and build it
#   --out DIR        where the reports go (default $OUT when set, else benchmarks/results)
#   --rows LIST      rows for both sides: ids, prefixes or globs (default all; gpu_bench --list)
#   --reps N         timed iterations, the median is reported (default 20; warm-up 3)
#   --budget S       seconds for the whole run (default 540: a 600 s device call with room to spare)
#   --profile-rows   rows to profile one iteration of, in order while time is left (default
#                    step_l1024_bf16,step_g512_bf16,fwd_g1024_bf16): nsys (cuda_gpu_kern_sum) when on PATH,
#                    else ncu (gpu__time_duration per kernel), else skipped with a message; and
#                    torch.profiler for PyTorch's side of the same row
#   --peer-variants  the peer's variants (default eager,eager_nchw,compile)
#   --parts LIST     of i2i, pytorch, profile (default all three): e.g. a second call that only completes
#                    the compiled PyTorch rows: --parts pytorch --peer-variants compile --rows step_g512
#   --peer-cpu-tiny  run the peer on the CPU at tiny sizes (a logic check of this script without a GPU)
#
# Output (in --out, four files, STAMP = date-time): gpu-STAMP.json (environment, parts with status and
# seconds, every row's comparison, both programs' own JSON), gpu-STAMP.md (the table), gpu-STAMP.log
# (everything printed), gpu-STAMP-kernels.txt (the profiles). Targets (reported, not asserted): step
# <= 0.8x PyTorch's best time in bf16, <= 0.9x in TF32, at 512x1024 and 1024x2048; forward <= 0.7x;
# peak memory <= 0.5x in every row (bench_report.py).
#
# cuDNN: gpu_bench prefers the cuDNN (and CUDA libraries) of PyTorch's wheel, so both sides use the same
# cuDNN; a `gpu_bench --probe` decides, and falls back to the system's when that one is refused.
#
# A lent GPU machine (docs/cuda.md, "Benchmarks"): build here with build/bench-gpu configured as there,
# then one device call with carry ["build/bench-gpu/benchmarks/gpu/gpu_bench"], timeout 600:
#   benchmarks/gpu/run_all.sh build/bench-gpu --no-build
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build/bench-gpu
no_build=0
out=${OUT:-$root/benchmarks/results}
rows=all
reps=20
budget=540
profile_rows=step_l1024_bf16,step_g512_bf16,fwd_g1024_bf16
peer_variants=eager,eager_nchw,compile
peer_cpu_tiny=0
run_parts=i2i,pytorch,profile
extra=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --no-build) no_build=1 ;;
    --build-dir) build=$2; shift ;;
    --out) out=$2; shift ;;
    --rows) rows=$2; shift ;;
    --reps) reps=$2; shift ;;
    --budget) budget=$2; shift ;;
    --profile-rows) profile_rows=$2; shift ;;
    --peer-variants) peer_variants=$2; shift ;;
    --peer-cpu-tiny) peer_cpu_tiny=1 ;;
    --parts) run_parts=$2; shift ;;
    --quick) rows=conv,step_g256 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "run_all.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) build=$1 ;;
  esac
  shift
done
[[ $build == /* ]] || build=$root/$build
[[ $out == /* ]] || out=$PWD/$out
mkdir -p "$out" || exit 2
start=$(date +%s)
end=$((start + budget))
stamp=$(date +%Y-%m-%d_%H%M%S)
work=$(mktemp -d "${TMPDIR:-/tmp}/i2i-gpu-bench.XXXXXX")
log=$out/gpu-$stamp.log
parts=$work/parts.tsv
kernels=$out/gpu-$stamp-kernels.txt
i2i_json=$work/i2i.json
torch_json=$work/torch.json
bench=$build/benchmarks/gpu/gpu_bench
: >"$parts"
exec > >(tee -a "$log") 2>&1
tee_pid=$!
want() { [[ ,$run_parts, == *,$1,* ]]; }

left() { echo $((end - $(date +%s))); }
note() { echo "# run_all: $*"; }
record() {  # part status rc seconds note
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${5//$'\t'/ }" >>"$parts"
}
# A python3 for the reports (any), and one that has torch for the peer: $PYTHON, python3, /usr/bin/python3.
py=$(command -v python3 || command -v python || echo python3)
torch_py=""
for p in ${PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c "import torch" >/dev/null 2>&1; then torch_py=$(command -v "$p"); break; fi
done
report() {
  "$py" "$root/benchmarks/gpu/bench_report.py" summary --i2i "$i2i_json" --torch "$torch_json" --parts "$parts" \
    --env "$work/env.json" --json "$out/gpu-$stamp.json" --md "$out/gpu-$stamp.md" >"$work/report.txt" 2>&1 ||
    { echo "run_all: the report failed:"; cat "$work/report.txt"; }
}
# run_part NAME TIMEOUT_S NOTE command...: runs with a timeout, records status, exit code and seconds.
run_part() {
  local name=$1 limit=$2 what=$3
  shift 3
  if [[ $limit -lt 5 ]]; then
    note "$name: skipped, the budget is spent"
    record "$name" skipped - 0 "budget spent"
    return 1
  fi
  note "$name: start ($what; timeout ${limit} s, $(left) s left of the budget)"
  local t0 rc
  t0=$(date +%s)
  timeout --kill-after=10 "$limit" "$@"
  rc=$?
  local secs=$(($(date +%s) - t0)) status=ok
  if [[ $rc == 124 || $rc == 137 ]]; then status=timeout; elif [[ $rc != 0 ]]; then status=failed; fi
  note "$name: $status (exit $rc, ${secs} s)"
  record "$name" "$status" "$rc" "$secs" "$what"
  report
  [[ $status == ok ]]
}

gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>/dev/null | head -1)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
nsys_bin=$(command -v nsys || ls /usr/local/cuda/bin/nsys /opt/nvidia/nsight-systems/*/bin/nsys 2>/dev/null | head -1 || true)
ncu_bin=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null | head -1 || true)
"$py" - "$work/env.json" <<PY
import json, sys
json.dump({"date": "$stamp", "host": "${HOSTNAME:-}", "gpu": """${gpu:-none visible}""", "commit": "$commit",
           "build_dir": "$build", "rows": "$rows", "reps": $reps, "budget_s": $budget,
           "python_with_torch": "${torch_py:-none}", "nsys": "${nsys_bin:-}", "ncu": "${ncu_bin:-}"},
          open(sys.argv[1], "w"), indent=2)
PY
note "i2i GPU benchmark $stamp: ${gpu:-no GPU visible to nvidia-smi}; commit $commit; budget ${budget} s; rows $rows"
note "reports in $out (gpu-$stamp.{json,md,log}, gpu-$stamp-kernels.txt); work files in $work"
: >"$kernels"
report

# ---- 1. build ------------------------------------------------------------------------------------------
if [[ $no_build == 0 ]]; then
  if [[ ! -f $build/CMakeCache.txt ]]; then
    run_part configure 300 "cmake -S $root -B $build (CUDA, benchmarks, portable host flags)" \
      cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DI2I_WITH_CUDA=ON -DI2I_BUILD_BENCHMARKS=ON \
      -DI2I_BUILD_TESTS=OFF -DI2I_BUILD_EXAMPLES=OFF -DI2I_BUILD_TOOLS=OFF -DI2I_NATIVE_ARCH=OFF \
      -DCMAKE_CXX_FLAGS=-march=x86-64-v3 -DCMAKE_CUDA_FLAGS=-Xcompiler=-march=x86-64-v3
  fi
  run_part build 900 "cmake --build $build --target gpu_bench" \
    cmake --build "$build" --target gpu_bench -j"$(nproc)"
  # the budget counts from here: building is not what a device call should spend its minutes on
  start=$(date +%s)
  end=$((start + budget))
fi

# ---- 2. libraries and probe ------------------------------------------------------------------------------
# PyTorch's wheel brings cuDNN and the CUDA 13 libraries (nvidia/cudnn/lib, nvidia/cu13/lib, ...): prefer
# them so that both sides run the same cuDNN (the binaries are built against cuDNN 9.19).
wheel_libs=""
if [[ -n $torch_py ]]; then
  wheel_libs=$("$torch_py" "$root/benchmarks/gpu/wheel_libs.py" 2>/dev/null)
fi
bench_env=()
if [[ ! -x $bench ]]; then
  note "no gpu_bench at $bench: i2i's side is skipped"
  record gpu_bench failed - 0 "no binary at $bench"
else
  probe_ok=0
  if [[ -n $wheel_libs ]] &&
    timeout 60 env LD_LIBRARY_PATH="$wheel_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$bench" --probe; then
    bench_env=(env LD_LIBRARY_PATH="$wheel_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
    probe_ok=1
    note "gpu_bench uses the libraries of PyTorch's wheel: $wheel_libs"
  elif timeout 60 "$bench" --probe; then
    probe_ok=1
    note "gpu_bench uses the system's libraries"
  fi
  if [[ $probe_ok == 0 ]]; then
    note "gpu_bench --probe failed with every library choice (ldd below); running it anyway to record why"
    ldd "$bench" | grep -E "not found|cudnn|cublas|cudart" || true
    [[ -n $wheel_libs ]] && bench_env=(env LD_LIBRARY_PATH="$wheel_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
  fi
  record probe "$([[ $probe_ok == 1 ]] && echo ok || echo failed)" - 0 "${bench_env[*]:-system libraries}"

  # ---- 3. i2i ------------------------------------------------------------------------------------------
  # Leave the peer at least 200 s (eager rows; compiled ones as time allows) and the profiles 60 s more.
  limit=$(($(left) - 260))
  [[ $limit -gt 300 ]] && limit=300
  [[ $limit -lt 60 ]] && limit=$(($(left) / 3))
  want pytorch || limit=$(($(left) - 130))
  if want i2i; then
    run_part gpu_bench "$limit" "gpu_bench --rows $rows --reps $reps ${extra[*]}" \
      "${bench_env[@]}" "$bench" --json "$i2i_json" --rows "$rows" --reps "$reps" "${extra[@]}"
  fi
fi

# ---- 4. PyTorch -------------------------------------------------------------------------------------------
profile_reserve=0
want profile || profile_rows=none
[[ $profile_rows != none && -n $profile_rows ]] && profile_reserve=120
peer=("$root/benchmarks/peers/pix2pixhd_step.py" --json "$torch_json" --rows "$rows" --variants "$peer_variants")
if [[ $peer_cpu_tiny == 1 ]]; then peer+=(--device cpu --tiny); else peer+=(--reps "$reps"); fi
if ! want pytorch; then
  :
elif [[ -z $torch_py ]]; then
  note "no python with torch (tried \$PYTHON, python3, /usr/bin/python3): PyTorch's side is skipped"
  record pytorch failed - 0 "no python with torch"
else
  deadline=$((end - profile_reserve))
  run_part pytorch $((deadline - $(date +%s) + 20)) "$torch_py pix2pixhd_step.py, until $((deadline - $(date +%s))) s from now" \
    env PYTHONUNBUFFERED=1 "$torch_py" "${peer[@]}" --deadline "$deadline"
fi

# ---- 5. profiles ------------------------------------------------------------------------------------------
IFS=, read -r -a prow <<<"${profile_rows/none/}"
for r in "${prow[@]}"; do
  [[ -z $r ]] && continue
  if [[ $(left) -lt 40 ]]; then
    note "profile $r: skipped, $(left) s left"
    record "profile $r" skipped - 0 "budget spent"
    continue
  fi
  limit=$(($(left) - 25))
  [[ $limit -gt 150 ]] && limit=150
  if [[ ! -x $bench ]]; then
    :
  elif [[ -n $nsys_bin ]] && run_part "nsys $r" "$limit" "nsys profile, one iteration of $r" \
    "${bench_env[@]}" "$nsys_bin" profile --capture-range=cudaProfilerApi --capture-range-end=stop --trace=cuda \
    --force-overwrite=true -o "$work/nsys_$r" "$bench" --rows "$r" --profile --warmup 2 &&
    { "$nsys_bin" stats --report cuda_gpu_kern_sum --format table "$work/nsys_$r.nsys-rep" >"$work/kern_$r.txt" 2>&1 ||
      "$nsys_bin" stats --report gpukernsum "$work/nsys_$r.nsys-rep" >"$work/kern_$r.txt" 2>&1; }; then
    { echo "# i2i $r: nsys stats --report cuda_gpu_kern_sum (one iteration)"; cat "$work/kern_$r.txt"; echo; } >>"$kernels"
  elif [[ -n $ncu_bin ]]; then
    [[ -n $nsys_bin ]] && note "nsys gave no report for $r: trying ncu"
    limit=$(($(left) - 25))
    [[ $limit -gt 150 ]] && limit=150
    if run_part "ncu $r" "$limit" "ncu gpu__time_duration.sum, one iteration of $r" \
      "${bench_env[@]}" "$ncu_bin" --profile-from-start off --clock-control none --cache-control none \
      --metrics gpu__time_duration.sum --csv --print-units base --print-kernel-base demangled \
      --log-file "$work/ncu_$r.csv" "$bench" --rows "$r" --profile --warmup 2; then
      "$py" "$root/benchmarks/gpu/bench_report.py" ncu-kernels "$work/ncu_$r.csv" "$r" "$work/kern_$r.txt" &&
        { cat "$work/kern_$r.txt"; echo; } >>"$kernels"
    fi
  else
    note "profile $r: neither nsys nor ncu on PATH (nor in /usr/local/cuda/bin): no i2i kernel summary"
    record "profile $r" skipped - 0 "no nsys or ncu"
    echo "# i2i $r: no kernel summary: neither nsys nor ncu found" >>"$kernels"
  fi
  if [[ -n $torch_py && $(left) -gt 30 ]]; then
    limit=$(($(left) - 10))
    [[ $limit -gt 90 ]] && limit=90
    tp=(--profile "$r" --profile-out "$work/torch_prof_$r.txt")
    [[ $peer_cpu_tiny == 1 ]] && tp+=(--device cpu --tiny)
    run_part "torch.profiler $r" "$limit" "PyTorch eager channels_last, one iteration of $r" \
      "$torch_py" "$root/benchmarks/peers/pix2pixhd_step.py" "${tp[@]}" &&
      { cat "$work/torch_prof_$r.txt"; echo; } >>"$kernels"
  fi
done

report
cat "$work/report.txt"
status=0
cut -f2 "$parts" | grep -qE "^(failed|timeout)$" && status=1
note "done in $(($(date +%s) - start)) s (exit $status: 1 when a part failed or timed out; see the parts table)"
note "reports: $out/gpu-$stamp.{json,md,log} and $kernels"
# let tee write the log's last lines before the call returns
exec >&- 2>&-
wait "$tee_pid" 2>/dev/null || sleep 1
exit $status
