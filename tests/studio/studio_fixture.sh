# Sourced by the studio's test scripts (run_browser_test.sh, run_gpu_test.sh): the tiny models they
# start the server on, and the server's start. Needs `bin` (the built programs) and `here` (this folder).

# make_studio_models W H: in the current folder, tiny data at W x H (make_fixture.py -> data/), a cpu-preset
# pix2pixHD with features trained for I2I_STUDIO_TEST_ITERATIONS (default 2) iterations with its
# clusters (-> ckpt/tiny), and a "small" EGSC-IT trained for 2 + 2 iterations at 32x32 (-> eg2).
make_studio_models() {
  local width=$1 height=$2
  python3 "$here/make_fixture.py" data "$width" "$height"
  "$bin/pix2pixhd_train" --dataroot data/p2p --name tiny --checkpoints_dir ckpt --label_nc 12 --preset cpu \
    --instance_feat --no_vgg_loss --loadSize "$width" --fineSize "$width" --resize_or_crop none --niter 1000 \
    --niter_decay 0 --max_iterations "${I2I_STUDIO_TEST_ITERATIONS:-2}" --print_freq 1 --threads 2 > train.log
  "$bin/pix2pixhd_encode_features" --dataroot data/p2p --name tiny --checkpoints_dir ckpt --loadSize "$width" \
    --resize_or_crop none --threads 2 > encode.log
  "$bin/egscit_train" --stage 1 --config small --data data/egscit --out eg1 --iterations 2 --run 2 --batch 2 > eg1.log
  "$bin/egscit_train" --stage 2 --config small --data data/egscit --stage1 eg1 --out eg2 --iterations 2 --run 2 \
    --batch 2 --ablation no_perceptual > eg2.log
}

# start_studio LOG W [OPTION...]: starts pix2pixhd_studio on those models and a free port in the
# background, waits until it serves and sets `studio_pid` and `studio_url`. Returns 1 (the log printed)
# when the server exits first.
start_studio() {
  local log=$1 width=$2
  shift 2
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$bin/pix2pixhd_studio" --checkpoints_dir ckpt --name tiny --dataroot data/p2p --loadSize "$width" \
    --resize_or_crop none --port "$port" --threads 2 --egscit eg2 --egscit_data data/egscit/test "$@" > "$log" 2>&1 &
  studio_pid=$!
  studio_url=http://127.0.0.1:$port/
  for _ in $(seq 1 300); do
    grep -q "serving http" "$log" && return 0
    kill -0 "$studio_pid" 2>/dev/null || { cat "$log"; return 1; }
    sleep 0.1
  done
  cat "$log"
  echo "start_studio: the server did not start within 30 s" >&2
  return 1
}
