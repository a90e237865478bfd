#!/usr/bin/env bash
# Per-iteration CPU time of two builds of the training programs, measured in one run, interleaved:
# pix2pixHD (cpu preset, global G, 256x128 photo scenes) and EGSC-IT stage 2 (small configuration).
# Each figure is (wall time of a run of N2 iterations - wall time of a run of N1) / (N2 - N1), so that
# start-up, data building and checkpoint writes cancel; the median over REPEATS interleaved rounds.
#
#   benchmarks/trainer_fingerprints/time_iterations.sh OLD_BIN NEW_BIN OUT_DIR [REPEATS=3] [THREADS=2]
#
# Needs the data and the stage-1 run that run.sh makes (run it once with OUT_DIR first). Writes OUT_DIR/time_iterations.json.
set -euo pipefail
shopt -s inherit_errexit
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
old=$(cd "$1" && pwd); new=$(cd "$2" && pwd); out=$(cd "$3" && pwd)
repeats=${4:-3}; export I2I_NUM_THREADS=${5:-2}
n1=4 n2=24
scenes="$out/data/scenes" egscit="$out/data/egscit"
[[ -d $scenes/train_label && -d $egscit/mnist_BW/trainA && -f $out/runs/egscit_stage1/F_A.safetensors ]] || { echo "run run.sh BIN $out first" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

seconds() {  # seconds BIN KIND N: wall time of one run of N iterations
  local bin=$1 kind=$2 n=$3 t0 t1
  rm -rf "$work/run" && mkdir -p "$work/run"
  t0=$(date +%s.%N)
  case $kind in
    pix2pixhd) "$bin/pix2pixhd_train" --dataroot "$scenes" --checkpoints_dir "$work/run" --name t --preset cpu \
        --label_nc 12 --resize_or_crop none --loadSize 256 --fineSize 256 --no_vgg_loss --print_freq 1000 \
        --save_latest_freq 100000 --niter 100 --niter_decay 0 --max_iterations "$n" > /dev/null ;;
    egscit) "$bin/egscit_train" --stage 2 --data "$egscit/mnist_BW" --config small --iterations 1000 --run "$n" \
        --log-every 1000 --save-every 100000 --batch 2 --stage1 "$out/runs/egscit_stage1" --out "$work/run" > /dev/null ;;
  esac
  t1=$(date +%s.%N)
  python3 -c "print($t1 - $t0)"
}

declare -A samples
for r in $(seq "$repeats"); do
  for kind in pix2pixhd egscit; do
    for which in old new; do
      bin=$old; [[ $which == new ]] && bin=$new
      a=$(seconds "$bin" $kind $n1); b=$(seconds "$bin" $kind $n2)
      per=$(python3 -c "print(($b - $a) / ($n2 - $n1))")
      samples[$kind.$which]="${samples[$kind.$which]:-} $per"
      echo "round $r $kind $which: $per s/iteration"
    done
  done
done
python3 - "$out/time_iterations.json" "$I2I_NUM_THREADS" <<PY
import json, statistics, sys
s = {k: [float(x) for x in v.split()] for k, v in {
    "pix2pixhd.old": "${samples[pix2pixhd.old]}", "pix2pixhd.new": "${samples[pix2pixhd.new]}",
    "egscit.old": "${samples[egscit.old]}", "egscit.new": "${samples[egscit.new]}"}.items()}
res = {"threads": int(sys.argv[2]), "samples_s_per_iteration": s,
       "median_s_per_iteration": {k: statistics.median(v) for k, v in s.items()}}
for kind in ("pix2pixhd", "egscit"):
    res["new_over_old_" + kind] = res["median_s_per_iteration"][kind + ".new"] / res["median_s_per_iteration"][kind + ".old"]
json.dump(res, open(sys.argv[1], "w"), indent=1)
print(json.dumps(res, indent=1))
PY
