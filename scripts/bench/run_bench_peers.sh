#!/usr/bin/env bash
# scripts/bench/run_bench_peers.sh: the benchmark of the cost-model issue, in one run.
#   1. autoconv-calibrate writes a fresh profile (about 5-20 s);
#   2. bench_peers times, on every case of scripts/bench/grid.txt and at 2 threads, our
#      three methods and Method::Auto (built-in profile in use; the fresh profile's
#      choices are reported too), Eigen (1 and 2 threads), OpenCV filter2D (2-D) and
#      scipy (through /usr/bin/python3) on the same data;
#   3. plot_peers.py summarises it and draws docs/images/peers.png;
#   4. the "Against the peers" section of BENCHMARKS.md is rewritten with the table.
# Takes about 10-15 minutes on the 2-core reference machine. Extra arguments go to
# bench_peers (e.g. --cases 1d-a,2d-b --no-scipy).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
# The peers and the plot: OpenCV (bench_peers' filter2D column) and matplotlib, besides
# what the build needs; a build configured before OpenCV was there is reconfigured.
# Without root (or off Debian) the run goes on without them: no OpenCV column, no plot.
bash scripts/setup.sh libopencv-dev python3-matplotlib ||
  echo "run_bench_peers.sh: could not install OpenCV and matplotlib; the OpenCV column and the plot may be missing" >&2
configure_log=$(mktemp)
if [ -f "$build/build.ninja" ]; then meson setup --reconfigure "$build" >"$configure_log"; else meson setup "$build" >"$configure_log"; fi
grep -i "opencv4" "$configure_log" || true  # found: YES or NO
rm -f "$configure_log"
ninja -C "$build" >/dev/null
out="$build/bench-peers"
mkdir -p "$out" docs/images
start=$(date +%s)
"$build/lib/autoconv-calibrate" --output "$out/fresh.profile"
# The built-in profile in use: no $AUTOCONV_PROFILE and no per-user file.
env -u AUTOCONV_PROFILE XDG_CONFIG_HOME="$out/none" HOME="$out/none" \
  "$build/scripts/bench/bench_peers" --threads 2 --json "$out/run.json" --profile "$out/fresh.profile" "$@" \
  | tee "$out/table.md"
/usr/bin/python3 scripts/bench/plot_peers.py "$out/run.json" --png docs/images/peers.png --md "$out/summary.md"
took=$(( $(date +%s) - start ))

/usr/bin/python3 - "$out" "$took" "$*" <<'PY'
import re, sys, platform, subprocess
out, took, extra = sys.argv[1], int(sys.argv[2]), sys.argv[3]
table = open(out + "/table.md").read().strip()
summary = open(out + "/summary.md").read().strip()
profile = open(out + "/fresh.profile").read().strip()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
section = f"""<!-- peers:begin (written by scripts/bench/run_bench_peers.sh) -->
## Against the peers: Method::Auto on the 39-case grid (2 threads)

Command: `scripts/bench/run_bench_peers.sh {extra}`: {took // 60} min {took % 60} s on this machine
(CPU "{cpu}", nproc 2). Every time is a one-shot call on the same data in the same run
(median of 3-7 calls after a warm-up; ms). Ours: `autoconv::convolve` forced to each
method, and `Method::Auto` with the built-in profile. Peers at 2 threads: Eigen
`Tensor::convolve` on a `ThreadPoolDevice` (the 1-thread column is for reference),
OpenCV `filter2D` (2-D), scipy 1.10 `signal.convolve`/`fftconvolve`/`oaconvolve` and
`ndimage.convolve` with `scipy.fft.set_workers(2)`. "skip": a peer predicted over 20 s
from its rate on the smaller cases (a direct method on a huge kernel; an FFT peer on the
same case took well under that). "auto/oracle": Auto against the fastest of our own
methods, both timed in the round-robin of ours; "auto alone": Auto timed as the peers
are, consecutive calls after a warm-up (in the round-robin the call before Auto's is
often an FFT method that evicted the input from the caches, which the peers' timing
never meets); "auto speed-up": the fastest peer's time over "auto alone". Every peer's
result is compared with Auto's (largest differences below).

{summary}

![where each method wins](docs/images/peers.png)

{table}

<details><summary>The fresh profile of this run</summary>

```
{profile}
```
</details>
<!-- peers:end -->"""
text = open("BENCHMARKS.md").read()
if "<!-- peers:begin" in text:
    text = re.sub(r"<!-- peers:begin.*?<!-- peers:end -->", lambda m: section, text, flags=re.S)
else:
    text = text.rstrip() + "\n\n" + section + "\n"
open("BENCHMARKS.md", "w").write(text)
print("BENCHMARKS.md: peers section rewritten")
PY
