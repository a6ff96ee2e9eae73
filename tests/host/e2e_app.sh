#!/usr/bin/env bash
# The app path end to end: `twinslot flash` against twinslot-board running the
# real bootloader and the example application (with its update service).
# Asserted on the board's event log, console and flash file (slot bytes, the
# journal through board_journal --live), never on our own messages.
#
#   realtime   the board paced in real time; a 256 KB release goes A -> B
#              through the application (--path app): no ROM session, exactly
#              one reset (the application's own restart), B confirmed
#   hang       a bricked application in A (it hangs before serving): --path
#              auto falls back to the ROM and the update confirms
#   absent     no application at all (bootloader only): --path auto installs
#              through the ROM; --path app fails with a clear message and
#              writes nothing
#
# usage: e2e_app.sh TWINSLOT BOARD FIRMWARE_DIR BOARD_JOURNAL WORKDIR SCENARIO
# APP_BAUD (environment): cap the app path's baud (twinslot flash --app-baud).
set -euo pipefail
T=$1 BOARD=$2 FW=$3 JOURNAL=$4 W=$5 SCEN=$6
for f in bootloader.bin app-a.bin app-b.bin app-a.elf app-b.elf app-hang-a.elf; do
	[ -f "$FW/$f" ] || { echo "SKIPPED: $FW/$f not built (TS_FIRMWARE=OFF?)"; exit 77; }
done
rm -rf "$W"; mkdir -p "$W"; cd "$W"
BPID=
trap '[ -n "$BPID" ] && kill $BPID 2>/dev/null || true' EXIT
fail() {
	echo "FAIL [$SCEN]: $*" >&2
	echo "--- flash output" >&2; cat out.txt err.txt >&2 2>/dev/null || true
	echo "--- console" >&2; tr -d '\r' <console.txt | tail -20 >&2 || true
	echo "--- journal" >&2; "$JOURNAL" --live flash.bin >&2 || true
	exit 1
}
ctl() { "$BOARD" --ctl ctl.sock "$@" >/dev/null || fail "control: $*"; }
wait_until() { # SECONDS COMMAND...
	local n=$(($1 * 20)); shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.05; done
	return 1
}
# the console as text, each line from its twinslot- prefix on (the app path's
# frames, at another baud, precede the next line on the console copy)
con() { tr -d '\r' <console.txt | tr -c '[:print:]\n' '?' | sed 's/^.*\(twinslot-\(boot\|app\): \)/\1/'; }
has_line() { con | grep -xF -- "$1" >/dev/null; }
start_board() { # FLASH [board options]
	cp "$1" flash.bin; shift
	rm -f tty ctl.sock events.jsonl console.txt
	"$BOARD" --flash flash.bin --pty-link tty --control ctl.sock --events events.jsonl \
		--console console.txt --quiet --max-wall 600 "$@" >board.out 2>&1 &
	BPID=$!
	wait_until 5 test -S ctl.sock || fail "no control socket"
}
stop_board() { ctl quit; wait "$BPID" || true; BPID=; }
holds() { # SLOT IMAGE: the flash file holds IMAGE at SLOT
	local off=$((0x80000)); [ "$1" = A ] && off=$((0x20000))
	cmp -s -n "$(stat -c%s "$2")" "$2" <(tail -c +$((off + 1)) flash.bin)
}
flash() { # EXPECTED_EXIT [options]
	local want=$1 rc; shift
	set +e
	"$T" flash ${APP_BAUD:+--app-baud $APP_BAUD} --port tty --pins board:ctl.sock --allow-unsigned "$@" >out.txt 2>err.txt
	rc=$?
	set -e
	[ "$rc" = "$want" ] || fail "twinslot flash $* exit $rc, expected $want"
}
live() { "$JOURNAL" --live flash.bin | tail -1; }

