#!/usr/bin/env bash
# End to end on the virtual board: the real bootloader and application
# (TS_FIRMWARE_DIR) in flash images composed by `twinslot compose`.
# Asserts on the serial console, the event log and the journal in the flash
# file (read with lib's ts_journal_scan through board_journal).
# Usage: board_e2e.sh BOARD TWINSLOT BOARD_JOURNAL FIRMWARE_DIR SCENARIO
set -euo pipefail
BOARD=$1 TW=$2 JOURNAL=$3 FW=$4 SCEN=$5
for f in bootloader.bin app-a.elf app-b.elf app-hang-b.elf app-fault-b.elf app-selftest-fail-b.elf; do
	[ -f "$FW/$f" ] || { echo "SKIP: $FW/$f not built (TS_FIRMWARE=OFF?)"; exit 77; }
done
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- console" >&2; cat "$T/con" >&2 || true;
	 echo "--- journal" >&2; "$JOURNAL" "$T/flash" >&2 || true;
	 echo "--- events (no LEDs)" >&2; grep -v '"led"' "$T/ev" | cut -c1-200 >&2 || true; exit 1; }
con_has() { grep -qxF "$1" <(tr -d '\r' <"$T/con"); }
expect_line() { con_has "$1" || fail "console lacks line '$1'"; }
wait_for() { # wait_for FILE TEXT [SECONDS]
	for _ in $(seq $((${3:-30} * 10))); do grep -qF "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	fail "timed out waiting for '$2' in $1"
}
ctl() { "$BOARD" --ctl "$T/sock" "$@" >/dev/null || fail "control: $*"; }
journal_summary() { "$JOURNAL" "$T/flash" | tail -1; }

# Slot A: 1.0.0, confirmed. Slot B: 1.1.0 of the given app, pending.
compose_update() {
	"$TW" pack --version 1.0.0 --slot-a "$FW/app-a.elf" --out-dir "$T/a" >/dev/null
	"$TW" pack --version 1.1.0 --slot-b "$FW/$1" --out-dir "$T/b" >/dev/null
	"$TW" compose -o "$T/flash" --bootloader "$FW/bootloader.bin" --slot-a "$T/a/slot-a.img" \
		--slot-b "$T/b/slot-b.img" --record confirmed:a --record pending:b >/dev/null
}
run_board() { # run_board SECONDS: board time, unpaced
	"$BOARD" --quiet --flash "$T/flash" --events "$T/ev" --console "$T/con" --max-time "$1"
}
# Start held in the ROM (CPU idle), arm a power cut, boot the flash.
start_with_cut() {
	"$BOARD" --quiet --flash "$T/flash" --events "$T/ev" --console "$T/con" --control "$T/sock" \
		--boot0 1 --max-wall 100 &
	PID=$!
	for _ in $(seq 100); do [ -S "$T/sock" ] && break; sleep 0.1; done
	ctl "cut after $1" "boot0 0" "nrst pulse"
	wait_for "$T/ev" '"type":"power_cut"'
	wait_for "$T/ev" '"type":"power","on":false'
}

case "$SCEN" in
boot_confirmed)
	"$TW" pack --version 1.0.0 --slot-a "$FW/app-a.elf" --out-dir "$T/a" >/dev/null
	"$TW" compose -o "$T/flash" --bootloader "$FW/bootloader.bin" --slot-a "$T/a/slot-a.img" \
		--record confirmed:a >/dev/null
	cp "$T/flash" "$T/before"
	run_board 2
	expect_line "twinslot-boot: slot A v1.0.0 (confirmed)"
	expect_line "twinslot-app: v1.0.0 slot A"
	expect_line "twinslot-app: already confirmed"
	cmp -s "$T/flash" "$T/before" || fail "a confirmed boot changed the flash"
	grep -q '"type":"lockup"' "$T/ev" && fail "lock-up"
	# The bootloader left its line to the application (the boot note) and
	# jumped at once: under 1 ms from the reset on the board's clock (its
	# instruction count, not the wall clock), where printing the 42
	# characters at 115200 alone takes 3.7 ms.
	ns=$(grep -m1 '"type":"slot_entry"' "$T/ev" | sed -E 's/.*"ns":([0-9]+).*/\1/')
	[ -n "$ns" ] && [ "$ns" -lt 1000000 ] || fail "reset to the jump took ${ns:-?} ns of board time"
	;;
