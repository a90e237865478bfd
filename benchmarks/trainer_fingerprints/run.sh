#!/usr/bin/env bash
# Six iterations of every training program on small real data, on the CPU, and a fingerprint of what
# they wrote: the printed losses of every iteration (timings stripped) and a hash and sums of every
# checkpoint tensor. Run it before and after a change that must not alter the CPU arithmetic:
#
#   benchmarks/trainer_fingerprints/run.sh BIN_DIR OUT_DIR        # writes OUT_DIR/fingerprint.json
#   benchmarks/trainer_fingerprints/fingerprint.py compare old/fingerprint.json new/fingerprint.json
#
# BIN_DIR holds the programs (build/<preset>/bin). Data: MNIST from cmake/fetch_mnist.sh in
# ${I2I_DATA_DIR:-<repo>/data}/mnist and the scene sources of cmake/fetch_scene_data.sh; the pix2pixHD digit scenes and EGSC-IT's MNIST-Single are built
# from it into OUT_DIR (a few seconds). One thread, so that the runs are deterministic and comparable.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(cd "$1" && pwd)
out=$(mkdir -p "$2" && cd "$2" && pwd)
data=${I2I_DATA_DIR:-$root/data}
export I2I_NUM_THREADS=1
runs="$out/runs"
rm -rf "$runs" && mkdir -p "$runs"

# Keeps the printed losses of a program's output: drops timings ("0.123 s/iter", "(1.2 s)") and paths.
keep_losses() { sed -E -e 's/time: [0-9.]+//g' -e 's/[0-9.]+ ?s\/it(er)?//g' -e 's/\([0-9.]+ s\)//g' -e 's/[0-9.]+ s\b//g' -e "s#$out##g"; }
run() {  # run NAME COMMAND...: stdout+stderr into runs/NAME.log (losses only)
  local name=$1; shift
  echo "== $name"
  "$@" 2>&1 | keep_losses > "$runs/$name.log"
}

# pix2pixHD photo scenes (label_nc 12 + boundary map = 13 channels, the cpu preset; the programs'
# compiled configurations) and EGSC-IT's MNIST-Single.
scenes="$out/data/scenes"
[[ -d $scenes/train_label ]] || "$bin/pix2pixhd_prepare_data" photo --out "$scenes" --sources "$data/scene_sources" \
  --train 8 --test 2 --seed 3 > /dev/null
egscit="$out/data/egscit"
[[ -d $egscit/mnist_BW/trainA ]] || "$bin/egscit_prepare_data" --dataset single --split train --data "$data/mnist" \
  --out "$egscit" --count 64 > /dev/null

p2phd=(--dataroot "$scenes" --checkpoints_dir "$runs" --preset cpu --label_nc 12 --resize_or_crop none
       --loadSize 256 --fineSize 256 --no_vgg_loss --print_freq 1 --save_latest_freq 1000 --niter 1 --niter_decay 0
       --max_iterations 6)
run p2phd_global "$bin/pix2pixhd_train" "${p2phd[@]}" --name p2phd_global --netG global --pool_size 2
run p2phd_global_feat "$bin/pix2pixhd_train" "${p2phd[@]}" --name p2phd_feat --netG global --instance_feat
run p2phd_local "$bin/pix2pixhd_train" "${p2phd[@]}" --name p2phd_local --netG local --niter_fix_global 1 \
  --load_pretrain "$runs/p2phd_global"
run pix2pix "$bin/pix2pix_train" --dataroot "$scenes" --name pix2pix --checkpoints_dir "$runs" --niter 1 --niter_decay 0 \
  --max_iterations 6 --print_freq 1 --save_latest_freq 1000 --max_dataset_size 8
run oracle "$bin/pix2pixhd_segment" train --dataroot "$scenes" --out "$runs/oracle" --iterations 6 --batch 2 --print_freq 1

eg=(--data "$egscit/mnist_BW" --config small --iterations 100 --run 6 --log-every 1 --save-every 6 --batch 2)
run egscit_stage1 "$bin/egscit_train" --stage 1 "${eg[@]}" --out "$runs/egscit_stage1"
for ab in none no_mask no_adain no_perceptual; do
  run "egscit_stage2_$ab" "$bin/egscit_train" --stage 2 "${eg[@]}" --stage1 "$runs/egscit_stage1" --ablation "$ab" \
    --out "$runs/egscit_stage2_$ab"
done
for m in unit cyclegan munit; do
  run "$m" "$bin/egscit_train" --model "$m" "${eg[@]}" --out "$runs/$m"
done

python3 "$here/fingerprint.py" collect "$runs" "$out/fingerprint.json"
