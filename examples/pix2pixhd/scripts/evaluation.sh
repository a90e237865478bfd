#!/usr/bin/env bash
# The pix2pixHD evaluation of docs/pix2pixhd_evaluation.md, end to end on the photo scenes (128x256):
# the segmentation oracle, pix2pixHD (global, then local), the pix2pix baseline, the test images of each,
# and the oracle's scores on them. The defaults are the CPU-sized run whose numbers the doc reports.
#
#   examples/pix2pixhd/scripts/evaluation.sh [step ...]
#   steps: oracle global local pix2pix feat test eval (default: all, in that order)
#
# Environment: BIN=build/bin DATA=data/pix2pixhd/scenes CK=runs/p2phd R=runs/results E=runs/eval
#   THREADS=2, GLOBAL_EPOCHS="2 2" (niter niter_decay; the paper's: "100 100"), LOCAL="1 1 1 500"
#   (niter niter_decay niter_fix_global max_dataset_size), P2P_EPOCHS="1 1", ORACLE_ITERS=1500.
# The global stage stops once at pix2pix's iteration budget (its epochs x the 1000 training images),
# copies that checkpoint to scenes_global_e2, and continues exactly where it stopped.
set -euo pipefail
BIN=${BIN:-build/bin} DATA=${DATA:-data/pix2pixhd/scenes} CK=${CK:-runs/p2phd} R=${R:-runs/results}
E=${E:-runs/eval} THREADS=${THREADS:-2} ORACLE_ITERS=${ORACLE_ITERS:-1500}
read -r G_NITER G_DECAY <<< "${GLOBAL_EPOCHS:-2 2}"
read -r L_NITER L_DECAY L_FIX L_MAX <<< "${LOCAL:-1 1 1 500}"
read -r P_NITER P_DECAY <<< "${P2P_EPOCHS:-1 1}"
steps=("$@")
[[ ${#steps[@]} -gt 0 ]] || steps=(oracle global local pix2pix feat test eval)
common=(--dataroot "$DATA" --checkpoints_dir "$CK" --preset cpu --label_nc 12 --resize_or_crop none
        --loadSize 256 --fineSize 256 --no_vgg_loss --threads "$THREADS" --print_freq 100 --save_latest_freq 500)
mkdir -p "$CK" "$R" "$E"

for step in "${steps[@]}"; do
  echo "== $step"
  case $step in
    oracle)
      "$BIN/pix2pixhd_segment" train --dataroot "$DATA" --out "$CK/scenes_oracle" --iterations "$ORACLE_ITERS" \
        --batch 4 --threads "$THREADS" ;;
    global)
      "$BIN/pix2pixhd_train" "${common[@]}" --name scenes_global --netG global --niter "$G_NITER" \
        --niter_decay "$G_DECAY" --max_iterations $(((P_NITER + P_DECAY) * 1000))
      mkdir -p "$CK/scenes_global_e2" && cp "$CK"/scenes_global/latest_* "$CK/scenes_global_e2/"
      "$BIN/pix2pixhd_train" "${common[@]}" --name scenes_global --netG global --niter "$G_NITER" \
        --niter_decay "$G_DECAY" --continue_train ;;
    local)
      "$BIN/pix2pixhd_train" "${common[@]}" --name scenes_local --netG local --niter "$L_NITER" \
        --niter_decay "$L_DECAY" --niter_fix_global "$L_FIX" --max_dataset_size "$L_MAX" \
        --load_pretrain "$CK/scenes_global" ;;
    pix2pix)
      "$BIN/pix2pix_train" --dataroot "$DATA" --name scenes_pix2pix --checkpoints_dir "$CK" --niter "$P_NITER" \
        --niter_decay "$P_DECAY" --threads "$THREADS" --print_freq 100 --save_latest_freq 500 ;;
    feat)  # the --instance_feat model for the editing demo, its clusters, and one edit
      "$BIN/pix2pixhd_train" "${common[@]}" --name scenes_feat --netG global --instance_feat --niter 1 --niter_decay 0
      "$BIN/pix2pixhd_encode_features" --dataroot "$DATA" --name scenes_feat --checkpoints_dir "$CK" --loadSize 256 \
        --resize_or_crop none
      "$BIN/pix2pixhd_edit" --dataroot "$DATA" --name scenes_feat --checkpoints_dir "$CK" --loadSize 256 \
        --resize_or_crop none --results_dir "$R" --index 12 --instance 4001 --all-clusters ;;
    test)
      for n in scenes_global_e2 scenes_global scenes_local; do
        "$BIN/pix2pixhd_test" --name "$n" --checkpoints_dir "$CK" --dataroot "$DATA" --results_dir "$R" --how_many 200
      done
      "$BIN/pix2pix_train" test --dataroot "$DATA" --name scenes_pix2pix --checkpoints_dir "$CK" --results_dir "$R" ;;
    eval)
      S=("$BIN/pix2pixhd_segment" eval --model "$CK/scenes_oracle" --labels "$DATA/test_label")
      "${S[@]}" --images "$DATA/test_img" --json "$E/oracle_real.json"
      for n in scenes_pix2pix scenes_global_e2 scenes_global scenes_local; do
        "${S[@]}" --results "$R/$n/test_latest" --json "$E/$n.json"
      done ;;
    *) echo "evaluation.sh: unknown step '$step'" >&2; exit 2 ;;
  esac
done