trial_confirms)
	compose_update app-b.elf
	run_board 3
	expect_line "twinslot-boot: slot B v1.1.0 trial 1/3 (new image)"
	expect_line "twinslot-app: v1.1.0 slot B"
	expect_line "twinslot-app: confirmed"
	"$JOURNAL" "$T/flash" | grep -x "seq=3 attempt B attempt=1 v=0x01010000" >/dev/null || fail "no ATTEMPT"
	"$JOURNAL" "$T/flash" | grep -x "seq=4 confirmed B attempt=0 v=0x01010000" >/dev/null || fail "no CONFIRMED"
	[ "$(journal_summary)" = "valid=4 invalid=0 dirty=0 newest=confirmed:B" ] ||
		fail "journal: $(journal_summary)"
	grep -q '"type":"iwdg_start"' "$T/ev" || fail "the trial ran without the watchdog"
	# the bootloader's trial timeout: /64 of the 32 kHz LSI, reload 2000: 4 s
	grep -q '"type":"iwdg_config","pr":4,"rlr":2000,"timeout_ns":4000000000' "$T/ev" ||
		fail "the trial watchdog is not set to 4 s: $(grep iwdg_ "$T/ev" | cut -c1-160)"
	grep -q '"type":"flash_overwrite"' "$T/ev" && fail "firmware programmed over non-erased flash"
	;;
hang_rolls_back | fault_rolls_back)
	[ "$SCEN" = hang_rolls_back ] && app=app-hang-b.elf || app=app-fault-b.elf
	compose_update "$app"
	run_board 20
	for n in 1 2 3; do
		grep -q "twinslot-boot: slot B v1.1.0 trial $n/3" "$T/con" || fail "no trial $n"
	done
	expect_line "twinslot-boot: slot A v1.0.0 (other slot failed its trial: rolled back)"
	expect_line "twinslot-app: v1.0.0 slot A"
	causes=$(grep '"type":"reset"' "$T/ev" | sed 's/.*"cause":"\([a-z]*\)".*/\1/' | tr '\n' ' ')
	[ "$causes" = "power iwdg iwdg iwdg " ] || fail "reset causes: $causes"
	if [ "$SCEN" = fault_rolls_back ]; then
		[ "$(grep -c '"type":"lockup"' "$T/ev")" = 3 ] || fail "expected 3 lock-ups"
	else
		grep -q '"type":"lockup"' "$T/ev" && fail "the hang variant locked up"
	fi
	"$JOURNAL" "$T/flash" | grep -x "seq=5 attempt B attempt=3 v=0x01010000" >/dev/null || fail "no 3rd ATTEMPT"
	[ "$(journal_summary)" = "valid=6 invalid=0 dirty=0 newest=rolled_back:B" ] ||
		fail "journal: $(journal_summary)"
	;;
selftest_fail_requests_rollback)
	# The application's own health check fails: it asks for a rollback
	# through the client library (ROLLED_BACK, then a software reset).
	compose_update app-selftest-fail-b.elf
	run_board 5
	expect_line "twinslot-boot: slot B v1.1.0 trial 1/3 (new image)"
	expect_line "twinslot-app: self-test failed: forced by the test variant"
	expect_line "twinslot-app: requesting rollback"
	expect_line "twinslot-boot: slot A v1.0.0 (other slot was rolled back)"
	expect_line "twinslot-app: already confirmed"
	causes=$(grep '"type":"reset"' "$T/ev" | sed 's/.*"cause":"\([a-z]*\)".*/\1/' | tr '\n' ' ')
	[ "$causes" = "power software " ] || fail "reset causes: $causes"
	"$JOURNAL" "$T/flash" | grep -x "seq=4 rolled_back B attempt=0 v=0x01010000" >/dev/null || fail "no ROLLED_BACK"
	[ "$(journal_summary)" = "valid=4 invalid=0 dirty=0 newest=rolled_back:B" ] ||
		fail "journal: $(journal_summary)"
	;;
