#!/bin/sh
# Compiles lib/src/*.c (the formats library) and host/core/src/*.c (the update
# engine, S3 client, agent) for an ESP-class core with Debian's cross compiler,
# as two static libraries, and prints each library's text/data/bss with the
# toolchain's size. Any warning fails (-Werror). Compile only: nothing is
# linked, so this says "the core's C is portable to this core and C library",
# not "it runs there" (the ESP-IDF port is its own build).
#
#   cross_compile.sh xtensa|rv32 <source dir> <work dir>
#
# xtensa: xtensa-lx106-elf-gcc (Debian gcc-xtensa-lx106), with picolibc's
#   headers from picolibc-xtensa-lx106-elf. The lx106 is the ESP8266's core;
#   the ESP32's LX6 (and the S3's LX7) run the same Xtensa ISA with more
#   options, and ESP-IDF compiles with -mlongcalls as done here.
# rv32: riscv64-unknown-elf-gcc (gcc-riscv64-unknown-elf) with -march=rv32imc
#   -mabi=ilp32, as the ESP32-C3; headers from picolibc-riscv64-unknown-elf
#   (--specs=picolibc.specs). ESP-IDF itself ships newlib; picolibc is
#   derived from it and defines __NEWLIB__ too.
# Neither gcc package ships C library headers (only the freestanding ones:
# stdint.h, stdbool.h, stddef.h, stdarg.h), and the core needs string.h,
# stdio.h (snprintf), signal.h (sig_atomic_t), stdlib.h and assert.h.
#
# Exit 0: compiled without a warning; 1: a warning or error; 77 (skipped):
# the compiler or its C library headers are not installed.
set -u
target=${1:?xtensa or rv32}; src=${2:?source dir}; work=${3:?work dir}

case $target in
xtensa)
	prefix=xtensa-lx106-elf; pkg="gcc-xtensa-lx106 picolibc-xtensa-lx106-elf"
	arch="-mlongcalls"
	;;
rv32)
	prefix=riscv64-unknown-elf; pkg="gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf"
	arch="-march=rv32imc -mabi=ilp32 --specs=picolibc.specs"
	;;
*)
	echo "cross_compile.sh: unknown target '$target' (xtensa or rv32)" >&2; exit 2 ;;
esac
cc=$prefix-gcc; ar=$prefix-ar; size=$prefix-size

for tool in "$cc" "$ar" "$size"; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIPPED: $tool is not installed (Debian: apt-get install $pkg; scripts/setup.sh installs it)"
		exit 77
	fi
done

# -std=c11 and the warnings of the native build (CMakeLists.txt), -Os as a
# release build for an MCU would use, one section per function and object
# as ESP-IDF compiles.
cflags="-std=c11 -Os -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
        -ffunction-sections -fdata-sections $arch"

# The C library's headers: a missing package is a skip, not a failure.
probe=$(mktemp); trap 'rm -f "$probe"' EXIT
printf '#include <string.h>\n#include <stdio.h>\n#include <signal.h>\n#include <stdlib.h>\n#include <assert.h>\nint f(void);\nint f(void) { return 0; }\n' > "$probe.c"
# shellcheck disable=SC2086
if ! "$cc" $cflags -c "$probe.c" -o "$probe.o" 2>"$probe.err"; then
	echo "SKIPPED: $cc cannot find the C library's headers (install $pkg):"
	sed 's/^/  /' "$probe.err"
	rm -f "$probe.c" "$probe.o" "$probe.err"
	exit 77
fi
rm -f "$probe.c" "$probe.o" "$probe.err"

echo "$("$cc" --version | head -n 1); flags: $(echo $cflags)"
rm -rf "$work"; mkdir -p "$work/formats" "$work/host"
status=0
build() { # <name> <obj dir> <include flags> <sources...>
	name=$1; dir=$2; inc=$3; shift 3
	n=0
	for f in "$@"; do
		o="$dir/$(basename "$f" .c).o"
		# shellcheck disable=SC2086
		if ! out=$("$cc" $cflags $inc -c "$f" -o "$o" 2>&1) || [ -n "$out" ]; then
			echo "FAIL: $f"; printf '%s\n' "$out"; status=1
		fi
		n=$((n + 1))
	done
	rm -f "$work/lib$name.a"
	"$ar" rcs "$work/lib$name.a" "$dir"/*.o 2>/dev/null
	echo "lib$name.a: $n files"
}
build twinslot_formats "$work/formats" "-I$src/lib/include -I$src/lib/src" "$src"/lib/src/*.c
build twinslot_host "$work/host" "-I$src/host/core/include -I$src/host/core/src -I$src/lib/include" \
	"$src"/host/core/src/*.c
[ $status -eq 0 ] || { echo "$target: warnings or errors above"; exit 1; }

# Per library: the sum over its objects (size -t), then per object.
echo
echo "sizes ($size, Berkeley format, bytes; unlinked objects: the linker's"
echo "--gc-sections drops what an application does not call)"
printf '%-22s %8s %8s %8s %8s\n' library text data bss total
for name in twinslot_formats twinslot_host; do
	"$size" -t "$work/lib$name.a" | awk -v n="lib$name.a" \
		'/\(TOTALS\)/ { printf "%-22s %8d %8d %8d %8d\n", n, $1, $2, $3, $4 }'
done
for name in twinslot_formats twinslot_host; do
	echo; echo "lib$name.a by object:"
	"$size" "$work/lib$name.a" | awk 'NR > 1 { printf "  %-18s %8d %8d %8d\n", $6, $1, $2, $3 }'
done
exit 0
