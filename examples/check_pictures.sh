#!/usr/bin/env bash
# examples/check_pictures.sh: the 'pictures' test: runs each picture example into a
# temporary folder and checks that it exits 0 and writes the PNG files it names.
#   check_pictures.sh EXAMPLES_BUILD_DIR
set -euo pipefail
bin=$1
out=$(mktemp -d "${TMPDIR:-/tmp}/autoconv-pictures.XXXXXX")
trap 'rm -rf "$out"' EXIT

check() {  # check EXAMPLE PNG...
  local ex=$1
  shift
  "$bin/$ex" "$out" || { echo "FAIL: $ex exited with $?"; exit 1; }
  for png in "$@"; do
    [ -s "$out/$png" ] || { echo "FAIL: $ex wrote no $png"; exit 1; }
    [ "$(head -c 8 "$out/$png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
      { echo "FAIL: $out/$png is not a PNG"; exit 1; }
  done
}
check smooth_timeseries smooth_timeseries.png
check blur_volume blur_volume_before.png blur_volume_after.png
check edges_image edges_image_input.png edges_image_magnitude.png
echo "pictures: all PNGs written"