corrupted_confirmed)
	# The bootloader trusts a confirmed image's header (design change 22):
	# B confirmed, one byte of its application flipped behind an intact
	# header, runs; the example application's self-test hashes itself and
	# asks for a rollback. With its last word blank (a write cut short) the
	# bootloader hashes it and never starts it.
	"$TW" pack --version 1.0.0 --slot-a "$FW/app-a.elf" --out-dir "$T/a" >/dev/null
	cp "$FW/app-b.bin" "$T/big-b.bin"
	head -c 4096 /dev/zero | tr '\0' '\125' >>"$T/big-b.bin"
	"$TW" pack --version 1.1.0 --slot-b "$T/big-b.bin" --addr-b 0x08080200 --out-dir "$T/b" >/dev/null
	"$TW" compose -o "$T/good" --bootloader "$FW/bootloader.bin" --slot-a "$T/a/slot-a.img" \
		--slot-b "$T/b/slot-b.img" --record confirmed:a --record pending:b --record attempt:b:1 \
		--record confirmed:b >/dev/null
	end=$((0x80000 + 512 + $(stat -c%s "$T/big-b.bin")))
	cp "$T/good" "$T/flash"
	printf '\000' | dd of="$T/flash" bs=1 seek=$((end - 100)) conv=notrunc status=none
	run_board 5
	expect_line "twinslot-boot: slot B v1.1.0 (confirmed)"
	expect_line "twinslot-app: self-test failed: SHA-256 mismatch"
	expect_line "twinslot-app: requesting rollback"
	expect_line "twinslot-boot: slot A v1.0.0 (other slot was rolled back)"
	expect_line "twinslot-app: already confirmed"
	[ "$(grep -c '"type":"slot_entry"' "$T/ev")" = 2 ] || fail "expected two hand-overs"
	grep -q '"type":"iwdg_start"' "$T/ev" && fail "a confirmed image ran under the watchdog"
	# the last word blank: hashed, not valid, A runs at once
	cp "$T/good" "$T/flash"
	printf '\377\377\377\377' | dd of="$T/flash" bs=1 seek=$((end - 4)) conv=notrunc status=none
	rm -f "$T/con" "$T/ev"
	run_board 3
	expect_line "twinslot-boot: slot A v1.0.0 (confirmed; slot B: SHA-256 mismatch)"
	expect_line "twinslot-app: already confirmed"
	entries=$(grep '"type":"slot_entry"' "$T/ev" | sed -E 's/.*"addr":([0-9]+).*/\1/')
	[ "$(echo "$entries" | wc -l)" = 1 ] && [ "$entries" -lt $((0x08080000)) ] ||
		fail "expected one hand-over, to slot A: $entries"
	;;
cut_during_program)
	compose_update app-b.elf
	# the bootloader's first flash operations program the ATTEMPT record,
	# one word each: the third one is torn
	start_with_cut 3
	grep -q '"type":"power_cut".*"kind":"program"' "$T/ev" || fail "no cut during a program"
	# the board is off: the flash file shows the torn record
	"$JOURNAL" "$T/flash" | tail -1 | grep "^valid=2 invalid=1 " >/dev/null ||
		fail "after the cut: $(journal_summary)"
	: >"$T/con"
	ctl "power on"
	wait_for "$T/con" "twinslot-app: confirmed"
	ctl quit
	wait "$PID"; PID=
	expect_line "twinslot-app: v1.1.0 slot B"
	journal_summary | grep "newest=confirmed:B" >/dev/null || fail "journal: $(journal_summary)"
	;;
cut_during_erase)
	compose_update app-b.elf
	# make the journal dirty (a blank position before a record): the
	# bootloader must compact, which starts with erasing sector 11
	j=$((0xE0000))
	dd if="$T/flash" of="$T/rec" bs=1 skip=$((j + 32)) count=32 status=none
	head -c 32 /dev/zero | tr '\0' '\377' | dd of="$T/flash" bs=1 seek=$((j + 32)) conv=notrunc status=none
	dd if="$T/rec" of="$T/flash" bs=1 seek=$((j + 64)) conv=notrunc status=none
	"$JOURNAL" "$T/flash" | tail -1 | grep "dirty=1" >/dev/null || fail "setup: journal not dirty"
	start_with_cut 1
	grep -q '"type":"power_cut".*"kind":"erase"' "$T/ev" || fail "no cut during an erase"
	# the flash file shows the interrupted erase: the records it reached are gone
	after=$("$JOURNAL" "$T/flash" | tail -1)
	case "$after" in valid=2\ invalid=0\ *) fail "journal unchanged by the cut: $after" ;; esac
	: >"$T/con"
	ctl "power on"
	wait_for "$T/con" "twinslot-app: " 30
	sleep 1
	ctl quit
	wait "$PID"; PID=
	grep -q '^twinslot-boot: slot [AB] ' "$T/con" || fail "no boot after the cut"
	grep -q '"type":"lockup"' "$T/ev" && fail "lock-up after the cut"
	journal_summary | grep "newest=confirmed:" >/dev/null || fail "journal: $(journal_summary)"
	;;
*) fail "unknown scenario $SCEN" ;;
esac
echo "PASS $SCEN"
