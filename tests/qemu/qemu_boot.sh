#!/usr/bin/env bash
# Boots a composed 1 MB flash image in QEMU's netduinoplus2 (STM32F405: the
# F407's core and memory map) and asserts on the USART1 console.
#
#   qemu_boot.sh TWINSLOT_TOOL FIRMWARE_DIR SCENARIO
#
# QEMU models neither the flash controller (its registers read 0, writes to
# flash are dropped) nor the independent watchdog. So every journal append
# the firmware attempts fails its read-back verification: the bootloader
# then decides again without writing (decide.h, journal_failed) and says
# "journal write failed" on its line; an application's confirm fails the
# same way. The trial-and-rollback path with real flash writes and watchdog
# resets is covered by the virtual board's tests (sim/), not here.
set -euo pipefail

tool=$1 fw=$2 scenario=$3
# Skipped (77) when QEMU or the firmware is missing: CTest lists it as skipped.
qemu=${QEMU:-}
[ -n "$qemu" ] && [ -x "$qemu" ] || qemu=$(command -v qemu-system-arm) ||
	{ echo "SKIPPED: qemu-system-arm not installed (scripts/setup.sh installs it)"; exit 77; }
for f in bootloader.bin app-a.elf app-b.elf; do
	[ -f "$fw/$f" ] || { echo "SKIPPED: $fw/$f not built (TS_FIRMWARE=OFF?)"; exit 77; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/ts-qemu.XXXXXX")
qpid=
cleanup() {
	if [ -n "$qpid" ]; then kill "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL [$scenario]: $*" >&2; [ -f "$work/console.txt" ] && { echo "--- console:" >&2; cat "$work/console.txt" >&2; }; exit 1; }

# pack SLOT VERSION [ELF-STEM]: image of the example app (or a variant).
pack() {
	local slot=$1 ver=$2 stem=${3:-app} dir="$work/$1-$2-${3:-app}"
	"$tool" pack --version "$ver" "--slot-$slot" "$fw/$stem-$slot.elf" --out-dir "$dir" >/dev/null \
		|| fail "twinslot pack $stem-$slot.elf $ver"
	echo "$dir/slot-$slot.img"
}

# compose ARGS...: the flash image, with our bootloader.
compose() {
	"$tool" compose -o "$work/flash.bin" --bootloader "$fw/bootloader.bin" "$@" >/dev/null \
		|| fail "twinslot compose $*"
}

# flip_byte OFFSET: invert one byte of the flash image (a corrupted image).
flip_byte() {
	local off=$1 b
	b=$(od -An -tu1 -j "$off" -N1 "$work/flash.bin" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 0xFF)))" |
		dd of="$work/flash.bin" bs=1 seek="$off" conv=notrunc status=none
}

# boot LAST_LINE: run QEMU until LAST_LINE appears on the console (or 15 s).
boot() {
	local want=$1 i
	: >"$work/console.txt"
	"$qemu" -M netduinoplus2 -nographic -monitor none -serial "file:$work/console.txt" \
		-kernel "$work/flash.bin" 2>"$work/qemu.err" &
	qpid=$!
	for i in $(seq 150); do
		if tr -d '\r' <"$work/console.txt" | grep -Fx -- "$want" >/dev/null; then break; fi
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.1
	done
	sleep 0.3 # anything printed right after the last expected line
	kill "$qpid" 2>/dev/null || true
	wait "$qpid" 2>/dev/null || true
	qpid=
	tr -d '\r' <"$work/console.txt" >"$work/console.lf"
	mv "$work/console.lf" "$work/console.txt"
}

# expect LINE...: each line present, exactly, in this order.
expect() {
	local line n=0 at
	for line in "$@"; do
		at=$(grep -nFx -- "$line" "$work/console.txt" | head -1 | cut -d: -f1 || true)
		[ -n "$at" ] || fail "missing line: $line"
		[ "$at" -gt "$n" ] || fail "out of order: $line"
		n=$at
	done
}

# expect_count PATTERN N: lines matching the fixed string PATTERN.
expect_count() {
	local got
	got=$(grep -cF -- "$1" "$work/console.txt" || true)
	[ "$got" -eq "$2" ] || fail "expected $2 line(s) with '$1', got $got"
}

BL="twinslot-boot:"
JF="journal write failed: flash operation failed"

case "$scenario" in
only_a_confirmed)
	compose --slot-a "$(pack a 1.0.0)" --record confirmed:a
	boot "twinslot-app: already confirmed"
	expect "$BL slot A v1.0.0 (confirmed)" "twinslot-app: v1.0.0 slot A" \
		"twinslot-app: self-test passed" "twinslot-app: already confirmed"
	;;
only_b_confirmed)
	compose --slot-b "$(pack b 2.3.4)" --record confirmed:b
	boot "twinslot-app: already confirmed"
	expect "$BL slot B v2.3.4 (confirmed)" "twinslot-app: v2.3.4 slot B" \
		"twinslot-app: self-test passed" "twinslot-app: already confirmed"
	;;
