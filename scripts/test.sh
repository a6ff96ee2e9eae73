#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds host and firmware, and
# runs every test under AddressSanitizer and UndefinedBehaviorSanitizer.
# The output ends with CTest's summary line.
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
exec ctest --output-on-failure -j"$jobs" "$@"
