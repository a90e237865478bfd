#!/usr/bin/env bash
# The studio's browser test (ctest -R studio_browser): makes tiny data (make_fixture.py), trains a cpu-preset
# pix2pixHD with features for 2 iterations at 64x128 and clusters its features, trains a "small" EGSC-IT
# for 2 + 2 iterations at 32x32, installs playwright-core (pinned) with npm, starts pix2pixhd_studio on a
# free port and runs browser_test.mjs in Debian's chromium. About a minute on 2 cores.
#
#   run_browser_test.sh BIN_DIR WORK_DIR [SCREENSHOT_DIR]
#
# I2I_STUDIO_TEST_SIZE=256x128 makes the data at the photo scenes' size (the latency the issue asks about);
# I2I_STUDIO_TEST_ITERATIONS=N trains pix2pixHD longer (default 2; more makes nicer screenshots).
# Exit 77 (ctest: skipped) with a "skipped:" line when chromium, node, npm or the npm registry is missing.
set -euo pipefail
bin=$(realpath "$1")
work=$(realpath -m "$2")
here=$(cd "$(dirname "$0")" && pwd)
shots=$(realpath -m "${3:-$work/screenshots}")
playwright_version=1.57.0

skip() { echo "skipped: $*"; exit 77; }
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[[ -n $chromium ]] || skip "no chromium on PATH (cmake/install_deps.sh installs Debian's chromium)"
command -v node >/dev/null || skip "no node on PATH"
command -v npm >/dev/null || skip "no npm on PATH"
for p in pix2pixhd_train pix2pixhd_encode_features egscit_train pix2pixhd_studio; do
  [[ -x $bin/$p ]] || { echo "run_browser_test.sh: $bin/$p is not built" >&2; exit 1; }
done

mkdir -p "$work/node" "$shots"
if [[ ! -f $work/node/node_modules/playwright-core/package.json ]] ||
   ! grep -q "\"version\": \"$playwright_version\"" "$work/node/node_modules/playwright-core/package.json"; then
  npm install --prefix "$work/node" --no-audit --no-fund --loglevel=error "playwright-core@$playwright_version" ||
    skip "npm install playwright-core@$playwright_version failed (no registry access?)"
fi

run=$work/run
rm -rf "$run"
mkdir -p "$run"
cd "$run"
size=${I2I_STUDIO_TEST_SIZE:-128x64}
width=${size%x*}
python3 "$here/make_fixture.py" data "$width" "${size#*x}"
"$bin/pix2pixhd_train" --dataroot data/p2p --name tiny --checkpoints_dir ckpt --label_nc 12 --preset cpu \
  --instance_feat --no_vgg_loss --loadSize "$width" --fineSize "$width" --resize_or_crop none --niter 1000 --niter_decay 0 \
  --max_iterations "${I2I_STUDIO_TEST_ITERATIONS:-2}" --print_freq 1 --threads 2 > train.log
"$bin/pix2pixhd_encode_features" --dataroot data/p2p --name tiny --checkpoints_dir ckpt --loadSize "$width" \
  --resize_or_crop none --threads 2 > encode.log
"$bin/egscit_train" --stage 1 --config small --data data/egscit --out eg1 --iterations 2 --run 2 --batch 2 > eg1.log
"$bin/egscit_train" --stage 2 --config small --data data/egscit --stage1 eg1 --out eg2 --iterations 2 --run 2 \
  --batch 2 --ablation no_perceptual > eg2.log

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin/pix2pixhd_studio" --checkpoints_dir ckpt --name tiny --dataroot data/p2p --loadSize "$width" --resize_or_crop none \
  --output out --port "$port" --threads 2 --egscit eg2 --egscit_data data/egscit/test > server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q "serving http" server.log && break
  kill -0 $server 2>/dev/null || { cat server.log; echo "run_browser_test.sh: the server exited" >&2; exit 1; }
  sleep 0.1
done
cat server.log
CHROMIUM=$chromium node "$here/browser_test.mjs" "http://127.0.0.1:$port/" "$run/out" "$shots" "$work/node"
kill -0 $server || { echo "run_browser_test.sh: the server died during the test" >&2; exit 1; }
