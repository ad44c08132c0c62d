#!/usr/bin/env bash
# scripts/test.sh: installs what is missing, configures, builds and runs the test
# suites; ends with the summary line "tests: N passed, M failed".
#   BUILD_DIR=build-asan scripts/test.sh -Db_sanitize=address,undefined   (extra args go to meson setup)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
build=${BUILD_DIR:-build}
if [ -f "$build/build.ninja" ]; then
  if [ $# -gt 0 ]; then meson configure "$build" "$@" >/dev/null; fi
else
  meson setup "$build" "$@"
fi
ninja -C "$build"

status=0
meson test -C "$build" --print-errorlogs --num-processes 2 || status=$?

# Summary from meson's JSON log: suites, and the doctest cases they ran.
python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, re, sys
passed = failed = cases = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["result"] in ("OK", "EXPECTEDFAIL", "SKIP"):
        passed += 1
    else:
        failed += 1
        print(f"FAILED suite: {t['name']} ({t['result']})")
    m = re.search(r"test cases:\s+(\d+)", t.get("stdout", ""))
    if m:
        cases += int(m.group(1))
print(f"{passed + failed} suites ran {cases} doctest test cases")
print(f"tests: {passed} passed, {failed} failed")
PY
exit $status
