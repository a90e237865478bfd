#!/usr/bin/env bash
# Runs the i2i GPU benchmark and its PyTorch peer on this machine's GPU, prints i2i/PyTorch ratios for
# the pix2pixHD step (time and peak memory; targets: bf16 512x1024 time <= 0.8x, fp32 <= 1.0x, memory
# <= 1.0x) and writes both JSON files plus a summary into benchmarks/results/.
#
#   benchmarks/gpu/run_all.sh [BUILD_DIR (default build-gpu)] [extra gpu_bench args, e.g. --quick]
# Needs: a CUDA device, the tree configured with the CUDA backend and benchmarks
#   (cmake -S . -B build-gpu -DI2I_WITH_CUDA=ON -DI2I_BUILD_BENCHMARKS=ON -DCMAKE_BUILD_TYPE=Release),
# and python3 with torch (CUDA build) for the peer.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-gpu}
shift || true
stamp=$(date +%Y%m%d-%H%M%S)
out=$root/benchmarks/results
mkdir -p "$out"
cmake --build "$build" --target gpu_bench -j"$(nproc)"
ours=$out/gpu_bench-$stamp.json
theirs=$out/torch_pix2pixhd-$stamp.json
quick=()
for a in "$@"; do [[ $a == --quick ]] && quick=(--quick); done
"$build/benchmarks/gpu/gpu_bench" --json "$ours" "$@"
python3 "$root/benchmarks/peers/pix2pixhd_step.py" --json "$theirs" "${quick[@]}"
python3 - "$ours" "$theirs" "$out/summary-$stamp.json" <<'PY'
import json, sys
ours, theirs = (json.load(open(p)) for p in sys.argv[1:3])
key = lambda r: (r["name"], r["precision"])
t = {key(r): r for r in theirs["rows"] if r["kind"] == "step"}
summary = {"device": ours["device"], "date": ours["date"], "i2i": sys.argv[1], "pytorch": sys.argv[2], "steps": []}
print(f"\n{'step':<24} {'precision':<11} {'i2i ms':>9} {'torch ms':>9} {'time ratio':>10} {'mem ratio':>9}  target")
for r in ours["rows"]:
    if r["kind"] != "step" or key(r) not in t:
        continue
    p = t[key(r)]
    tr, mr = r["ms"] / p["ms"], r["peak_mib"] / p["peak_mib"]
    target = 0.8 if r["precision"] == "bf16_mixed" else 1.0
    ok = "ok" if tr <= target and mr <= 1.0 else "MISSED"
    print(f"{r['name']:<24} {r['precision']:<11} {r['ms']:9.2f} {p['ms']:9.2f} {tr:10.3f} {mr:9.3f}  <= {target} time, <= 1.0 memory: {ok}")
    summary["steps"].append({"name": r["name"], "precision": r["precision"], "i2i_ms": r["ms"], "torch_ms": p["ms"],
                             "time_ratio": tr, "i2i_peak_mib": r["peak_mib"], "torch_peak_mib": p["peak_mib"],
                             "memory_ratio": mr, "time_target": target})
print(f"\nCPU backend, one 256x256 step: {ours['cpu_step_256_ms_one_iteration']:.0f} ms (one iteration)")
json.dump(summary, open(sys.argv[3], "w"), indent=2)
print(f"# wrote {sys.argv[3]}")
PY
