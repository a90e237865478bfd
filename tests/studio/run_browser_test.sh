#!/usr/bin/env bash
# The studio's browser test (ctest -R studio_browser): makes tiny data (make_fixture.py), trains a cpu-preset
# pix2pixHD with features for 2 iterations at 64x128 and clusters its features, trains a "small" EGSC-IT
# for 2 + 2 iterations at 32x32 (studio_fixture.sh), installs playwright-core (pinned) with npm, starts
# pix2pixhd_studio on a free port and runs browser_test.mjs in Debian's chromium. About a minute on 2 cores.
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
source "$here/studio_fixture.sh"
make_studio_models "$width" "${size#*x}"

start_studio server.log "$width" --output out || { echo "run_browser_test.sh: the server exited" >&2; exit 1; }
server=$studio_pid
trap 'kill $server 2>/dev/null || true' EXIT
cat server.log
CHROMIUM=$chromium node "$here/browser_test.mjs" "$studio_url" "$run/out" "$shots" "$work/node"
kill -0 $server || { echo "run_browser_test.sh: the server died during the test" >&2; exit 1; }
