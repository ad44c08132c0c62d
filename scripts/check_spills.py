#!/usr/bin/env python3
"""scripts/check_spills.py: the AVX-512 register blocks keep their sums in registers.

The vector kernels of lib/separable/engine.cpp and lib/direct/direct.cpp hold their
sums, taps and inputs in registers (lib/core/simd.hpp sizes the blocks to the target).
When GCC runs out of registers it spills them to the stack, and a block whose sums go
through memory runs 2-3x slower. The AVX-512 build cannot be run on every machine
that changes the code (AVX2 machines), but it can be compiled: this script compiles
the two files for -march=skylake-avx512 with the release build's flags, counts the
instructions that move a zmm register to or from the stack in every function, and
fails when a function has more than --limit of them.

Measured: with 16 sums and 8 taps spilled, vtile_regs had 285-331 such instructions
per instance and 4096^2 / 31^2 ran 2.5x slower on a 16-core Xeon; with them in
registers the largest count is ~60 (transposes through small stack buffers).

    python3 scripts/check_spills.py [--build build] [--limit 100]
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

FILES = ["lib/separable/engine.cpp", "lib/direct/direct.cpp"]
STACK = re.compile(r"\((%rsp|%rbp)\)")


def compile_command(build, source):
    """The build's compile command for `source` and its directory, without its output,
    dependency-file and -march/-mtune arguments."""
    with open(os.path.join(build, "compile_commands.json")) as f:
        entries = json.load(f)
    for e in entries:
        if os.path.normpath(os.path.join(e["directory"], e["file"])).endswith(source):
            args = shlex.split(e["command"])
            keep, skip = [], False
            for a in args:
                if skip:
                    skip = False
                    continue
                if a in ("-o", "-MQ", "-MF"):
                    skip = True
                    continue
                if a == "-MD" or a.startswith("-march=") or a.startswith("-mtune="):
                    continue
                keep.append(a)
            return keep, e["directory"]
    sys.exit(f"check_spills: {source} is not in {build}/compile_commands.json (run meson setup {build} first)")


def spills(build, source, tmp):
    args, directory = compile_command(build, source)
    obj = os.path.join(tmp, os.path.basename(source) + ".o")
    subprocess.run(args + ["-march=skylake-avx512", "-o", obj], cwd=directory, check=True)
    dump = subprocess.run(["objdump", "-d", "-C", "--no-show-raw-insn", obj], check=True, capture_output=True,
                          text=True).stdout
    counts, fn = {}, None
    for line in dump.splitlines():
        m = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if m:
            fn = m.group(1)
        elif fn and "zmm" in line and STACK.search(line):
            counts[fn] = counts.get(fn, 0) + 1
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build", help="a configured build directory (its compile_commands.json)")
    ap.add_argument("--limit", type=int, default=100, help="most zmm stack moves allowed in one function")
    opt = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(len(FILES)) as pool:
        results = list(pool.map(lambda s: (s, spills(opt.build, s, tmp)), FILES))
    bad = 0
    for source, counts in results:
        top = sorted(counts.items(), key=lambda kv: -kv[1])
        worst = top[0][1] if top else 0
        print(f"{source}: {len(counts)} functions move zmm registers to or from the stack; most in one: {worst}")
        for fn, n in top:
            if n > opt.limit:
                bad += 1
                print(f"  {n} > {opt.limit}: {fn[:160]}")
    if bad:
        print(f"check_spills: {bad} function(s) spill their AVX-512 registers (limit {opt.limit})")
        return 1
    print(f"check_spills: every function within {opt.limit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