case "$SCEN" in
realtime)
	# v1.0.0 small in A, confirmed; v1.1.0 padded to a 256 KB image.
	"$T" pack --version 1.0.0 --product 7 --slot-a "$FW/app-a.elf" --slot-b "$FW/app-b.elf" \
		--out-dir r1.0.0 >/dev/null
	for s in a b; do
		cp "$FW/app-$s.bin" big-$s.bin
		head -c $((256 * 1024 - 512 - $(stat -c%s "$FW/app-$s.bin"))) /dev/urandom >>big-$s.bin
	done
	"$T" pack --version 1.1.0 --product 7 --slot-a big-a.bin --addr-a 0x08020200 \
		--slot-b big-b.bin --addr-b 0x08080200 --out-dir r1.1.0 >/dev/null
	[ "$(stat -c%s r1.1.0/slot-b.img)" = 262144 ] || fail "the release is not 256 KB"
	"$T" compose -o start.bin --bootloader "$FW/bootloader.bin" --slot-a r1.0.0/slot-a.img \
		--record attempt:a:1 --record confirmed:a >/dev/null
	start_board start.bin --realtime --baud 115200 --bits 10
	wait_until 10 has_line "twinslot-app: already confirmed" || fail "v1.0.0 did not boot"
	mark=$(wc -l <events.jsonl)
	t0=$(date +%s%3N)
	flash 0 --path app --image r1.1.0 --timeout 60
	t1=$(date +%s%3N)
	holds B r1.1.0/slot-b.img || fail "slot B does not hold the release"
	wait_until 10 sh -c "\"$JOURNAL\" --live flash.bin | tail -1 | grep 'newest=confirmed:B' >/dev/null" ||
		fail "no CONFIRMED B in the journal: $(live)"
	has_line "twinslot-boot: slot B v1.1.0 trial 1/3 (new image)" || fail "no trial boot of B"
	since() { tail -n +$((mark + 1)) events.jsonl; }
	since | grep '"boot0":1' >/dev/null && fail "the ROM bootloader was entered"
	since | grep '"type":"rom_' >/dev/null && fail "the ROM bootloader answered"
	resets=$(since | grep -c '"type":"reset"' || true)
	[ "$resets" = 1 ] || fail "$resets resets during the update, expected one"
	since | grep '"type":"reset"' | grep '"cause":"software"' >/dev/null || fail "the reset was not the app's own"
	since | grep '"type":"flash_overwrite"' >/dev/null && fail "flash_overwrite"
	er=$(since | grep '"type":"flash_erase"' | sed 's/.*"sector":\([0-9]*\).*/\1/' | tr '\n' ' ')
	[ "$er" = "8 9 " ] || fail "erased sectors '$er', expected '8 9 '"
	stalls=$(since | grep -c '"type":"flash_stall"' || true)
	echo "app path, 256 KB A -> B at real time: $((t1 - t0)) ms for the flash command;" \
	     "1 reset; $stalls flash stalls"
	stop_board
	;;
hang)
	# A bricked application confirmed in A: it hangs before it serves.
	"$T" pack --version 1.0.0 --product 7 --slot-a "$FW/app-hang-a.elf" --slot-b "$FW/app-b.elf" \
		--out-dir r1.0.0 >/dev/null
	"$T" pack --version 1.1.0 --product 7 --slot-a "$FW/app-a.elf" --slot-b "$FW/app-b.elf" \
		--out-dir r1.1.0 >/dev/null
	"$T" compose -o start.bin --bootloader "$FW/bootloader.bin" --slot-a r1.0.0/slot-a.img \
		--record confirmed:a >/dev/null
	start_board start.bin --rom-time 10
	wait_until 10 has_line "twinslot-app: test variant: hanging before confirming (no watchdog feed)" ||
		fail "the hanging variant did not start"
	flash 0 --path auto --image r1.1.0 --timeout 30
	grep -q "no update service answered" err.txt out.txt 2>/dev/null || true
	grep -q '"boot0":1' events.jsonl || fail "auto did not use the ROM bootloader"
	holds B r1.1.0/slot-b.img || fail "slot B does not hold the release"
	wait_until 10 has_line "twinslot-app: confirmed" || fail "B did not confirm"
	case "$(live)" in *"newest=confirmed:B"*) ;; *) fail "journal: $(live)" ;; esac
	stop_board
	;;
absent)
	# Only the bootloader: no application to answer.
	"$T" pack --version 1.1.0 --product 7 --slot-a "$FW/app-a.elf" --slot-b "$FW/app-b.elf" \
		--out-dir r1.1.0 >/dev/null
	"$T" compose -o start.bin --bootloader "$FW/bootloader.bin" >/dev/null
	start_board start.bin --rom-time 10
	wait_until 10 sh -c "tr -d '\r' <console.txt | grep -aq 'twinslot-boot: no bootable image'" ||
		fail "the bootloader did not report an empty board"
	cp flash.bin before.bin
	flash 3 --path app --image r1.1.0 --timeout 0
	grep -q "no update service answered on the console" err.txt || fail "no clear message: $(cat err.txt)"
	cmp -s flash.bin before.bin || fail "--path app without a service changed the flash"
	grep -q '"boot0":1' events.jsonl && fail "--path app entered the ROM bootloader"
	flash 0 --path auto --image r1.1.0 --timeout 30
	grep -q '"boot0":1' events.jsonl || fail "auto did not use the ROM bootloader"
	holds A r1.1.0/slot-a.img || fail "slot A does not hold the release"
	wait_until 10 has_line "twinslot-app: confirmed" || fail "A did not confirm"
	stop_board
	;;
*) echo "unknown scenario $SCEN" >&2; exit 2 ;;
esac
echo PASS
