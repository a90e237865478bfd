#!/usr/bin/env bash
# pix2pixhd_studio --gpu (ctest -R studio_gpu; label gpu, CUDA builds only): on the browser test's tiny
# models (studio_fixture.sh: cpu-preset pix2pixHD with features and clusters, small EGSC-IT, 128x64), one
# server on the CPU and one with --gpu, the same edits sent to both over HTTP (compare_renders.py: open,
# stroke, style, thumbnails, EGSC-IT): every image must match the CPU's within the tolerance below, and
# the GPU server must say it runs on cuda:0. No browser needed.
#
#   run_gpu_test.sh BIN_DIR WORK_DIR
#
# Exit 77 (ctest: skipped) with a "skipped:" line when the server reports no visible CUDA device.
set -euo pipefail
bin=$(realpath "$1")
work=$(realpath -m "$2")
here=$(cd "$(dirname "$0")" && pwd)
for p in pix2pixhd_train pix2pixhd_encode_features egscit_train pix2pixhd_studio; do
  [[ -x $bin/$p ]] || { echo "run_gpu_test.sh: $bin/$p is not built" >&2; exit 1; }
done

rm -rf "$work"
mkdir -p "$work"
cd "$work"
source "$here/studio_fixture.sh"
make_studio_models 128 64  # on the CPU: the programs' defaults

servers=""
trap 'for p in $servers; do kill $p 2>/dev/null || true; done' EXIT
if ! start_studio gpu.log 128 --output out_gpu --gpu; then
  if grep -q "no CUDA device visible" gpu.log; then
    echo "skipped: $(grep -m1 "no CUDA device visible" gpu.log)"
    exit 77
  fi
  echo "run_gpu_test.sh: the --gpu server exited" >&2
  exit 1
fi
servers="$servers $studio_pid"
gpu_url=$studio_url
cat gpu.log
grep -q " G on cuda:0" gpu.log || { echo "run_gpu_test.sh: the --gpu server does not say it runs on cuda:0" >&2; exit 1; }
start_studio cpu.log 128 --output out_cpu || { echo "run_gpu_test.sh: the CPU server exited" >&2; exit 1; }
servers="$servers $studio_pid"
cpu_url=$studio_url

# TF32 convolutions on the GPU (the CUDA backend's default) against float32 on the CPU: translator_gpu
# allows 2e-2 of [-1, 1] (2.6 levels) on the tiny preset; the cpu preset's G is deeper, so 10 levels at
# worst and 1 level on average.
python3 "$here/compare_renders.py" "$cpu_url" "$gpu_url" --max-diff 10 --mean-diff 1.0
for p in $servers; do
  kill -0 "$p" || { echo "run_gpu_test.sh: a server died during the test" >&2; exit 1; }
done
