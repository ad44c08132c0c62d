#!/usr/bin/env bash
# Builds bench_fft and prints the FFT tables of BENCHMARKS.md (about 1 minute):
#   1. Method::FFT execute vs the raw FFTW bound (r2c * multiply * c2r, same lengths/flags);
#   2. Method::OverlapAdd vs Method::FFT;
#   3. peak memory of each on the OverlapAdd cases, from /usr/bin/time -v.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
build="${BUILD_DIR:-build}"
[ -f "$build/build.ninja" ] || meson setup "$build" >&2
ninja -C "$build" scripts/bench/bench_fft >&2
if [ ! -x /usr/bin/time ]; then
  echo "run_bench_fft.sh: /usr/bin/time is missing (Debian package 'time')" >&2
  [ "$(id -u)" -eq 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >&2
fi
bench="$build/scripts/bench/bench_fft"

echo "### Method::FFT against the raw FFTW bound (double, 1 thread, reused plan, median of ${REPS:-7})"
echo
"$bench" bound --reps "${REPS:-7}"
echo
echo "### Method::OverlapAdd against Method::FFT (double, 1 thread, reused plans, median of 3)"
echo
"$bench" oa --reps 3
echo
echo "### Peak memory (/usr/bin/time -v, whole process: data, plans, buffers)"
echo
echo "| case | method | time (ms) | peak RSS (MiB) | input + output (MiB) | peak / (input + output) |"
echo "|---|---|---:|---:|---:|---:|"
for c in oa1d oa3d; do
  for m in oa fft; do
    out=$(/usr/bin/time -v "$bench" one "$c" "$m" 2>/tmp/bench_fft_time.$$)
    rss=$(awk -F: '/Maximum resident/ {print $2}' /tmp/bench_fft_time.$$)
    name=$(sed 's/ \(oa\|fft\) .*//' <<<"$out")
    ms=$(sed 's/.* \([0-9.]*\) ms;.*/\1/' <<<"$out")
    io=$(sed 's/.*= \([0-9.]*\) MiB/\1/' <<<"$out")
    awk -v n="$name" -v m="$m" -v ms="$ms" -v rss="$rss" -v io="$io" \
      'BEGIN { printf "| %s | %s | %s | %.1f | %s | %.2fx |\n", n, (m == "oa" ? "OverlapAdd" : "FFT"), ms, rss / 1024, io, rss / 1024 / io }'
  done
done
rm -f /tmp/bench_fft_time.$$
