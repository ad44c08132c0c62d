#!/usr/bin/env bash
# Builds and runs bench_direct: autoconv's direct engine vs Eigen's
# Tensor::convolve, one thread, mode 'same'. Arguments go to the program:
#
#   scripts/bench/run_bench_direct.sh [--reps N] [--quick] [--type double|float|both] [--eigen padded|fused]
#
# The Markdown table goes to stdout and is also saved to $BUILD_DIR/bench_direct.md;
# the build's own output goes to stderr. BUILD_DIR (default: build) picks the build
# directory; it is configured with `meson setup` if it does not exist yet.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
build="${BUILD_DIR:-build}"

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" >&2
fi
# The target is named by its path: ninja knows it as scripts/bench/bench_direct.
# (Listing to a variable first: grep -q closing the pipe early would fail under pipefail.)
targets=$(ninja -C "$build" -t targets all 2>/dev/null || true)
if ! grep -q '^scripts/bench/bench_direct:' <<<"$targets"; then
  echo "run_bench_direct.sh: $build has no bench_direct target; enable it with: meson configure $build -Dbenchmarks=true" >&2
  exit 1
fi
ninja -C "$build" scripts/bench/bench_direct >&2

"$build/scripts/bench/bench_direct" "$@" | tee "$build/bench_direct.md"