only_b_no_record)
	# A factory-fresh board: no journal record. B runs on trial; QEMU
	# cannot count the attempt, and with no confirmed image to run instead
	# the bootloader still tries B (under the watchdog on real hardware).
	compose --slot-b "$(pack b 1.0.0)"
	boot "twinslot-app: confirm failed: flash operation failed"
	expect "$BL slot B v1.0.0 trial (journal write failed: flash operation failed)" \
		"twinslot-app: v1.0.0 slot B" "twinslot-app: self-test passed" \
		"twinslot-app: confirm failed: flash operation failed"
	;;
a_confirmed_b_pending)
	# The bootloader wants trial 1 of B; the ATTEMPT record cannot be written
	# in QEMU, so it never starts an uncounted trial while confirmed A exists.
	compose --slot-a "$(pack a 1.0.0)" --slot-b "$(pack b 1.1.0)" \
		--record confirmed:a --record pending:b
	boot "twinslot-app: already confirmed"
	expect "$BL slot A v1.0.0 (journal write failed: flash operation failed)" \
		"twinslot-app: v1.0.0 slot A" "twinslot-app: already confirmed"
	;;
b_pending_corrupted)
	# One flipped byte in B's application: B fails its SHA-256, its PENDING
	# record names no valid image, and confirmed A runs without any write.
	compose --slot-a "$(pack a 1.0.0)" --slot-b "$(pack b 1.1.0)" \
		--record confirmed:a --record pending:b
	flip_byte $((0x80000 + 0x200 + 0x400))
	boot "twinslot-app: already confirmed"
	expect "$BL slot A v1.0.0 (confirmed; slot B: SHA-256 mismatch)" \
		"twinslot-app: v1.0.0 slot A" "twinslot-app: already confirmed"
	;;
empty_journal_highest_b)
	compose --slot-a "$(pack a 1.0.0)" --slot-b "$(pack b 1.1.0)"
	boot "twinslot-app: confirm failed: flash operation failed"
	expect "$BL slot B v1.1.0 trial (journal write failed: flash operation failed)" \
		"twinslot-app: v1.1.0 slot B"
	;;
empty_journal_highest_a)
	compose --slot-a "$(pack a 1.2.0)" --slot-b "$(pack b 1.1.9)"
	boot "twinslot-app: confirm failed: flash operation failed"
	expect "$BL slot A v1.2.0 trial (journal write failed: flash operation failed)" \
		"twinslot-app: v1.2.0 slot A"
	;;
rollback_after_max_attempts)
	# Three counted attempts of B and no confirmation: ROLLED_BACK for B
	# (not writable here) and back to confirmed A.
	compose --slot-a "$(pack a 1.0.0)" --slot-b "$(pack b 1.1.0)" \
		--record confirmed:a --record pending:b \
		--record attempt:b:1 --record attempt:b:2 --record attempt:b:3
	boot "twinslot-app: already confirmed"
	expect "$BL slot A v1.0.0 (other slot failed its trial: rolled back; $JF)" \
		"twinslot-app: v1.0.0 slot A"
	;;
rolled_back_newest)
	compose --slot-a "$(pack a 1.0.0)" --slot-b "$(pack b 1.1.0)" \
		--record confirmed:a --record pending:b --record attempt:b:1 \
		--record rolled_back:b
	boot "twinslot-app: already confirmed"
	expect "$BL slot A v1.0.0 (other slot was rolled back)" "twinslot-app: v1.0.0 slot A"
	;;
nothing_valid_empty)
	compose
	boot "$BL no bootable image (no valid image): slot A (empty), slot B (empty): waiting for the host"
	expect_count "twinslot-app:" 0
	;;
nothing_valid_corrupted)
	compose --slot-a "$(pack a 1.0.0)"
	flip_byte $((0x20000 + 0x200 + 0x400))
	boot "$BL no bootable image (no valid image): slot A (SHA-256 mismatch), slot B (empty): waiting for the host"
	expect_count "twinslot-app:" 0
	;;
all_rolled_back)
	# The only valid image was rolled back: nothing left to try.
	compose --slot-b "$(pack b 1.1.0)" --record pending:b --record rolled_back:b
	boot "$BL no bootable image (every valid image was rolled back): slot A (empty), slot B (v1.1.0): waiting for the host"
	expect_count "twinslot-app:" 0
	;;
fault_variant)
	# The HardFault test variant really faults (on a trial, the watchdog
	# would then reset the board; QEMU has none, so it just stops).
	compose --slot-b "$(pack b 1.0.1 app-fault)"
	boot "twinslot-app: HardFault"
	expect "twinslot-app: v1.0.1 slot B" "twinslot-app: test variant: HardFault before confirming" \
		"twinslot-app: HardFault"
	expect_count "confirm" 1 # only the variant's own line
	;;
*)
	echo "qemu_boot.sh: unknown scenario '$scenario'" >&2
	exit 2
	;;
esac

# Exactly one bootloader line per boot.
expect_count "$BL" 1
echo "PASS [$scenario]"
