#!/bin/sh
# Assembles the twinslot Arduino library (for Arduino-ESP32) from the
# project's own sources, so nothing is copied into the repository:
#
#   arduino/twinslot/library.properties, src/twinslot.h, examples/  (committed)
#   lib/include/twinslot/*.h, host/core/include/twinslot/*.h -> src/twinslot/
#   lib/src/*.c, *.h                                    -> src/lib/
#   host/core/src/*.c, *.h                              -> src/core/
#   host/ports/esp-idf/include/*.h                      -> src/
#   host/ports/esp-idf/ sources (*.c, *.h outside include/) -> src/port/
#   docs/arduino.md                                     -> README.md
#
# into OUT/twinslot/ and OUT/twinslot-<version>.zip (OUT: build/arduino, which
# .gitignore keeps out of git). Install the zip with the Arduino IDE (Sketch,
# Include Library, Add .ZIP Library) or `arduino-cli lib install --zip-path`.
#
#   tools/arduino/make-library.sh [-o OUT] [--no-zip] [--check] [--core-only]
#
# --check       syntax-checks the result on this machine with the host's gcc
#               and g++: every C file of src/lib and src/core as Arduino-ESP32
#               compiles C (gnu17; and gnu99, as Arduino-ESP32 2.x did), with
#               -Wall -Wextra -Werror, and twinslot.h included from C++
#               (gnu++17). The port's C files need ESP-IDF's headers and are
#               not checked here; the sketch needs Arduino's and is not either.
# --core-only   assemble without host/ports/esp-idf (before the port exists):
#               the result is NOT a usable library, only checkable.
# Exit: 0 done; 1 a source is missing or a check failed; 2 usage.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build/arduino
zip=1 check=0 core_only=0
while [ $# -gt 0 ]; do
	case $1 in
	-o) [ $# -ge 2 ] || { echo "make-library.sh: -o needs a directory" >&2; exit 2; }
	    out=$2; shift ;;
	--no-zip) zip=0 ;;
	--check) check=1 ;;
	--core-only) core_only=1 ;;
	-h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "make-library.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done

meta=$root/arduino/twinslot
port=$root/host/ports/esp-idf
version=$(sed -n 's/^version=//p' "$meta/library.properties")
[ -n "$version" ] || { echo "make-library.sh: no version= in $meta/library.properties" >&2; exit 1; }

if [ $core_only -eq 0 ] && [ ! -f "$port/include/twinslot_esp32.h" ]; then
	echo "make-library.sh: the ESP32 port is not in this checkout" \
	     "($port/include/twinslot_esp32.h is missing); the library needs it." >&2
	echo "make-library.sh: --core-only assembles the rest, for checking only." >&2
	exit 1
fi

lib=$out/twinslot
rm -rf "$lib"
mkdir -p "$lib/src/twinslot" "$lib/src/lib" "$lib/src/core" "$lib/examples"

cp "$meta/library.properties" "$lib/"
cp "$meta/src/twinslot.h" "$lib/src/"
cp -R "$meta/examples/." "$lib/examples/"
[ -f "$root/docs/arduino.md" ] && cp "$root/docs/arduino.md" "$lib/README.md"
[ -f "$root/LICENSE" ] && cp "$root/LICENSE" "$lib/"

cp "$root"/lib/include/twinslot/*.h "$root"/host/core/include/twinslot/*.h "$lib/src/twinslot/"
cp "$root"/lib/src/*.c "$lib/src/lib/"
for h in "$root"/lib/src/*.h; do [ -f "$h" ] && cp "$h" "$lib/src/lib/"; done
cp "$root"/host/core/src/*.c "$root"/host/core/src/*.h "$lib/src/core/"

if [ $core_only -eq 0 ]; then
	mkdir -p "$lib/src/port"
	cp "$port"/include/*.h "$lib/src/"
	# The port's sources wherever they sit in its folder, minus its public
	# headers (already in src/), its build files, tests and examples.
	find "$port" -type f \( -name '*.c' -o -name '*.h' \) \
		! -path "$port/include/*" ! -path "$port/test/*" ! -path "$port/tests/*" \
		! -path "$port/examples/*" | while read -r f; do
		cp "$f" "$lib/src/port/"
	done
fi

# The library's C files must not include one another by a path that only
# exists in the repository ("../../lib/..."): every include is either
# "twinslot/x.h" (src/ is on the include path) or a file beside it.
if grep -n '#include "\.\./' -r "$lib/src" >/dev/null; then
	echo "make-library.sh: a source includes by a relative path outside its folder:" >&2
	grep -n '#include "\.\./' -r "$lib/src" >&2
	exit 1
fi

n=$(find "$lib/src" -name '*.c' | wc -l)
echo "make-library.sh: $lib ($n C files, version $version$([ $core_only -eq 1 ] && echo ', core only: not usable as a library'))"

if [ $zip -eq 1 ] && [ $core_only -eq 0 ]; then
	z=$out/twinslot-$version.zip
	rm -f "$z"
	if command -v zip >/dev/null 2>&1; then
		(cd "$out" && zip -qr "$z" twinslot)
	else
		(cd "$out" && python3 -c 'import shutil,sys; shutil.make_archive(sys.argv[1], "zip", ".", "twinslot")' \
			"${z%.zip}")
	fi
	echo "make-library.sh: $z"
fi

if [ $check -eq 1 ]; then
	status=0
	tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
	for std in gnu17 gnu99; do
		for f in "$lib"/src/lib/*.c "$lib"/src/core/*.c; do
			if ! gcc -std=$std -Wall -Wextra -Werror -fsyntax-only -I"$lib/src" "$f" 2>"$tmp/err"; then
				echo "check: C ($std): $f"; cat "$tmp/err"; status=1
			fi
		done
	done
	echo "check: $(ls "$lib"/src/lib/*.c "$lib"/src/core/*.c | wc -l) C files, gnu17 and gnu99: $([ $status -eq 0 ] && echo ok || echo FAILED)"
	printf '#include <twinslot.h>\nint main() { return ts_strerror(TS_OK) == nullptr; }\n' > "$tmp/cpp.cpp"
	def=; [ $core_only -eq 1 ] && def=-DTWINSLOT_CORE_ONLY
	# shellcheck disable=SC2086
	if g++ -std=gnu++17 -Wall -Wextra -Werror -fsyntax-only $def -I"$lib/src" "$tmp/cpp.cpp" 2>"$tmp/err"; then
		echo "check: twinslot.h from C++ (gnu++17$([ $core_only -eq 1 ] && echo ', without the port header')): ok"
	else
		echo "check: twinslot.h from C++ (gnu++17):"; cat "$tmp/err"; status=1
	fi
	exit $status
fi
exit 0
