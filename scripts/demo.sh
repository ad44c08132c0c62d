#!/usr/bin/env bash
# scripts/demo.sh: installs what is missing, builds, and runs the main job: the
# three reference examples (numpy/scipy tutorial), a short tour of the API, and
# three examples that write pictures (PNG) into $build/demo/.
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

# Examples a person looks at: each writes PNGs into the folder it is given.
pictures=$build/demo
mkdir -p "$pictures"
for ex in smooth_timeseries blur_volume edges_image; do
  echo
  case $ex in
    smooth_timeseries) echo "== 1-D: a noisy time series smoothed by a Gaussian and a moving average" ;;
    blur_volume) echo "== 3-D: a noisy volume of spheres filtered by a 7x7x7 Gaussian" ;;
    edges_image) echo "== 2-D: Sobel edges of a synthetic image" ;;
  esac
  if [ -x "$build/examples/$ex" ]; then
    "$build/examples/$ex" "$pictures"
  else
    echo "(not built: stb_image_write.h missing; scripts/setup.sh installs libstb-dev)"
  fi
done
echo
echo "Pictures: $(cd "$pictures" && pwd)/"
for f in "$pictures"/*.png; do [ -e "$f" ] && echo "  $(basename "$f")"; done
