#!/usr/bin/env bash
# scripts/demo.sh: installs what is missing, builds, and runs the main job: the
# three reference examples (numpy/scipy tutorial) and a short tour of the API.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
build=${BUILD_DIR:-build}
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
ninja -C "$build" >/dev/null

for ex in reference_1d reference_2d reference_3d; do
  echo
  case $ex in
    reference_1d) echo "== 1-D: numpy.convolve(signal, kernel, mode='same')" ;;
    reference_2d) echo "== 2-D: scipy.signal.convolve2d(image, kernel, mode='same', boundary='fill', fillvalue=0)" ;;
    reference_3d) echo "== 3-D: scipy.ndimage.convolve(volume, ones((3,3,3))/27, mode='constant', cval=0.0)" ;;
  esac
  "$build/examples/$ex"
done
echo
echo "== Tour"
"$build/examples/tour"
