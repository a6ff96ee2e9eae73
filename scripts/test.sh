#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds host and firmware, and
# runs every test under AddressSanitizer and UndefinedBehaviorSanitizer.
# Tests that cannot run here (exit 77: a missing tool, no ../shared/vectors)
# show as skipped; the output ends with how many were skipped, then CTest's
# summary line again, last. The exit status is CTest's.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

jobs=$(nproc)
# The plain build (gcc, warnings as errors): what the demo and benchmarks use.
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
# The test build: clang with ASan + UBSan, and the libFuzzer targets.
CC=clang cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DTS_SANITIZE=ON -DTS_FUZZ=ON >/dev/null
cmake --build build-test -j"$jobs"
cd build-test
log=ctest-output.log
rc=0
ctest --output-on-failure --no-tests=error -j"$jobs" "$@" 2>&1 | tee "$log" || rc=$?
# CTest's progress lines: "12/66 Test #12: cloud_s3 ....***Skipped   0.1 sec"
skipped=$(sed -n 's/.* Test *#[0-9]*: \([^ ]*\) .*\*\*\*Skipped.*/\1/p' "$log" | sort)
n=$(printf '%s' "$skipped" | grep -c . || true)
echo
if [ "$n" -eq 0 ]; then echo "0 tests skipped"; else echo "$n tests skipped:" $skipped; fi
summary=$(grep -E '^[0-9]+% tests passed' "$log" | tail -n 1 || true)
echo "${summary:-no CTest summary line (see build-test/$log)}"
exit "$rc"
