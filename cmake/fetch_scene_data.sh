#!/usr/bin/env bash
# Fetches the real images that examples/pix2pixhd/prepare_data composes into pix2pixHD scene datasets
# (research/data.md §4(b)): Tux Paint photo stamps (things, with exact alpha masks), MATE nature photos
# and GIMP patterns (stuff backgrounds).
#
#   cmake/fetch_scene_data.sh [DEST]   # DEST defaults to <repo>/data/scene_sources (git-ignored)
#
# Each package is downloaded with `apt-get download` (no install, no dependencies, no maintainer
# scripts) and only the files the builder reads are extracted:
#   tuxpaint-stamps-default  -> DEST/tuxpaint/stamps/<category>/**/*.{png,txt,dat}  (not the 7,858 .ogg)
#   mate-backgrounds         -> DEST/mate/nature/*.jpg
#   gimp-data                -> DEST/gimp/patterns/<Category>/*.pat
# A package whose marker DEST/.<package>.done names the same version is skipped, so a second run
# prints one line per package and downloads nothing. Needs apt-get (Debian 12) and access to Debian's
# archive. Licences: Tux Paint stamps GPL-2, MATE backgrounds GPL-2+, GIMP patterns GPL-2+/GPL-3+ —
# the data and every dataset made from it stay out of the repository.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=${1:-$root/data/scene_sources}

# package | folder under DEST | tar members (wildcards) | strip (leading path components to drop)
specs=(
  "tuxpaint-stamps-default|tuxpaint|./usr/share/tuxpaint/stamps/*.png ./usr/share/tuxpaint/stamps/*.txt ./usr/share/tuxpaint/stamps/*.dat|4"
  "mate-backgrounds|mate|./usr/share/backgrounds/mate/nature/*.jpg|5"
  "gimp-data|gimp|./usr/share/gimp/2.0/patterns/*|5"
)

command -v apt-get >/dev/null 2>&1 || { echo "fetch_scene_data.sh: apt-get not found (needs Debian 12)" >&2; exit 1; }
mkdir -p "$dest"

# candidate VERSION of a package as apt sees it (empty when apt knows no such package)
candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}'; }

updated=0
for spec in "${specs[@]}"; do
  IFS='|' read -r pkg folder members strip <<<"$spec"
  marker="$dest/.$pkg.done"
  if [[ -f "$marker" && -d "$dest/$folder" ]]; then
    echo "fetch_scene_data.sh: $pkg present in $dest/$folder ($(cat "$marker"))"
    continue
  fi
  version=$(candidate "$pkg")
  if [[ -z "$version" || "$version" == "(none)" ]] && [[ $updated == 0 ]]; then
    # apt's package lists may be missing on a fresh machine; one update, then ask again
    echo "fetch_scene_data.sh: apt knows no '$pkg'; running apt-get update"
    if [[ $(id -u) -eq 0 ]]; then apt-get update -qq; else sudo apt-get update -qq; fi
    updated=1
    version=$(candidate "$pkg")
  fi
  if [[ -z "$version" || "$version" == "(none)" ]]; then
    echo "fetch_scene_data.sh: Debian package '$pkg' not found by apt (is this Debian 12 with its archive reachable?)" >&2
    exit 1
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "fetch_scene_data.sh: downloading $pkg $version"
  # apt-get download writes into the current folder; as root it warns that _apt cannot write there
  if ! (cd "$tmp" && apt-get download -qq "$pkg" 2>&1 | grep -v 'unsandboxed' >&2 || true; ls "$tmp"/*.deb >/dev/null 2>&1); then
    echo "fetch_scene_data.sh: 'apt-get download $pkg' failed" >&2
    exit 1
  fi
  # extract into a scratch folder, then move into place: an interrupted run leaves no half folder
  mkdir -p "$tmp/x"
  # shellcheck disable=SC2086  # members are wildcards for tar, deliberately unquoted
  dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp/x" --wildcards --strip-components="$strip" $members
  count=$(find "$tmp/x" -type f | wc -l)
  if [[ $count -eq 0 ]]; then
    echo "fetch_scene_data.sh: $pkg $version holds none of: $members" >&2
    exit 1
  fi
  rm -rf "$dest/$folder"
  mv "$tmp/x" "$dest/$folder"
  echo "$pkg $version" >"$marker"
  echo "fetch_scene_data.sh: $pkg ready in $dest/$folder ($count files)"
  rm -rf "$tmp"
  trap - EXIT
done
