#!/bin/sh
# esp32_arduino_library: assemble the Arduino library into the build
# directory and syntax-check it (tools/arduino/make-library.sh --check).
# Without the ESP32 port in the checkout the library cannot be assembled:
# the core-only check still runs (and fails the test if it fails), then the
# test reports itself skipped (77).
#   arduino_library.sh <source dir> <work dir>
set -u
src=${1:?source dir}; work=${2:?work dir}
if [ -f "$src/host/ports/esp-idf/include/twinslot_esp32.h" ]; then
	exec sh "$src/tools/arduino/make-library.sh" -o "$work" --no-zip --check
fi
sh "$src/tools/arduino/make-library.sh" -o "$work" --core-only --check || exit 1
echo "SKIPPED: host/ports/esp-idf/include/twinslot_esp32.h is not in this checkout:" \
     "the core-only check passed, the library itself cannot be assembled"
exit 77
