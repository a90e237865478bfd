#!/usr/bin/env bash
# Peak memory (RSS) of one pix2pixHD generator forward on the CPU: i2i's inference mode (what the
# translator runs) against PyTorch under torch.no_grad() (libtorch's NoGradGuard), full preset, 36 input
# channels, 1024 x 2048, global generator and local enhancer; and i2i's inference mode against its
# training-mode forward (which keeps every layer's context) at a size that fits beside it. One process
# per configuration; i2i with its caching host allocator as is, and with the cache off (--cache off: the
# peak of the live tensors). Writes benchmarks/results/inference_memory_<date>.{jsonl,md}.
#
#   benchmarks/inference_memory/run.sh BUILD_DIR [THREADS]      (needs python3-torch)
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [THREADS]}
threads=${2:-2}
here=$(cd "$(dirname "$0")" && pwd)
results=$here/../results
day=$(date -u +%F)
jsonl=$results/inference_memory_$day.jsonl
: > "$jsonl"
run() { echo "+ $*" >&2; "$@" | tee -a "$jsonl"; }
for net in global local; do
  run "$build/benchmarks/inference_memory" --net $net --mode infer --height 1024 --width 2048 --threads "$threads"
  run "$build/benchmarks/inference_memory" --net $net --mode infer --height 1024 --width 2048 --threads "$threads" --cache off
  run /usr/bin/python3 "$here/../peers/pix2pixhd_inference_memory.py" --net $net --height 1024 --width 2048 --threads "$threads"
  for mode in infer train; do
    run "$build/benchmarks/inference_memory" --net $net --mode $mode --height 256 --width 512 --threads "$threads"
  done
done
{
  echo "# Peak RSS of one pix2pixHD generator forward (CPU)"
  echo
  echo "- date: $(date -u '+%F %H:%M UTC')"
  echo "- command: benchmarks/inference_memory/run.sh $build $threads"
  echo "- machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores visible, $(free -g | awk '/Mem:/{print $2}') GiB RAM (shared with other jobs)"
  echo "- i2i: $(git -C "$here" rev-parse --short HEAD) ($(git -C "$here" status --porcelain | grep -q . && echo dirty || echo clean)), Release, -march=native; PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') (Debian python3-torch)"
  echo
  echo "| impl | net | mode | size | weights MiB | RSS before forward MiB | peak RSS MiB | forward growth MiB | seconds |"
  echo "|---|---|---|---|---|---|---|---|---|"
  /usr/bin/python3 - "$jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(f"| {r['impl']} | {r['net']} | {r['mode']} | {r['width']}x{r['height']} | {r['weights_mib']} | "
          f"{r['rss_before_forward_mib']} | {r['peak_rss_mib']} | {r['forward_growth_mib']} | {r['seconds']} |")
PY
} > "$results/inference_memory_$day.md"
cat "$results/inference_memory_$day.md"
