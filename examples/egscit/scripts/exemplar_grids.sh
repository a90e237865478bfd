#!/usr/bin/env bash
# The exemplar grids of docs/egscit.md: for each trained model, rows = test contents from domain A
# (the first test image of each of the digits 5, 6, 7, 8, 9, 0, 2), columns = one test exemplar of each
# domain-B scheme (R/G, G/R, R/B, B/R, G/B, B/G: the first of each from record 19 on). For digits 5-9
# every column but R/G is a combination MNIST-Single's training never shows. Then one image with the
# models side by side.
#
#   examples/egscit/scripts/exemplar_grids.sh OUT.png LABEL=MODEL_DIR [LABEL=MODEL_DIR ...]
# Environment: BIN=build/bin  D=data/egscit/mnist_BW  PY=python3 (needs PIL)  TMP=<a temporary folder>
set -euo pipefail
BIN=${BIN:-build/bin} D=${D:-data/egscit/mnist_BW} PY=${PY:-python3}
out=$1; shift
tmp=${TMP:-$(mktemp -d)}
mapfile -t files_a < <(ls "$D/testA")
mapfile -t files_b < <(ls "$D/testB")
first() {  # first file of the list after $1 whose name matches the regex $2 from record $3 on
  local -n list=$1
  for f in "${list[@]}"; do
    if (( 10#${f%%_*} >= $3 )) && [[ $f =~ $2 ]]; then printf '%s' "$f"; return; fi
  done
  echo "exemplar_grids.sh: no file matching $2 in $D" >&2; exit 1
}
contents=() exemplars=()
for digit in 5 6 7 8 9 0 2; do contents+=("$(first files_a "^[0-9]+_${digit}_" 0)"); done
for scheme in R_G G_R R_B B_R G_B B_G; do exemplars+=("$(first files_b "_${scheme}\.png$" 19)"); done
join() { local dir=$1; shift; local IFS=,; printf '%s' "${*/#/$dir/}"; }
C=$(join "$D/testA" "${contents[@]}")
X=$(join "$D/testB" "${exemplars[@]}")
columns=()
for pair in "$@"; do
  label=${pair%%=*} model=${pair#*=}
  grid="$tmp/grid_$(basename "$model").png"
  "$BIN/egscit_translate" --model "$model" --from A --grid --contents "$C" --exemplars "$X" --out "$grid"
  columns+=("$label=$grid")
done
"$PY" "$(dirname "$0")/../../../docs/tools/sample_grid.py" --scale 2 --out "$out" --stems x "${columns[@]}"
echo "contents: $C"
echo "exemplars: $X"
