#!/usr/bin/env bash
# The pix2pixHD evaluation of docs/pix2pixhd_evaluation.md, end to end on the photo scenes (128x256):
# the segmentation oracle, pix2pixHD (global, then local), the pix2pix baseline, the test images of each,
# and the oracle's scores on them. The defaults are the CPU-sized run whose numbers the doc reports.
#
#   examples/pix2pixhd/scripts/evaluation.sh [step ...]
#   steps: oracle global local pix2pix feat test eval (default: all, in that order)
#   issue 19's steps (not in the default list): oracle_aug (the oracle trained with colour jitter and zoom),
#   global_mnv2 (the global G with the MobileNetV2 perceptual term; cmake/fetch_mobilenet_v2.sh first),
#   test_mnv2 and eval_aug (their test images, and every model's images scored by the augmented oracle)
#
# Environment: BIN=build/bin DATA=data/pix2pixhd/scenes CK=runs/p2phd R=runs/results E=runs/eval
#   THREADS=2, GLOBAL_EPOCHS="2 2" (niter niter_decay; the paper's: "100 100"), LOCAL="1 1 1 500"
#   (niter niter_decay niter_fix_global max_dataset_size), P2P_EPOCHS="1 1", ORACLE_ITERS=1500,
#   ORACLE_AUG_ITERS=2000, ORACLE_AUG="--brightness 0.4 --contrast 0.4 --saturation 0.4 --hue 0.1 --max_scale 1.5",
#   MOBILENET=data/mobilenet_v2/mobilenet_v2.safetensors.
# The global stage stops once at pix2pix's iteration budget (its epochs x the 1000 training images),
# copies that checkpoint to scenes_global_e2, and continues exactly where it stopped.
set -euo pipefail
BIN=${BIN:-build/bin} DATA=${DATA:-data/pix2pixhd/scenes} CK=${CK:-runs/p2phd} R=${R:-runs/results}
E=${E:-runs/eval} THREADS=${THREADS:-2} ORACLE_ITERS=${ORACLE_ITERS:-1500} ORACLE_AUG_ITERS=${ORACLE_AUG_ITERS:-2000}
ORACLE_AUG=${ORACLE_AUG:---brightness 0.4 --contrast 0.4 --saturation 0.4 --hue 0.1 --max_scale 1.5}
MOBILENET=${MOBILENET:-data/mobilenet_v2/mobilenet_v2.safetensors}
read -r G_NITER G_DECAY <<< "${GLOBAL_EPOCHS:-2 2}"
read -r L_NITER L_DECAY L_FIX L_MAX <<< "${LOCAL:-1 1 1 500}"
read -r P_NITER P_DECAY <<< "${P2P_EPOCHS:-1 1}"
steps=("$@")
[[ ${#steps[@]} -gt 0 ]] || steps=(oracle global local pix2pix feat test eval)
common=(--dataroot "$DATA" --checkpoints_dir "$CK" --preset cpu --label_nc 12 --resize_or_crop none
        --loadSize 256 --fineSize 256 --threads "$THREADS" --print_freq 100 --save_latest_freq 500)
novgg=(--no_vgg_loss)  # no VGG19 weights can be installed here
mnv2=(--perceptual mobilenet_v2 --mobilenet_v2_weights "$MOBILENET")
mkdir -p "$CK" "$R" "$E"

# The global G (name, extra flags): it stops once at pix2pix's iteration budget, that checkpoint is copied
# to <name>_e2, and it continues exactly where it stopped to the end of its schedule.
train_global() {
  local name=$1
  shift
  local run=("$BIN/pix2pixhd_train" "${common[@]}" "$@" --name "$name" --netG global --niter "$G_NITER" --niter_decay "$G_DECAY")
  "${run[@]}" --max_iterations $(((P_NITER + P_DECAY) * 1000))
  mkdir -p "$CK/${name}_e2" && cp "$CK/$name"/latest_* "$CK/${name}_e2/"
  "${run[@]}" --continue_train
}

for step in "${steps[@]}"; do
  echo "== $step"
  case $step in
    oracle)
      "$BIN/pix2pixhd_segment" train --dataroot "$DATA" --out "$CK/scenes_oracle" --iterations "$ORACLE_ITERS" \
        --batch 4 --threads "$THREADS" ;;
    global) train_global scenes_global "${novgg[@]}" ;;
    local)
      "$BIN/pix2pixhd_train" "${common[@]}" "${novgg[@]}" --name scenes_local --netG local --niter "$L_NITER" \
        --niter_decay "$L_DECAY" --niter_fix_global "$L_FIX" --max_dataset_size "$L_MAX" \
        --load_pretrain "$CK/scenes_global" ;;
    pix2pix)
      "$BIN/pix2pix_train" --dataroot "$DATA" --name scenes_pix2pix --checkpoints_dir "$CK" --niter "$P_NITER" \
        --niter_decay "$P_DECAY" --threads "$THREADS" --print_freq 100 --save_latest_freq 500 ;;
    feat)  # the --instance_feat model for the editing demo, its clusters, and one edit
      "$BIN/pix2pixhd_train" "${common[@]}" "${novgg[@]}" --name scenes_feat --netG global --instance_feat --niter 1 --niter_decay 0
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
    oracle_aug)
      # shellcheck disable=SC2086  # ORACLE_AUG is a list of flags
      "$BIN/pix2pixhd_segment" train --dataroot "$DATA" --out "$CK/scenes_oracle_aug" --iterations "$ORACLE_AUG_ITERS" \
        --batch 4 --threads "$THREADS" $ORACLE_AUG ;;
    global_mnv2) train_global scenes_global_mnv2 "${mnv2[@]}" ;;  # with the MobileNetV2 perceptual term
    test_mnv2)
      for n in scenes_global_mnv2_e2 scenes_global_mnv2; do
        "$BIN/pix2pixhd_test" --name "$n" --checkpoints_dir "$CK" --dataroot "$DATA" --results_dir "$R" --how_many 200
      done ;;
    eval_aug)  # every model whose test images exist, scored by the augmented oracle
      S=("$BIN/pix2pixhd_segment" eval --model "$CK/scenes_oracle_aug" --labels "$DATA/test_label")
      "${S[@]}" --images "$DATA/test_img" --json "$E/aug_oracle_real.json"
      for n in scenes_pix2pix scenes_global_e2 scenes_global scenes_local scenes_global_mnv2_e2 scenes_global_mnv2; do
        if [[ -d $R/$n/test_latest ]]; then "${S[@]}" --results "$R/$n/test_latest" --json "$E/aug_$n.json"; fi
      done ;;
    *) echo "evaluation.sh: unknown step '$step'" >&2; exit 2 ;;
  esac
done
